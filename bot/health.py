"""`python -m bot healthcheck`: healthy when the poller finished a cycle recently."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.exits import ExitStatus
from bot.jobs.housekeeping import HEARTBEAT_KEY
from bot.store import StoreError, check_database_path, read_meta_readonly

#: Healthy while the last completed cycle is at most this many poll intervals old.
HEALTHY_INTERVALS = 3


def last_heartbeat(settings: Settings) -> datetime | None:
    """When the poller last completed a cycle, read straight from the database file."""
    value = read_meta_readonly(settings.database_path, HEARTBEAT_KEY)
    return datetime.fromisoformat(value) if value else None


def check(settings: Settings, now: datetime | None = None) -> int:
    """Exit code 0 when healthy, 1 otherwise, 2 when DATABASE_PATH cannot be a database."""
    now = now or datetime.now(UTC)
    if not settings.database_path.exists():
        print(f"unhealthy: no database at DATABASE_PATH {settings.database_path}", file=sys.stderr)
        return ExitStatus.FAILED
    try:
        check_database_path(settings.database_path)
    except StoreError as err:
        print(f"cannot use DATABASE_PATH {settings.database_path}: {err}", file=sys.stderr)
        return ExitStatus.CANNOT_WORK
    beat = last_heartbeat(settings)
    limit = timedelta(seconds=HEALTHY_INTERVALS * settings.poll_interval)
    if beat is None:
        print("unhealthy: the poller has not completed a cycle yet", file=sys.stderr)
        return ExitStatus.FAILED
    age = now - beat
    if age > limit:
        print(f"unhealthy: last poll cycle {age.total_seconds():.0f} s ago", file=sys.stderr)
        return ExitStatus.FAILED
    print(f"healthy: last poll cycle {age.total_seconds():.0f} s ago")
    return ExitStatus.OK
