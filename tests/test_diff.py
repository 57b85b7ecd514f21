"""diff() announces every charger transition exactly once, and only when it is real.

Pins down: a start is one SessionStarted; an end is a PendingEnd (announced later by finalize,
from /sessions' final figures or, after max_wait, the last polled ones); offline only after
`offline_grace` of continuous non-online status, back online only after an announced offline;
unknown statuses never crash; malformed chargers keep their state; vanished chargers are
forgotten silently; baseline() announces nothing; power is estimated from distinct readings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.diff import DiffResult, baseline, diff, finalize, is_online
from bot.core.events import (
    ChargerOffline,
    ChargerOnline,
    Event,
    SessionFinished,
    SessionStarted,
)
from bot.core.state import ChargerState, PendingEnd, Sample, SessionState, estimate_power_kw
from bot.joulo.models import Charger, Session


@pytest.fixture(autouse=True)
def _no_dotenv() -> None:
    """Overrides conftest's per-test env scrub and chdir: this pure code reads no settings."""


T0 = datetime(2026, 4, 9, 8, 15, tzinfo=UTC)
GRACE = timedelta(minutes=5)
MAX_WAIT = timedelta(minutes=30)

GARAGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
OPRIT = "b2c3d4e5-f6a7-8901-bcde-f12345678901"
SESSION = "f0e1d2c3-b4a5-6789-0abc-def123456789"
NEXT_SESSION = "0a1b2c3d-4e5f-6789-abcd-0123456789ab"
TAG = "04A3B2C1"


def charger(
    *,
    charger_id: str = GARAGE,
    nickname: str = "Garage",
    status: str | None = "online",
    charging: bool = False,
    session_id: str = SESSION,
    started_at: str = "2026-04-09T08:15:00Z",
    kwh: float = 0.0,
    tag: str | None = TAG,
) -> Charger:
    """A charger as `/chargers` would send it."""
    body: dict[str, Any] = {
        "id": charger_id,
        "nickname": nickname,
        "connection_type": "easee",
        "status": status,
        "mid_certified": True,
        "is_charging": charging,
    }
    if charging:
        body["current_session"] = {
            "id": session_id,
            "started_at": started_at,
            "kwh_so_far": kwh,
            "id_tag": tag,
        }
    return Charger.model_validate(body)


def poll(
    previous: Mapping[str, ChargerState],
    current: Sequence[Charger],
    at: datetime,
    *,
    keep: Sequence[str] = (),
) -> DiffResult:
    """One poll with the standard grace period."""
    return diff(previous, current, now=at, offline_grace=GRACE, keep=keep)


def polls(
    start: Mapping[str, ChargerState], steps: Sequence[tuple[datetime, Sequence[Charger]]]
) -> tuple[dict[str, ChargerState], list[Event]]:
    """Feed several polls in order; return the final state and every event, in order."""
    states = dict(start)
    events: list[Event] = []
    for at, current in steps:
        result = poll(states, current, at)
        states = result.states
        events.extend(result.events)
    return states, events


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# --- sessions ---------------------------------------------------------------------------


def test_a_session_start_is_announced_once_with_nickname_start_time_and_tag() -> None:
    idle = baseline([charger()], T0 - minutes(1))

    result = poll(idle, [charger(charging=True, kwh=0.1)], T0 + minutes(1))

    assert result.events == [
        SessionStarted(
            charger_id=GARAGE,
            charger_name="Garage",
            session_id=SESSION,
            started_at=T0,
            id_tag=TAG,
        )
    ]
    assert result.ended == []


def test_seeing_the_same_session_again_announces_nothing_and_tracks_its_kwh() -> None:
    idle = baseline([charger()], T0 - minutes(1))
    first = poll(idle, [charger(charging=True, kwh=0.1)], T0 + minutes(1))

    second = poll(first.states, [charger(charging=True, kwh=0.3)], T0 + minutes(2))
    third = poll(second.states, [charger(charging=True, kwh=0.3)], T0 + minutes(3))

    assert (second.events, second.ended) == ([], [])
    assert (third.events, third.ended) == ([], [])
    session = third.states[GARAGE].session
    assert session is not None
    assert session.kwh == 0.3


def test_a_session_that_stops_gives_a_pending_end_with_the_last_kwh_not_an_event() -> None:
    charging = baseline([charger(charging=True, kwh=12.45)], T0 + minutes(120))
    end_seen = T0 + minutes(126)

    result = poll(charging, [charger()], end_seen)

    assert result.events == []
    assert result.ended == [
        PendingEnd(
            charger_id=GARAGE,
            charger_name="Garage",
            session_id=SESSION,
            started_at=T0,
            last_kwh=12.45,
            id_tag=TAG,
            observed_end_at=end_seen,
        )
    ]
    assert result.states[GARAGE].session is None
    assert result.states[GARAGE].is_charging is False


