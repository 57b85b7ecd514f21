"""A live card's edit that Telegram refuses, through the real Application and the fake Bot API.

Pins down: a 429 on one chat's card pauses that chat's cards for as long as Telegram asks, tried
once, while another chat's card is still redrawn every minute; a card whose message someone
deleted is closed after the one failed edit, and the chat still gets "finished"; "message is not
modified" is not a failure (the card goes on); a chat that turns out to be gone when its card is
edited is lost as when a send finds it gone: its owner is told, and nothing more goes there.
"""

from __future__ import annotations

import pytest

from tests.fake_telegram import NOT_MODIFIED, SentMessage
from tests.story import ANNA, FAMILY, World

MINUTE = 61  # a little over the once-a-minute limit for a chat's card edits


async def _cards(world: World) -> dict[int, int]:
    """Anna's private chat and the family group both show a live card; chat id → message id."""
    await world.say(ANNA, ANNA, f"/link {world.token}")
    world.telegram.set_admin(FAMILY, ANNA)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.say(FAMILY, ANNA, "/subscribe")
    await world.say(ANNA, ANNA, "/live on")
    await world.say(FAMILY, ANNA, "/live on")
    before = {chat: len(world.telegram.messages_to(chat)) for chat in (ANNA.id, FAMILY.id)}
    world.clock.advance(60)
    world.sim.start_session(world.garage, power_kw=7.2)
    world.clock.advance(30)
    cards = {}
    for chat, count in before.items():
        await world.messages(chat, count + 1)
        cards[chat] = _sent(world, chat)[-1].message_id
    await world.telegram.await_for(lambda api: all(_edits(world, chat) for chat in cards))
    return cards


def _sent(world: World, chat_id: int) -> list[SentMessage]:
    return [m for m in world.telegram.sent() if m.chat_id == chat_id]


def _edits(world: World, chat_id: int) -> list[SentMessage]:
    """The card edits Telegram accepted in a chat."""
    return [e for e in world.telegram.edits() if e.chat_id == chat_id]


def _tries(world: World, chat_id: int) -> int:
    """Every card edit the bot asked for in a chat, accepted or not.

    Counted instead of accepted edits: an edit drawn from the reading before the clock moved can
    be refused as "not modified", which is no failure but not an edit either.
    """
    calls = world.telegram.calls_to("editMessageText")
    return sum(1 for call in calls if call.params.get("chat_id") == chat_id)


async def _minutes(world: World, count: int) -> None:
    for _ in range(count):
        world.clock.advance(MINUTE)
        await world.next_polls()


@pytest.mark.parametrize("flooded", [ANNA.id, FAMILY.id], ids=["private", "group"])
async def test_a_429_on_one_chats_card_pauses_only_that_chats_cards(
    world: World, flooded: int
) -> None:
    cards = await _cards(world)
    (other,) = set(cards) - {flooded}
    world.telegram.flood(flooded, 300, now=lambda: world.clock.now().timestamp())
    tries = _tries(world, other)

    await _minutes(world, 4)
    assert _tries(world, other) >= tries + 3  # the other chat's card goes on
    assert world.telegram.flood_refusals(flooded) == 1  # tried once, then it waited as told

    await _minutes(world, 1)  # the 300 s are over
    await world.telegram.await_for(lambda api: len(_edits(world, flooded)) >= 2)
    assert world.telegram.flood_refusals(flooded) == 1


async def test_a_card_whose_message_was_deleted_is_closed_and_finished_still_arrives(
    world: World,
) -> None:
    cards = await _cards(world)
    world.telegram.delete_by_user(FAMILY.id, cards[FAMILY.id])
    tries, anna = _tries(world, FAMILY.id), _tries(world, ANNA.id)

    await _minutes(world, 3)
    assert _tries(world, FAMILY.id) == tries + 1  # one "message to edit not found", then closed
    assert _tries(world, ANNA.id) >= anna + 2  # Anna's card is not affected

    before = len(world.telegram.messages_to(FAMILY.id))
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    finished = (await world.messages(FAMILY.id, before + 1))[before]
    assert finished.startswith("✅")
    assert _tries(world, FAMILY.id) == tries + 1


async def test_a_card_edit_that_changes_nothing_is_not_a_failure(world: World) -> None:
    await _cards(world)
    world.telegram.fail_next(
        "editMessageText", error_code=400, description=NOT_MODIFIED, chat_id=FAMILY.id
    )
    tries = _tries(world, FAMILY.id)

    await _minutes(world, 3)  # the first edit: Telegram says "message is not modified"
    assert _tries(world, FAMILY.id) >= tries + 3  # the card was not closed: it goes on


async def test_a_group_found_gone_by_a_card_edit_is_lost_and_its_owner_told(
    world: World,
) -> None:
    await _cards(world)
    world.telegram.fail_next(
        "editMessageText",
        error_code=403,
        description="Forbidden: bot was kicked from the supergroup chat",
        chat_id=FAMILY.id,
    )
    before = len(world.telegram.messages_to(ANNA.id))

    await _minutes(world, 1)
    notice = (await world.messages(ANNA.id, before + 1))[before]
    assert notice.startswith("ℹ️")
    assert "Family" in notice
    group = len(world.telegram.messages_to(FAMILY.id))
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    await world.messages(ANNA.id, before + 2)  # Anna hears "finished"; the group does not
    await world.next_polls(2)
    assert len(world.telegram.messages_to(FAMILY.id)) == group
