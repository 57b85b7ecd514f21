"""The benchmark's measured phases, each run in a fresh interpreter of its own.

`python -m benchmarks.phases PHASE '{json arguments}'` prints one JSON line with its figures.
CPU is this process's own (`time.process_time`: every thread, SQLite's included); the Joulo
simulator and the fake Bot API run in another process and are not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from benchmarks.progress import EVERY, report

if TYPE_CHECKING:
    from bot.config import Settings

# The bot is imported by the phases that run it, not here: the bare loop measures the RSS and
# start-up of an interpreter with its HTTP client only.

BOT_TOKEN = "123456789:AAF-fake-token-for-benchmarks-xxxxxx"  # noqa: S105  (fake)
#: Telegram user ids of the benchmark's households (owner of account i: FIRST_OWNER + i).
FIRST_OWNER = 10_000_000
#: Households whose chargers are fetched at once while seeding.
SEED_SLICE = 1000

_responded_at: ContextVar[float] = ContextVar("responded_at")


def token_of(index: int) -> str:
    """The Joulo token of benchmark account `index` (the far side derives the same)."""
    return f"joulo_bench_{index:07d}_xxxxxxxxxxxxxxxx"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(base: str, database: Path, interval: float) -> Settings:
    from cryptography.fernet import Fernet

    from bot.config import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=BOT_TOKEN,
        telegram_api_url=f"{base}/bot",
        joulo_api_url=f"{base}/api",
        database_path=database,
        encryption_key=Fernet.generate_key().decode(),
        poll_interval=interval,
        offline_grace=interval,
        default_language="en",
        log_level="WARNING",
        ere_price_url=None,  # joulo.nl is not reachable from the benchmark
    )


def _thread_cpu(thread_ident: int | None) -> float:
    """CPU seconds of one thread (SQLite's), or 0 when it cannot be read."""
    if thread_ident is None:
        return 0.0
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread_ident))
    except (OSError, AttributeError):
        return 0.0


