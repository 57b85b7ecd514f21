"""The pure heart of the bot: two snapshots in, new state and events out. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol

from bot.core.events import (
    ChargerOffline,
    ChargerOnline,
    Event,
    SessionFinished,
    SessionStarted,
)
from bot.core.state import ChargerState, PendingEnd, Sample, SessionState
from bot.joulo.models import Charger, Session

#: Statuses that mean the charger is reachable. Anything else (offline, unavailable, unknown,
#: values Joulo may add later) counts as "not online" for the offline alert.
ONLINE_STATUSES = frozenset({"online", "charging", "active", "available"})
#: A `/sessions` record on the same charger that starts at most this far from a session seen
#: live is that session, when no record has its id: no public source says Joulo gives a
#: session the same id on `/chargers` and on `/sessions` (joulo-api.md).
SAME_START: Final = timedelta(minutes=2)


@dataclass(frozen=True)
class DiffResult:
    """The outcome of comparing two snapshots."""

    states: dict[str, ChargerState]
    events: list[Event] = field(default_factory=list)
    ended: list[PendingEnd] = field(default_factory=list)


def is_online(charger: Charger) -> bool:
    """Whether the charger counts as reachable."""
    return charger.is_charging or charger.status in ONLINE_STATUSES


def _next_samples(previous: SessionState | None, kwh: float, at: datetime) -> tuple[Sample, ...]:
    """Keep the last two *distinct* readings so a meter that updates slowly gives no zero power."""
    if previous is None or not previous.samples:
        return (Sample(at=at, kwh=kwh),)
    last = previous.samples[-1]
    if kwh == last.kwh:
        return previous.samples
    return (last, Sample(at=at, kwh=kwh))


def _session(charger: Charger, before: ChargerState | None, now: datetime) -> SessionState | None:
    """The charger's running session as the bot remembers it after this poll, if any."""
    live = charger.current_session if charger.is_charging else None
    if live is None:
        # charging, but the session object is missing this time: the one seen before stands
        return before.session if charger.is_charging and before is not None else None
    same = before is not None and before.session is not None and before.session.id == live.id
    previous_session = before.session if same and before is not None else None
    return SessionState(
        id=live.id,
        started_at=live.started_at,
        kwh=live.kwh_so_far,
        id_tag=live.id_tag,
        samples=_next_samples(previous_session, live.kwh_so_far, now),
        read_at=now,
    )


def baseline(current: Iterable[Charger], now: datetime) -> dict[str, ChargerState]:
    """The state recorded at the first poll of an account: nothing is announced."""
    states = {}
    for charger in current:
        online = is_online(charger)
        states[charger.id] = ChargerState(
            charger_id=charger.id,
            name=charger.name,
            status=charger.status,
            online=online,
            is_charging=charger.is_charging,
            session=_session(charger, None, now),
            observed_at=now,
            offline_since=None if online else now,
        )
    return states


def diff(
    previous: Mapping[str, ChargerState],
    current: Sequence[Charger],
    *,
    now: datetime,
    offline_grace: timedelta,
    keep: Iterable[str] = (),
) -> DiffResult:
    """Compare the remembered chargers with a fresh `/chargers` answer.

    `keep` names chargers whose entry could not be parsed this time: their previous state is
    carried over untouched. Chargers that disappeared from the account are forgotten silently.
    Sessions that ended are returned in `ended`; their announcement waits for final figures.
    """
    states: dict[str, ChargerState] = {}
    events: list[Event] = []
    ended: list[PendingEnd] = []
    for charger_id in keep:
        if charger_id in previous:
            states[charger_id] = previous[charger_id]

    for charger in current:
        before = previous.get(charger.id)
        session = _session(charger, before, now)
        name = charger.name
        online = is_online(charger)

        # Sessions: an id that disappears has ended; a new id has started.
        old_session = before.session if before is not None else None
        if old_session is not None and (session is None or session.id != old_session.id):
            ended.append(
                PendingEnd(
                    charger_id=charger.id,
                    charger_name=name,
                    session_id=old_session.id,
                    started_at=old_session.started_at,
                    last_kwh=old_session.kwh,
                    id_tag=old_session.id_tag,
                    observed_end_at=now,
                )
            )
        if session is not None and (old_session is None or old_session.id != session.id):
            events.append(
                SessionStarted(
                    charger_id=charger.id,
                    charger_name=name,
                    session_id=session.id,
                    started_at=session.started_at,
                    id_tag=session.id_tag,
                )
            )

        # Offline: only after the grace period, once; back online only if offline was announced.
        offline_since = before.offline_since if before is not None else None
        announced = before.offline_announced if before is not None else False
        if online:
            if announced and offline_since is not None:
                events.append(
                    ChargerOnline(
                        charger_id=charger.id,
                        charger_name=name,
                        offline_since=offline_since,
                        back_at=now,
                    )
                )
            offline_since, announced = None, False
        else:
            offline_since = offline_since or now
            if not announced and now - offline_since >= offline_grace:
                events.append(
                    ChargerOffline(
                        charger_id=charger.id,
                        charger_name=name,
                        status=charger.status,
                        since=offline_since,
                    )
                )
                announced = True
        states[charger.id] = ChargerState(
            charger_id=charger.id,
            name=name,
            status=charger.status,
            online=online,
            is_charging=charger.is_charging,
            session=session,
            observed_at=now,
            offline_since=offline_since,
            offline_announced=announced,
        )
    return DiffResult(states=states, events=events, ended=ended)


