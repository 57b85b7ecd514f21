"""Each chat decides what it hears, through the real Application and the fake Bot API.

Pins down: a /settings button changes what later notifications do, and the menu is redrawn in
place; in a group only an admin (asked of Telegram at the moment of the change) may change
anything, anyone else gets a short explanation and nothing changes; a muted chat gets nothing
while other chats do, and what it missed is not sent afterwards; quiet hours deliver silently
(`disable_notification`) and outside them a message is not silent; settings survive a group's
upgrade to a supergroup; a stalled session is reported once; a live card is edited at most
once a minute and ends with the final figures while "finished" is still sent; that final edit
goes out with the "finished" message, not held back by the once-a-minute throttle.
"""

from __future__ import annotations

import sqlite3

from tests.fake_telegram import FakeChat, FakeUser, SentMessage
from tests.story import ANNA, FAMILY, World

BERT = FakeUser(id=5002, first_name="Bert", language_code="en")
STARTED = "🔌 Garage: charging started at {time}"


async def _family(world: World) -> None:
    """Anna links her account; the family group (Anna is its admin) gets its notifications."""
    await world.say(ANNA, ANNA, f"/link {world.token}")
    world.telegram.set_admin(FAMILY, ANNA)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.say(FAMILY, ANNA, "/subscribe")


def _last_sent(world: World, chat_id: int) -> SentMessage:
    return [m for m in world.telegram.sent() if m.chat_id == chat_id][-1]


def _button(message: SentMessage | dict[str, object], data: str) -> str:
    markup = message.reply_markup if isinstance(message, SentMessage) else message["reply_markup"]
    assert isinstance(markup, dict)
    labels = [
        b["text"] for row in markup["inline_keyboard"] for b in row if b["callback_data"] == data
    ]
    assert len(labels) == 1, data
    return str(labels[0])


async def _start_charging(world: World) -> None:
    """Charging starts at 10:01; returns once the owner's private chat (unmuted) heard it."""
    before = len(world.telegram.messages_to(ANNA.id))
    world.clock.advance(60)
    world.sim.start_session(world.garage, power_kw=7.2)
    world.clock.advance(30)
    await world.messages(ANNA.id, before + 1)


async def test_a_settings_button_changes_what_later_notifications_do(world: World) -> None:
    await _family(world)
    await world.say(FAMILY, ANNA, "/settings")
    menu = _last_sent(world, FAMILY.id)
    assert menu.plain_text.startswith("⚙️ Settings for this chat\nNotifications: start, finish")
    assert _button(menu, "set:t:start") == "✅ start"

    world.telegram.press_button(FAMILY, ANNA, menu.message_id, "set:t:start")
    await world.telegram.await_for(lambda api: len(api.edits()) == 1)
    redrawn = world.telegram.message(FAMILY.id, menu.message_id)
    assert redrawn is not None
    assert _button(redrawn, "set:t:start") == "▫️ start"
    assert world.telegram.callback_answers()[-1]["text"] == "Saved."

    before = len(world.telegram.messages_to(FAMILY.id))
    await _start_charging(world)
    await world.next_polls()
    assert len(world.telegram.messages_to(FAMILY.id)) == before  # no start in the group
    world.clock.advance(600)
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    finished = (await world.messages(FAMILY.id, before + 1))[before]
    assert finished.startswith("✅ Garage: charging finished")


async def test_a_non_admin_cannot_change_a_groups_settings(world: World) -> None:
    await _family(world)
    await world.say(FAMILY, ANNA, "/settings")
    menu = _last_sent(world, FAMILY.id)

    world.telegram.press_button(FAMILY, BERT, menu.message_id, "set:t:start")
    await world.telegram.await_for(lambda api: len(api.callback_answers()) == 1)
    assert world.telegram.callback_answers()[0]["text"] == (
        "Only a group admin can change this chat's settings."
    )
    assert world.telegram.edits() == []
    reply = await world.say(FAMILY, BERT, "/mute 2h")
    assert reply == "Only a group admin can change this chat's settings."

    before = len(world.telegram.messages_to(FAMILY.id))
    await _start_charging(world)
    started = (await world.messages(FAMILY.id, before + 1))[before]
    assert started == STARTED.format(time="10:01")


