"""Charge-card names in notifications: a named card says who charged, in both languages, with
the name escaped; an unnamed card keeps its id. Pure rendering, no fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.events import SessionFinished, SessionStarted
from bot.core.text.notifications import render_event

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STARTED = datetime(2026, 4, 9, 6, 15, tzinfo=UTC)
NOW = STARTED + timedelta(hours=3)
NAMES = {"04A3B2C1": "Anna & Co"}


def _started(tag: str | None) -> SessionStarted:
    return SessionStarted(
        charger_id="c1", charger_name="Garage", session_id="s1", started_at=STARTED, id_tag=tag
    )


def _finished(tag: str | None) -> SessionFinished:
    return SessionFinished(
        charger_id="c1",
        charger_name="Garage",
        session_id="s1",
        started_at=STARTED,
        ended_at=STARTED + timedelta(hours=2, minutes=5),
        kwh=12.45,
        ere_credits=4.15,
        id_tag=tag,
    )


def test_a_named_card_says_who_started_and_finished_charging() -> None:
    assert render_event(_started("04a3b2c1"), "en", AMSTERDAM, NOW, NAMES) == (
        "🔌 Anna &amp; Co started charging at <b>Garage</b> · 08:15"
    )
    assert render_event(_finished("04A3B2C1"), "nl", AMSTERDAM, NOW, NAMES) == (
        "✅ Anna &amp; Co is klaar met laden bij <b>Garage</b>\n"
        "12,45 kWh in 2 u 5 min · gem. 6,0 kW\nERE-credits: 4,15"
    )


def test_an_unnamed_card_keeps_its_id() -> None:
    assert render_event(_started("04F19A7E"), "en", AMSTERDAM, NOW, NAMES) == (
        "🔌 <b>Garage</b>: charging started at 08:15 (tag 04F19A7E)"
    )
    assert render_event(_started(None), "nl", AMSTERDAM, NOW, NAMES) == (
        "🔌 <b>Garage</b>: laden gestart om 08:15"
    )
