"""Each chat decides what it hears: the pure rule and what people type to change it.

Pins down: a muted chat gets nothing; a switched-off topic and a muted charger are dropped;
account trouble cannot be switched off; quiet hours (crossing midnight, in local time) make a
message silent and nothing else; the digest is on by default in private and opt-in in groups;
`/quiet` and `/mute` arguments parse strictly; a stalled session is found only once its energy
has stood still long enough, and only from a reading this very poll made (never from samples
carried over while `/chargers` showed no session object); the digest is due on the 1st from
09:00 local time that day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.diff import diff
from bot.core.digest import build_digest, digest_due
from bot.core.events import (
    ChargerOffline,
    Event,
    JouloUnreachable,
    MonthlyDigest,
    SessionStarted,
)
from bot.core.policy import (
    DEFAULT_MUTE,
    ChatSettings,
    Decision,
    QuietHours,
    decide,
    parse_clock,
    parse_mute,
    parse_quiet,
)
from bot.core.stall import stalled_sessions
from bot.core.state import ChargerState, Sample, SessionState
from bot.joulo.models import Charger, CurrentSession, Energy, MonthEnergy


@pytest.fixture(autouse=True)
def _no_dotenv() -> None:
    """Overrides conftest's per-test env scrub and chdir: this pure code reads no settings."""


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: 21:30 UTC in April is 23:30 in Amsterdam.
LATE_EVENING = datetime(2026, 4, 9, 21, 30, tzinfo=UTC)
#: 10:00 UTC is 12:00 in Amsterdam.
MIDDAY = datetime(2026, 4, 9, 10, 0, tzinfo=UTC)
NIGHT = QuietHours(start=time(22, 0), end=time(7, 0))

START = SessionStarted(
    charger_id="garage", charger_name="Garage", session_id="s1", started_at=MIDDAY
)
OFFLINE = ChargerOffline(charger_id="garage", charger_name="Garage", status="offline", since=MIDDAY)
TROUBLE = JouloUnreachable(since=MIDDAY)
DIGEST = MonthlyDigest(
    month="2026-03",
    previous_month="2026-02",
    kwh=1,
    sessions=1,
    credits=0,
    previous_kwh=0,
    previous_sessions=0,
    previous_credits=0,
)


def _decide(
    event: Event, settings: ChatSettings, now: datetime = MIDDAY, *, private: bool = False
) -> Decision:
    return decide(event, settings, private=private, now=now, tz=AMSTERDAM)


def test_by_default_everything_is_sent_with_a_sound() -> None:
    assert _decide(START, ChatSettings()).action == "send"
    assert _decide(TROUBLE, ChatSettings(), private=True).action == "send"


def test_a_muted_chat_gets_nothing_until_the_mute_ends() -> None:
    muted = ChatSettings(muted_until=MIDDAY + timedelta(minutes=30))

    assert _decide(START, muted).action == "drop"
    assert _decide(TROUBLE, muted, private=True).action == "drop"
    assert _decide(START, muted, now=MIDDAY + timedelta(minutes=30)).action == "send"


def test_a_switched_off_topic_is_dropped_and_others_are_not() -> None:
    no_starts = ChatSettings(topics={"start": False})

    assert _decide(START, no_starts).action == "drop"
    assert _decide(OFFLINE, no_starts).action == "send"


def test_account_trouble_cannot_be_switched_off() -> None:
    nothing = ChatSettings(topics=dict.fromkeys(("start", "finish", "offline"), False))

    assert _decide(TROUBLE, nothing, private=True).action == "send"


def test_a_muted_charger_is_dropped() -> None:
    assert _decide(START, ChatSettings(muted_chargers=frozenset({"garage"}))).action == "drop"
    assert _decide(START, ChatSettings(muted_chargers=frozenset({"oprit"}))).action == "send"


def test_the_digest_is_on_in_private_chats_and_opt_in_for_groups() -> None:
    assert _decide(DIGEST, ChatSettings(), private=True).action == "send"
    assert _decide(DIGEST, ChatSettings(), private=False).action == "drop"
    assert _decide(DIGEST, ChatSettings(topics={"digest": True})).action == "send"


def test_quiet_hours_make_messages_silent_inside_the_window_only() -> None:
    quiet = ChatSettings(quiet=NIGHT)

    assert _decide(START, quiet, now=LATE_EVENING).action == "silent"
    assert _decide(START, quiet, now=MIDDAY).action == "send"


@pytest.mark.parametrize(
    ("local_hour", "inside"), [(21, False), (22, True), (3, True), (6, True), (7, False)]
)
def test_quiet_hours_cross_midnight_in_local_time(local_hour: int, inside: bool) -> None:
    moment = datetime(2026, 4, 9, local_hour, 0, tzinfo=AMSTERDAM)

    assert NIGHT.contains(moment, AMSTERDAM) is inside


def test_a_daytime_quiet_window_does_not_wrap() -> None:
    nap = QuietHours(start=time(13, 0), end=time(15, 0))

    assert nap.contains(datetime(2026, 4, 9, 14, 0, tzinfo=AMSTERDAM), AMSTERDAM)
    assert not nap.contains(datetime(2026, 4, 9, 16, 0, tzinfo=AMSTERDAM), AMSTERDAM)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00-07:00", NIGHT),
        ("22.00 - 7.00", NIGHT),
        ("2200-0700", NIGHT),
        ("22:00–07:00", NIGHT),
        ("22:00", None),
        ("25:00-07:00", None),
        ("22:00-22:00", None),
        ("late-early", None),
    ],
)
def test_quiet_hours_parse_strictly(text: str, expected: QuietHours | None) -> None:
    assert parse_quiet(text) == expected