async def test_a_muted_chat_gets_nothing_while_the_others_do(world: World) -> None:
    await _family(world)
    reply = await world.say(FAMILY, ANNA, "/mute 1h")
    assert reply.startswith("🔇 Muted until 11:00. Nothing is sent here until then")
    before = len(world.telegram.messages_to(FAMILY.id))

    await _start_charging(world)
    assert world.telegram.messages_to(ANNA.id, plain=True)[-1] == STARTED.format(time="10:01")
    await world.next_polls()
    assert len(world.telegram.messages_to(FAMILY.id)) == before

    world.clock.advance(3600)  # the mute is over; what was missed is not sent afterwards
    await world.next_polls()
    assert len(world.telegram.messages_to(FAMILY.id)) == before
    status = await world.say(FAMILY, ANNA, "/status")
    assert "Garage — ⚡ charging" in status
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    assert (await world.messages(FAMILY.id, before + 2))[before + 1].startswith(
        "✅ Garage: charging finished"
    )


async def test_unmute_ends_the_mute_early(world: World) -> None:
    await _family(world)
    await world.say(ANNA, ANNA, "/mute 1d")
    assert await world.say(ANNA, ANNA, "/unmute") == "🔔 Unmuted: notifications are back."
    assert await world.say(ANNA, ANNA, "/unmute") == "This chat isn't muted."
    await _start_charging(world)
    assert world.telegram.messages_to(ANNA.id, plain=True)[-1] == STARTED.format(time="10:01")


async def test_quiet_hours_deliver_silently_and_only_inside_the_window(world: World) -> None:
    await _family(world)
    reply = await world.say(FAMILY, ANNA, "/quiet 09:30-10:30")
    assert reply == "🌙 Quiet hours 09:30–10:30: messages then arrive without a sound."

    await _start_charging(world)
    await world.messages(FAMILY.id, 4)
    in_group, in_private = _last_sent(world, FAMILY.id), _last_sent(world, ANNA.id)
    assert in_group.plain_text == in_private.plain_text == STARTED.format(time="10:01")
    assert in_group.params.get("disable_notification") is True
    assert not in_private.params.get("disable_notification")

    world.clock.advance(3600)  # 11:01: outside the window
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    await world.messages(FAMILY.id, 5)
    assert not _last_sent(world, FAMILY.id).params.get("disable_notification")


async def test_typed_settings_explain_their_arguments(world: World) -> None:
    assert (await world.say(ANNA, ANNA, "/quiet tonight")).startswith(
        "Set quiet hours like /quiet 22:00-07:00"
    )
    assert await world.say(ANNA, ANNA, "/live maybe") == "Use /live on or /live off."
    assert (await world.say(ANNA, ANNA, "/mute forever")).startswith("Mute like /mute 30m")
    assert await world.say(ANNA, ANNA, "/language de") == (
        "Choose a language: /language nl or /language en."
    )
    assert await world.say(ANNA, ANNA, "/quiet off") == (
        "🔔 No quiet hours: every message makes a sound again."
    )


async def test_a_chat_language_changes_its_notifications(world: World) -> None:
    await _family(world)
    reply = await world.say(FAMILY, ANNA, "/language nl")
    assert reply == "🌐 Deze chat krijgt de meldingen nu in het Nederlands."
    await _start_charging(world)
    assert (await world.messages(FAMILY.id, 4))[3] == "🔌 Garage: laden gestart om 10:01"
    assert world.telegram.messages_to(ANNA.id, plain=True)[-1] == STARTED.format(time="10:01")


