"""Load benchmark: the bot's real poll → diff → store → outbox against a simulated Joulo.

    .venv/bin/python -m benchmarks.run --accounts 1000 --interval 5 --cycles 3 --latency 50

Starts the Joulo simulator and a fake Bot API in a process of their own (loopback only), then
runs, each in a fresh interpreter:

- the bot: its real poller, diff, store and outbox (which sends the notifications its events
  cause) for `--cycles` poll cycles after one warm-up cycle; its account-polls/s are over
  whole intervals (cycles x interval);
- a bare raw-aiohttp loop: ONE pass of `GET /chargers` + JSON parse per account, nothing
  else (no /sessions, no diff, no store, no sending). The GETs start evenly over the first
  75 % of one interval (the poller's SPREAD_SHARE), as the poller's do, with at most the
  bot's final poll concurrency in flight. The pass ends with its last answer, so its
  account-polls/s are over ~0.75 of an interval: about 1.33x what the bot needs, by
  construction, not because the loop is faster. Its CPU per 1,000 polls is the yardstick;
- a burst of `--burst` notifications to distinct chats through the real sender;
- an idle `python -m bot` with no accounts (start-up time and memory), started from this
  process.

Prints one table. CPU is each phase's own process (all its threads, SQLite's included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.phases import idle_phase
from benchmarks.progress import PREFIX, Progress
from bot.poller import SPREAD_SHARE

REPO = Path(__file__).resolve().parent.parent
#: Telegram's overall limit: messages per second (the burst's floor follows from it).
TELEGRAM_RATE = 30.0
#: The bare loops the bot is compared with: raw aiohttp.
BASELINES = ("aiohttp",)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _phase(name: str, args: dict[str, Any], timeout: float, progress: Progress) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; relay its progress; return its figures."""
    began = time.monotonic()
    progress.show(f"{name}: starting")
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "benchmarks.phases",
                name,
                json.dumps({**args, "progress": progress.enabled}),
            ],
            cwd=REPO,
            env=_child_env(),
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
        watchdog = threading.Timer(timeout, child.kill)
        watchdog.start()
        errors: list[str] = []
        try:
            assert child.stderr is not None  # noqa: S101
            for line in child.stderr:
                if line.startswith(PREFIX):
                    progress.show(f"{name}: {line[len(PREFIX) :].rstrip()}")
                else:
                    errors = [*errors[-200:], line]
            returncode = child.wait()
        finally:
            watchdog.cancel()
        if returncode != 0:
            raise RuntimeError(f"phase {name} failed ({returncode}):\n{''.join(errors)[-4000:]}")
        out.seek(0)
        result: dict[str, Any] = json.loads(out.read().strip().splitlines()[-1])
    progress.done(f"{name}: done in {time.monotonic() - began:.0f} s")
    return result


def _idle(args: dict[str, Any], timeout: float, progress: Progress) -> dict[str, Any]:
    """The idle phase, run from here: it measures the `python -m bot` it starts, not itself, so
    it needs no interpreter of its own (which cost the run one more start-up)."""
    began = time.monotonic()
    progress.show("idle: starting")
    result = idle_phase({**args, "timeout": timeout})
    progress.done(f"idle: done in {time.monotonic() - began:.0f} s")
    return result


