"""Downtime reconciliation: what happened while the bot was down (or Joulo unreachable) is told.

A restart is a new `Poller` on the same database, as a new process would build it. Sessions
that ended, started, or came and went during the gap are announced once, marked as late;
nothing older than 24 hours is announced, and nothing twice, whether or not /sessions gives a
session the id /chargers showed. A long Joulo outage is told to the owner once, and its end
once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Services
from bot.commands import Person
from bot.core.events import SessionFinished, SessionStarted
from bot.core.text.notifications import render_event
from bot.poller import Poller
from tests.clock import ManualClock
from tests.joulo_sim import JouloSimulator, SimFault

ANNA = Person(id=7001, name="Anna", language="en")


@pytest.fixture(params=[False, True], ids=["same ids", "other ids on /sessions"])
def sim(clock: ManualClock, request: pytest.FixtureRequest) -> JouloSimulator:
    """The simulator, once with /sessions using /chargers' session ids and once without."""
    return JouloSimulator(clock, seed=1, distinct_history_ids=request.param)


async def _linked(services: Services, sim: JouloSimulator) -> tuple[str, str, str]:
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    carport = sim.add_charger(token, "Carport")
    assert (await services.answers.link(ANNA, token)).linked
    return token, garage, carport


def _restart(services: Services, clock: ManualClock) -> Poller:
    """A fresh poller on the same database, as a restarted process would have."""
    return Poller(
        store=services.store,
        joulo=services.joulo,
        cipher=services.cipher,
        clock=clock,
        poll_interval=services.settings.poll_interval,
        offline_grace=services.settings.offline_grace,
    )


async def _events(services: Services) -> list[SessionStarted | SessionFinished]:
    found = []
    for delivery in await services.store.pending_deliveries():
        if isinstance(delivery.event, SessionStarted | SessionFinished):
            found.append(delivery.event)
    return found


async def test_a_session_that_ended_while_the_bot_was_down_is_announced_as_finished(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    _, garage, _ = await _linked(services, sim)
    sim.start_session(garage, id_tag="T1", power_kw=10.0)
    clock.advance(60)
    await services.poller.run_cycle()  # the bot sees it start, then goes down
    clock.advance(3600)
    sim.finish_session(garage)
    clock.advance(1800)
    asked = len(sim.requests)
    await _restart(services, clock).run_cycle()

    started, finished = await _events(services)
    fetched = [r.params for r in sim.requests[asked:] if r.endpoint == "/sessions"]
    assert [p for p in fetched if "charger_id" in p] == []  # the catch-up's history had it
    assert isinstance(finished, SessionFinished)
    assert (started.kind, started.while_away) == ("session_started", False)
    assert finished.while_away
    assert finished.final
    assert finished.kwh == 10.17
    text = render_event(finished, "en", services.settings.tz, clock.now(), {})
    assert text.endswith("⏱ <i>Happened while the bot was away; reported late.</i>")


async def test_a_session_seen_live_that_ended_while_away_is_finished_once_and_for_all(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    _, garage, _ = await _linked(services, sim)
    sim.start_session(garage, power_kw=10.0)
    clock.advance(60)
    await services.poller.run_cycle()  # seen charging, then the bot goes down
    clock.advance(120)
    sim.finish_session(garage)
    clock.advance(1800)
    poller = _restart(services, clock)
    for _ in range(15):  # past the ten minutes an end may wait for its final figures
        await poller.run_cycle()
        clock.advance(60)

    finishes = [e for e in await _events(services) if isinstance(e, SessionFinished)]
    assert [(e.final, e.kwh, e.while_away) for e in finishes] == [(True, 0.5, True)]


async def test_sessions_that_started_or_came_and_went_during_downtime_are_announced(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    _, garage, carport = await _linked(services, sim)
    await services.poller.run_cycle()
    clock.advance(600)  # the bot is down from here
    sim.start_session(carport, id_tag="SHORT")
    clock.advance(1200)
    sim.finish_session(carport)
    clock.advance(600)
    sim.start_session(garage, id_tag="LONG")
    clock.advance(600)
    await _restart(services, clock).run_cycle()

    events = await _events(services)
    assert [(e.kind, e.id_tag, e.while_away) for e in events] == [
        ("session_finished", "SHORT", True),
        ("session_started", "LONG", True),
    ]
    assert events[0].charger_name == "Carport"


async def test_nothing_older_than_a_day_is_announced_and_nothing_twice(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    _, garage, carport = await _linked(services, sim)
    await services.poller.run_cycle()
    sim.start_session(carport)
    clock.advance(3600)
    sim.finish_session(carport)  # ends more than a day before the bot returns
    clock.advance(26 * 3600)
    sim.start_session(garage)
    clock.advance(600)
    sim.finish_session(garage)
    clock.advance(60)
    await _restart(services, clock).run_cycle()
    assert [(e.kind, e.charger_name) for e in await _events(services)] == [
        ("session_finished", "Garage")
    ]

    clock.advance(3 * 3600)  # down again; a second restart sees the same history
    await _restart(services, clock).run_cycle()
    assert len(await _events(services)) == 1


async def test_a_long_joulo_outage_is_told_once_and_its_end_once(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    _, garage, _ = await _linked(services, sim)
    await services.poller.run_cycle()
    sim.inject_fault(SimFault(kind="status", status=503, path="/chargers", times=1000))
    for _ in range(30):  # 30 minutes of failures
        clock.advance(60)
        await services.poller.run_cycle()
    sim.start_session(garage, id_tag="DURING")
    clock.advance(600)
    sim.finish_session(garage)
    sim.clear_faults()
    clock.advance(60)
    await services.poller.run_cycle()
    clock.advance(60)
    await services.poller.run_cycle()

    deliveries = await services.store.pending_deliveries()
    told = [
        (d.event.kind, render_event(d.event, "en", services.settings.tz, clock.now(), {}))
        for d in deliveries
    ]
    assert [kind for kind, _ in told] == [
        "joulo_unreachable",
        "joulo_recovered",
        "session_finished",
    ]
    assert told[0][1] == (
        "⏳ I can't reach Joulo for your account since 10:01. Your chargers' last known state "
        "stands; I'll tell you when Joulo answers again."
    )
    assert told[1][1].startswith("✅ Joulo answers again (it was unreachable for 40 min).")
    assert all(d.chat_id == ANNA.id for d in deliveries[:2])  # the owner only


async def test_a_restart_without_a_gap_is_not_a_catch_up(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    _, garage, _ = await _linked(services, sim)
    await services.poller.run_cycle()
    sim.start_session(garage)
    await _restart(services, clock).run_cycle()
    (started,) = await _events(services)
    assert not started.while_away
    assert timedelta(0) <= clock.now() - started.started_at < timedelta(seconds=1)
