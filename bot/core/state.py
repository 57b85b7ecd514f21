"""What the bot remembers about a charger between polls. Plain immutable values, stored as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

#: A session whose energy reading has not changed for this long is drawing no power.
STALE_READING = timedelta(minutes=10)
#: Below this a power figure means little (4.5 kWh in one minute would read "270 kW"): no
#: estimate for a session running shorter, and no average for a session that lasted shorter.
MIN_POWER_WINDOW = timedelta(minutes=5)
#: What a home charger can reach (three phases, 32 A). A figure above it is a reading artefact
#: (a meter catching up), so it is left out rather than shown or clamped.
MAX_HOME_POWER_KW = 22.0


def plausible_power(kw: float) -> float | None:
    """`kw` when a home charger can draw it, else None (not clamped: it would still be wrong)."""
    return kw if 0.0 <= kw <= MAX_HOME_POWER_KW else None


class Value(BaseModel):
    """Base of the bot's immutable value objects."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Sample(Value):
    """A cumulative energy reading (kWh) at a moment."""

    at: datetime
    kwh: float


class SessionState(Value):
    """A charging session we have seen running."""

    id: str
    started_at: datetime
    kwh: float
    id_tag: str | None = None
    #: The last two distinct energy readings, oldest first, for the power estimate.
    samples: tuple[Sample, ...] = ()
    #: The poll whose `/chargers` last showed this session object (its kWh reading). Older than
    #: the charger's `observed_at` while the session is carried over without one; None in
    #: states stored before it was kept.
    read_at: datetime | None = None


class ChargerState(Value):
    """Everything the bot remembers about one charger between polls."""

    charger_id: str
    name: str
    status: str
    online: bool
    is_charging: bool
    session: SessionState | None = None
    observed_at: datetime
    #: When the charger was first seen not online in the current episode, else None.
    offline_since: datetime | None = None
    offline_announced: bool = False


def changed_only_in_time(old: Mapping[str, ChargerState], new: Mapping[str, ChargerState]) -> bool:
    """Whether `new` differs from `old` only in when it was observed.

    A charger with a running session never counts as unchanged: its `observed_at` feeds the
    power estimate (a meter that stopped moving means 0 kW).
    """
    if old.keys() != new.keys():
        return False
    for charger_id, state in new.items():
        before = old[charger_id]
        if state.session is not None or before.session is not None:
            return False
        if {**vars(state), "observed_at": None} != {**vars(before), "observed_at": None}:
            return False
    return True


class PendingEnd(Value):
    """A session that stopped; its final figures still have to be read from `/sessions`."""

    charger_id: str
    charger_name: str
    session_id: str
    started_at: datetime
    last_kwh: float
    id_tag: str | None = None
    observed_end_at: datetime
    while_away: bool = False


def estimate_power_kw(session: SessionState, now: datetime) -> float | None:
    """Current charging power from the last two readings, else the session's average.

    None (no estimate) while the session has run shorter than `MIN_POWER_WINDOW`, and when
    the figure is more than a home charger can reach.
    """
    if now - session.started_at < MIN_POWER_WINDOW:
        return None
    if session.samples and now - session.samples[-1].at > STALE_READING:
        return 0.0  # the energy has not moved for a while: the car is full or paused
    if len(session.samples) >= 2:
        older, newer = session.samples[-2], session.samples[-1]
        hours = (newer.at - older.at).total_seconds() / 3600
        if hours > 0 and newer.kwh >= older.kwh:
            return plausible_power((newer.kwh - older.kwh) / hours)
    hours = (now - session.started_at).total_seconds() / 3600
    return plausible_power(session.kwh / hours)
