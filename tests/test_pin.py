"""A pinned live card: `/pin on` (admins in groups, also in /settings) pins a session's live
card without a notification while it runs and unpins it when it ends. Without the right to pin,
the card still goes out, the bot stops trying in that chat until /pin is used again, and whoever
switched it on hears once which right the bot needs.

Through the fake Bot API, which refuses pinChatMessage as Telegram does without "Pin messages".
"""

from __future__ import annotations

from tests.fake_telegram import FakeChat, FakeUser, SentMessage
from tests.story import ANNA, World

HOME = FakeChat(id=-100444, title="Home", type="supergroup")
BERT = FakeUser(id=5002, first_name="Bert", language_code="en")
REFUSED = (
    "📌 I could not pin the live card in “Home”: I need the admin right “Pin messages” there. "
    "A group admin gives it in the group's info → Administrators → this bot → Pin messages; "
    "then send /pin on there. Until then I don't try again; the live card still comes."
)


async def _say(world: World, chat: FakeChat, user: FakeUser, text: str) -> SentMessage:
    before = len(world.telegram.messages_to(chat.id))
    world.telegram.group_message(chat, user, text)
    await world.messages(chat.id, before + 1)
    return [m for m in world.telegram.sent() if m.chat_id == chat.id][before]


async def _group_with_live_card(world: World, *, admin: FakeUser = ANNA) -> None:
    world.telegram.private_message(ANNA, f"/link {world.token}")
    await world.messages(ANNA.id, 1)
    world.telegram.add_bot_to_group(HOME, by=ANNA)
    await world.messages(HOME.id, 1)
    world.telegram.set_admin(HOME, admin)
    await _say(world, HOME, ANNA, "/subscribe")
    await _say(world, HOME, admin, "/live on")


async def _session(world: World, *, finish: bool = True, on: str = "Garage") -> int:
    """A session at the garage (or the driveway); the id of its card in the group."""
    charger = world.garage if on == "Garage" else world.driveway
    before = len(world.telegram.messages_to(HOME.id))
    # Less than the live card's edit interval: no redraw falls due meanwhile, so fewer requests
    # to the group, whose budget (20 a minute, on real time) the bot would otherwise wait for.
    world.clock.advance(30)
    world.sim.start_session(charger, power_kw=7.2)
    await world.telegram.await_for(lambda api: len(api.messages_to(HOME.id)) > before)
    card = [m for m in world.telegram.sent() if m.chat_id == HOME.id][before]
    assert card.plain_text.startswith(f"🔌 {on}")
    await world.next_polls()
    if finish:
        await _finish(world, card.message_id, charger)
    return card.message_id


async def _finish(world: World, card: int, charger: str) -> None:
    """The session on `charger` ends two hours later; returns once its card says so."""
    world.clock.advance(2 * 3600)
    world.sim.finish_session(charger)
    await world.telegram.await_for(
        lambda api: any(e.message_id == card and "✅" in e.plain_text for e in api.edits())
    )
    await world.next_polls()


async def test_the_live_card_is_pinned_silently_while_the_session_runs_then_unpinned(
    world: World,
) -> None:
    await _group_with_live_card(world)
    world.telegram.set_can_pin(HOME, True)
    reply = await _say(world, HOME, ANNA, "/pin on")

    card = await _session(world, finish=False)
    pinned_while_running = world.telegram.pinned(HOME.id)
    world.clock.advance(2 * 3600)
    world.sim.finish_session(world.garage)
    await world.telegram.await_for(lambda api: api.calls_to("unpinChatMessage") != [])

    assert reply.plain_text.startswith("📌 Pinning on: while a session runs its live card")
    assert pinned_while_running == [card]
    [pin] = world.telegram.calls_to("pinChatMessage")
    assert pin.params["disable_notification"] is True
    assert world.telegram.pinned(HOME.id) == []
    assert world.telegram.calls_to("unpinChatMessage")[0].params["message_id"] == card


async def test_pinning_is_off_by_default(world: World) -> None:
    await _group_with_live_card(world)
    world.telegram.set_can_pin(HOME, True)
    await _session(world)
    assert world.telegram.calls_to("pinChatMessage") == []


async def test_only_an_admin_switches_pinning_in_a_group(world: World) -> None:
    await _group_with_live_card(world)
    reply = await _say(world, HOME, BERT, "/pin on")
    assert reply.plain_text == "Only a group admin can change this chat's settings."
    usage = await _say(world, HOME, ANNA, "/pin maybe")
    assert usage.plain_text == "Use /pin on or /pin off."


async def test_without_the_right_the_card_still_comes_the_admin_hears_once_no_more_tries(
    world: World,
) -> None:
    """The second card goes out unpinned, without a second try, and /pin on tries again.

    The two sessions run side by side on both chargers: fewer messages to the group, so the
    bot's budget of 20 requests a minute per group (kept on real time) never makes it wait.
    """
    await _group_with_live_card(world)
    await _say(world, HOME, ANNA, "/pin on")
    private_before = len(world.telegram.messages_to(ANNA.id))

    first = await _session(world, finish=False)
    second = await _session(world, finish=False, on="Driveway")

    assert first != second  # both cards went out
    assert len(world.telegram.calls_to("pinChatMessage")) == 1  # tried once only
    told = world.telegram.messages_to(ANNA.id, plain=True)[private_before:]
    assert told.count(REFUSED) == 1
    assert REFUSED not in world.telegram.messages_to(HOME.id, plain=True)

    world.telegram.set_can_pin(HOME, True)  # an admin gives the right and says so
    await _say(world, HOME, ANNA, "/pin on")
    await _finish(world, first, world.garage)
    third = await _session(world, finish=False)
    assert world.telegram.pinned(HOME.id) == [third]


async def test_an_admin_who_never_wrote_to_the_bot_is_told_in_the_group(world: World) -> None:
    world.telegram.never_started(BERT)
    await _group_with_live_card(world, admin=BERT)
    await _say(world, HOME, BERT, "/pin on")

    await _session(world, finish=False)
    await world.telegram.await_for(lambda api: REFUSED in api.messages_to(HOME.id, plain=True))

    assert world.telegram.messages_to(BERT.id) == []


async def test_settings_show_pinning_and_its_button_switches_it(world: World) -> None:
    await _group_with_live_card(world)
    menu = await _say(world, HOME, ANNA, "/settings")
    assert "Pin the live card: off" in menu.plain_text
    message = world.telegram.message(HOME.id, menu.message_id)
    assert message is not None
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    data = next(b["callback_data"] for b in buttons if b["text"].endswith("Pin it"))
    before = len(world.telegram.edits())
    world.telegram.press_button(HOME, ANNA, menu.message_id, data)
    await world.telegram.await_for(lambda api: len(api.edits()) > before)
    assert "Pin the live card: on" in world.telegram.edits()[-1].plain_text
    world.telegram.set_can_pin(HOME, True)
    card = await _session(world, finish=False)
    assert world.telegram.pinned(HOME.id) == [card]