def test_a_session_replaced_by_a_new_id_in_one_poll_is_ended_and_started() -> None:
    charging = baseline([charger(charging=True, kwh=8.0)], T0 + minutes(60))
    at = T0 + minutes(70)
    replacement = charger(
        charging=True, session_id=NEXT_SESSION, started_at="2026-04-09T09:20:00Z", tag=None
    )

    result = poll(charging, [replacement], at)

    assert [(p.session_id, p.last_kwh) for p in result.ended] == [(SESSION, 8.0)]
    assert result.events == [
        SessionStarted(
            charger_id=GARAGE,
            charger_name="Garage",
            session_id=NEXT_SESSION,
            started_at=datetime(2026, 4, 9, 9, 20, tzinfo=UTC),
            id_tag=None,
        )
    ]


def test_is_charging_false_ends_the_session_even_if_a_current_session_is_still_sent() -> None:
    charging = baseline([charger(charging=True, kwh=5.0)], T0 + minutes(30))
    stale = Charger.model_validate(
        {
            "id": GARAGE,
            "nickname": "Garage",
            "status": "online",
            "is_charging": False,
            "current_session": {"id": SESSION, "started_at": "2026-04-09T08:15:00Z"},
        }
    )

    result = poll(charging, [stale], T0 + minutes(31))

    assert [p.session_id for p in result.ended] == [SESSION]
    assert result.events == []


def test_a_new_charger_that_appears_while_charging_is_announced_as_started() -> None:
    known = baseline([charger(charger_id=OPRIT, nickname="Oprit")], T0)

    result = poll(
        known,
        [charger(charger_id=OPRIT, nickname="Oprit"), charger(charging=True, kwh=1.0)],
        T0 + minutes(1),
    )

    assert result.events == [
        SessionStarted(
            charger_id=GARAGE,
            charger_name="Garage",
            session_id=SESSION,
            started_at=T0,
            id_tag=TAG,
        )
    ]
    assert set(result.states) == {GARAGE, OPRIT}


def test_a_charger_that_disappears_is_forgotten_silently() -> None:
    known = baseline(
        [charger(charging=True, kwh=3.0), charger(charger_id=OPRIT, nickname="Oprit")], T0
    )

    result = poll(known, [charger(charger_id=OPRIT, nickname="Oprit")], T0 + minutes(1))

    assert set(result.states) == {OPRIT}
    assert result.events == []
    assert result.ended == []


def test_keep_carries_over_the_previous_state_of_a_malformed_charger() -> None:
    known = baseline(
        [charger(charging=True, kwh=3.0), charger(charger_id=OPRIT, nickname="Oprit")], T0
    )

    # Garage's entry could not be parsed this time: it is absent from `current`.
    result = poll(
        known,
        [charger(charger_id=OPRIT, nickname="Oprit")],
        T0 + minutes(1),
        keep=[GARAGE, "never-seen-before"],
    )

    assert result.states[GARAGE] == known[GARAGE]
    assert "never-seen-before" not in result.states
    assert result.events == []
    assert result.ended == []


# --- offline / online -------------------------------------------------------------------


def test_a_charger_offline_for_exactly_the_grace_period_is_announced() -> None:
    online = baseline([charger()], T0)
    went = T0 + minutes(1)

    _, events = polls(
        online, [(went, [charger(status="offline")]), (went + GRACE, [charger(status="offline")])]
    )

    assert events == [
        ChargerOffline(charger_id=GARAGE, charger_name="Garage", status="offline", since=went)
    ]


def test_a_charger_offline_one_second_short_of_the_grace_period_says_nothing() -> None:
    online = baseline([charger()], T0)
    went = T0 + minutes(1)
    almost = went + GRACE - timedelta(seconds=1)

    states, events = polls(
        online, [(went, [charger(status="offline")]), (almost, [charger(status="offline")])]
    )

    assert events == []
    assert states[GARAGE].offline_since == went
    assert states[GARAGE].offline_announced is False


def test_an_offline_charger_is_announced_only_once() -> None:
    online = baseline([charger()], T0)
    went = T0 + minutes(1)
    steps = [(went + minutes(n), [charger(status="offline")]) for n in range(0, 60, 1)]

    _, events = polls(online, steps)

    assert len(events) == 1
    assert isinstance(events[0], ChargerOffline)


def test_a_blip_shorter_than_the_grace_period_says_nothing_and_restarts_the_clock() -> None:
    online = baseline([charger()], T0)
    blip = T0 + minutes(1)
    back = blip + minutes(4)
    again = back + minutes(1)

    states, events = polls(
        online,
        [
            (blip, [charger(status="offline")]),
            (back, [charger()]),
            (again, [charger(status="offline")]),
            # Grace would have run out here if the clock had kept counting from the blip.
            (blip + GRACE + minutes(1), [charger(status="offline")]),
        ],
    )

    assert events == []
    assert states[GARAGE].offline_since == again


