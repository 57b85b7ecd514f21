"""What a chat sees of its settings, its live card, a stall and the digest, in English and Dutch.

Pins down: the settings summary and keyboard (state marks, `set:` data within Telegram's 64
bytes, charger names escaped), the live card while running and finalised, the stall notice
and the digest's comparison with the month before (no percentage against an empty month).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.chart import MonthFigures, all_time, bar_labels, credit_points, last_months
from bot.core.events import MonthlyDigest, SessionFinished, SessionStarted
from bot.core.policy import ChatSettings, QuietHours
from bot.core.reply import MAX_BUTTON_DATA
from bot.core.state import ChargerState, Sample, SessionState
from bot.core.text.catalog import chart_text
from bot.core.text.format import Language
from bot.core.text.notifications import digest, live_card, render_event
from bot.core.text.settings import settings_menu


@pytest.fixture(autouse=True)
def _no_dotenv() -> None:
    """Overrides conftest's per-test env scrub and chdir: this pure code reads no settings."""


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 4, 9, 10, 0, tzinfo=UTC)  # 12:00 in Amsterdam
CHARGER = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
START = SessionStarted(
    charger_id=CHARGER,
    charger_name="Garage",
    session_id="s1",
    started_at=NOW - timedelta(minutes=45),
)


def test_the_settings_menu_shows_the_state_and_offers_every_change() -> None:
    settings = ChatSettings(
        topics={"offline": False},
        muted_chargers=frozenset({CHARGER}),
        quiet=QuietHours(start=time(22), end=time(7)),
        muted_until=NOW + timedelta(hours=2),
    )

    reply = settings_menu(
        settings,
        [(CHARGER, "<Garage>")],
        "en",
        AMSTERDAM,
        NOW,
        private=False,
        chat_language="nl",
    )

    assert reply.text.splitlines() == [
        "⚙️ <b>Settings for this chat</b>",
        "Notifications: start, finish, stalled",
        "Muted chargers: &lt;Garage&gt;",
        "Live session card: off",
        "Pin the live card: off",
        "Quiet hours: 22:00–07:00",
        "🔇 Muted until 14:00",
        "Language: Dutch",
        "Tariff: none (/tariff 0.25 sets one)",
        "<i>Tap to change. Also: /quiet 22:00-07:00, /mute 2h, /live on, /language nl.</i>",
    ]
    buttons = [b for row in reply.buttons for b in row]
    assert [b.text for b in buttons] == [
        "✅ start",
        "✅ finish",
        "▫️ offline/online",
        "✅ stalled",
        "▫️ monthly digest",
        "▫️ <Garage>",
        "▫️ Live card",
        "▫️ Pin it",
        "✅ 🌙 22:00–07:00",
        "🌙 23:00–08:00",
        "▫️ No quiet hours",
        "English",
        "✅ Dutch",
    ]
    assert all(b.data.startswith("set:") for b in buttons)
    assert max(len(b.data.encode()) for b in buttons) <= MAX_BUTTON_DATA


def test_the_settings_menu_reads_in_dutch_with_the_private_digest_default() -> None:
    reply = settings_menu(
        ChatSettings(), [], "nl", AMSTERDAM, NOW, private=True, chat_language="nl"
    )

    assert reply.text.splitlines()[:2] == [
        "⚙️ <b>Instellingen voor deze chat</b>",
        "Meldingen: start, klaar, offline/online, gestopt, maandoverzicht",
    ]


def _running(kwh: float) -> ChargerState:
    return ChargerState(
        charger_id=CHARGER,
        name="Garage",
        status="charging",
        online=True,
        is_charging=True,
        observed_at=NOW,
        session=SessionState(
            id="s1",
            started_at=START.started_at,
            kwh=kwh,
            samples=(
                Sample(at=NOW - timedelta(minutes=10), kwh=kwh - 1.2),
                Sample(at=NOW, kwh=kwh),
            ),
        ),
    )


def _card(
    start: SessionStarted,
    state: ChargerState | None,
    finished: SessionFinished | None,
    lang: Language,
    names: Mapping[str, str] | None = None,
) -> str:
    names = names or {}
    return live_card(start, state, finished, tag_names=names, lang=lang, tz=AMSTERDAM, now=NOW)


def test_a_live_card_shows_the_session_so_far() -> None:
    assert _card(START, _running(5.4), None, "en") == (
        "🔌 <b>Garage</b>: charging since 11:15\n⚡ 5.40 kWh · ~7.2 kW · 45 min\n"
        "<i>Updated 12:00</i>"
    )
    assert _card(START, _running(5.4), None, "nl") == (
        "🔌 <b>Garage</b>: aan het laden sinds 11:15\n⚡ 5,40 kWh · ~7,2 kW · 45 min\n"
        "<i>Bijgewerkt 12:00</i>"
    )


def test_a_finished_live_card_shows_the_end_figures_and_credits() -> None:
    finished = SessionFinished(
        charger_id=CHARGER,
        charger_name="Garage",
        session_id="s1",
        started_at=START.started_at,
        ended_at=NOW,
        kwh=5.5,
        ere_credits=1.82,
    )

    assert _card(START, None, finished, "en") == (
        "🔌 <b>Garage</b>: charged 11:15–12:00\n✅ 5.50 kWh in 45 min\nERE credits: 1.82"
    )


