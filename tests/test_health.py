"""`python -m bot healthcheck` is healthy only while the poller's cycles are recent.

The check reads the heartbeat straight from the database file; here it gets the time as an
argument, so "three poll intervals later" needs no waiting. A missing database is reported as
missing, and not created. The whole command is run against a live bot in tests/test_process.py.
"""

from __future__ import annotations

from datetime import timedelta

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
