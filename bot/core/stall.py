"""Charging that seems to have stopped: a running session whose kWh has not grown for a while.

Pure, like `bot.core.diff`, and applied to its result. A session is reported once: the event's
key names only the charger and the session, so the store records it a single time however
many polls keep seeing the stall. A session whose energy grows again before the threshold is
never reported, because the last *distinct* reading (`SessionState.samples`) moves forward.

Only a reading made by this very poll counts: a charger that reports charging without its
session object keeps the old session and samples (`bot.core.diff`), and those stand still
because nobody read the meter, not because the car stopped drawing power.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.events import SessionStalled
from bot.core.state import ChargerState


def stalled_sessions(
    states: Mapping[str, ChargerState], *, now: datetime, after: timedelta
) -> list[SessionStalled]:
    """Sessions still running, read at `now`, whose last energy increase is `after` old."""
    found = []
    for state in states.values():
        session = state.session
        if session is None or not state.is_charging or not session.samples:
            continue
        if session.read_at != now:  # carried over (or kept unparsed): no fresh reading
            continue
        since = session.samples[-1].at
        if now - since < after:
            continue
        found.append(
            SessionStalled(
                charger_id=state.charger_id,
                charger_name=state.name,
                session_id=session.id,
                started_at=session.started_at,
                since=since,
                kwh=session.kwh,
                id_tag=session.id_tag,
            )
        )
    return sorted(found, key=lambda event: event.charger_id)
