"""The monthly digest goes out once: on the 1st from 09:00 local time, even if the bot was down
at 09:00, and never twice across restarts (it is a durable event keyed by the month). It is
text only, pointing to /stats for the chart: drawing a chart for every household on the 1st
would hold the bot's only core for minutes.

The bot runs for real (python-telegram-bot against the fake Bot API, the simulator as Joulo)
and is restarted on the same database file; the clock is hand-cranked.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from tests.clock import ManualClock
from tests.fake_telegram import FakeBotAPI
from tests.joulo_sim import JouloSimulator
from tests.story import ANNA, FAMILY, bot_running, next_polls

#: 1 May 2026, 08:59 in Amsterdam (summer time: UTC+2).
BEFORE_NINE = datetime(2026, 5, 1, 6, 59, tzinfo=UTC)
DIGEST = (
    "📅 April 2026 in short · 👤 Anna\n"
    "30.0 kWh (+50%) · 2 sessions (+100%) · 9.90 ERE credits (+50%)\n"
    "March 2026: 20.0 kWh · 1 session · 6.60 ERE credits\n"
    "📊 /stats draws the chart"
)


@contextlib.asynccontextmanager
async def _running(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, fake_bot: FakeBotAPI
) -> AsyncIterator[None]:
    polls_before = len(fake_bot.calls_to("deleteWebhook"))
    async with bot_running(settings, clock, sim.transport()):
        await fake_bot.await_for(lambda api: len(api.calls_to("deleteWebhook")) > polls_before)
        yield


def _digests(fake_bot: FakeBotAPI, chat_id: int) -> list[str]:
    return [m for m in fake_bot.messages_to(chat_id, plain=True) if m.startswith("📅")]


async def test_the_digest_goes_out_once_even_across_restarts_around_nine(
    fake_bot: FakeBotAPI, sim: JouloSimulator, clock: ManualClock, settings: Settings
) -> None:
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage", mid_certified=True)
    for start, kwh in ((datetime(2026, 3, 10, 18, tzinfo=UTC), 20.0),
                       (datetime(2026, 4, 3, 18, tzinfo=UTC), 10.0),
                       (datetime(2026, 4, 20, 18, tzinfo=UTC), 20.0)):  # fmt: skip
        sim.add_past_session(garage, start, start + timedelta(hours=3), kwh)
    clock.set(BEFORE_NINE)

    async with _running(settings, clock, sim, fake_bot):
        fake_bot.private_message(ANNA, f"/link {token}")
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 1)
        fake_bot.add_bot_to_group(FAMILY, by=ANNA)
        fake_bot.group_message(FAMILY, ANNA, "/subscribe")
        await fake_bot.await_for(lambda api: len(api.messages_to(FAMILY.id)) == 2)
        await next_polls(sim, 3)
        assert _digests(fake_bot, ANNA.id) == []  # 08:59: not yet

    clock.set(BEFORE_NINE + timedelta(minutes=90))  # the bot was down at 09:00; back at 10:29
    async with _running(settings, clock, sim, fake_bot):
        await fake_bot.await_for(lambda api: len(_digests(api, ANNA.id)) == 1)
        await next_polls(sim, 3)

    clock.advance(3600)
    async with _running(settings, clock, sim, fake_bot):  # and once more, later that day
        await next_polls(sim, 3)

    assert _digests(fake_bot, ANNA.id) == [DIGEST]
    assert _digests(fake_bot, FAMILY.id) == []  # groups opt in
    assert fake_bot.calls_to("sendPhoto") == []  # text only: /stats draws the chart when asked


async def test_a_group_that_opted_in_gets_the_digest_at_nine(
    fake_bot: FakeBotAPI, sim: JouloSimulator, clock: ManualClock, settings: Settings
) -> None:
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    token = sim.add_account()
    sim.add_charger(token, "Garage")
    clock.set(BEFORE_NINE)

    async with _running(settings, clock, sim, fake_bot):
        fake_bot.private_message(ANNA, f"/link {token}")
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 1)
        fake_bot.set_admin(FAMILY, ANNA)
        fake_bot.add_bot_to_group(FAMILY, by=ANNA)
        fake_bot.group_message(FAMILY, ANNA, "/subscribe")
        fake_bot.group_message(FAMILY, ANNA, "/settings")
        await fake_bot.await_for(lambda api: len(api.messages_to(FAMILY.id)) == 3)
        menu = [m for m in fake_bot.sent() if m.chat_id == FAMILY.id][-1]
        fake_bot.press_button(FAMILY, ANNA, menu.message_id, "set:t:digest")
        await fake_bot.await_for(lambda api: len(api.edits()) == 1)
        await next_polls(sim, 3)
        assert _digests(fake_bot, FAMILY.id) == []

        clock.advance(60)  # 09:00
        await fake_bot.await_for(lambda api: len(_digests(api, FAMILY.id)) == 1)
        await next_polls(sim, 3)

    assert _digests(fake_bot, FAMILY.id) == [
        "📅 April 2026 in short · 👤 Anna\n"
        "0.0 kWh · 0 sessions · 0.00 ERE credits\n"
        "March 2026: 0.0 kWh · 0 sessions · 0.00 ERE credits\n"
        "📊 /stats draws the chart"
    ]
    assert len(_digests(fake_bot, ANNA.id)) == 1