async def test_settings_follow_a_group_that_becomes_a_supergroup(world: World) -> None:
    family = FakeChat(id=-4242, title="Family", type="group")
    await world.say(ANNA, ANNA, f"/link {world.token}")
    world.telegram.set_admin(family, ANNA)
    world.telegram.add_bot_to_group(family, by=ANNA)
    await world.messages(family.id, 1)
    await world.say(family, ANNA, "/subscribe")
    await world.say(family, ANNA, "/quiet 22:00-07:00")

    supergroup = world.telegram.migrate_group(family)

    def stored() -> list[tuple[int, str]]:
        with sqlite3.connect(world.settings.database_path) as db:
            return db.execute("SELECT chat_id, data FROM chat_settings").fetchall()

    # The migration is two updates the bot handles while it polls: wait for its effect (a
    # fixed number of polls raced the handlers on a loaded machine).
    for _ in range(400):
        if [chat_id for chat_id, _ in stored()] != [family.id]:
            break
        await world.next_polls(1)
    rows = stored()
    assert [chat_id for chat_id, _ in rows] == [supergroup.id]
    assert '"22:00:00"' in rows[0][1]


async def test_a_stalled_session_is_reported_once(world: World) -> None:
    await _family(world)
    await _start_charging(world)
    world.clock.advance(600)
    await world.next_polls()
    world.sim.set_power(world.garage, 0.0)  # the car stops drawing power at 10:11
    world.clock.advance(29 * 60)
    await world.next_polls()
    assert len(world.telegram.messages_to(ANNA.id)) == 2  # not yet: 29 minutes

    world.clock.advance(2 * 60)
    messages = await world.messages(ANNA.id, 3)
    assert messages[2] == (
        "⏸ Garage: charging seems to have stopped — no energy since 10:11 (1.26 kWh so far). "
        "Is the car full, or did something come loose?"
    )
    world.clock.advance(3600)
    await world.next_polls(3)
    assert len(world.telegram.messages_to(ANNA.id)) == 3


async def test_a_session_that_picks_up_again_is_not_reported(world: World) -> None:
    await _family(world)
    await _start_charging(world)
    world.sim.set_power(world.garage, 0.0)
    world.clock.advance(20 * 60)
    await world.next_polls()
    world.sim.set_power(world.garage, 7.2)
    world.clock.advance(20 * 60)
    await world.next_polls()
    world.clock.advance(20 * 60)
    await world.next_polls()
    assert len(world.telegram.messages_to(ANNA.id)) == 2


async def test_a_live_card_is_edited_at_most_once_a_minute_and_ends_with_the_figures(
    world: World,
) -> None:
    await _family(world)
    assert (await world.say(FAMILY, ANNA, "/live on")).startswith("📟 Live card on")
    await _start_charging(world)
    await world.messages(FAMILY.id, 4)
    card = _last_sent(world, FAMILY.id)
    assert card.plain_text == STARTED.format(time="10:01")

    await world.telegram.await_for(lambda api: len(api.edits()) == 1)  # drawn at once
    world.clock.advance(30)
    await world.next_polls(3)
    assert len(world.telegram.edits()) == 1  # 30 seconds later: not yet
    world.clock.advance(31)
    await world.telegram.await_for(lambda api: len(api.edits()) == 2)

    for _ in range(10):  # five more minutes in 30-second steps, several polls each
        world.clock.advance(30)
        await world.next_polls()
    edits = world.telegram.edits()
    assert 2 + 3 <= len(edits) <= 2 + 5
    assert {(e.chat_id, e.message_id) for e in edits} == {(FAMILY.id, card.message_id)}
    assert edits[-1].plain_text.startswith("🔌 Garage: charging since 10:01\n⚡ 0.")
    world.clock.advance(30 * 60)
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    finished = (await world.messages(FAMILY.id, 5))[4]
    assert finished.startswith("✅ Garage: charging finished")
    world.clock.advance(60)
    await world.telegram.await_for(
        lambda api: "charged" in (api.message(FAMILY.id, card.message_id) or {}).get("text", "")
    )
    final = world.telegram.message(FAMILY.id, card.message_id)
    assert final is not None
    assert final["text"] == (
        "🔌 Garage: charged 10:01–10:37\n✅ 4.38 kWh in 37 min\nERE credits: 1.45"
    )
    count = len(world.telegram.edits())
    world.clock.advance(600)
    await world.next_polls(3)
    assert len(world.telegram.edits()) == count  # closed: no more edits


