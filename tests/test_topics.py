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
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import ExtBot

from bot.config import Settings
from bot.telegram.send import (
    ChatRateLimiter,
    FloodPolicy,
    PinRefused,
    TelegramMessenger,
    TopicGone,
)
from tests.clock import ManualClock
from tests.fake_telegram import BOT_TOKEN, FakeBotAPI, FakeChat, FakeUser, SentMessage
from tests.joulo_sim import JouloSimulator
from tests.story import ANNA, FAMILY, World, bot_running, next_polls

HOME = FakeChat(id=-100888, title="Home", type="supergroup", is_forum=True)
BERT = FakeUser(id=5002, first_name="Bert", language_code="en")
AMS = ZoneInfo("Europe/Amsterdam")
GONE = (
    "📍 The topic this group's notifications went to is gone (deleted or closed), so they come "
    "here, to General, from now on. Send /subscribe in a topic to move them there."
)


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


async def _start_charging(world: World, chat: FakeChat = HOME) -> str:
    """The garage starts charging; the bot's "started" text, once `chat` got it."""
    world.clock.advance(60)
    world.sim.start_session(world.garage, power_kw=7.2)
    text = f"🔌 Garage: charging started at {world.clock.now().astimezone(AMS):%H:%M}"
    await world.telegram.await_for(lambda api: text in api.messages_to(chat.id, plain=True))
    return text


async def _finish_charging(world: World, chat: FakeChat = HOME) -> None:
    """The garage finishes after three hours; returns once `chat` got the "finished"."""
    world.clock.advance(3 * 3600)
    world.sim.finish_session(world.garage)
    await world.telegram.await_for(
        lambda api: any(m.startswith("✅ Garage") for m in api.messages_to(chat.id, plain=True))
    )


async def test_subscribe_in_a_topic_sends_the_groups_notifications_to_that_topic(
    world: World,
) -> None:
    await _linked_in_forum(world)
    car = world.telegram.create_topic(HOME, "Car", by=ANNA)

    reply = await _say(world, ANNA, "/subscribe", topic=car)
    started = await _start_charging(world)

    assert reply.thread_id == car
    assert reply.plain_text == (
        "🔔 This group now gets the charging notifications of Anna's Joulo account. "
        "/status and /stats work here too.\n"
        "📍 They come to this topic; /subscribe in another topic moves them there."
    )
    assert world.telegram.messages_in(HOME.id, car, plain=True)[-1] == started
    assert started not in world.telegram.messages_in(HOME.id, None, plain=True)


async def test_subscribe_in_another_topic_or_in_general_moves_them_there(world: World) -> None:
    await _linked_in_forum(world)
    car, news = world.telegram.create_topic(HOME, "Car"), world.telegram.create_topic(HOME, "News")
    await _say(world, ANNA, "/subscribe", topic=car)

    moved = await _say(world, ANNA, "/subscribe", topic=news)
    again = await _say(world, ANNA, "/subscribe", topic=news)
    started = await _start_charging(world)
    back = await _say(world, ANNA, "/subscribe")

    assert moved.plain_text == "📍 This group's notifications come to this topic from now on."
    assert again.plain_text == "This group already gets the notifications of Anna's account."
    assert world.telegram.messages_in(HOME.id, news, plain=True)[-1] == started
    assert started not in world.telegram.messages_in(HOME.id, car, plain=True)
    assert back.plain_text == "📍 This group's notifications come to General from now on."


async def test_settings_show_where_a_forums_notifications_go(world: World) -> None:
    await _linked_in_forum(world)
    car = world.telegram.create_topic(HOME, "Car")
    before = await _say(world, BERT, "/settings", topic=car)
    await _say(world, ANNA, "/subscribe", topic=car)

    after = await _say(world, BERT, "/settings")

    assert "📍 They go to: General" in before.plain_text
    assert "📍 They go to: the topic “Car”" in after.plain_text
    plain_group = await world.say(FAMILY, ANNA, "/settings")  # no forum: nothing to say
    assert "📍" not in plain_group


async def test_a_deleted_topic_sends_the_notification_to_general_once_and_says_so_once(
    world: World,
) -> None:
    await _linked_in_forum(world)
    car = world.telegram.create_topic(HOME, "Car")
    await _say(world, ANNA, "/subscribe", topic=car)
    world.telegram.delete_topic(HOME, car)

    started = await _start_charging(world)
    await _finish_charging(world)

    general = world.telegram.messages_in(HOME.id, None, plain=True)
    assert general[-3:-1] == [started, GONE]
    assert general[-1].startswith("✅ Garage: charging finished")
    assert general.count(started) == 1
    assert general.count(GONE) == 1
    refused = [c for c in world.telegram.calls_to("sendMessage") if c.status == 400]
    assert [c.params["message_thread_id"] for c in refused] == [car]  # tried there once
    settings = await _say(world, BERT, "/settings")
    assert "📍 They go to: General" in settings.plain_text


async def test_a_closed_topic_sends_them_to_general_too(world: World) -> None:
    await _linked_in_forum(world)
    car = world.telegram.create_topic(HOME, "Car")
    await _say(world, ANNA, "/subscribe", topic=car)
    world.telegram.close_topic(HOME, car)

    started = await _start_charging(world)
    await world.telegram.await_for(lambda api: GONE in api.messages_to(HOME.id, plain=True))

    assert world.telegram.messages_in(HOME.id, None, plain=True)[-2:] == [started, GONE]
    assert world.telegram.messages_in(HOME.id, car) == world.telegram.messages_in(HOME.id, car)[:1]