def test_back_online_after_an_announced_offline_says_when_it_went_and_came_back() -> None:
    online = baseline([charger()], T0)
    went = T0 + minutes(1)
    back = went + minutes(90)

    states, events = polls(
        online,
        [
            (went, [charger(status="offline")]),
            (went + GRACE, [charger(status="offline")]),
            (back, [charger()]),
            (back + minutes(1), [charger()]),
        ],
    )

    assert events[1:] == [
        ChargerOnline(charger_id=GARAGE, charger_name="Garage", offline_since=went, back_at=back)
    ]
    assert states[GARAGE].offline_since is None
    assert states[GARAGE].offline_announced is False


@pytest.mark.parametrize("status", ["weird", "unavailable", "unknown", "offline", "", None])
def test_unknown_statuses_count_as_not_online_and_never_crash(status: str | None) -> None:
    odd = charger(status=status)
    online = baseline([charger()], T0)

    _, events = polls(online, [(T0 + minutes(1), [odd]), (T0 + minutes(1) + GRACE, [odd])])

    assert is_online(odd) is False
    assert events == [
        ChargerOffline(
            charger_id=GARAGE,
            charger_name="Garage",
            status=odd.status,
            since=T0 + minutes(1),
        )
    ]


@pytest.mark.parametrize("status", ["online", "Online", "charging", "active", "available"])
def test_statuses_that_mean_reachable_count_as_online(status: str) -> None:
    assert is_online(charger(status=status)) is True


def test_a_charging_charger_counts_as_online_whatever_its_status_says() -> None:
    busy = charger(status="offline", charging=True, kwh=1.0)
    charging = baseline([busy], T0)

    states, events = polls(charging, [(T0 + GRACE * 3, [busy])])

    assert is_online(busy) is True
    assert events == []
    assert states[GARAGE].offline_since is None


def test_a_new_charger_that_appears_offline_is_announced_only_after_the_grace_period() -> None:
    gone = charger(charger_id=OPRIT, nickname="Oprit", status="offline")

    _, early = polls({}, [(T0, [gone]), (T0 + GRACE - timedelta(seconds=1), [gone])])
    _, late = polls({}, [(T0, [gone]), (T0 + GRACE, [gone])])

    assert early == []
    assert late == [
        ChargerOffline(charger_id=OPRIT, charger_name="Oprit", status="offline", since=T0)
    ]


# --- baseline ---------------------------------------------------------------------------


def test_baseline_announces_nothing_but_remembers_sessions_and_offline_chargers() -> None:
    states = baseline(
        [
            charger(charging=True, kwh=4.2),
            charger(charger_id=OPRIT, nickname="Oprit", status="offline"),
        ],
        T0,
    )

    garage, oprit = states[GARAGE], states[OPRIT]
    assert garage.session is not None
    assert (garage.session.id, garage.session.kwh, garage.offline_since) == (SESSION, 4.2, None)
    assert (oprit.online, oprit.offline_since, oprit.offline_announced) == (False, T0, False)


def test_after_baseline_a_running_session_is_not_announced_but_an_offline_charger_is() -> None:
    now = [
        charger(charging=True, kwh=4.2),
        charger(charger_id=OPRIT, nickname="Oprit", status="offline"),
    ]

    _, events = polls(baseline(now, T0), [(T0 + GRACE, now)])

    assert events == [
        ChargerOffline(charger_id=OPRIT, charger_name="Oprit", status="offline", since=T0)
    ]


# --- finalize ---------------------------------------------------------------------------

END_SEEN = T0 + minutes(126)


def pending(**changes: Any) -> PendingEnd:
    values: dict[str, Any] = {
        "charger_id": GARAGE,
        "charger_name": "Garage",
        "session_id": SESSION,
        "started_at": T0,
        "last_kwh": 12.3,
        "id_tag": TAG,
        "observed_end_at": END_SEEN,
    }
    values.update(changes)
    return PendingEnd(**values)


def record(**changes: Any) -> Session:
    """A `/sessions` entry as the API would send it."""
    body: dict[str, Any] = {
        "id": SESSION,
        "charger_id": GARAGE,
        "charger_nickname": "Garage",
        "started_at": "2026-04-09T08:15:00Z",
        "ended_at": "2026-04-09T10:20:00Z",
        "kwh": 12.45,
        "status": "completed",
        "ere_credits": 4.15,
        "id_tag": TAG,
    }
    body.update(changes)
    return Session.model_validate(body)


