"""`--digest-day`: the 1st of the month at 09:00, black box, with a restart in the middle.

    .venv/bin/python -m benchmarks.run --digest-day --accounts 1500 --interval 10 --runs 3

The bot runs as a process of its own (twice: it is stopped with SIGTERM and started again
RESTART_AFTER seconds after 09:00) against the far side (`benchmarks.server`: the Joulo
simulator answering after `--latency`, and a fake Bot API holding Telegram's 30 messages a
second). Both clocks read the 1st of next month, `--lead` seconds before 09:00 local time, at
the start. Cars start charging in WAVES (seconds after 09:00) during the digests. Measured at
the far side: how long until each start was announced, the longest gap between two `/chargers`
polls of any household from 09:00 on, how many digests each household got, and when the last
one went out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from benchmarks.phases import FIRST_OWNER, token_of
from benchmarks.server import ShiftedClock
from bot.config import Settings

BOT_TOKEN = "123456789:AAF-fake-token-for-benchmarks-xxxxxx"  # noqa: S105  (fake)
#: Seconds after 09:00 at which some households' cars start charging, and how many each time.
WAVES = (15.0, 60.0, 90.0)
CARS_PER_WAVE = 20
#: The bot is stopped (SIGTERM) and started again this many seconds after 09:00.
RESTART_AFTER = 40.0
TELEGRAM_RATE = 30.0


def nine_on_the_first(tz: str) -> datetime:
    """09:00 local time on the 1st of next month, in UTC."""
    local = datetime.now(ZoneInfo(tz))
    first = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.replace(hour=9, minute=0, second=0, microsecond=0).astimezone(UTC)


def _settings(args: dict[str, Any]) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=SecretStr(BOT_TOKEN),
        telegram_api_url=f"{args['base']}/bot",  # type: ignore[arg-type]
        joulo_api_url=f"{args['base']}/api",  # type: ignore[arg-type]
        database_path=Path(args["database"]),
        encryption_key=SecretStr(args["key"]),
        poll_interval=args["interval"],
        default_language="en",
        log_level="WARNING",
    )


async def _seed(args: dict[str, Any]) -> None:
    """Link every household the way /link does, at the shifted time."""
    from bot.app import open_services
    from bot.crypto import token_fingerprint
    from bot.joulo.models import parse_chargers

    clock = ShiftedClock(args["offset"])
    async with open_services(_settings(args), clock=clock) as services:
        async with httpx.AsyncClient(timeout=120) as client:
            everything = (await client.get(f"{args['base']}/_bench/all_chargers")).json()
        now = clock.now()
        for index in range(args["accounts"]):
            token = token_of(index)
            linked = await services.store.link_account(
                owner_id=FIRST_OWNER + index,
                owner_name=f"Household {index}",
                language="en",
                token_enc=services.cipher.encrypt(token),
                fingerprint=token_fingerprint(token),
                now=now,
            )
            await services.poller.linked(linked.account, parse_chargers(everything[token]))


async def _bot(args: dict[str, Any]) -> None:
    """The bot, as `python -m bot` runs it, on the shifted clock, until SIGTERM."""
    from bot.app import serve

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await serve(_settings(args), stop, clock=ShiftedClock(args["offset"]))


def _child(role: str, args: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "benchmarks.digest_day", role, json.dumps(args)],
        stdin=subprocess.DEVNULL,
    )


def one_run(options: argparse.Namespace) -> dict[str, Any]:
    """One digest day; returns its figures."""
    nine = nine_on_the_first("Europe/Amsterdam")
    begin = time.time() + 5.0  # after the far side has started and the database is seeded
    offset = (nine - timedelta(seconds=options.lead)).timestamp() - begin
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "benchmarks.server",
            f"--accounts={options.accounts}",
            f"--interval={options.interval}",
            f"--latency={options.latency}",
            "--activity=0",
            f"--clock-offset={offset}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None  # noqa: S101
    base = f"http://127.0.0.1:{json.loads(server.stdout.readline())['port']}"
    far = httpx.Client(base_url=base, timeout=60)
    with tempfile.TemporaryDirectory() as scratch:
        args = {
            "base": base,
            "database": str(Path(scratch) / "bot.sqlite3"),
            "key": Fernet.generate_key().decode(),
            "interval": options.interval,
            "accounts": options.accounts,
            "offset": offset,
        }
        seeding = _child("seed", args)
        if seeding.wait(timeout=600) != 0:
            raise RuntimeError("seeding the database failed")
        while time.time() < begin:
            time.sleep(0.05)
        real_nine = begin + options.lead

        def at(after_nine: float) -> None:
            while time.time() < real_nine + after_nine:
                time.sleep(0.02)

        bot = _child("bot", args)
        try:
            at(0.0)
            far.post("/_bench/reset")
            pending = sorted([*WAVES, RESTART_AFTER])
            for moment in pending:
                at(moment)
                if moment == RESTART_AFTER:
                    bot.send_signal(signal.SIGTERM)
                    bot.wait(timeout=30)
                    bot = _child("bot", args)
                else:
                    far.post("/_bench/start_cars", params={"count": CARS_PER_WAVE})
            give_up = real_nine + max(300.0, 3 * options.accounts / TELEGRAM_RATE)
            while time.time() < give_up:
                seen = far.get("/_bench/digest_day").json()
                if seen["digests_sent"] >= options.accounts and all(
                    s["announced"] is not None for s in seen["starts"]
                ):
                    break
                time.sleep(1.0)
            at(max(WAVES) + 2 * options.interval)  # gaps are measured until here at least
            seen = far.get("/_bench/digest_day").json()
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
            far.close()
            assert server.stdin is not None  # noqa: S101
            server.stdin.close()
            server.wait(timeout=30)
    latencies = [s["announced"] - s["at"] for s in seen["starts"] if s["announced"] is not None]
    counts = seen["digests_per_chat"]
    return {
        "starts": len(seen["starts"]),
        "unannounced": sum(1 for s in seen["starts"] if s["announced"] is None),
        "latency_median": statistics.median(latencies) if latencies else None,
        "latency_worst": max(latencies) if latencies else None,
        "max_poll_gap": seen["max_gap"],
        "digests_min": min([counts.get(str(FIRST_OWNER + i), 0) for i in range(options.accounts)]),
        "digests_max": max([counts.get(str(FIRST_OWNER + i), 0) for i in range(options.accounts)]),
        "last_digest_after_nine": (
            seen["last_digest_at"] - seen["reset_at"] if seen["last_digest_at"] else None
        ),
        "refused_429": seen["refused_429"],
    }


def _spread(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    return f"{statistics.median(known):.1f} ({min(known):.1f}–{max(known):.1f})"


def main(options: argparse.Namespace) -> int:
    """Run `--runs` digest days and print the figures (median, and the spread over runs)."""
    runs = []
    for number in range(options.runs):
        result = one_run(options)
        runs.append(result)
        print(f"run {number + 1}: {json.dumps(result)}", flush=True)
    floor = options.accounts / TELEGRAM_RATE
    print(
        f"\ndigest day: {options.accounts} households, poll every {options.interval:g} s, "
        f"Joulo {options.latency:g} ms, restart {RESTART_AFTER:g} s after 09:00, "
        f"{options.runs} run(s): median (min–max)"
    )
    rows = [
        ("start announced, median (s)", [r["latency_median"] for r in runs]),
        ("start announced, worst (s)", [r["latency_worst"] for r in runs]),
        ("longest gap between polls (s)", [r["max_poll_gap"] for r in runs]),
        ("last digest out, after 09:00 (s)", [r["last_digest_after_nine"] for r in runs]),
    ]
    for label, values in rows:
        print(f"  {label:<36} {_spread(values)}")
    counts = sorted({(r["digests_min"], r["digests_max"]) for r in runs})
    print(f"  {'digests per household (min, max)':<36} {counts}")
    print(f"  {'unannounced starts':<36} {[r['unannounced'] for r in runs]}")
    print(
        f"  goals: start ≤ {2 * options.interval + 10:g} s, gap ≤ {2 * options.interval:g} s, "
        f"exactly 1 digest each, last ≤ {2 * floor:g} s (2× the {floor:g} s floor)"
    )
    return 0


if __name__ == "__main__":
    role, raw = sys.argv[1], json.loads(sys.argv[2])
    asyncio.run(_seed(raw) if role == "seed" else _bot(raw))
