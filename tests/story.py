"""A running bot for handler-level tests: the real Application against the fakes.

The bot runs for real (Telegram polling, handlers, the outbox sender), except that its poll
cycles are driven by the test harness instead of the job queue's timer, against the
hand-cranked clock: back to back, a few milliseconds apart, while a test waits for polls
(`next_polls`), at once when the test moves the clock or changes the simulator, else every
50 ms. Nothing waits for a real poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

from bot.tasks import cancel_and_wait
from tests.clock import ManualClock
from tests.fake_telegram import FakeBotAPI, FakeChat, FakeUser, SentMessage

# The bot is imported where it is started (see conftest.py for why).
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    import httpx

    from bot.app import RunningBot
    from bot.config import Settings
    from tests.joulo_sim import JouloSimulator

ANNA = FakeUser(id=5001, first_name="Anna", language_code="en")
FAMILY = FakeChat(id=-100777, title="Family", type="supergroup")


@dataclass
class World:
    """Everything a story needs: the fakes, the clock, and Anna's Joulo account."""

    telegram: FakeBotAPI
    sim: JouloSimulator
    clock: ManualClock
    settings: Settings
    token: str
    garage: str
    driveway: str
    bot: RunningBot

    def polls(self) -> int:
        """How many times the bot has asked Joulo for the chargers."""
        return polls(self.sim)

    async def next_polls(self, count: int = 2) -> None:
        """Wait until the bot has polled `count` more times (so it saw the latest change),
        and until the outbox has sent what those polls produced."""
        await next_polls(self.sim, count)
        await self.bot.sender.drain()

    async def say(self, chat: FakeChat | FakeUser, user: FakeUser, text: str) -> str:
        """`user` writes `text` in a group or in private; returns the bot's answer there."""
        before = await self._write(chat, user, text)
        return self.telegram.messages_to(chat.id, plain=True)[before]

    async def answer(self, chat: FakeChat | FakeUser, user: FakeUser, text: str) -> SentMessage:
        """`user` writes `text`; returns the bot's first answer there as sent (a message,
        photo or document)."""
        before = await self._write(chat, user, text)
        return [m for m in self.telegram.sent() if m.chat_id == chat.id][before]

    async def _write(self, chat: FakeChat | FakeUser, user: FakeUser, text: str) -> int:
        """`user` writes `text` in `chat`; returns, once the bot answered there, how many
        messages the chat had before (the index of the answer)."""
        before = len(self.telegram.messages_to(chat.id))
        if isinstance(chat, FakeChat):
            self.telegram.group_message(chat, user, text)
        else:
            self.telegram.private_message(user, text)
        await self.messages(chat.id, before + 1)
        return before

    async def messages(self, chat_id: int, count: int) -> list[str]:
        """Wait until `chat_id` has `count` messages and return them (as a person reads them)."""
        await self.telegram.await_for(lambda api: len(api.messages_to(chat_id)) >= count)
        return self.telegram.messages_to(chat_id, plain=True)


def polls(sim: JouloSimulator) -> int:
    """How many times the bot has asked Joulo for the chargers."""
    return sum(1 for r in sim.requests if r.endpoint == "/chargers")


async def next_polls(sim: JouloSimulator, count: int = 2) -> None:
    """Wait until the bot has polled `count` more times (so it saw the latest change)."""
    target = polls(sim) + count
    wanted = _polls_wanted()
    for _ in range(1000):
        if polls(sim) >= target:
            return
        wanted.set()  # the ticker runs the jobs back to back while a test waits here
        await asyncio.sleep(0.005)
    raise AssertionError(f"the bot did not poll {count} more time(s)")


@pytest.fixture
def joulo_transport(sim: JouloSimulator) -> httpx.AsyncBaseTransport:
    """How the running bot reaches Joulo: the simulator, directly (override to add delays)."""
    return sim.transport()


@pytest.fixture
async def world(
    *,
    fake_bot: FakeBotAPI,
    sim: JouloSimulator,
    clock: ManualClock,
    settings: Settings,
    joulo_transport: httpx.AsyncBaseTransport,
    migrated_database: Path,
    request: pytest.FixtureRequest,
) -> AsyncIterator[World]:
    """The bot running for real against the fakes, stopped cleanly afterwards; it publishes its
    command menus for a test marked `menus`."""
    from tests.database import fresh_database

    fresh_database(settings, migrated_database)
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage", connection_type="easee", mid_certified=True)
    driveway = sim.add_charger(token, "Driveway", connection_type="ocpp", mid_certified=False)
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    menus = request.node.get_closest_marker("menus") is not None
    async with bot_running(
        settings, clock, joulo_transport, sim, telegram=fake_bot, menus=menus
    ) as bot:
        yield World(fake_bot, sim, clock, settings, token, garage, driveway, bot)


@contextlib.asynccontextmanager
async def bot_running(
    settings: Settings,
    clock: ManualClock,
    joulo_transport: httpx.AsyncBaseTransport,
    sim: JouloSimulator | None = None,
    *,
    telegram: FakeBotAPI | None = None,
    menus: bool = False,
) -> AsyncIterator[RunningBot]:
    """The whole bot on `settings`, its poll cycles run by a test ticker (at once when the
    test moves the clock or changes `sim`); it reaches `telegram` in process if given, else
    over loopback at `settings.telegram_api_url`. It publishes the command menus only if asked
    (`menus`): seven requests at every start, for the few tests about them."""
    from bot.app import open_services, running

    def moment() -> tuple[datetime, int]:
        return clock.now(), sim.changes if sim is not None else 0

    async with (
        open_services(settings, clock=clock, joulo_transport=joulo_transport) as services,
        running(
            services,
            scheduled=False,
            telegram_transport=telegram.transport() if telegram is not None else None,
            menus=menus,
        ) as bot,
    ):
        ticker = asyncio.create_task(_tick(bot, moment), name="test-poll-ticker")
        try:
            yield bot
        finally:
            await cancel_and_wait(ticker)


#: Between two runs of the jobs when no test waits in `next_polls` and nothing changed: soon
#: enough for a retry that fell due, and seldom enough that the bot is not kept busy polling
#: while a test waits for its answer to a command (a run of the jobs costs a few ms of CPU).
IDLE_TICK: Final = 0.05
#: How often an idle ticker looks whether the test moved the clock or changed the simulator.
WATCH: Final = 0.005

_WANTED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = (
    weakref.WeakKeyDictionary()
)


def _polls_wanted() -> asyncio.Event:
    """Set while a test (on this event loop) waits for polls."""
    return _WANTED.setdefault(asyncio.get_running_loop(), asyncio.Event())


async def _tick(bot: RunningBot, moment: Callable[[], object]) -> None:
    """The jobs, instead of each on its schedule of real time: back to back while a test waits
    for polls, at once after the test changed `moment()` (the clock, the simulator), else
    every `IDLE_TICK` seconds."""
    services = bot.services
    wanted = _polls_wanted()
    loop = asyncio.get_running_loop()
    while True:
        seen = moment()  # before the run: a change during it is seen by the next one
        await services.poller.run_cycle()
        await services.housekeeping.heartbeat()
        await services.digests.run()
        idle_until = loop.time() + IDLE_TICK
        while not wanted.is_set() and moment() == seen and loop.time() < idle_until:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH):
                    await wanted.wait()
        wanted.clear()
        await asyncio.sleep(0.005)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG (a chart the bot drew), asserting it is one."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height