def test_final_figures_come_from_the_matching_ended_sessions_record() -> None:
    other = record(id=NEXT_SESSION, kwh=99.0, ere_credits=33.0)

    finished = finalize(pending(), [other, record()], now=END_SEEN + minutes(1), max_wait=MAX_WAIT)

    assert finished == SessionFinished(
        charger_id=GARAGE,
        charger_name="Garage",
        session_id=SESSION,
        started_at=T0,
        ended_at=datetime(2026, 4, 9, 10, 20, tzinfo=UTC),
        kwh=12.45,
        ere_credits=4.15,
        id_tag=TAG,
        final=True,
    )


@pytest.mark.parametrize("tag", ["", None])
def test_a_record_without_a_tag_keeps_the_tag_seen_while_charging(tag: str | None) -> None:
    finished = finalize(
        pending(), [record(id_tag=tag)], now=END_SEEN + minutes(1), max_wait=MAX_WAIT
    )

    assert finished is not None
    assert finished.id_tag == TAG


@pytest.mark.parametrize(
    ("case", "sessions"),
    [
        ("still active", [record(ended_at=None, status="active", ere_credits=None)]),
        ("missing", []),
        ("only other sessions", [record(id=NEXT_SESSION)]),
        ("fetch failed", None),
    ],
)
def test_without_an_ended_record_finalize_waits_until_max_wait(
    case: str, sessions: list[Session] | None
) -> None:
    almost = END_SEEN + MAX_WAIT - timedelta(seconds=1)

    assert finalize(pending(), sessions, now=almost, max_wait=MAX_WAIT) is None, case


@pytest.mark.parametrize(("case", "sessions"), [("missing", []), ("fetch failed", None)])
def test_after_max_wait_the_last_polled_figures_are_announced_as_not_final(
    case: str, sessions: list[Session] | None
) -> None:
    finished = finalize(pending(), sessions, now=END_SEEN + MAX_WAIT, max_wait=MAX_WAIT)

    assert finished == SessionFinished(
        charger_id=GARAGE,
        charger_name="Garage",
        session_id=SESSION,
        started_at=T0,
        ended_at=END_SEEN,
        kwh=12.3,
        ere_credits=None,
        id_tag=TAG,
        final=False,
    ), case


def test_after_max_wait_an_active_record_gives_its_kwh_but_no_credits() -> None:
    active = record(ended_at=None, status="active", kwh=12.4, ere_credits=1.0)

    finished = finalize(pending(), [active], now=END_SEEN + MAX_WAIT, max_wait=MAX_WAIT)

    assert finished is not None
    assert (finished.kwh, finished.ere_credits, finished.final) == (12.4, None, False)


@pytest.mark.parametrize("sessions", [[record()], []])
def test_an_end_seen_while_the_bot_was_away_stays_marked_as_such(
    sessions: list[Session],
) -> None:
    finished = finalize(
        pending(while_away=True), sessions, now=END_SEEN + MAX_WAIT, max_wait=MAX_WAIT
    )

    assert finished is not None
    assert finished.while_away is True


# --- power estimate ---------------------------------------------------------------------


def test_power_comes_from_the_last_two_distinct_readings() -> None:
    started = "2026-04-09T07:15:00Z"  # an hour before T0: the average would be far lower
    states, _ = polls(
        baseline([charger(charging=True, started_at=started, kwh=1.0)], T0),
        [
            (T0 + minutes(1), [charger(charging=True, started_at=started, kwh=1.0)]),
            (T0 + minutes(2), [charger(charging=True, started_at=started, kwh=1.2)]),
        ],
    )
    session = states[GARAGE].session
    assert session is not None

    # 0.2 kWh over the 2 minutes since the last *different* reading, not the last 1 minute.
    assert session.samples == (
        Sample(at=T0, kwh=1.0),
        Sample(at=T0 + minutes(2), kwh=1.2),
    )
    assert estimate_power_kw(session, T0 + minutes(2)) == pytest.approx(6.0)


def test_with_a_single_reading_power_is_the_session_average() -> None:
    session = SessionState(
        id=SESSION, started_at=T0, kwh=5.5, samples=(Sample(at=T0 + minutes(30), kwh=5.5),)
    )

    assert estimate_power_kw(session, T0 + minutes(30)) == pytest.approx(11.0)


def test_a_meter_that_went_backwards_falls_back_to_the_session_average() -> None:
    session = SessionState(
        id=SESSION,
        started_at=T0,
        kwh=4.0,
        samples=(Sample(at=T0 + minutes(20), kwh=5.0), Sample(at=T0 + minutes(30), kwh=4.0)),
    )

    assert estimate_power_kw(session, T0 + minutes(30)) == pytest.approx(8.0)


@pytest.mark.parametrize("now", [T0, T0 - minutes(1)])
def test_power_is_unknown_when_no_time_has_passed(now: datetime) -> None:
    session = SessionState(id=SESSION, started_at=T0, kwh=0.0, samples=(Sample(at=T0, kwh=0.0),))

    assert estimate_power_kw(session, now) is None
