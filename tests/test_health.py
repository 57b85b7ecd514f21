"""`python -m bot healthcheck` is healthy only while the poller's cycles are recent.

The heartbeat job records when the poller last completed a cycle; the check reads it straight
from the database file; here it gets the time as an
argument, so "three poll intervals later" needs no waiting. A missing database is reported as
missing, and not created; a path that cannot be a database (a folder, a device, a file of
something else) is named as such, with exit code 2 as for any other setting that cannot work.
The whole command is run against a live bot in tests/test_process.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Services
from bot.config import Settings
from bot.health import HEALTHY_INTERVALS, check
from tests.clock import ManualClock


async def test_the_bot_is_healthy_right_after_a_cycle_and_not_three_intervals_later(
    services: Services, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = services.settings
    assert check(settings, now=clock.now()) == 1  # no cycle yet
    assert "has not completed a cycle" in capsys.readouterr().err

    await services.poller.run_cycle()
    assert check(settings, now=clock.now()) == 1  # the heartbeat job has not recorded it yet
    capsys.readouterr()
    assert await services.housekeeping.heartbeat()  # the heartbeat job's run
    limit = HEALTHY_INTERVALS * settings.poll_interval

    assert check(settings, now=clock.now() + timedelta(seconds=limit)) == 0
    assert capsys.readouterr().out.startswith("healthy: last poll cycle")
    assert check(settings, now=clock.now() + timedelta(seconds=limit + 1)) == 1
    assert capsys.readouterr().err.startswith("unhealthy: last poll cycle")


def test_a_missing_database_is_reported_as_missing_and_not_created(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(settings) == 1

    reason = capsys.readouterr().err
    assert reason.startswith("unhealthy: no database at DATABASE_PATH")
    assert str(settings.database_path) in reason
    assert not settings.database_path.parent.exists()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda path: path.mkdir(), "it is a folder; give a file path"),
        (lambda path: path.write_text("my notes\n"), "it is not a database (an SQLite file)"),
    ],
    ids=["a folder", "a file that is not a database"],
)
def test_a_database_path_that_cannot_be_a_database_is_named_with_exit_code_2(
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], object],
    says: str,
) -> None:
    path = settings.database_path
    path.parent.mkdir(parents=True)
    make(path)

    assert check(settings) == 2

    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"cannot use DATABASE_PATH {path}: {says}")


def test_a_device_as_database_path_is_named_with_exit_code_2(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(settings.model_copy(update={"database_path": Path("/dev/null")})) == 2

    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        "cannot use DATABASE_PATH /dev/null: it is not a regular file (a device?); give a file path"
    )
