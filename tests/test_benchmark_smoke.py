"""The load benchmark keeps working: a tiny run completes and reports every figure it promises,
and its `--help` gives every default and says what the bare loop compares.

Not a performance test (the machine is shared and noisy, and the other test worker runs beside
it): it checks that the README's benchmark still runs end to end, that the bot polled every
account in the measured cycle without a failure (the far side counts the accounts it was asked
about) and the bare loop fetched every account, and that the burst was delivered. How fast,
none early, and no 429 provoked are figures the benchmark prints and the README tabulates from
runs on a quiet machine; asserting them here made the suite fail under load.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.run import main

ACCOUNTS = 2


def test_a_small_benchmark_run_polls_every_account_and_prints_each_figure(
    tmp_path: Path, capsys
) -> None:
    figures = tmp_path / "figures.json"
    # Two accounts, one measured cycle and an interval that a loaded machine still finishes a
    # cycle in (the second poll starts at 0.225 s, the cycle is cut off at 0.54 s): the run's
    # cost is its interpreters, not the polling.
    argv = ["--accounts", str(ACCOUNTS), "--interval", "0.6", "--cycles", "1", "--latency", "5"]
    extra = ["--burst", "3", "--tg-latency", "5", "--idle-settle", "0"]
    assert main([*argv, *extra, "--json", str(figures)]) == 0

    captured = capsys.readouterr()
    printed = captured.out
    assert captured.err == ""  # stderr is no terminal here: no progress line
    for figure in (
        "cores, Python",
        "account-polls/s",
        "CPU s per 1,000 account-polls",
        "ratio to raw aiohttp",
        "peak RSS",
        "SQLite thread CPU per cycle",
        "answer -> outbox row",
        "burst of 3 notifications",
        "idle bot (no accounts): running after",
    ):
        assert figure in printed, figure
    results = json.loads(figures.read_text())["results"]
    bot = results["bot"]
    # Every account asked Joulo for its chargers in the measured cycle, and none failed.
    assert bot["far"]["accounts_polled"] == ACCOUNTS
    assert (bot["polled"], bot["failed"]) == (ACCOUNTS, 0)
    assert "early" in bot["far"]
    assert results["aiohttp"]["polled"] == ACCOUNTS
    burst = results["burst"]
    assert (burst["sent"], burst["left"]) == (3, 0)
    assert "refused_429" in burst
    assert results["idle"]["start_seconds"] is not None


def test_the_benchmark_help_shows_every_option_default_and_what_the_bare_loops_measure(
    capsys,
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    printed = " ".join(capsys.readouterr().out.split())  # whatever the terminal's width
    for option in (
        "linked households (default: 1000)",
        "POLL_INTERVAL, seconds (default: 5.0)",
        "measured poll cycles (default: 3)",
        "Joulo's answer time, ms (default: 50.0)",
        "Bot API answer time, ms (default: 50.0)",
        "share of chargers that change per interval (default: 0.02)",
        "notifications in the burst; 0 skips it (default: 1000)",
        "before its memory is measured (default: 3.0)",
    ):
        assert option in printed, option
    assert "ONE pass of `GET /chargers`" in printed
    assert "about 1.33x what the bot needs, by construction" in printed