class FarSide:
    """The server process (Joulo simulator + fake Bot API) for the whole run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "benchmarks.server",
                f"--accounts={max(args.accounts, args.burst)}",
                f"--interval={args.interval}",
                f"--latency={args.latency}",
                f"--tg-latency={args.tg_latency}",
                f"--activity={args.activity}",
            ],
            cwd=REPO,
            env=_child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None  # noqa: S101
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark server did not start")
        self.base = f"http://127.0.0.1:{json.loads(line)['port']}"
        httpx.get(f"{self.base}/_bench/stats", timeout=30).raise_for_status()

    def close(self) -> None:
        """Stop the server (closing its stdin tells it to)."""
        assert self._process.stdin is not None  # noqa: S101
        self._process.stdin.close()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def measure(args: argparse.Namespace, progress: Progress | None = None) -> dict[str, Any]:
    """Run every phase and return their figures (progress on a terminal, if given one)."""
    progress = progress or Progress()
    progress.show(f"far side: simulating {max(args.accounts, args.burst):,} households")
    far = FarSide(args)
    progress.done("far side: ready")
    try:
        common = {"base": far.base, "accounts": args.accounts, "interval": args.interval}
        phase_timeout = 120 + args.interval * (args.cycles + 3) + args.accounts / 50
        results: dict[str, Any] = {}
        results["bot"] = _phase("bot", {**common, "cycles": args.cycles}, phase_timeout, progress)
        concurrency = results["bot"]["concurrency"]
        for name in BASELINES:
            paced = {
                **common,
                "concurrency": concurrency,
                "spread_share": results["bot"]["spread_share"],
            }
            results[name] = _phase(name, paced, phase_timeout, progress)
        if args.burst:
            results["burst"] = _phase(
                "burst", {"base": far.base, "burst": args.burst}, 120 + args.burst / 5, progress
            )
        if not args.skip_idle:
            idle = {"base": far.base, "settle": args.idle_settle, "config_names": _config_names()}
            results["idle"] = _idle(idle, 120, progress)
    finally:
        far.close()
    return results


def _config_names() -> list[str]:
    """Every environment variable the bot reads, to keep the idle bot's environment clean."""
    from bot.config import Settings

    return sorted(name.upper() for name in Settings.model_fields)


def _cpu_per_1000(result: dict[str, Any]) -> float:
    return 1000 * result["cpu"] / max(result["polled"], 1)


