"""Metrics: `/metrics` over real HTTP in Prometheus' text format, with values that move.

Pins down: every metric the README names is exposed; a poll cycle counts its polls (by outcome),
their time and the cycle's moment; a failing Joulo counts by kind; the outbox and the accounts
are counted from the database; a message sent counts as sent; no label and no value carries a
token, a chat id or a name; the bot serves /metrics where METRICS_PORT says, and only there.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Services, open_services, running, serve
from bot.commands import Person
from bot.config import Settings
from bot.listeners import Listeners, listen
from bot.metrics import Metrics, serving_metrics
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.fake_telegram import FakeBotAPI
from tests.imports import imported_on_load
from tests.joulo_sim import JouloSimulator, SimFault

ANNA = Person(id=5001, name="Anna Jansen", language="en")
NAMES = (
    "joulo_bot_polls_total",
    "joulo_bot_poll_seconds",
    "joulo_bot_outbox_pending",
    "joulo_bot_messages_sent_total",
    "joulo_bot_joulo_errors_total",
    "joulo_bot_accounts",
    "joulo_bot_last_cycle_timestamp_seconds",
)


def samples(text: str) -> dict[str, float]:
    """Every sample as `name{label="value"}` → value, parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


@asynccontextmanager
async def observed(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> AsyncIterator[tuple[Services, str]]:
    """The bot's services reporting to metrics served on a free loopback port; (services, url)."""
    metrics = Metrics(CollectorRegistry(), refresh_every=0)
    sock = listen("127.0.0.1", 0, setting="METRICS_PORT", address_setting="METRICS_LISTEN")
    try:
        async with (
            open_services(
                settings, clock=clock, joulo_transport=sim.transport(), observer=metrics
            ) as services,
            serving_metrics(metrics, services.store, sock),
        ):
            yield services, f"http://127.0.0.1:{sock.getsockname()[1]}/metrics"
    finally:
        sock.close()


async def scrape(url: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_a_poll_cycle_and_a_sent_message_move_the_metrics(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, fake_bot: FakeBotAPI
) -> None:
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    async with observed(settings, clock, sim) as (services, url):
        before = await scrape(url)
        for name in NAMES:
            assert f"# TYPE {name} " in before, name
        assert samples(before)['joulo_bot_polls_total{outcome="ok"}'] == 0
        assert samples(before)['joulo_bot_accounts{status="active"}'] == 0

        token = await link_garage(services, sim, ANNA)
        charger = sim.chargers(token)[0]["id"]
        sim.start_session(charger, id_tag="04A3B2C1", power_kw=7.2)
        clock.advance(60)
        await services.poller.run_cycle()
        after = samples(await scrape(url))
        assert after['joulo_bot_polls_total{outcome="ok"}'] == 1
        assert after["joulo_bot_poll_seconds_count"] == 1
        assert after["joulo_bot_last_cycle_timestamp_seconds"] == clock.now().timestamp()
        assert after['joulo_bot_accounts{status="active"}'] == 1
        assert after["joulo_bot_outbox_pending"] == 1  # "charging started", not sent yet

        sim.inject_fault(SimFault("status", status=503, path="/chargers", times=1))
        clock.advance(60)
        await services.poller.run_cycle()
        failing = samples(await scrape(url))
        assert failing['joulo_bot_polls_total{outcome="failed"}'] == 1
        assert failing['joulo_bot_joulo_errors_total{kind="unavailable"}'] == 1
        assert failing['joulo_bot_accounts{status="failing"}'] == 1
        assert failing['joulo_bot_accounts{status="active"}'] == 0

        async with running(services, scheduled=False):
            await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 1)
            await asyncio.sleep(0.05)  # the sender marks it sent right after Telegram's answer
            sent = await scrape(url)
        assert samples(sent)['joulo_bot_messages_sent_total{outcome="sent"}'] == 1
        assert samples(sent)["joulo_bot_outbox_pending"] == 0

        # Nothing that names a household: no token, chat or user id, person or charger name in
        # a series' name or labels, or in the HELP and TYPE lines. (Not in the values: those are
        # numbers, and a timestamp such as 1.7963355556500132e+09 holds Anna's id 5001.)
        words = [
            line if line.startswith("#") else line.rsplit(" ", 1)[0] for line in sent.splitlines()
        ]
        for secret in (token, str(ANNA.id), "Anna", "Jansen", "Garage", "04A3B2C1"):
            assert [w for w in words if secret in w] == [], secret


async def test_the_bot_serves_metrics_on_metrics_port(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, fake_bot: FakeBotAPI
) -> None:
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    # A long poll with no updates is answered (and recorded) after this: the wait below is for
    # the bot's first getUpdates, not for a second of Telegram's silence.
    fake_bot.max_poll_wait = 0.05
    sock = listen("127.0.0.1", 0, setting="METRICS_PORT", address_setting="METRICS_LISTEN")
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/metrics"
    stop = asyncio.Event()
    bot = asyncio.create_task(
        serve(
            settings,
            stop,
            clock=clock,
            joulo_transport=sim.transport(),
            listeners=Listeners(metrics=sock),
        )
    )
    try:
        await fake_bot.await_for(lambda api: bool(api.calls_to("getUpdates")))
        text = await scrape(url)
        for name in NAMES:
            assert f"# TYPE {name} " in text, name
        async with httpx.AsyncClient() as client:
            assert (await client.get(url.replace("/metrics", "/"))).status_code == 404
    finally:
        stop.set()
        await bot
    assert sock.fileno() == -1  # closed with the bot: the port is free again


def test_a_bot_without_metrics_port_does_not_load_prometheus_client() -> None:
    """prometheus_client is loaded when metrics are on (METRICS_PORT): a bot without them saves
    its imports (some 0.1 s of every start)."""
    loaded = imported_on_load("bot.app")

    assert "bot.metrics" in loaded  # the walk follows the bot's own imports
    assert "prometheus_client" not in {name.split(".")[0] for name in loaded}