async def test_a_group_that_becomes_a_forum_later_keeps_working(world: World) -> None:
    group = FakeChat(id=-100999, title="Later", type="supergroup")
    await _linked_in_forum(world)
    world.telegram.add_bot_to_group(group, by=ANNA)
    await world.messages(group.id, 1)  # the welcome
    await _say(world, ANNA, "/subscribe", chat=group)
    forum = world.telegram.make_forum(group)

    first = await _start_charging(world, group)
    car = world.telegram.create_topic(forum, "Car")
    moved = await _say(world, ANNA, "/subscribe", topic=car, chat=forum)
    await _finish_charging(world, group)

    assert world.telegram.messages_in(group.id, None, plain=True)[-1] == first  # in General
    assert moved.plain_text == "📍 This group's notifications come to this topic from now on."
    assert world.telegram.messages_in(group.id, car, plain=True)[-1].startswith("✅ Garage")


async def test_a_topic_deleted_while_a_notification_waits_survives_a_restart_in_between(
    fake_bot: FakeBotAPI, sim: JouloSimulator, clock: ManualClock, settings: Settings
) -> None:
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    transport = sim.transport()
    async with bot_running(settings, clock, transport) as bot:
        fake_bot.private_message(ANNA, f"/link {token}")
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 1)
        fake_bot.add_bot_to_group(HOME, by=ANNA)
        car = fake_bot.create_topic(HOME, "Car")
        fake_bot.group_message(HOME, ANNA, "/subscribe", topic=car)
        await fake_bot.await_for(lambda api: len(api.messages_in(HOME.id, car)) == 1)
        # Telegram holds the group's messages back for ten minutes: the "started" waits.
        fake_bot.flood(HOME.id, 600, now=lambda: clock.now().timestamp())
        sim.start_session(garage, power_kw=7.2)
        await next_polls(sim)
        await bot.sender.drain()
        waiting = [d for d in await bot.services.store.pending_deliveries() if d.chat_id == HOME.id]
        assert [d.thread_id for d in waiting] == [car]
    fake_bot.delete_topic(HOME, car)  # while the bot is down
    clock.advance(601)

    async with bot_running(settings, clock, transport) as bot:  # a new app on the same file
        await bot.sender.drain()
        assert await bot.services.store.pending_deliveries() == []

    general = fake_bot.messages_in(HOME.id, None, plain=True)
    started = [text for text in general if text.startswith("🔌 Garage: charging started")]
    assert len(started) == 1
    assert general[-2:] == [started[0], GONE]
    assert len(fake_bot.messages_in(HOME.id, car)) == 1  # the answer to /subscribe, nothing else
    assert len(fake_bot.messages_to(ANNA.id, plain=True)) == 2  # Anna got hers once too


async def test_a_basic_group_upgraded_to_a_supergroup_and_then_a_forum_keeps_working(
    world: World,
) -> None:
    basic = FakeChat(id=-4321, title="Old", type="group")
    await _linked_in_forum(world)
    world.telegram.add_bot_to_group(basic, by=ANNA)
    await world.messages(basic.id, 1)  # the welcome
    await _say(world, ANNA, "/subscribe", chat=basic)
    supergroup = world.telegram.migrate_group(basic)
    for _ in range(500):  # until the bot has followed the group to its new id
        if await world.bot.services.store.chat(supergroup.id) is not None:
            break
        await asyncio.sleep(0.01)
    forum = world.telegram.make_forum(supergroup)
    car = world.telegram.create_topic(forum, "Car")

    moved = await _say(world, ANNA, "/subscribe", topic=car, chat=forum)
    started = await _start_charging(world, forum)

    assert moved.plain_text == "📍 This group's notifications come to this topic from now on."
    assert world.telegram.messages_in(forum.id, car, plain=True)[-1] == started


async def test_an_admin_asking_in_a_closed_topic_is_answered_in_general(world: World) -> None:
    await _linked_in_forum(world)
    car = world.telegram.create_topic(HOME, "Car")
    world.telegram.close_topic(HOME, car)
    world.telegram.set_admin(HOME, ANNA)  # admins may still write in a closed topic; bots not

    reply = await _say(world, ANNA, "/help", topic=car)

    assert reply.thread_id is None
    assert reply.plain_text.startswith("What I can do")


async def test_telegrams_topic_and_pin_refusals_reach_the_outbox_translated(
    fake_bot: FakeBotAPI,
) -> None:
    bot: ExtBot[FloodPolicy] = ExtBot(
        BOT_TOKEN, base_url=fake_bot.base_url, rate_limiter=ChatRateLimiter()
    )
    gone, closed = fake_bot.create_topic(HOME, "Old"), fake_bot.create_topic(HOME, "Shut")
    fake_bot.delete_topic(HOME, gone)
    fake_bot.close_topic(HOME, closed)
    async with bot:
        messenger = TelegramMessenger(bot)
        for thread in (gone, closed):
            with pytest.raises(TopicGone):
                await messenger.send(HOME.id, "started", thread=thread)
        card = await messenger.send(HOME.id, "started")
        assert card is not None
        with pytest.raises(PinRefused):
            await messenger.pin(HOME.id, card)
        fake_bot.set_can_pin(HOME, True)
        await messenger.pin(HOME.id, card)
        assert fake_bot.pinned(HOME.id) == [card]
        await messenger.unpin(HOME.id, card)
    assert fake_bot.pinned(HOME.id) == []