async def test_a_live_cards_final_figures_go_out_with_the_finish_not_a_minute_later(
    world: World,
) -> None:
    await _family(world)
    await world.say(FAMILY, ANNA, "/live on")
    await _start_charging(world)
    await world.messages(FAMILY.id, 4)
    card = _last_sent(world, FAMILY.id)
    await world.telegram.await_for(lambda api: len(api.edits()) == 1)  # drawn at once
    world.clock.advance(10 * 60 - 30)
    await world.next_polls()  # redrawn (once a minute) at 10:11

    world.clock.advance(20)  # 20 seconds after that edit the session ends
    world.sim.finish_session(world.garage)
    world.clock.advance(1)
    finished = (await world.messages(FAMILY.id, 5))[4]
    assert finished.startswith("✅ Garage: charging finished")
    await world.next_polls()  # the clock stands still: the throttle's minute is not over

    final = world.telegram.message(FAMILY.id, card.message_id)
    assert final is not None
    assert final["text"].startswith("🔌 Garage: charged 10:01–10:11\n✅ 1.2")
    count = len(world.telegram.edits())
    world.clock.advance(120)
    await world.next_polls(3)
    assert len(world.telegram.edits()) == count  # one final edit, then the card is closed


async def _press(
    world: World, chat: FakeChat | FakeUser, message_id: int, data: str, saved: str = "Saved."
) -> str:
    """Anna presses a button of the menu; returns the redrawn menu's text once it is edited."""
    edits = len(world.telegram.edits())
    world.telegram.press_button(chat, ANNA, message_id, data)
    await world.telegram.await_for(lambda api: len(api.edits()) == edits + 1)
    assert world.telegram.callback_answers()[-1]["text"] == saved
    redrawn = world.telegram.message(chat.id, message_id)
    assert redrawn is not None
    return str(redrawn["text"])


async def test_the_charger_button_mutes_one_charger_in_this_chat_only(world: World) -> None:
    await _family(world)
    await world.say(FAMILY, ANNA, "/settings")
    menu = _last_sent(world, FAMILY.id)
    data = f"set:c:{world.garage}"
    assert _button(menu, data) == "✅ Garage"

    text = await _press(world, FAMILY, menu.message_id, data)

    assert "Muted chargers: Garage" in text
    redrawn = world.telegram.message(FAMILY.id, menu.message_id)
    assert redrawn is not None
    assert _button(redrawn, data) == "▫️ Garage"
    before = len(world.telegram.messages_to(FAMILY.id))
    await _start_charging(world)  # Anna's private chat hears it
    await world.next_polls()
    assert len(world.telegram.messages_to(FAMILY.id)) == before


async def test_the_live_button_switches_the_live_card(world: World) -> None:
    await world.say(ANNA, ANNA, f"/link {world.token}")
    await world.say(ANNA, ANNA, "/settings")
    menu = _last_sent(world, ANNA.id)
    assert "Live session card: off" in menu.plain_text
    assert _button(menu, "set:live") == "▫️ Live card"

    text = await _press(world, ANNA, menu.message_id, "set:live")

    assert "Live session card: on" in text
    redrawn = world.telegram.message(ANNA.id, menu.message_id)
    assert redrawn is not None
    assert _button(redrawn, "set:live") == "✅ Live card"


async def test_the_quiet_buttons_set_and_clear_quiet_hours(world: World) -> None:
    await world.say(ANNA, ANNA, f"/link {world.token}")
    await world.say(ANNA, ANNA, "/settings")
    menu = _last_sent(world, ANNA.id)
    assert "Quiet hours: none" in menu.plain_text
    assert _button(menu, "set:q:22:00-07:00") == "🌙 22:00–07:00"

    text = await _press(world, ANNA, menu.message_id, "set:q:22:00-07:00")
    assert "Quiet hours: 22:00–07:00" in text
    redrawn = world.telegram.message(ANNA.id, menu.message_id)
    assert redrawn is not None
    assert _button(redrawn, "set:q:22:00-07:00") == "✅ 🌙 22:00–07:00"
    assert _button(redrawn, "set:q:off") == "▫️ No quiet hours"

    text = await _press(world, ANNA, menu.message_id, "set:q:off")
    assert "Quiet hours: none" in text