def test_a_clock_time_needs_hours_and_minutes() -> None:
    assert parse_clock("7:05") == time(7, 5)
    assert parse_clock("7") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", DEFAULT_MUTE),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("2u", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("90 min", timedelta(minutes=90)),
        ("0m", None),
        ("40d", None),
        ("soon", None),
        ("2", None),
    ],
)
def test_mute_durations_parse_strictly(text: str, expected: timedelta | None) -> None:
    assert parse_mute(text) == expected


def test_settings_survive_a_round_trip_through_json() -> None:
    settings = ChatSettings(
        topics={"digest": True, "start": False},
        muted_chargers=frozenset({"garage"}),
        live=True,
        language="nl",
        quiet=NIGHT,
        muted_until=MIDDAY,
    )

    assert ChatSettings.model_validate_json(settings.model_dump_json()) == settings


# --- stalled sessions --------------------------------------------------------------------------


def _charging(last_growth: datetime, kwh: float = 4.0) -> dict[str, ChargerState]:
    session = SessionState(
        id="s1",
        started_at=MIDDAY - timedelta(hours=1),
        kwh=kwh,
        samples=(Sample(at=last_growth - timedelta(minutes=1), kwh=kwh - 0.1),
                 Sample(at=last_growth, kwh=kwh)),
        read_at=MIDDAY,
    )  # fmt: skip
    state = ChargerState(
        charger_id="garage",
        name="Garage",
        status="charging",
        online=True,
        is_charging=True,
        session=session,
        observed_at=MIDDAY,
    )
    return {"garage": state}


def test_a_session_whose_energy_stood_still_long_enough_is_stalled() -> None:
    found = stalled_sessions(
        _charging(MIDDAY - timedelta(minutes=30)), now=MIDDAY, after=timedelta(minutes=30)
    )

    assert [(e.session_id, e.since, e.kwh) for e in found] == [
        ("s1", MIDDAY - timedelta(minutes=30), 4.0)
    ]
    assert found[0].key == "stalled:garage:s1"  # once per session, whenever it is seen


def test_a_session_that_grew_recently_is_not_stalled() -> None:
    assert (
        stalled_sessions(
            _charging(MIDDAY - timedelta(minutes=29)), now=MIDDAY, after=timedelta(minutes=30)
        )
        == []
    )


def test_samples_carried_over_without_a_session_object_never_make_a_stall() -> None:
    def garage(current: CurrentSession | None) -> Charger:
        return Charger(id="garage", status="charging", is_charging=True, current_session=current)

    started = MIDDAY - timedelta(hours=1)
    running = CurrentSession(id="s1", started_at=started, kwh_so_far=4.0)
    states = diff({}, [garage(running)], now=started, offline_grace=timedelta(minutes=5)).states
    for minutes in (10, 40, 70):  # charging, but /chargers leaves the session object out
        now = started + timedelta(minutes=minutes)
        states = diff(states, [garage(None)], now=now, offline_grace=timedelta(minutes=5)).states
        assert states["garage"].session is not None  # the session is kept, not ended
        assert stalled_sessions(states, now=now, after=timedelta(minutes=30)) == []

    now = started + timedelta(minutes=80)  # the object is back with the same kWh: a real stall
    states = diff(states, [garage(running)], now=now, offline_grace=timedelta(minutes=5)).states
    found = stalled_sessions(states, now=now, after=timedelta(minutes=30))
    assert [(e.session_id, e.since) for e in found] == [("s1", started)]


# --- the monthly digest ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "due"),
    [
        (datetime(2026, 5, 1, 8, 59, tzinfo=AMSTERDAM), None),
        (datetime(2026, 5, 1, 9, 0, tzinfo=AMSTERDAM), ("2026-04", "2026-03")),
        (datetime(2026, 5, 1, 23, 59, tzinfo=AMSTERDAM), ("2026-04", "2026-03")),
        (datetime(2026, 5, 2, 9, 0, tzinfo=AMSTERDAM), None),
        (datetime(2026, 1, 1, 10, 0, tzinfo=AMSTERDAM), ("2025-12", "2025-11")),
        (datetime(2026, 2, 1, 10, 0, tzinfo=AMSTERDAM), ("2026-01", "2025-12")),
    ],
)
def test_the_digest_is_due_on_the_first_from_nine_local_time(
    local: datetime, due: tuple[str, str] | None
) -> None:
    assert digest_due(local.astimezone(UTC), AMSTERDAM) == due


def test_the_digest_compares_last_month_with_the_one_before() -> None:
    energy = Energy(
        months=(
            MonthEnergy(month="2026-04", kwh=150.0, sessions=12, ere_credits=15.0),
            MonthEnergy(month="2026-03", kwh=100.0, sessions=10, ere_credits=None),
        )
    )

    digest = build_digest(energy, "2026-04", "2026-03")

    assert (digest.kwh, digest.sessions, digest.credits) == (150.0, 12, 15.0)
    assert (digest.previous_kwh, digest.previous_sessions, digest.previous_credits) == (
        100.0,
        10,
        0.0,
    )
    assert digest.key == "digest:2026-04"


def test_a_month_without_charging_counts_as_zero() -> None:
    digest = build_digest(Energy(), "2026-04", "2026-03")

    assert (digest.kwh, digest.sessions, digest.previous_kwh) == (0.0, 0, 0.0)
