"""The poll cycle: Joulo's trouble is never a charger's trouble, and every event is recorded once.

Runs the real poller, store and Joulo client against the simulator with a hand-cranked clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.app import Services
from bot.commands import Person, Place
from bot.core.text.notifications import render_event
from bot.crypto import TokenCipher
from bot.jobs.housekeeping import HEARTBEAT_KEY
from bot.joulo.client import JouloClient
from bot.joulo.transport import JouloHttp
from bot.poller import Poller
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.joulo_sim import JouloSimulator, SimFault
from tests.story import polls

ANNA = Person(id=7001, name="Anna", language="en")
BASE = "https://api.joulo.nl/functions/v1/api"
HOME = Place(id=ANNA.id, kind="private")


def _charger(sim: JouloSimulator, token: str, name: str = "Garage") -> str:
    return next(c["id"] for c in sim.chargers(token) if c.get("nickname") == name)


async def _kinds(services: Services) -> list[str]:
    return [d.event.kind for d in await services.store.pending_deliveries()]


async def test_the_first_poll_after_linking_announces_nothing(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    sim.start_session(garage)  # already charging when linked
    sim.add_charger(token, "Shed", status="offline")
    await services.answers.link(ANNA, token)
    clock.advance(60)
    report = await services.poller.run_cycle()
    assert report is not None
    assert report.events == 0
    assert await _kinds(services) == []


@pytest.mark.parametrize(
    "fault",
    [
        SimFault(kind="status", status=500),
        SimFault(kind="status", status=503),
        SimFault(kind="html"),
        SimFault(kind="garbage"),
        SimFault(kind="wrong_shape"),
        SimFault(kind="timeout"),
    ],
    ids=["500", "503", "html", "garbage", "wrong-shape", "timeout"],
)
async def test_a_failing_joulo_keeps_the_last_known_state_and_says_nothing(
    services: Services, sim: JouloSimulator, clock: ManualClock, fault: SimFault
) -> None:
    token = await link_garage(services, sim, ANNA)
    garage = _charger(sim, token)
    sim.start_session(garage)
    clock.advance(60)
    await services.poller.run_cycle()
    assert await _kinds(services) == ["session_started"]

    sim.finish_session(garage)
    sim.set_status(garage, "offline")
    sim.inject_fault(SimFault(kind=fault.kind, status=fault.status, path="/chargers", times=3))
    for _ in range(3):
        clock.advance(400)  # longer than the offline grace, but Joulo is the one failing
        report = await services.poller.run_cycle()
        assert report is not None
        assert report.failed == 1
    assert await _kinds(services) == ["session_started"]
    status = (await services.answers.status(ANNA, HOME)).text
    assert "⚡ charging" in status
    assert "Joulo hasn't answered since" in status


async def test_a_failure_is_logged_once_and_the_recovery_once(
    services: Services, sim: JouloSimulator, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await link_garage(services, sim, ANNA)
    caplog.set_level(logging.INFO, logger="bot.poller")
    sim.inject_fault(SimFault(kind="status", status=502, times=2))
    for _ in range(4):
        clock.advance(60)
        await services.poller.run_cycle()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.poller"]
    assert sum("Joulo poll failed" in line for line in lines) == 1
    assert sum("answers again" in line for line in lines) == 1


async def test_a_rate_limited_account_waits_as_told_while_others_carry_on(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    slow = await link_garage(services, sim, ANNA)
    other = await link_garage(services, sim, Person(id=7002, name="Bert", language="nl"))
    sim.inject_fault(SimFault(kind="status", status=429, retry_after=300, token=slow))
    await services.poller.run_cycle()

    def polls(token: str) -> int:
        return sum(1 for r in sim.requests if r.endpoint == "/chargers" and r.token == token)

    slow_before, other_before = polls(slow), polls(other)
    for _ in range(4):
        clock.advance(60)
        await services.poller.run_cycle()
    assert polls(slow) == slow_before  # nothing before Retry-After is up
    assert polls(other) == other_before + 4
    clock.advance(61)
    await services.poller.run_cycle()
    assert polls(slow) == slow_before + 1


async def test_a_rejected_token_pauses_the_account_and_tells_the_owner_once(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    new_token = sim.rotate_token(token)  # the old token stops working at once
    for _ in range(3):
        clock.advance(60)
        await services.poller.run_cycle()
    deliveries = await services.store.pending_deliveries()
    assert [(d.chat_id, d.event.kind) for d in deliveries] == [(ANNA.id, "token_rejected")]
    before = polls(sim)
    clock.advance(1800)
    await services.poller.run_cycle()
    assert polls(sim) == before  # paused
    status = (await services.answers.status(ANNA, HOME)).text
    assert status.startswith("🔑 Paused: Joulo no longer accepts this account's token.")

    relinked = await services.answers.link(ANNA, new_token)
    assert relinked.reply.text.startswith("✅ Token updated; notifications continue.")
    assert relinked.linked
    clock.advance(60)
    await services.poller.run_cycle()
    assert polls(sim) == before + 2  # link + poll


async def test_a_paused_account_is_retried_hourly_and_resumes_if_the_token_works_again(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await link_garage(services, sim, ANNA)
    sim.inject_fault(SimFault(kind="status", status=401, path="/chargers"))
    await services.poller.run_cycle()

    paused_at = polls(sim)
    for _ in range(6):
        clock.advance(600)
        await services.poller.run_cycle()
    assert polls(sim) == paused_at + 1  # one re-check after an hour, and it worked
    clock.advance(60)
    await services.poller.run_cycle()
    assert polls(sim) == paused_at + 2  # polling as usual again
    assert await _kinds(services) == ["token_rejected"]


async def test_a_finished_session_is_announced_with_final_figures_from_sessions(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    garage = _charger(sim, token)
    sim.start_session(garage, power_kw=11.0)
    clock.advance(60)
    await services.poller.run_cycle()
    clock.advance(3600 - 60)
    sim.finish_session(garage)  # 11 kWh; the last poll saw only 0.18 kWh
    clock.advance(600)
    await services.poller.run_cycle()
    finished = (await services.store.pending_deliveries())[-1].event
    assert finished.kind == "session_finished"
    assert finished.kwh == 11.0
    assert finished.final is True
    assert finished.ere_credits == 3.63


async def test_final_figures_go_out_at_once_when_sessions_gives_the_session_another_id(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    sim.distinct_history_ids = True
    token = await link_garage(services, sim, ANNA)
    garage = _charger(sim, token)
    sim.start_session(garage, power_kw=11.0, id_tag="04A3B2C1")
    clock.advance(60)
    await services.poller.run_cycle()
    clock.advance(3600 - 60)
    sim.finish_session(garage)  # 11 kWh; the last poll saw only 0.18 kWh
    clock.advance(60)
    await services.poller.run_cycle()  # the first poll that sees the end

    finished = (await services.store.pending_deliveries())[-1].event
    assert finished.kind == "session_finished"
    assert (finished.final, finished.kwh, finished.ere_credits) == (True, 11.0, 3.63)
    text = render_event(finished, "en", services.settings.tz, clock.now(), {})
    assert text.startswith("✅ <b>Garage</b>: charging finished (tag 04A3B2C1)\n11")
    assert "Last measured figures" not in text
    for _ in range(15):  # nothing is announced again, final or not
        clock.advance(60)
        await services.poller.run_cycle()
    assert await _kinds(services) == ["session_started", "session_finished"]


async def test_credits_not_yet_computed_are_left_out_not_guessed(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    sim.credits_delay = 3600
    token = await link_garage(services, sim, ANNA)
    garage = _charger(sim, token)
    sim.start_session(garage)
    clock.advance(60)
    await services.poller.run_cycle()
    clock.advance(1800)
    sim.finish_session(garage)
    clock.advance(60)
    await services.poller.run_cycle()
    finished = (await services.store.pending_deliveries())[-1].event
    assert finished.kind == "session_finished"
    assert finished.ere_credits is None


async def test_without_final_figures_the_last_measured_ones_are_used_after_ten_minutes(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    garage = _charger(sim, token)
    sim.start_session(garage, power_kw=6.0)
    clock.advance(1800)
    await services.poller.run_cycle()  # sees 3 kWh
    sim.finish_session(garage)
    sim.inject_fault(SimFault(kind="status", status=503, path="/sessions", times=100))
    clock.advance(60)
    await services.poller.run_cycle()
    assert await _kinds(services) == ["session_started"]  # still waiting for /sessions
    clock.advance(600)
    await services.poller.run_cycle()
    finished = (await services.store.pending_deliveries())[-1].event
    assert finished.kind == "session_finished"
    assert finished.final is False
    assert finished.kwh == 3.0
    sim.clear_faults()
    clock.advance(60)
    await services.poller.run_cycle()
    assert await _kinds(services) == ["session_started", "session_finished"]


async def test_cycles_never_overlap(services: Services, sim: JouloSimulator) -> None:
    await link_garage(services, sim, ANNA)
    first = asyncio.create_task(services.poller.run_cycle())
    await asyncio.sleep(0)
    assert await services.poller.run_cycle() is None
    assert await first is not None


async def test_the_heartbeat_job_records_each_completed_cycle_once(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    assert await services.housekeeping.heartbeat() is False  # no cycle yet: nothing to record
    await services.poller.run_cycle()
    completed = clock.now()
    clock.advance(5)
    assert await services.housekeeping.heartbeat() is True
    assert await services.store.meta(HEARTBEAT_KEY) == completed.isoformat()
    assert await services.housekeeping.heartbeat() is False  # no new cycle since


async def test_a_token_no_configured_key_can_read_asks_the_owner_to_link_again(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await link_garage(services, sim, ANNA)
    before = polls(sim)
    restarted_with_a_new_key = Poller(
        store=services.store,
        joulo=services.joulo,
        cipher=TokenCipher([Fernet.generate_key().decode()]),
        clock=clock,
        poll_interval=services.settings.poll_interval,
        offline_grace=services.settings.offline_grace,
    )
    await restarted_with_a_new_key.run_cycle()
    (delivery,) = await services.store.pending_deliveries()
    text = render_event(delivery.event, "en", services.settings.tz, clock.now(), {})
    assert text.startswith("🔑 I can no longer read your stored Joulo token")
    assert polls(sim) == before  # nothing sent


async def test_delivered_notifications_are_forgotten_after_thirty_days(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    garage = _charger(sim, token)
    sim.start_session(garage)
    clock.advance(60)
    await services.poller.run_cycle()
    (delivery,) = await services.store.pending_deliveries()
    await services.store.mark_sent(delivery.id, 1, clock.now())
    clock.advance(29 * 86400)
    sim.finish_session(garage)
    await services.poller.run_cycle()  # the finish is still waiting to be sent
    assert await services.housekeeping.prune() == 0  # the prune job's daily run
    clock.advance(2 * 86400)
    await services.poller.run_cycle()
    assert await services.housekeeping.prune() == 1
    with sqlite3.connect(services.settings.database_path) as db:
        kinds = [row[0] for row in db.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["session_finished"]  # the sent start is gone, the unsent finish stays


async def test_stopping_abandons_a_hung_cycle_without_saving_half_of_it(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    sim.start_session(_charger(sim, token))
    hang = asyncio.Event()

    async def never_answers(request: httpx.Request) -> httpx.Response:
        await hang.wait()
        return sim.handle(request)

    async with contextlib.aclosing(
        JouloHttp(httpx.MockTransport(never_answers), user_agent="test")
    ) as http:
        stuck = Poller(
            store=services.store,
            joulo=JouloClient(http, BASE),
            cipher=services.cipher,
            clock=clock,
            poll_interval=60,
            offline_grace=300,
        )
        cycle = asyncio.create_task(stuck.run_cycle())
        await asyncio.sleep(0.05)
        assert await stuck.stop(grace=0.1) is False
        assert await cycle is None
    assert await _kinds(services) == []  # nothing half-recorded
    assert await stuck.stop(grace=0.1) is True  # nothing left running


async def test_a_failing_account_backs_off_instead_of_hammering_joulo(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await link_garage(services, sim, ANNA)
    sim.inject_fault(SimFault(kind="status", status=503, path="/chargers", times=1000))
    interval = services.settings.poll_interval

    before = polls(sim)
    for _ in range(40):  # 40 cycles, one poll interval apart
        await services.poller.run_cycle()
        clock.advance(interval)
    tried = polls(sim) - before
    assert 5 <= tried <= 10  # every cycle for the first three, then ever longer waits