def _final(
    record: Session, ended_at: datetime, *, name: str, id_tag: str | None, while_away: bool
) -> SessionFinished:
    """The announcement of a session `/sessions` reports as ended, with Joulo's figures."""
    return SessionFinished(
        charger_id=record.charger_id,
        charger_name=name,
        session_id=record.id,
        started_at=record.started_at,
        ended_at=ended_at,
        kwh=record.kwh,
        ere_credits=record.ere_credits,
        id_tag=id_tag,
        final=True,
        while_away=while_away,
    )


class SeenSession(Protocol):
    """A session the bot saw on `/chargers`: what it takes to find it again in `/sessions`."""

    @property
    def charger_id(self) -> str:
        """The charger it ran on."""

    @property
    def session_id(self) -> str:
        """Its `current_session.id`."""

    @property
    def started_at(self) -> datetime:
        """When `/chargers` said it started."""


@dataclass(frozen=True)
class LiveSession:
    """A session a remembered charger state shows running."""

    charger_id: str
    session_id: str
    started_at: datetime


def live_sessions(states: Mapping[str, ChargerState]) -> list[LiveSession]:
    """The running sessions in remembered charger states."""
    return [
        LiveSession(charger_id=cid, session_id=s.session.id, started_at=s.session.started_at)
        for cid, s in states.items()
        if s.session is not None
    ]


def match_records(seen: Iterable[SeenSession], records: Iterable[Session]) -> dict[str, Session]:
    """Find the `/sessions` record of each seen session, keyed by the seen `session_id`.

    A record with the seen id is that session. Failing that, a record on the same charger that
    starts within `SAME_START` is: the nearest starts are paired first. A record belongs to one
    seen session at most, so a session that has a record of its own never lends it to another.
    """
    unique: dict[str, SeenSession] = {}
    for item in seen:
        unique.setdefault(item.session_id, item)
    items = list(unique.values())
    pool = list(records)
    by_id = {record.id: record for record in pool}
    found = {sid: by_id[sid] for sid in unique if sid in by_id}
    taken = set(found)
    candidates = sorted(
        (abs(record.started_at - item.started_at), n, m)
        for n, item in enumerate(items)
        if item.session_id not in found
        for m, record in enumerate(pool)
        if record.id not in taken
        and record.charger_id == item.charger_id
        and abs(record.started_at - item.started_at) <= SAME_START
    )
    for _, n, m in candidates:
        item, record = items[n], pool[m]
        if item.session_id in found or record.id in taken:
            continue
        found[item.session_id] = record
        taken.add(record.id)
    return found


def finalize(
    pending: Sequence[PendingEnd],
    sessions: Sequence[Session] | None,
    *,
    now: datetime,
    max_wait: timedelta,
    running: Iterable[SeenSession] = (),
) -> dict[str, SessionFinished]:
    """Announce the ended sessions whose final figures `/sessions` has, by pending `session_id`.

    `sessions` is None when they could not be fetched. A pending end missing from the answer
    is tried again later; after `max_wait` its last polled figures are announced instead
    (marked as not final). Records are found by `match_records`; the `running` sessions take
    part so that an end never borrows a running session's record. A final announcement carries
    the record's id, so a later catch-up that reads the same record makes the same event.
    """
    records = match_records([*pending, *running], sessions or ())
    finished = {}
    for item in pending:
        event = _finalize_one(item, records.get(item.session_id), now=now, max_wait=max_wait)
        if event is not None:
            finished[item.session_id] = event
    return finished


def _finalize_one(
    pending: PendingEnd, record: Session | None, *, now: datetime, max_wait: timedelta
) -> SessionFinished | None:
    """One ended session's announcement from its record, or None to wait for one."""
    if record is not None and record.ended_at is not None:
        return _final(
            record,
            record.ended_at,
            name=pending.charger_name,
            id_tag=record.id_tag or pending.id_tag,
            while_away=pending.while_away,
        )
    if now - pending.observed_end_at < max_wait:
        return None
    return SessionFinished(
        charger_id=pending.charger_id,
        charger_name=pending.charger_name,
        session_id=pending.session_id,
        started_at=pending.started_at,
        ended_at=pending.observed_end_at,
        kwh=record.kwh if record is not None else pending.last_kwh,
        ere_credits=None,
        id_tag=pending.id_tag,
        final=False,
        while_away=pending.while_away,
    )


def missed_sessions(
    sessions: Sequence[Session],
    *,
    known: Iterable[SeenSession],
    names: Mapping[str, str],
    since: datetime,
    now: datetime,
    max_age: timedelta,
) -> list[SessionFinished]:
    """Sessions that started and ended while nobody was watching, oldest first.

    `known` holds the sessions the bot already saw (found by `match_records`); `since` is the
    last successful poll. Sessions that ended longer than `max_age` ago are not worth announcing.
    """
    seen = {record.id for record in match_records(known, sessions).values()}
    found = []
    for session in sessions:
        if session.id in seen or session.ended_at is None:
            continue
        if session.started_at < since or session.ended_at < now - max_age:
            continue
        name = names.get(session.charger_id) or session.charger_nickname or session.charger_id
        found.append(
            _final(session, session.ended_at, name=name, id_tag=session.id_tag, while_away=True)
        )
    return sorted(found, key=lambda event: event.ended_at)