async def test_the_language_button_changes_the_chats_notifications(world: World) -> None:
    await _family(world)
    await world.say(FAMILY, ANNA, "/settings")
    menu = _last_sent(world, FAMILY.id)
    assert _button(menu, "set:lang:nl") == "Dutch"

    text = await _press(world, FAMILY, menu.message_id, "set:lang:nl", saved="Opgeslagen.")

    assert text.startswith("⚙️ Instellingen voor deze chat\n")  # the chat's language now

    redrawn = world.telegram.message(FAMILY.id, menu.message_id)
    assert redrawn is not None
    assert _button(redrawn, "set:lang:nl").startswith("✅ ")
    before = len(world.telegram.messages_to(FAMILY.id))
    await _start_charging(world)
    started = (await world.messages(FAMILY.id, before + 1))[before]
    assert started == "🔌 Garage: laden gestart om 10:01"


async def test_a_button_for_a_setting_that_no_longer_exists_is_stale(world: World) -> None:
    await world.say(ANNA, ANNA, f"/link {world.token}")
    await world.say(ANNA, ANNA, "/settings")
    menu = _last_sent(world, ANNA.id)

    world.telegram.press_button(ANNA, ANNA, menu.message_id, "set:c:no-such-charger")
    await world.telegram.await_for(lambda api: len(api.callback_answers()) == 1)

    assert world.telegram.callback_answers()[0]["text"] == (
        "This button has expired. Send the command again."
    )
    assert world.telegram.edits() == []


KEES = FakeUser(id=5010, first_name="Kees", language_code="nl")


async def test_a_chosen_language_is_the_chats_for_every_reply_menu_and_notification(
    world: World,
) -> None:
    await world.say(KEES, KEES, f"/link {world.token}")
    assert await world.say(KEES, KEES, "/language en") == (
        "🌐 This chat now gets its notifications in English."
    )

    await world.say(KEES, KEES, "/settings")
    menu = _last_sent(world, KEES.id)
    assert menu.plain_text.startswith("⚙️ Settings for this chat\n")
    assert "Language: English" in menu.plain_text
    status = await world.say(KEES, KEES, "/status")
    assert "Garage — 🟢 online, idle" in status
    assert await world.say(KEES, KEES, "hallo") == (
        await world.say(ANNA, ANNA, "hello")  # what an English speaker hears
    )

    text = await _press_as(world, KEES, menu.message_id, "set:lang:nl")
    assert text.startswith("⚙️ Instellingen voor deze chat\n")
    assert world.telegram.callback_answers()[-1]["text"] == "Opgeslagen."


async def _press_as(world: World, user: FakeUser, message_id: int, data: str) -> str:
    edits = len(world.telegram.edits())
    world.telegram.press_button(user, user, message_id, data)
    await world.telegram.await_for(lambda api: len(api.edits()) == edits + 1)
    redrawn = world.telegram.message(user.id, message_id)
    assert redrawn is not None
    return str(redrawn["text"])


async def test_an_expired_button_speaks_the_chats_chosen_language(world: World) -> None:
    await world.say(KEES, KEES, f"/link {world.token}")
    await world.say(KEES, KEES, "/language en")
    await world.say(KEES, KEES, "/settings")
    menu = _last_sent(world, KEES.id)

    world.telegram.press_button(KEES, KEES, menu.message_id, "set:c:no-such-charger")
    await world.telegram.await_for(lambda api: len(api.callback_answers()) == 1)

    assert world.telegram.callback_answers()[0]["text"] == (
        "This button has expired. Send the command again."
    )
