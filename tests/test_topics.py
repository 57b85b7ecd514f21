"""Forum groups: a command sent in a topic is answered in that topic (messages, photos, files,
button edits); `/subscribe` in a topic sends the group's notifications there; a topic that is
deleted or closed sends them back to General once, with a word to the group.

Everything runs through the fake Bot API, which refuses a send to a topic that is gone as
Telegram does ("message thread not found", "TOPIC_CLOSED").
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fake_telegram import FakeChat, FakeUser, SentMessage
from tests.story import ANNA, World

HOME = FakeChat(id=-100888, title="Home", type="supergroup", is_forum=True)
BERT = FakeUser(id=5002, first_name="Bert", language_code="en")


async def _say(
    world: World, user: FakeUser, text: str, *, topic: int | None = None, chat: FakeChat = HOME
) -> SentMessage:
    """`user` writes `text` in `chat` (in `topic`); the bot's answer there."""
    before = len(world.telegram.messages_to(chat.id))
    world.telegram.group_message(chat, user, text, topic=topic)
    await world.messages(chat.id, before + 1)
    return [m for m in world.telegram.sent() if m.chat_id == chat.id][before]


async def _linked_in_forum(world: World) -> None:
    world.telegram.private_message(ANNA, f"/link {world.token}")
    await world.messages(ANNA.id, 1)
    world.telegram.add_bot_to_group(HOME, by=ANNA)
    await world.messages(HOME.id, 1)


async def test_commands_in_a_topic_are_answered_in_that_topic(world: World) -> None:
    await _linked_in_forum(world)
    start = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    world.sim.add_past_session(world.garage, start, start + timedelta(hours=2), 12.5)
    assert (await _say(world, ANNA, "/subscribe")).thread_id is None  # sent in General
    car = world.telegram.create_topic(HOME, "Car", by=ANNA)

    status = await _say(world, BERT, "/status", topic=car)
    stats = await _say(world, BERT, "/stats", topic=car)
    export = await _say(world, BERT, "/export 2026", topic=car)
    help_text = await _say(world, BERT, "/help")

    assert (status.method, status.thread_id) == ("sendMessage", car)
    assert status.plain_text.startswith("Driveway — 🟢 online")
    assert (stats.method, stats.thread_id) == ("sendPhoto", car)
    assert (export.method, export.thread_id) == ("sendDocument", car)
    assert (help_text.method, help_text.thread_id) == ("sendMessage", None)


async def test_a_button_pressed_in_a_topic_edits_the_message_in_that_topic(
    world: World,
) -> None:
    await _linked_in_forum(world)
    car = world.telegram.create_topic(HOME, "Car")
    world.telegram.set_admin(HOME, ANNA)
    menu = await _say(world, ANNA, "/settings", topic=car)
    assert menu.thread_id == car
    message = world.telegram.message(HOME.id, menu.message_id)
    assert message is not None
    data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    before = len(world.telegram.edits())
    world.telegram.press_button(HOME, ANNA, menu.message_id, data)
    await world.telegram.await_for(lambda api: len(api.edits()) > before)
    [edit] = world.telegram.edits()[before:]
    assert edit.message_id == menu.message_id
    edited = world.telegram.message(HOME.id, menu.message_id)
    assert edited is not None
    assert edited["message_thread_id"] == car
    assert world.telegram.messages_in(HOME.id, None) == world.telegram.messages_to(HOME.id)[:1]


async def test_a_failure_in_a_topic_is_reported_in_that_topic(world: World) -> None:
    await _linked_in_forum(world)
    car = world.telegram.create_topic(HOME, "Car")
    # A real failure under the running bot: its database loses a table (in a thread, as in
    # test_error_handler, so the bot's own transactions can finish).
    await asyncio.to_thread(_drop_table, world.settings.database_path, "chat_settings")

    reply = await _say(world, ANNA, "/settings", topic=car)

    assert reply.plain_text.startswith("Something went wrong on my side")
    assert reply.thread_id == car


def _drop_table(database: Path, table: str) -> None:
    with sqlite3.connect(database, timeout=30) as db:
        db.execute(f"DROP TABLE {table}")