def _session(started_ago: timedelta, *samples: tuple[timedelta, float]) -> ChargerState:
    """A running session started `started_ago`, with readings (`ago`, kWh)."""
    readings = tuple(Sample(at=NOW - ago, kwh=kwh) for ago, kwh in samples)
    return _running(5.4).model_copy(
        update={
            "session": SessionState(
                id="s1", started_at=NOW - started_ago, kwh=readings[-1].kwh, samples=readings
            )
        }
    )


def test_a_live_card_shows_no_power_before_five_minutes_of_readings() -> None:
    start = START.model_copy(update={"started_at": NOW})
    card = _card(start, _session(timedelta(0), (timedelta(0), 0.0)), None, "en")
    assert "⚡ 0.00 kWh · 0 min" in card
    assert "kW ·" not in card

    start = START.model_copy(update={"started_at": NOW - timedelta(minutes=1)})
    burst = _session(timedelta(minutes=1), (timedelta(minutes=1), 0.0), (timedelta(0), 4.5))
    assert "kW ·" not in _card(start, burst, None, "nl")


def test_a_live_card_leaves_out_power_no_home_charger_can_reach() -> None:
    # 4.5 kWh in the last 3 seconds of an hour-long session: a meter catching up, not 5,400 kW.
    caught_up = _session(timedelta(hours=1), (timedelta(seconds=3), 10.0), (timedelta(0), 14.5))
    card = _card(START, caught_up, None, "nl")
    assert "~" not in card
    assert "⚡ 14,50 kWh · 1 u\n" in card
    steady = _session(timedelta(hours=1), (timedelta(minutes=10), 10.0), (timedelta(0), 11.2))
    assert "~7,2 kW" in _card(START, steady, None, "nl")


def test_a_finished_session_shows_no_average_above_a_home_chargers_power() -> None:
    finished = SessionFinished(
        charger_id=CHARGER,
        charger_name="Garage",
        session_id="s1",
        started_at=NOW - timedelta(minutes=6),
        ended_at=NOW,
        kwh=4.5,  # 45 kW over six minutes
    )
    assert "avg" not in render_event(finished, "en", AMSTERDAM, NOW, {})
    assert "avg 11.0 kW" in render_event(
        finished.model_copy(update={"kwh": 1.1}), "en", AMSTERDAM, NOW, {}
    )


def test_a_live_card_on_a_named_card_keeps_the_person_to_the_end() -> None:
    start = START.model_copy(update={"id_tag": "04A3B2C1"})
    names = {"04A3B2C1": "Anna"}
    running = _card(start, _running(5.4), None, "en", names)
    assert running.startswith("🔌 Anna started charging at <b>Garage</b> · 11:15\n⚡ 5.40 kWh")
    dutch = _card(start, _running(5.4), None, "nl", names)
    assert dutch.startswith("🔌 Anna is begonnen met laden bij <b>Garage</b> · 11:15\n")
    finished = SessionFinished(
        charger_id=CHARGER,
        charger_name="Garage",
        session_id="s1",
        started_at=START.started_at,
        ended_at=NOW,
        kwh=5.5,
        id_tag="04A3B2C1",
    )
    done = _card(start, None, finished, "nl", names)
    assert done == "🔌 Anna laadde bij <b>Garage</b> 11:15–12:00\n✅ 5,50 kWh in 45 min"
    assert "04A3B2C1" not in running + done


def test_the_digest_compares_with_the_month_before_only_when_it_had_charging() -> None:
    event = MonthlyDigest(
        month="2026-03",
        previous_month="2026-02",
        kwh=90.0,
        sessions=6,
        credits=29.7,
        previous_kwh=120.0,
        previous_sessions=0,
        previous_credits=0.0,
    )

    assert digest(event, "nl") == (
        "📅 <b>maart 2026</b> in het kort\n"
        "90,0 kWh (−25%) · 6 sessies · 29,70 ERE-credits\n"
        "<i>februari 2026: 120,0 kWh · 0 sessies · 0,00 ERE-credits</i>\n"
        "📊 /stats tekent de grafiek"
    )


def test_the_chart_legend_says_what_earns_credits_in_words_a_family_knows() -> None:
    assert chart_text("en").ere_legend == "earns ERE credits"
    assert chart_text("nl").ere_legend == "levert ERE-credits op"
    assert all("MID" not in chart_text(lang).ere_legend for lang in ("en", "nl"))


def test_the_running_month_is_drawn_as_so_far_without_a_credits_point() -> None:
    months = [MonthFigures("2026-03", 300.0, 99.0), MonthFigures("2026-04", 40.0, 0.0)]
    bars = last_months(months, "2026-04", "nl")
    assert [bar.so_far for bar in bars] == [False] * 11 + [True]
    assert bars[-1].kwh == 40.0  # what it is so far, not zero
    assert bar_labels(bars, chart_text("nl"))[-2:] == ["mrt", "apr\ntot nu toe"]
    points = credit_points(bars)
    assert points[-2] == 99.0
    assert math.isnan(points[-1])  # no dive to 0: Joulo credits a month after it ends
    english = last_months(months, "2026-04", "en")
    assert bar_labels(english, chart_text("en"))[-1] == "Apr\nso far"
    years = all_time([MonthFigures("2022-01", 1.0, 0.5), *months], "2026-04", "en")
    assert [bar.so_far for bar in years] == [False] * 4 + [True]