class _Ticker:
    """Reports a phase's progress to the parent every `EVERY` seconds while it runs."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.stage = "starting"
        self.done = 0
        self.of = 0
        self._task: asyncio.Task[None] | None = None

    def at(self, stage: str, of: int) -> None:
        """A new stage begins: `of` things to do in it."""
        self.stage, self.done, self.of = stage, 0, of

    async def __aenter__(self) -> _Ticker:
        if self.enabled:
            self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            counted = f": {self.done:,} of {self.of:,}" if self.of else ""
            report(True, f"{self.stage}{counted}")
            await asyncio.sleep(EVERY)


async def _seed(services: Any, base: str, accounts: int, ticker: _Ticker) -> None:
    """Link every household the way /link does: a validated token and its baseline."""
    from bot.crypto import token_fingerprint
    from bot.joulo.models import parse_chargers

    now = datetime.now(UTC)
    ticker.at("linking households", accounts)
    async with httpx.AsyncClient(timeout=120) as client:
        for start in range(0, accounts, SEED_SLICE):
            count = min(SEED_SLICE, accounts - start)
            params = {"start": str(start), "count": str(count)}
            bodies = (await client.get(f"{base}/_bench/all_chargers", params=params)).json()
            for index in range(start, start + count):
                ticker.done = index
                token = token_of(index)
                found = parse_chargers(bodies[token])
                linked = await services.store.link_account(
                    owner_id=FIRST_OWNER + index,
                    owner_name=f"Household {index}",
                    language="en",
                    token_enc=services.cipher.encrypt(token),
                    fingerprint=token_fingerprint(token),
                    now=now,
                )
                await services.poller.linked(linked.account, found)


async def _reset(base: str) -> None:
    async with httpx.AsyncClient() as client:
        await client.post(f"{base}/_bench/reset")


async def _far_stats(base: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as client:
        result: dict[str, Any] = (await client.get(f"{base}/_bench/stats")).json()
        return result


async def _pending(services: Any) -> int:
    return len(await services.store.pending_deliveries(limit=100_000))


async def _wait_drained(services: Any, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if await _pending(services) == 0:
            return True
        await asyncio.sleep(0.2)
    return False


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def bot_phase(args: dict[str, Any]) -> dict[str, Any]:
    """The bot's real poller, diff, store and outbox for `cycles` cycles after one warm-up."""
    from bot.app import build_application, open_services, tune_gc
    from bot.outbox import Sender
    from bot.poller import SPREAD_SHARE
    from bot.telegram.send import TelegramMessenger

    tune_gc()  # as `python -m bot` does once started

    base, accounts, interval, cycles = (
        args["base"],
        args["accounts"],
        args["interval"],
        args["cycles"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(base, Path(tmp) / "bot.sqlite3", interval)
        async with open_services(settings) as services, _Ticker(args["progress"]) as ticker:
            await _seed(services, base, accounts, ticker)
            poller, store, joulo = services.poller, services.store, services.joulo

            # Measuring hooks: when Joulo's last answer for a poll arrived (/chargers, or
            # /sessions for a finished session's figures), and when its events were stored.
            delays: list[float] = []
            chargers, sessions = joulo.chargers, joulo.sessions
            record_poll = store.record_poll

            async def timed_chargers(token: str) -> Any:
                found = await chargers(token)
                _responded_at.set(time.perf_counter())
                ticker.done += 1
                return found

            async def timed_sessions(token: str, **kw: Any) -> Any:
                found = await sessions(token, **kw)
                _responded_at.set(time.perf_counter())
                return found

            async def timed_record_poll(*a: Any, **kw: Any) -> int:
                created = await record_poll(*a, **kw)
                if created:
                    with contextlib.suppress(LookupError):
                        delays.append(time.perf_counter() - _responded_at.get())
                return created

            joulo.chargers = timed_chargers  # type: ignore[method-assign]
            joulo.sessions = timed_sessions  # type: ignore[method-assign]
            store.record_poll = timed_record_poll  # type: ignore[method-assign]
            db_thread = getattr(getattr(store, "_db", None), "_thread", None)
            db_ident = getattr(db_thread, "ident", None)

            application = build_application(services)
            async with application:
                sender = Sender(
                    store=store,
                    readings=poller,
                    messenger=TelegramMessenger(application.bot),
                    clock=services.clock,
                    tz=settings.tz,
                    wakeup=services.wakeup,
                )
                sender_task = asyncio.create_task(sender.run())
                try:
                    ticker.at("warm-up cycle: accounts polled", accounts)
                    await poller.run_cycle(spread=True)  # warm-up: connections, caches
                    await _wait_drained(services, 60)
                    await _reset(base)
                    delays.clear()
                    reports = []
                    durations = []
                    sql_per_cycle = []
                    cpu0 = time.process_time()
                    start = time.monotonic()
                    for k in range(cycles):
                        ticker.at(f"cycle {k + 1} of {cycles}: accounts polled", accounts)
                        await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))
                        sql0 = _thread_cpu(db_ident)
                        began = time.monotonic()
                        report = await poller.run_cycle(spread=True)
                        durations.append(time.monotonic() - began)
                        sql_per_cycle.append(_thread_cpu(db_ident) - sql0)
                        if report is not None:
                            reports.append(report)
                    ticker.at("rest of the last interval", 0)
                    await asyncio.sleep(max(0.0, start + cycles * interval - time.monotonic()))
                    cpu = time.process_time() - cpu0
                    wall = time.monotonic() - start
                    drained = await _wait_drained(services, 120)
                    far = await _far_stats(base)
                finally:
                    sender_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await sender_task
            polled = sum(r.polled for r in reports)
            return {
                "accounts": accounts,
                "interval": interval,
                "cycles": cycles,
                "concurrency": getattr(poller, "concurrency", getattr(poller, "_concurrency", 0)),
                "spread_share": SPREAD_SHARE,
                "polled": polled,
                "failed": sum(r.failed for r in reports),
                "events": sum(r.events for r in reports),
                "timed_out": sum(r.timed_out for r in reports),
                "cycle_seconds": durations,
                "wall": wall,
                "cpu": cpu,
                "sql_cpu_per_cycle": sql_per_cycle,
                "delay_p50": _percentile(delays, 0.5),
                "delay_p99": _percentile(delays, 0.99),
                "delay_samples": len(delays),
                "drained": drained,
                "peak_rss_mb": _peak_rss_mb(),
                "far": far,
            }


async def bare_phase(args: dict[str, Any]) -> dict[str, Any]:
    """A minimal raw aiohttp loop: one pass of GET /chargers for every account and its JSON.

    Nothing else: no /sessions, no diff, no store, no sending. The GETs start evenly over
    `SPREAD_SHARE` of one interval, as the poller's do, with at most `concurrency` (the bot's,
    at the end of its run) in flight, so the CPU per request compares like with like. The pass
    ends with its last answer: its rate is over that stretch, not over the whole interval as
    the bot's is.
    """
    import aiohttp

    base, accounts, concurrency = args["base"], args["accounts"], args["concurrency"]
    spread = args["interval"] * args["spread_share"]
    url = f"{base}/api/chargers"
    gate = asyncio.Semaphore(concurrency)
    step = spread / max(accounts, 1)
    tokens = [token_of(i) for i in range(accounts)]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))

    async def get(token: str) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        async with session.get(url, headers=headers) as response:
            return await response.json()

    async def one(index: int) -> bool:
        await asyncio.sleep(index * step)
        async with gate:
            body = await get(tokens[index])
            ticker.done += 1
            return isinstance(body, dict) and "chargers" in body

    async def run_pass() -> int:
        return sum(await asyncio.gather(*(one(i) for i in range(accounts))))

    async def warm_up() -> None:  # open the connections; no pacing
        async def bare(index: int) -> None:
            async with gate:
                await get(tokens[index])

        await asyncio.gather(*(bare(i) for i in range(min(accounts, 4 * concurrency))))

    try:
        async with _Ticker(args["progress"]) as ticker:
            await warm_up()
            ticker.at("one pass: accounts fetched", accounts)
            cpu0, start = time.process_time(), time.monotonic()
            ok = await run_pass()
            cpu, wall = time.process_time() - cpu0, time.monotonic() - start
    finally:
        await session.close()
    return {"polled": ok, "cpu": cpu, "wall": wall, "peak_rss_mb": _peak_rss_mb()}


