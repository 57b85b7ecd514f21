"""After a stretch away, a poll owes more than its diff: late marks, missed sessions, a day's cap.

These are the pure rules the poller applies; the poller-level stories are in test_downtime.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.catchup import MAX_CATCH_UP_AGE, away_since, mark_while_away, poll_news
from bot.core.diff import DiffResult
from bot.core.events import JouloRecovered, SessionFinished, SessionStarted
from bot.core.state import ChargerState, PendingEnd, SessionState
from bot.joulo.models import Session

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
BOOT = NOW - timedelta(minutes=1)


def _started(session_id: str, started_at: datetime) -> SessionStarted:
    return SessionStarted(
        charger_id="c1", charger_name="Garage", session_id=session_id, started_at=started_at
    )


def _pending(session_id: str) -> PendingEnd:
    return PendingEnd(
        charger_id="c1",
        charger_name="Garage",
        session_id=session_id,
        started_at=NOW - timedelta(hours=2),
        last_kwh=10.0,
        observed_end_at=NOW,
    )


def _finished(session_id: str, ended_at: datetime) -> SessionFinished:
    return SessionFinished(
        charger_id="c1",
        charger_name="Garage",
        session_id=session_id,
        started_at=ended_at - timedelta(hours=1),
        ended_at=ended_at,
        kwh=7.0,
    )


def _record(session_id: str, started_at: datetime, hours: float) -> Session:
    return Session(
        id=session_id,
        charger_id="c1",
        started_at=started_at,
        ended_at=started_at + timedelta(hours=hours),
        kwh=5.0,
    )


def test_a_poll_soon_after_the_last_one_is_not_a_catch_up() -> None:
    assert (
        away_since(
            last_success_at=NOW - timedelta(seconds=90),
            failing_since=None,
            bot_started_at=BOOT - timedelta(hours=1),
            now=NOW,
            poll_interval=60,
        )
        is None
    )


def test_the_first_poll_after_a_restart_reads_history_from_before_the_last_success() -> None:
    last = NOW - timedelta(hours=3)
    since = away_since(
        last_success_at=last, failing_since=None, bot_started_at=BOOT, now=NOW, poll_interval=60
    )
    assert since == last - timedelta(minutes=5)


def test_a_quiet_account_of_a_running_bot_is_not_caught_up() -> None:
    """No restart and no failures: a long gap means the account was simply not due."""
    last = NOW - timedelta(hours=3)
    since = away_since(
        last_success_at=last,
        failing_since=None,
        bot_started_at=last - timedelta(hours=1),
        now=NOW,
        poll_interval=60,
    )
    assert since is None


def test_the_first_success_after_failures_is_a_catch_up() -> None:
    last = NOW - timedelta(hours=1)
    since = away_since(
        last_success_at=last,
        failing_since=last + timedelta(minutes=1),
        bot_started_at=last - timedelta(hours=5),
        now=NOW,
        poll_interval=60,
    )
    assert since == last - timedelta(minutes=5)


def test_starts_seen_after_a_stretch_away_are_marked_and_day_old_ones_dropped() -> None:
    fresh = _started("s1", NOW - timedelta(hours=1))
    stale = _started("s2", NOW - timedelta(days=2))
    result = mark_while_away(
        DiffResult(states={}, events=[fresh, stale], ended=[_pending("s0")]), NOW
    )
    assert result.events == [fresh.model_copy(update={"while_away": True})]
    assert [p.while_away for p in result.ended] == [True]


def test_news_come_oldest_first_and_missed_sessions_are_told_once() -> None:
    seen = ChargerState(
        charger_id="c1",
        name="Garage",
        status="online",
        online=True,
        is_charging=True,
        session=SessionState(id="live", started_at=NOW - timedelta(hours=1), kwh=3.0),
        observed_at=NOW,
    )
    since = NOW - timedelta(hours=6)
    history = [
        _record("missed", NOW - timedelta(hours=5), 1),
        _record("live", NOW - timedelta(hours=1), 0.5),  # known: the bot saw it running
        _record("before", since - timedelta(hours=1), 0.5),  # started before the gap
    ]
    recovered = JouloRecovered(since=since, at=NOW)
    start = _started("new", NOW)
    ended = _finished("s0", NOW - timedelta(minutes=1))
    news = poll_news(
        result=DiffResult(
            states={"c1": seen}, events=[start], ended=[_pending("s0"), _pending("s9")]
        ),
        previous={},
        stored_pending=[],
        finished={"s0": ended},
        history=history,
        since=since,
        recovered=recovered,
        now=NOW,
    )
    assert [getattr(e, "session_id", e.kind) for e in news.events] == [
        "joulo_recovered",
        "missed",
        "s0",
        "new",
    ]
    assert news.resolved == {"s0"}
    assert [p.session_id for p in news.new_pending] == ["s9"]


def test_an_end_older_than_a_day_is_resolved_but_not_announced() -> None:
    old = _finished("s0", NOW - MAX_CATCH_UP_AGE - timedelta(minutes=1))
    news = poll_news(
        result=DiffResult(states={}, ended=[_pending("s0")]),
        previous={},
        stored_pending=[],
        finished={"s0": old},
        history=None,
        since=None,
        recovered=None,
        now=NOW,
    )
    assert news.events == []
    assert news.resolved == {"s0"}
    assert news.new_pending == []


def test_an_end_announced_under_the_id_sessions_gave_it_resolves_its_pending_end() -> None:
    finished = _finished("rec-s0", NOW - timedelta(minutes=1))  # /sessions' id for "s0"
    news = poll_news(
        result=DiffResult(states={}, ended=[_pending("s0"), _pending("s9")]),
        previous={},
        stored_pending=[],
        finished={"s0": finished},
        history=None,
        since=None,
        recovered=None,
        now=NOW,
    )
    assert [getattr(e, "session_id", None) for e in news.events] == ["rec-s0"]
    assert news.resolved == {"s0"}
    assert [p.session_id for p in news.new_pending] == ["s9"]


def test_a_session_seen_running_is_not_missed_under_the_other_id_sessions_gives_it() -> None:
    started = NOW - timedelta(hours=2)
    was_running = ChargerState(
        charger_id="c1",
        name="Garage",
        status="online",
        online=True,
        is_charging=True,
        session=SessionState(id="live", started_at=started, kwh=3.0),
        observed_at=NOW - timedelta(hours=1),
    )
    news = poll_news(
        result=DiffResult(states={}),
        previous={"c1": was_running},
        stored_pending=[],
        finished={},
        history=[_record("rec-live", started + timedelta(seconds=30), 1)],
        since=NOW - timedelta(hours=6),
        recovered=None,
        now=NOW,
    )
    assert news.events == []
