"""Every account is polled once per cycle, however many there are and however slowly Joulo answers.

Pins down: the number of polls in flight follows from the accounts, the interval and the measured
time of a poll (within bounds), POLL_CONCURRENCY overrides it, and polls are spread over the
interval instead of all starting at once (each at its moment, or a few milliseconds before it
with others due by then), and a cycle cut off at its time limit is followed by
one that starts with the accounts it left unpolled.
"""

from __future__ import annotations

import httpx
import pytest

from bot.app import open_services
from bot.commands import Person
from bot.config import Settings, load_settings
from bot.poller import DISPATCH_SLACK, MAX_CONCURRENCY, MIN_CONCURRENCY
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.joulo_sim import JouloSimulator


class SlowJoulo:
    """The simulator behind a delay on the test clock, counting requests in flight at once."""

    def __init__(self, sim: JouloSimulator, clock: ManualClock) -> None:
        self.sim = sim
        self.clock = clock
        self.delay = 0.0
        self.in_flight = 0
        self.most_in_flight = 0
        self.started: list[float] = []
        self.tokens: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.started.append(self.clock.monotonic())
        self.tokens.append(request.headers["Authorization"])
        try:
            await self.clock.sleep(self.delay)
            return self.sim.handle(request)
        finally:
            self.in_flight -= 1


async def _households(settings: Settings, clock: ManualClock, sim: JouloSimulator, count: int):
    joulo = SlowJoulo(sim, clock)
    opened = open_services(settings, clock=clock, joulo_transport=httpx.MockTransport(joulo))
    services = await opened.__aenter__()
    for number in range(count):
        person = Person(id=50_000 + number, name=f"P{number}", language="en")
        await link_garage(services, sim, person)
    return opened, services, joulo


async def test_many_accounts_behind_a_slow_joulo_are_all_polled_within_one_cycle(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> None:
    opened, services, joulo = await _households(settings, clock, sim, 120)
    try:
        joulo.delay = 0.05  # 120 accounts in 0.375 s: some 16 polls in flight on average
        joulo.started.clear()
        clock.advance(60)
        report = await clock.run(services.poller.run_cycle(spread=True))
        assert report is not None
        assert (report.polled, report.failed, report.timed_out) == (120, 0, False)
        assert joulo.most_in_flight > 8  # more than the old fixed limit
        # Spread out, not all at once: over the spreading window, 3/4 of the 0.5 s interval,
        # each at its own moment or at most DISPATCH_SLACK before it, never after.
        step = 0.375 / 120
        first = min(joulo.started)
        for index, started in enumerate(sorted(joulo.started)):
            moment = first + index * step
            assert moment - DISPATCH_SLACK <= started <= moment + 1e-9
        assert max(joulo.started) - first > 0.375 * 119 / 120 - DISPATCH_SLACK
        # Measured polls take ~50 ms, so the limit settles well below the ceiling.
        assert MIN_CONCURRENCY <= services.poller.concurrency < MAX_CONCURRENCY
    finally:
        await opened.__aexit__(None, None, None)


async def test_poll_concurrency_set_by_the_operator_is_never_exceeded(
    tmp_path, clock: ManualClock, sim: JouloSimulator, settings: Settings
) -> None:
    fixed = settings.model_copy(update={"poll_concurrency": 2})
    opened, services, joulo = await _households(fixed, clock, sim, 12)
    try:
        joulo.delay = 0.15  # unlimited, some 5 polls would be in flight
        joulo.most_in_flight = 0
        clock.advance(60)
        began = clock.monotonic()
        report = await clock.run(services.poller.run_cycle(spread=True))
        assert report is not None
        assert report.timed_out  # two at a time cannot keep up, and that is the operator's call
        assert clock.monotonic() - began == pytest.approx(0.45)  # cut off at 9/10 of the interval
        assert 0 < report.polled < 12
        assert joulo.most_in_flight == 2
        assert services.poller.concurrency == 2
    finally:
        await opened.__aexit__(None, None, None)


@pytest.mark.parametrize(("value", "expected"), [("", None), ("16", 16)])
def test_poll_concurrency_is_derived_unless_set(monkeypatch, value, expected) -> None:
    monkeypatch.setenv("POLL_CONCURRENCY", value)
    assert load_settings(require_bot_token=False).poll_concurrency == expected


def test_a_poll_concurrency_below_one_is_a_problem(monkeypatch) -> None:
    from bot.config import ConfigError

    monkeypatch.setenv("POLL_CONCURRENCY", "0")
    with pytest.raises(ConfigError) as caught:
        load_settings(require_bot_token=False)
    assert any(line.startswith("POLL_CONCURRENCY") for line in caught.value.problems)


async def test_a_cycle_that_was_cut_off_is_followed_by_one_that_starts_with_those_it_left(
    clock: ManualClock, sim: JouloSimulator, settings: Settings
) -> None:
    fixed = settings.model_copy(update={"poll_concurrency": 2})
    opened, services, joulo = await _households(fixed, clock, sim, 12)
    try:
        joulo.delay = 0.15  # two at a time cannot poll all twelve within one cycle
        clock.advance(60)
        asked: list[set[str]] = []
        for _ in range(3):
            joulo.tokens.clear()
            report = await clock.run(services.poller.run_cycle(spread=True))
            assert report is not None
            assert report.timed_out
            asked.append(set(joulo.tokens))
            clock.advance(1)
        # The second cycle began where the first was cut off (with the polls cut off midway).
        assert len(asked[0] & asked[1]) <= 2
        assert len(asked[0] | asked[1] | asked[2]) == 12  # nobody waits for ever
    finally:
        await opened.__aexit__(None, None, None)