async def burst_phase(args: dict[str, Any]) -> dict[str, Any]:
    """Drain `burst` notifications to distinct private chats through the real Sender."""
    from bot.app import build_application, open_services
    from bot.clock import SystemClock
    from bot.core.events import SessionStarted
    from bot.core.outgoing import outgoing
    from bot.outbox import Sender
    from bot.telegram.send import TelegramMessenger

    base, burst = args["base"], args["burst"]
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(base, Path(tmp) / "bot.sqlite3", 60.0)
        async with open_services(settings) as services, _Ticker(args["progress"]) as ticker:
            await _seed(services, base, burst, ticker)
            now = datetime.now(UTC)
            for account in range(1, burst + 1):  # one charging start per household
                await services.store.record_poll(
                    account,
                    link_seq=1,
                    states=await services.store.charger_states(account),
                    events=[
                        outgoing(
                            SessionStarted(
                                charger_id="c",
                                charger_name="Garage",
                                session_id=f"s{account}",
                                started_at=now,
                            )
                        )
                    ],
                    new_pending=[],
                    resolved_pending=[],
                    now=now,
                )
            application = build_application(services)
            async with application:
                sender = Sender(
                    store=services.store,
                    readings=services.poller,
                    messenger=TelegramMessenger(application.bot),
                    clock=SystemClock(),
                    tz=settings.tz,
                    wakeup=services.wakeup,
                )
                await _reset(base)
                ticker.at("notifications sent", burst)
                cpu0, start = time.process_time(), time.monotonic()
                deadline = start + max(60.0, 5 * burst / 30)
                while time.monotonic() < deadline:
                    await sender.drain()
                    left = await _pending(services)
                    ticker.done = burst - left
                    if left == 0:
                        break
                    await asyncio.sleep(0.05)
                elapsed, cpu = time.monotonic() - start, time.process_time() - cpu0
                far = await _far_stats(base)
                left = await _pending(services)
    return {
        "burst": burst,
        "seconds": elapsed,
        "cpu": cpu,
        "left": left,
        "sent": far["sent"],
        "refused_429": far["refused_429"],
    }


def idle_phase(args: dict[str, Any]) -> dict[str, Any]:
    """Start the real bot (`python -m bot`) with no accounts: time to running, RSS after.

    The bot's setting names come with the arguments (`config_names`): this process only starts
    the bot, and reading them from `bot.config` here would cost it pydantic's imports.
    """
    from cryptography.fernet import Fernet

    base, config_names = args["base"], frozenset(args["config_names"])
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k.upper() not in config_names}
        env.update(
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_URL=f"{base}/bot",
            JOULO_API_URL=f"{base}/api",
            DATABASE_PATH=str(Path(tmp) / "bot.sqlite3"),
            ENCRYPTION_KEY=Fernet.generate_key().decode(),
            LOG_LEVEL="INFO",
            ERE_PRICE_URL="",  # off: joulo.nl is not the far side, and may be unreachable
        )
        start = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=env,
            cwd=tmp,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        started: float | None = None
        watchdog = threading.Timer(args.get("timeout", 120.0), child.kill)  # a hung start
        watchdog.start()
        try:
            assert child.stderr is not None  # noqa: S101
            for line in child.stderr:
                if "is running" in line:
                    started = time.monotonic() - start
                    break
            time.sleep(args.get("settle", 3.0))
            status = Path(f"/proc/{child.pid}/status").read_text()
        finally:
            watchdog.cancel()
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss = int(fields["VmRSS"].split()[0]) / 1024
    hwm = int(fields["VmHWM"].split()[0]) / 1024
    return {"start_seconds": started, "rss_mb": rss, "peak_rss_mb": hwm}


def main() -> None:
    """Run one phase and print its figures as one JSON line."""
    phase, raw = sys.argv[1], sys.argv[2]
    args = json.loads(raw)
    result: dict[str, Any]
    if phase == "bot":
        result = asyncio.run(bot_phase(args))
    elif phase == "aiohttp":
        result = asyncio.run(bare_phase(args))
    elif phase == "burst":
        result = asyncio.run(burst_phase(args))
    elif phase == "idle":
        result = idle_phase(args)
    else:
        raise SystemExit(f"unknown phase {phase!r}")
    result["median_cycle"] = (
        statistics.median(result["cycle_seconds"]) if result.get("cycle_seconds") else None
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
