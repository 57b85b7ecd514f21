"""diff() announces every charger transition exactly once, and only when it is real.

Pins down: a start is one SessionStarted; an end is a PendingEnd (announced later by finalize,
from /sessions' final figures or, after max_wait, the last polled ones); offline only after
`offline_grace` of continuous non-online status, back online only after an announced offline;
unknown statuses never crash; malformed chargers keep their state; vanished chargers are
forgotten silently; baseline() announces nothing; power is estimated from distinct readings.
A session is found in /sessions by its id, else (the ids may differ) by its charger and the
nearest start within two minutes, and one record is never taken for two sessions: a session
seen live is neither left waiting for an id that never comes nor announced twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.diff import (
    DiffResult,
    LiveSession,
    SeenSession,
    baseline,
    diff,
    finalize,
    is_online,
    match_records,
    missed_sessions,
)
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


def finalized(
    ended: Sequence[PendingEnd] | PendingEnd,
    sessions: Sequence[Session] | None,
    now: datetime,
    *,
    running: Sequence[LiveSession] = (),
) -> dict[str, SessionFinished]:
    """finalize() with the standard max_wait."""
    items = [ended] if isinstance(ended, PendingEnd) else list(ended)
    return finalize(items, sessions, now=now, max_wait=MAX_WAIT, running=running)


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_final_figures_come_from_the_matching_ended_sessions_record() -> None:
    other = record(id=NEXT_SESSION, kwh=99.0, ere_credits=33.0)

    finished = finalized(pending(), [other, record()], END_SEEN + minutes(1))

    assert finished == {
        SESSION: SessionFinished(
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
    }


@pytest.mark.parametrize("tag", ["", None])
def test_a_record_without_a_tag_keeps_the_tag_seen_while_charging(tag: str | None) -> None:
    finished = finalized(pending(), [record(id_tag=tag)], END_SEEN + minutes(1))

    assert finished[SESSION].id_tag == TAG


@pytest.mark.parametrize(
    ("case", "sessions"),
    [
        ("still active", [record(ended_at=None, status="active", ere_credits=None)]),
        ("missing", []),
        ("only other sessions", [record(id=NEXT_SESSION, started_at=at(T0 + minutes(90)))]),
        ("fetch failed", None),
    ],
)
def test_without_an_ended_record_finalize_waits_until_max_wait(
    case: str, sessions: list[Session] | None
) -> None:
    almost = END_SEEN + MAX_WAIT - timedelta(seconds=1)

    assert finalized(pending(), sessions, almost) == {}, case


@pytest.mark.parametrize(("case", "sessions"), [("missing", []), ("fetch failed", None)])
def test_after_max_wait_the_last_polled_figures_are_announced_as_not_final(
    case: str, sessions: list[Session] | None
) -> None:
    finished = finalized(pending(), sessions, END_SEEN + MAX_WAIT)

    assert finished == {
        SESSION: SessionFinished(
            charger_id=GARAGE,
            charger_name="Garage",
            session_id=SESSION,
            started_at=T0,
            ended_at=END_SEEN,
            kwh=12.3,
            ere_credits=None,
            id_tag=TAG,
            final=False,
        )
    }, case


def test_after_max_wait_an_active_record_gives_its_kwh_but_no_credits() -> None:
    active = record(ended_at=None, status="active", kwh=12.4, ere_credits=1.0)

    finished = finalized(pending(), [active], END_SEEN + MAX_WAIT)[SESSION]

    assert (finished.kwh, finished.ere_credits, finished.final) == (12.4, None, False)


@pytest.mark.parametrize("sessions", [[record()], []])
def test_an_end_seen_while_the_bot_was_away_stays_marked_as_such(
    sessions: list[Session],
) -> None:
    finished = finalized(pending(while_away=True), sessions, END_SEEN + MAX_WAIT)

    assert finished[SESSION].while_away is True


# --- finding a session in /sessions when its id there differs ---------------------------

HISTORY_ID = "9e8d7c6b-5a49-4382-b1a0-fedcba987654"


@pytest.mark.parametrize("offset", [minutes(-2), minutes(-0.5), minutes(0), minutes(2)])
def test_a_record_under_another_id_that_starts_within_two_minutes_gives_final_figures(
    offset: timedelta,
) -> None:
    joulo = record(id=HISTORY_ID, started_at=at(T0 + offset))

    finished = finalized(pending(), [joulo], END_SEEN + minutes(1))

    assert finished == {
        SESSION: SessionFinished(
            charger_id=GARAGE,
            charger_name="Garage",
            session_id=HISTORY_ID,  # the record's id: a catch-up reading it makes the same event
            started_at=T0 + offset,
            ended_at=datetime(2026, 4, 9, 10, 20, tzinfo=UTC),
            kwh=12.45,
            ere_credits=4.15,
            id_tag=TAG,
            final=True,
        )
    }


@pytest.mark.parametrize(
    ("case", "joulo"),
    [
        ("starts later", record(id=HISTORY_ID, started_at="2026-04-09T08:17:01Z")),
        ("starts earlier", record(id=HISTORY_ID, started_at="2026-04-09T08:12:59Z")),
        ("other charger", record(id=HISTORY_ID, charger_id=OPRIT)),
    ],
)
def test_a_record_under_another_id_on_another_charger_or_start_is_not_the_session(
    case: str, joulo: Session
) -> None:
    assert finalized(pending(), [joulo], END_SEEN + minutes(1)) == {}, case
    late = finalized(pending(), [joulo], END_SEEN + MAX_WAIT)
    assert (late[SESSION].kwh, late[SESSION].final) == (12.3, False), case


def test_a_record_with_the_sessions_own_id_wins_over_a_nearer_start() -> None:
    own = record(started_at=at(T0 + minutes(1.5)), kwh=12.45)
    nearer = record(id=HISTORY_ID, kwh=1.0)

    finished = finalized(pending(), [nearer, own], END_SEEN + minutes(1))

    assert (finished[SESSION].session_id, finished[SESSION].kwh) == (SESSION, 12.45)


def test_two_ends_close_together_each_get_the_nearest_record_and_never_the_same_one() -> None:
    first = pending()
    second = pending(session_id=NEXT_SESSION, started_at=T0 + minutes(1), last_kwh=0.5)
    near_second = record(id="rec-2", started_at=at(T0 + minutes(1.25)), kwh=0.6)
    near_first = record(id="rec-1", started_at=at(T0 + minutes(0.5)), kwh=12.45)

    both = finalized([first, second], [near_second, near_first], END_SEEN + minutes(1))
    assert {sid: event.session_id for sid, event in both.items()} == {
        SESSION: "rec-1",
        NEXT_SESSION: "rec-2",
    }

    only_one = finalized([first, second], [near_second], END_SEEN + minutes(1))
    assert {sid: event.session_id for sid, event in only_one.items()} == {NEXT_SESSION: "rec-2"}


def test_an_end_never_takes_the_record_of_a_session_still_running() -> None:
    running = LiveSession(charger_id=GARAGE, session_id=NEXT_SESSION, started_at=T0 + minutes(1))
    theirs = record(
        id=HISTORY_ID, started_at=at(T0 + minutes(1)), ended_at=None, kwh=3.0, ere_credits=None
    )

    finished = finalized(pending(), [theirs], END_SEEN + MAX_WAIT, running=[running])

    assert (finished[SESSION].kwh, finished[SESSION].final) == (12.3, False)


def test_records_are_matched_by_id_first_then_by_the_nearest_start_on_the_same_charger() -> None:
    seen = [
        LiveSession(charger_id=GARAGE, session_id="live-1", started_at=T0),
        LiveSession(charger_id=OPRIT, session_id="live-2", started_at=T0),
        LiveSession(charger_id=GARAGE, session_id="live-3", started_at=T0 + minutes(3)),
    ]
    records = [
        record(id="live-3", started_at=at(T0 + minutes(3))),
        record(id="rec-far", started_at=at(T0 + minutes(1.5))),
        record(id="rec-near", started_at=at(T0 + minutes(1)), charger_id=OPRIT),
        record(id="rec-a", started_at=at(T0 - minutes(1))),
    ]

    matched = match_records(seen, records)

    assert {sid: r.id for sid, r in matched.items()} == {
        "live-1": "rec-a",
        "live-2": "rec-near",
        "live-3": "live-3",
    }


# --- sessions missed while the bot was away ---------------------------------------------

AWAY_SINCE = T0 - minutes(5)


def missed(sessions: Sequence[Session], known: Sequence[SeenSession]) -> list[str]:
    """The ids of the records missed_sessions would announce."""
    events = missed_sessions(
        sessions,
        known=known,
        names={GARAGE: "Garage"},
        since=AWAY_SINCE,
        now=END_SEEN,
        max_age=timedelta(hours=24),
    )
    return [event.session_id for event in events]


def test_a_session_seen_live_is_not_missed_though_sessions_reports_it_under_another_id() -> None:
    joulo = record(id=HISTORY_ID, started_at=at(T0 + minutes(1)))
    elsewhere = record(id="rec-oprit", charger_id=OPRIT)

    assert missed([joulo, elsewhere], [pending()]) == ["rec-oprit"]
    assert sorted(missed([joulo, elsewhere], [])) == sorted(["rec-oprit", HISTORY_ID])


def test_a_short_unseen_session_just_before_a_seen_one_is_still_announced() -> None:
    # The poller knows a session seen live twice over: as a pending end and in the last state.
    ended = pending(started_at=T0 + minutes(1.5))
    last_state = LiveSession(charger_id=GARAGE, session_id=SESSION, started_at=T0 + minutes(1.5))
    short = record(id="rec-short", started_at=at(T0), ended_at=at(T0 + minutes(1)), kwh=0.1)
    theirs = record(id=HISTORY_ID, started_at=at(T0 + minutes(1.5)))

    assert missed([theirs, short], [ended, last_state]) == ["rec-short"]


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
