"""Each schedule is a job of its own: polling never waits for the monthly digests.

Pins down: on the 1st at 09:00 a poll cycle finishes (and a car that starts charging is
recorded) while Joulo's `/energy` hangs; the digests are fetched at most FETCH_CONCURRENCY at a
time, paced at FETCH_RATE, in batches that stop after their share of the interval; and every
account gets exactly one digest, also when the bot is restarted between batches.
Time is hand-cranked: Joulo's slowness and the job's pacing run on the test clock.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.app import Services, open_services
from bot.commands import Person
from bot.config import Settings
from bot.jobs.digests import BATCH_SHARE, FETCH_CONCURRENCY, FETCH_RATE, Digests
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.joulo_sim import JouloSimulator

#: 1 May 2026, 09:00 in Amsterdam (summer time: UTC+2): the digests are due.
NINE = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)
HOUSEHOLDS = 40


class EnergyOnTheClock:
    """The simulator, with `/energy` answering after `delay` seconds of the test clock.

    With `delay` None, `/energy` never answers. Counts the `/energy` requests in flight.
    """

    def __init__(self, sim: JouloSimulator, clock: ManualClock) -> None:
        self.sim = sim
        self.clock = clock
        self.delay: float | None = 0.5
        self.in_flight = 0
        self.most_in_flight = 0
        self.started: list[float] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/energy"):
            return self.sim.handle(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.started.append(self.clock.monotonic())
        try:
            if self.delay is None:
                await asyncio.Event().wait()
            await self.clock.sleep(self.delay or 0.0)
            return self.sim.handle(request)
        finally:
            self.in_flight -= 1


@pytest.fixture
async def households(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> AsyncIterator[tuple[Services, EnergyOnTheClock]]:
    """HOUSEHOLDS linked accounts, each with a garage, at 09:00 on the 1st."""
    joulo = EnergyOnTheClock(sim, clock)
    transport = httpx.MockTransport(joulo)
    async with open_services(settings, clock=clock, joulo_transport=transport) as services:
        for number in range(HOUSEHOLDS):
            person = Person(id=60_000 + number, name=f"P{number}", language="en")
            await link_garage(services, sim, person)
        await services.poller.run_cycle()  # the first poll of each: its baseline
        clock.set(NINE)
        yield services, joulo


def _digests_per_account(settings: Settings) -> list[int]:
    with sqlite3.connect(settings.database_path) as db:
        rows = db.execute(
            """SELECT COUNT(events.id) FROM accounts LEFT JOIN events
               ON events.account_id = accounts.id AND events.kind = 'monthly_digest'
               GROUP BY accounts.id"""
        )
        return [count for (count,) in rows]


async def test_a_poll_cycle_at_nine_on_the_first_does_not_wait_for_the_digests(
    households: tuple[Services, EnergyOnTheClock], sim: JouloSimulator, clock: ManualClock
) -> None:
    services, joulo = households
    joulo.delay = None  # /energy hangs
    digests = asyncio.create_task(services.digests.run())
    token = await link_garage(services, sim, Person(id=7001, name="Anna", language="en"))
    await asyncio.wait_for(services.poller.run_cycle(), timeout=10)  # Anna's baseline
    (garage,) = sim.chargers(token)
    sim.start_session(garage["id"])
    clock.advance(10)

    report = await asyncio.wait_for(services.poller.run_cycle(), timeout=10)

    assert report is not None
    assert (report.polled, report.events) == (HOUSEHOLDS + 1, 1)  # Anna's car: started
    assert not digests.done()  # still waiting for Joulo
    await services.digests.stop()
    assert digests.done()


async def test_digests_are_fetched_in_paced_batches_of_bounded_concurrency(
    households: tuple[Services, EnergyOnTheClock], clock: ManualClock
) -> None:
    services, joulo = households
    interval = services.settings.poll_interval

    first = await clock.run(services.digests.run(spread=True))

    assert 0 < first < HOUSEHOLDS  # the batch stopped after its share of the interval
    assert max(joulo.started) - min(joulo.started) < interval * BATCH_SHARE
    gaps = [b - a for a, b in zip(joulo.started, joulo.started[1:], strict=False)]
    assert min(gaps) >= 1 / FETCH_RATE - 1e-9
    assert joulo.most_in_flight == FETCH_CONCURRENCY  # half a second each: more would wait

    batches = [first]
    while sum(batches) < HOUSEHOLDS:
        batches.append(await clock.run(services.digests.run(spread=True)))
    assert len(batches) > 1
    assert 0 not in batches
    assert await clock.run(services.digests.run(spread=True)) == 0  # nothing left to do
    assert _digests_per_account(services.settings) == [1] * HOUSEHOLDS


async def test_every_account_gets_one_digest_across_a_restart_between_batches(
    households: tuple[Services, EnergyOnTheClock], clock: ManualClock
) -> None:
    services, _ = households
    first = await clock.run(services.digests.run(spread=True))
    assert first < HOUSEHOLDS
    restarted = Digests(
        store=services.store,
        joulo=services.joulo,
        cipher=services.cipher,
        clock=clock,
        tz=services.settings.tz,
        interval=services.settings.poll_interval,
    )

    rest = await clock.run(restarted.run())

    assert first + rest == HOUSEHOLDS
    assert await clock.run(restarted.run()) == 0
    assert _digests_per_account(services.settings) == [1] * HOUSEHOLDS
