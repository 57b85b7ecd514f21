"""Every way out works: a cancellation reaches whoever was cancelled, and shutdown's grace applies.

Pins down: a task that is cancelled while it waits for a poll cycle (or for a task it cancelled
itself) sees its CancelledError instead of carrying on; a stopped poller starts no new cycle;
and `serve()` stops the poll job and the poller first, so a Joulo request that never returns
holds up shutdown for the grace period only, not for the whole cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx
import pytest

from bot.app import Services, open_services, serve
from bot.commands import Person
from bot.config import Settings
from bot.joulo.client import JouloClient
from bot.joulo.transport import JouloHttp
from bot.poller import Poller
from bot.tasks import cancel_and_wait
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.fake_telegram import FakeBotAPI
from tests.joulo_sim import JouloSimulator
from tests.story import polls

ANNA = Person(id=7001, name="Anna", language="en")
BASE = "https://api.joulo.nl/functions/v1/api"
#: A poll interval long enough that the cycle's own time limit (90 % of it) never helps.
LONG_INTERVAL = 60.0


class NeverAnswers(httpx.AsyncBaseTransport):
    """A Joulo that accepts every request and never answers it."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait forever (until cancelled)."""
        self.asked.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def _hung_poller(services: Services, clock: ManualClock, http: JouloHttp) -> Poller:
    return Poller(
        store=services.store,
        joulo=JouloClient(http, BASE),
        cipher=services.cipher,
        clock=clock,
        poll_interval=LONG_INTERVAL,
        offline_grace=300,
    )


async def test_a_caller_cancelled_during_a_poll_cycle_sees_its_cancellation(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await link_garage(services, sim, ANNA)
    joulo = NeverAnswers()
    http = JouloHttp(joulo, user_agent="test")
    async with contextlib.aclosing(http):
        poller = _hung_poller(services, clock, http)
        caller = asyncio.create_task(poller.run_cycle())
        await joulo.asked.wait()

        caller.cancel()

        with pytest.raises(asyncio.CancelledError):
            await caller  # not a quiet None: the caller must not carry on


async def test_a_stopped_poller_starts_no_new_cycle(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await link_garage(services, sim, ANNA)
    before = polls(sim)

    assert await services.poller.stop(grace=0.1) is True
    assert await services.poller.run_cycle() is None

    assert polls(sim) == before


async def test_cancelling_a_task_of_ours_keeps_a_cancellation_meant_for_us() -> None:
    cleaning_up = asyncio.Event()
    cleaned_up = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cleaning_up.set()
            await cleaned_up.wait()  # a cancelled task may take a while to finish

    async def owner() -> None:
        task = asyncio.create_task(slow_to_stop())
        await asyncio.sleep(0)  # let it start
        await cancel_and_wait(task)

    cleaned_up.set()
    alone = asyncio.create_task(owner())
    await asyncio.wait_for(alone, timeout=5)  # cancelling its own task: no reason to stop
    cleaning_up.clear()
    cleaned_up.clear()

    interrupted = asyncio.create_task(owner())
    await asyncio.wait_for(cleaning_up.wait(), timeout=5)
    interrupted.cancel()  # the owner is cancelled while it waits for its task
    cleaned_up.set()

    with pytest.raises(asyncio.CancelledError):
        await interrupted


async def test_stopping_the_bot_abandons_a_hung_poll_after_the_grace_period(
    fake_bot: FakeBotAPI,
    sim: JouloSimulator,
    clock: ManualClock,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    grace = 0.2  # real seconds: long enough to tell "waited for it" from "did not"
    settings = settings.model_copy(
        update={"telegram_api_url": fake_bot.base_url, "poll_interval": LONG_INTERVAL}
    )
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as before:
        await link_garage(before, sim, ANNA)
    joulo = NeverAnswers()
    stop = asyncio.Event()
    running = asyncio.create_task(
        serve(settings, stop, clock=clock, joulo_transport=joulo, shutdown_grace=grace)
    )
    await asyncio.wait_for(joulo.asked.wait(), timeout=10)  # the first scheduled poll hangs
    caplog.set_level(logging.WARNING, logger="bot")

    stop.set()  # what SIGTERM does in run()
    began = time.monotonic()
    done, _ = await asyncio.wait({running}, timeout=grace + 2)
    took = time.monotonic() - began

    if not done:
        running.cancel()
        await asyncio.wait({running}, timeout=10)
        pytest.fail(f"serve() did not return within the grace period ({grace:g} s) + 2 s")
    running.result()  # returned normally: the process would exit 0
    assert took >= grace * 0.9  # the hung cycle got its grace period
    assert "abandoned the poll cycle in progress" in caplog.text
