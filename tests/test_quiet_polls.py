"""A poll that changed nothing costs no database write; what it learned is still never lost.

Pins down: an idle account's chargers are not rewritten on every poll, only its time of success,
once per cycle for all such accounts; a running session's progress is likewise written once per
cycle; readers see both at once; closing the store writes them; an account unlinked or
re-linked meanwhile is never written or served what the store remembered about it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.app import Services, open_services
from bot.commands import Person, Place
from bot.config import Settings
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.joulo_sim import JouloSimulator

ANNA = Person(id=7001, name="Anna", language="en")
HOME = Place(id=ANNA.id, kind="private")


def _row(path: Path, sql: str) -> tuple[str, ...]:
    with closing(sqlite3.connect(path)) as db:
        row = db.execute(sql).fetchone()
        assert row is not None
        return tuple(row)


async def test_an_idle_account_is_not_rewritten_but_its_success_is_recorded_each_cycle(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await link_garage(services, sim, ANNA)
    path = services.settings.database_path
    clock.advance(60)
    await services.poller.run_cycle()  # the first poll after linking writes the state
    (state_before,) = _row(path, "SELECT state FROM charger_states")

    second = clock.advance(60)
    report = await services.poller.run_cycle()
    assert report is not None
    assert report.polled == 1
    assert _row(path, "SELECT state FROM charger_states") == (state_before,)
    assert _row(path, "SELECT last_success_at FROM accounts") == (second.isoformat(),)
    assert "Data from just now" in (await services.answers.status(ANNA, HOME)).text


async def test_a_quiet_poll_is_seen_by_readers_before_it_is_written_and_kept_at_shutdown(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> None:
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as services:
        await link_garage(services, sim, ANNA)
        clock.advance(60)
        await services.poller.run_cycle()
        account = await services.store.account_for_owner(ANNA.id)
        assert account is not None
        later = clock.advance(60)
        assert await services.poller.poll_account(account) == 0  # no cycle: nothing flushed
        assert services.poller.last_success(account) == later
        assert _row(settings.database_path, "SELECT last_success_at FROM accounts") != (
            later.isoformat(),
        )
    assert _row(settings.database_path, "SELECT last_success_at FROM accounts") == (
        later.isoformat(),
    )


async def test_a_running_sessions_progress_is_seen_at_once_and_written_once_per_cycle(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    garage = next(c["id"] for c in sim.chargers(token))
    sim.start_session(garage, power_kw=11.0)
    path = services.settings.database_path
    clock.advance(60)
    await services.poller.run_cycle()  # the start: an event, written at once
    (started,) = _row(path, "SELECT state FROM charger_states")
    account = await services.store.account_for_owner(ANNA.id)
    assert account is not None

    clock.advance(600)
    assert await services.poller.poll_account(account) == 0  # only the kWh moved on
    assert _row(path, "SELECT state FROM charger_states") == (started,)
    assert "2.02 kWh" in (await services.answers.status(ANNA, HOME)).text

    clock.advance(60)
    await services.poller.run_cycle()
    (progressed,) = _row(path, "SELECT state FROM charger_states")
    assert progressed != started
    assert '"kwh":2.2' in progressed


async def test_a_held_back_poll_of_an_account_relinked_meanwhile_is_not_written(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    sim.start_session(next(c["id"] for c in sim.chargers(token)))
    clock.advance(60)
    await services.poller.run_cycle()
    account = await services.store.account_for_owner(ANNA.id)
    assert account is not None
    clock.advance(60)
    await services.poller.poll_account(account)  # held back until the cycle ends
    other = sim.add_account()
    sim.add_charger(other, "Carport")
    assert (await services.answers.link(ANNA, other)).linked
    await services.poller.flush()
    (state,) = _row(services.settings.database_path, "SELECT state FROM charger_states")
    assert '"name":"Carport"' in state


async def test_a_relinked_account_is_never_served_the_previous_links_chargers(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await link_garage(services, sim, ANNA)
    clock.advance(60)
    await services.poller.run_cycle()
    clock.advance(60)
    await services.poller.run_cycle()  # quiet: remembered in memory
    other = sim.add_account()
    sim.add_charger(other, "Carport")
    assert (await services.answers.link(ANNA, other)).linked
    clock.advance(60)
    await services.poller.run_cycle()
    status = (await services.answers.status(ANNA, HOME)).text
    assert "Carport" in status
    assert "Garage" not in status


async def test_after_a_restart_the_first_quiet_cycle_rewrites_nothing_and_a_start_is_announced(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> None:
    """A new process starts from what the store last wrote, read at once: its first cycle costs
    what any other does (with many households, polling each one's memory back one by one and
    writing every poll made that cycle outrun its interval), and still sees what changed."""
    path = settings.database_path
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as services:
        token = await link_garage(services, sim, ANNA)
        clock.advance(60)
        await services.poller.run_cycle()
    written = _row(path, "SELECT rowid, state FROM charger_states")

    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as services:
        later = clock.advance(60)
        report = await services.poller.run_cycle()
        assert report is not None
        assert report.polled == 1
        assert _row(path, "SELECT rowid, state FROM charger_states") == written  # not rewritten
        assert _row(path, "SELECT last_success_at FROM accounts") == (later.isoformat(),)

        garage = next(c["id"] for c in sim.chargers(token))
        sim.start_session(garage, power_kw=11.0)
        clock.advance(60)
        await services.poller.run_cycle()
        status = (await services.answers.status(ANNA, HOME)).text
        assert "charging" in status
    (kinds,) = _row(path, "SELECT group_concat(kind) FROM events")
    assert "session_started" in kinds