def report(args: argparse.Namespace, results: dict[str, Any]) -> str:
    """The figures as a plain-text table."""
    bot = results["bot"]
    needed = args.accounts / args.interval
    achieved = bot["polled"] / (args.cycles * args.interval)
    raw = _cpu_per_1000(results["aiohttp"])
    lines = [
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}",
        f"setup: {args.accounts} accounts, POLL_INTERVAL={args.interval:g} s, "
        f"{args.cycles} cycles, Joulo latency {args.latency:g} ms, "
        f"Bot API latency {args.tg_latency:g} ms, poll concurrency {bot['concurrency']}",
        "",
        f"{'figure':<40} {'bot':>10} " + " ".join(f"{name:>14}" for name in BASELINES),
    ]
    columns = [results[name] for name in BASELINES]

    def row(label: str, first: str, cells: list[str]) -> None:
        lines.append(f"{label:<40} {first:>10} " + " ".join(f"{c:>14}" for c in cells))

    row(
        f"account-polls/s (needed {needed:.0f})",
        f"{achieved:.0f}",
        [f"{r['polled'] / r['wall']:.0f}" for r in columns],
    )
    row(
        "CPU s per 1,000 account-polls",
        f"{_cpu_per_1000(bot):.2f}",
        [f"{_cpu_per_1000(r):.2f}" for r in columns],
    )
    row(
        "ratio to raw aiohttp",
        f"{_cpu_per_1000(bot) / raw:.1f}x",
        [f"{_cpu_per_1000(r) / raw:.1f}x" for r in columns],
    )
    row("peak RSS, MB", f"{bot['peak_rss_mb']:.0f}", [f"{r['peak_rss_mb']:.0f}" for r in columns])
    lines += [
        f"(the bot's rate is over {args.cycles} whole intervals; the bare loop's is over its one "
        f"pass, spread over {100 * SPREAD_SHARE:.0f} % of an interval: about "
        f"{1 / SPREAD_SHARE:.2f}x needed by construction)",
        "",
    ]
    cpu_share = bot["cpu"] / bot["wall"]
    far = bot["far"]
    early = far["early"]
    min_gap = far["min_gap"]
    sql = bot["sql_cpu_per_cycle"]
    delay = bot["delay_p50"], bot["delay_p99"]
    lines += [
        f"bot CPU over the run: {100 * cpu_share:.1f} % of one core "
        f"({bot['cpu']:.1f} s in {bot['wall']:.0f} s)",
        f"accounts polled per cycle: {bot['polled'] / args.cycles:.0f} of {args.accounts} "
        f"(failed {bot['failed']}, cycles cut off {bot['timed_out']}); "
        f"cycle took {', '.join(f'{s:.1f}' for s in bot['cycle_seconds'])} s",
        f"Joulo requests: {far['requests']}; shortest gap between two polls of one account "
        + (f"{min_gap:.2f} s" if min_gap is not None else "n/a")
        + f"; polls early (< 0.98 interval): {early}",
        "SQLite thread CPU per cycle: " + ", ".join(f"{1000 * s:.0f} ms" for s in sql),
        f"events: {bot['events']} in {args.cycles} cycles; Joulo's answer -> outbox row "
        + (
            f"p50 {1000 * delay[0]:.1f} ms, p99 {1000 * delay[1]:.1f} ms "
            f"({bot['delay_samples']} polls with events)"
            if delay[0] is not None
            else "n/a (no events)"
        ),
    ]
    if "burst" in results:
        burst = results["burst"]
        floor = burst["burst"] / TELEGRAM_RATE
        lines.append(
            f"burst of {burst['burst']} notifications to distinct chats: drained in "
            f"{burst['seconds']:.1f} s (floor at {TELEGRAM_RATE:g}/s: {floor:.1f} s, "
            f"{burst['seconds'] / floor:.2f}x), {burst['sent']} sent, "
            f"{burst['refused_429']} refused with 429, {burst['left']} left"
        )
    if "idle" in results:
        idle = results["idle"]
        started = idle["start_seconds"]
        lines.append(
            "idle bot (no accounts): running after "
            + (f"{started:.2f} s" if started is not None else "never")
            + f", RSS {idle['rss_mb']:.0f} MB (peak {idle['peak_rss_mb']:.0f} MB)"
        )
    return "\n".join(lines)


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written, and every option's default."""


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the benchmark, print the table (and optionally the JSON)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=_HelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000, metavar="N", help="linked households")
    parser.add_argument(
        "--interval", type=float, default=5.0, metavar="S", help="POLL_INTERVAL, seconds"
    )
    parser.add_argument("--cycles", type=int, default=3, metavar="N", help="measured poll cycles")
    parser.add_argument(
        "--latency", type=float, default=50.0, metavar="MS", help="Joulo's answer time, ms"
    )
    parser.add_argument(
        "--tg-latency", type=float, default=50.0, metavar="MS", help="Bot API answer time, ms"
    )
    parser.add_argument(
        "--activity",
        type=float,
        default=0.02,
        metavar="SHARE",
        help="share of chargers that change per interval",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=1000,
        metavar="N",
        help="notifications in the burst; 0 skips it",
    )
    parser.add_argument("--skip-idle", action="store_true", help="skip the idle start-up")
    parser.add_argument(
        "--idle-settle",
        type=float,
        default=3.0,
        metavar="S",
        help="seconds the idle bot runs before its memory is measured",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the raw figures to this file"
    )
    parser.add_argument(
        "--digest-day",
        action="store_true",
        help="instead: the 1st of the month at 09:00 with a restart in the middle "
        "(benchmarks/digest_day.py; uses --accounts, --interval and --latency)",
    )
    parser.add_argument(
        "--runs", type=int, default=3, metavar="N", help="--digest-day: runs to take the median of"
    )
    parser.add_argument(
        "--lead",
        type=float,
        default=240.0,
        metavar="S",
        help="--digest-day: seconds before 09:00 that the bot starts (240: at 08:56)",
    )
    args = parser.parse_args(argv)
    if args.digest_day:
        from benchmarks.digest_day import main as digest_day

        return digest_day(args)
    began = time.monotonic()
    results = measure(args)
    print(report(args, results))
    print(f"(benchmark took {time.monotonic() - began:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args), "results": results}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
