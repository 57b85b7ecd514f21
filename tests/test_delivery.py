"""Telegram's faults: a notification is delayed, never lost, and repeated only if it was in flight.

The real Application and sender against the fake Bot API: flood control (429, which holds back
only the chat it is about), a chat that blocked or removed the bot (403), a group upgraded to a
supergroup, a Bot API that is down for a while, and a connection lost after Telegram accepted
the message.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.fake_telegram import FakeChat, FakeUser
from tests.story import ANNA, World

GROUP = FakeChat(id=-4001, title="Family", type="group")
BOB = FakeUser(id=5002, first_name="Bob", language_code="en")


async def _linked_with_group(world: World, group: FakeChat = GROUP) -> None:
    world.telegram.private_message(ANNA, f"/link {world.token}")
    await world.messages(ANNA.id, 1)
    world.telegram.add_bot_to_group(group, by=ANNA)
    await world.messages(group.id, 1)
    world.telegram.group_message(group, ANNA, "/subscribe")
    await world.messages(group.id, 2)


async def _start_charging(world: World, tag: str) -> str:
    world.sim.start_session(world.garage, id_tag=tag)
    world.clock.advance(60)
    return f"(tag {tag})"


async def test_a_flood_limited_group_waits_alone_and_then_gets_each_message_once(
    world: World,
) -> None:
    await _linked_with_group(world)
    bob_token = world.sim.add_account()
    carport = world.sim.add_charger(bob_token, "Carport")
    world.telegram.private_message(BOB, f"/link {bob_token}")  # another family
    await world.messages(BOB.id, 1)
    loop = asyncio.get_running_loop()
    began = loop.time()
    world.telegram.flood(GROUP.id, 30, now=lambda: world.clock.now().timestamp())

    world.sim.start_session(world.garage, id_tag="FLOOD")
    await world.telegram.await_for(lambda api: api.flood_refusals(GROUP.id) == 1)
    world.sim.start_session(carport, id_tag="BOB")  # queued behind the group's refused send
    bob = await world.messages(BOB.id, 2)
    assert bob[1].startswith("🔌 Carport: charging started")
    world.clock.advance(20)  # still inside the window
    world.sim.finish_session(world.garage)
    anna = await world.messages(ANNA.id, 3)
    assert anna[1].startswith("🔌 Garage: charging started")
    assert anna[2].startswith("✅ Garage: charging finished")
    await world.next_polls(2)
    assert len(world.telegram.messages_to(GROUP.id)) == 2  # the welcome and /subscribe only
    assert world.telegram.flood_refusals(GROUP.id) == 1  # held, not hammered

    world.clock.advance(10)  # the window is over
    await world.messages(GROUP.id, 4)
    await world.next_polls(2)  # time for a duplicate to show up, if there were one
    assert world.telegram.messages_to(GROUP.id, plain=True)[2:] == anna[1:]  # once, in order
    assert world.telegram.flood_refusals(GROUP.id) == 1
    assert loop.time() - began < 15  # nobody slept out the 30 s


async def test_a_reply_refused_by_a_long_flood_is_not_retried_and_holds_up_nobody(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await _linked_with_group(world)
    loop = asyncio.get_running_loop()
    began = loop.time()
    world.telegram.flood(GROUP.id, 30, now=lambda: world.clock.now().timestamp())
    world.telegram.group_message(GROUP, ANNA, "/status")
    await world.telegram.await_for(lambda api: api.flood_refusals(GROUP.id) >= 1)
    world.sim.start_session(world.garage, id_tag="BUSY")
    anna = await world.messages(ANNA.id, 2)
    assert "(tag BUSY)" in anna[1]
    await world.next_polls(2)  # the group's notification was refused too, and now waits
    refusals = world.telegram.flood_refusals(GROUP.id)
    assert refusals == 2  # the reply and the notification; no "something went wrong" on top
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    world.clock.advance(30)  # the window is over
    await world.messages(GROUP.id, 3)
    await world.next_polls(2)
    assert world.telegram.messages_to(GROUP.id, plain=True)[2:] == anna[1:]  # no late /status
    assert world.telegram.flood_refusals(GROUP.id) == refusals  # the reply was not retried
    assert loop.time() - began < 15  # nobody slept out the 30 s


async def test_a_group_that_removed_the_bot_gets_nothing_more_and_the_owner_is_told(
    world: World,
) -> None:
    await _linked_with_group(world)
    world.telegram.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was kicked from the group chat",
        chat_id=GROUP.id, times=5,
    )  # fmt: skip
    await _start_charging(world, "KICKED")
    private = await world.messages(ANNA.id, 3)
    assert private[1].startswith("🔌 Garage: charging started")
    assert private[2] == (
        "ℹ️ I was removed from the group “Family”, so it no longer gets your charging "
        "notifications. Add me again and send /subscribe there to resume."
    )
    world.sim.finish_session(world.garage)
    world.clock.advance(60)
    await world.messages(ANNA.id, 4)
    assert len(world.telegram.messages_to(GROUP.id)) == 2  # the welcome and /subscribe only


async def test_a_group_upgraded_to_a_supergroup_keeps_its_notifications(world: World) -> None:
    await _linked_with_group(world)
    supergroup = world.telegram.migrate_group(GROUP)
    tag = await _start_charging(world, "MIGRATED")
    moved = await world.messages(supergroup.id, 1)
    assert tag in moved[0]
    world.sim.finish_session(world.garage)
    world.clock.advance(60)
    finished = await world.messages(supergroup.id, 2)
    assert finished[1].startswith("✅ Garage: charging finished")
    world.telegram.group_message(supergroup, ANNA, "/status")
    status = (await world.messages(supergroup.id, 3))[2]
    assert "Garage" in status


async def test_messages_wait_while_telegram_is_down_and_arrive_in_order(world: World) -> None:
    await _linked_with_group(world)
    world.telegram.stop()
    await _start_charging(world, "OUTAGE")
    await world.next_polls(2)
    world.clock.advance(3600)
    world.sim.finish_session(world.garage)
    await world.next_polls(2)
    world.clock.advance(3600)  # retries fall due
    world.telegram.start()
    private = await world.messages(ANNA.id, 3)
    group = await world.messages(GROUP.id, 4)
    assert private[1].startswith("🔌 Garage: charging started")
    assert private[2].startswith("✅ Garage: charging finished")
    assert group[2:] == private[1:]


async def test_a_message_whose_answer_was_lost_arrives_at_most_twice(world: World) -> None:
    await _linked_with_group(world)
    world.telegram.drop_connection_next("sendMessage", delivered=True, chat_id=ANNA.id)
    tag = await _start_charging(world, "INFLIGHT")
    await world.messages(GROUP.id, 3)
    # The group's copy went out in the same drain as Anna's lost one: once that drain is over,
    # Anna's retry is scheduled. Moving the clock before then (a busy machine) would schedule
    # it after the advance, and it would never fall due.
    await world.bot.sender.drain()
    world.clock.advance(120)  # the retry falls due
    await world.telegram.await_for(lambda api: sum(tag in m for m in api.messages_to(ANNA.id)) >= 2)
    await world.next_polls(4)
    assert sum(tag in m for m in world.telegram.messages_to(ANNA.id)) == 2
    assert sum(tag in m for m in world.telegram.messages_to(GROUP.id)) == 1


async def test_a_send_refused_with_chat_migrated_is_delivered_to_the_new_chat(
    world: World,
) -> None:
    await _linked_with_group(world)
    new_id = -1009990001
    world.telegram.fail_next(
        "sendMessage", error_code=400, description="Bad Request: group chat was upgraded to a "
        "supergroup chat", migrate_to_chat_id=new_id, chat_id=GROUP.id,
    )  # fmt: skip
    tag = await _start_charging(world, "MOVED")
    moved = await world.messages(new_id, 1)
    assert tag in moved[0]
    world.telegram.group_message(
        FakeChat(id=new_id, title="Family", type="supergroup"), ANNA, "/status"
    )
    assert "Garage — ⚡ charging" in (await world.messages(new_id, 2))[1]


async def test_a_chat_that_no_longer_exists_is_not_retried(world: World) -> None:
    await _linked_with_group(world)
    world.telegram.fail_next(
        "sendMessage", error_code=400, description="Bad Request: chat not found",
        chat_id=GROUP.id, times=10,
    )  # fmt: skip
    await _start_charging(world, "GONE")
    private = await world.messages(ANNA.id, 3)
    assert private[2].startswith("ℹ️ I was removed from the group “Family”")
    await world.next_polls(4)
    attempts = [
        c for c in world.telegram.calls_to("sendMessage") if c.params["chat_id"] == GROUP.id
    ]
    assert len(attempts) == 2 + 1  # welcome, /subscribe reply, and one failed try: no loop


async def test_a_message_telegram_refuses_is_dropped_and_later_ones_still_arrive(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await _linked_with_group(world)
    world.telegram.fail_next(
        "sendMessage", error_code=400, description="Bad Request: message is too long",
        chat_id=GROUP.id,
    )  # fmt: skip
    await _start_charging(world, "REFUSED")
    await world.messages(ANNA.id, 2)
    world.clock.advance(1800)
    world.sim.finish_session(world.garage)
    world.clock.advance(60)
    group = await world.messages(GROUP.id, 3)
    assert group[2].startswith("✅ Garage: charging finished")  # the start was dropped
    refused = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(refused) == 1
    assert "session_started" in refused[0].getMessage()
