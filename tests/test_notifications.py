"""Every event reads right in English and Dutch, in the chat's time zone, with external text
escaped.

Pins down: the exact text of each event kind in both languages; local clock times, with a date
only when the event is not today; Dutch decimal commas and thousands dots; the ERE credits line
only when Joulo gave a figure; the "not final" and "while away" notes; HTML-escaped nicknames,
tags and statuses; no division by zero for empty sessions; and the i18n helpers behind them.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any, get_args
from zoneinfo import ZoneInfo

import pytest

from bot.core.events import (
    ChargerOffline,
    ChargerOnline,
    Event,
    GroupLost,
    JouloRecovered,
    JouloUnreachable,
    MonthlyDigest,
    PayoutReceived,
    QuarterFinal,
    SessionCredited,
    SessionFinished,
    SessionStalled,
    SessionStarted,
    TokenRejected,
)
from bot.core.text.catalog import COMMAND_MENU, TEXTS, plural, t
from bot.core.text.format import (
    LANGUAGES,
    Html,
    Language,
    as_lang,
    fmt_duration,
    fmt_number,
    fmt_time,
    month_name,
    pick_language,
)
from bot.core.text.notifications import render_event


@pytest.fixture(autouse=True)
def _no_dotenv() -> None:
    """Overrides conftest's per-test env scrub and chdir: this pure code reads no settings."""


AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: 08:15Z on 9 April is 10:15 in Amsterdam (summer time).
STARTED = datetime(2026, 4, 9, 8, 15, tzinfo=UTC)
NOW = datetime(2026, 4, 9, 12, 0, tzinfo=UTC)
A_WEEK_LATER = NOW + timedelta(days=6)

GARAGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
SESSION = "f0e1d2c3-b4a5-6789-0abc-def123456789"
TAG = "04A3B2C1"


def started(**changes: Any) -> SessionStarted:
    values: dict[str, Any] = {
        "charger_id": GARAGE,
        "charger_name": "Garage",
        "session_id": SESSION,
        "started_at": STARTED,
        "id_tag": TAG,
    }
    values.update(changes)
    return SessionStarted(**values)


def finished(**changes: Any) -> SessionFinished:
    values: dict[str, Any] = {
        "charger_id": GARAGE,
        "charger_name": "Garage",
        "session_id": SESSION,
        "started_at": STARTED,
        "ended_at": STARTED + timedelta(hours=2, minutes=5),
        "kwh": 12.45,
        "ere_credits": 4.15,
        "id_tag": TAG,
    }
    values.update(changes)
    return SessionFinished(**values)


def offline(**changes: Any) -> ChargerOffline:
    values: dict[str, Any] = {
        "charger_id": GARAGE,
        "charger_name": "Oprit",
        "status": "unavailable",
        "since": STARTED,
    }
    values.update(changes)
    return ChargerOffline(**values)


def online(**changes: Any) -> ChargerOnline:
    values: dict[str, Any] = {
        "charger_id": GARAGE,
        "charger_name": "Oprit",
        "offline_since": STARTED,
        "back_at": STARTED + timedelta(minutes=90),
    }
    values.update(changes)
    return ChargerOnline(**values)


def render(event: Event, lang: Language, now: datetime = NOW) -> str:
    return render_event(event, lang, AMSTERDAM, now, {})


# --- session started --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "🔌 <b>Garage</b>: charging started at 10:15 (tag 04A3B2C1)"),
        ("nl", "🔌 <b>Garage</b>: laden gestart om 10:15 (pas 04A3B2C1)"),
    ],
)
def test_a_start_today_shows_the_local_time_and_the_tag(lang: Language, expected: str) -> None:
    assert render(started(), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "🔌 <b>Garage</b>: charging started at 10:15"),
        ("nl", "🔌 <b>Garage</b>: laden gestart om 10:15"),
    ],
)
@pytest.mark.parametrize("tag", [None, ""])
def test_a_start_without_an_rfid_tag_shows_no_tag_part(
    lang: Language, expected: str, tag: str | None
) -> None:
    assert render(started(id_tag=tag), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "🔌 <b>Garage</b>: charging started at 9 Apr 08:15 (tag 04A3B2C1)"),
        ("nl", "🔌 <b>Garage</b>: laden gestart om 9 apr 08:15 (pas 04A3B2C1)"),
    ],
)
def test_a_start_on_another_day_shows_the_date(lang: Language, expected: str) -> None:
    event = started(started_at=datetime(2026, 4, 9, 6, 15, tzinfo=UTC))

    assert render(event, lang, now=A_WEEK_LATER) == expected


def test_today_means_today_in_the_chat_time_zone_not_in_utc() -> None:
    # Just after local midnight: 00:30 and 01:00 on 9 April in Amsterdam, but 8 April in UTC.
    after_midnight = started(started_at=datetime(2026, 4, 8, 22, 30, tzinfo=UTC))
    # Just before local midnight: 23:30 on 8 April, seen at 00:30 on 9 April (both 8 April UTC).
    before_midnight = started(started_at=datetime(2026, 4, 8, 21, 30, tzinfo=UTC))

    assert render(after_midnight, "en", now=datetime(2026, 4, 8, 23, 0, tzinfo=UTC)) == (
        "🔌 <b>Garage</b>: charging started at 00:30 (tag 04A3B2C1)"
    )
    assert render(before_midnight, "en", now=datetime(2026, 4, 8, 22, 30, tzinfo=UTC)) == (
        "🔌 <b>Garage</b>: charging started at 8 Apr 23:30 (tag 04A3B2C1)"
    )


def test_winter_time_is_one_hour_ahead_of_utc_in_amsterdam() -> None:
    winter = datetime(2026, 1, 15, 8, 15, tzinfo=UTC)

    assert render(started(started_at=winter), "en", now=winter) == (
        "🔌 <b>Garage</b>: charging started at 09:15 (tag 04A3B2C1)"
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "🔌 <b>Garage</b>: charging started at 10:15 (tag 04A3B2C1)\n"
            "⏱ <i>Happened while the bot was away; reported late.</i>",
        ),
        (
            "nl",
            "🔌 <b>Garage</b>: laden gestart om 10:15 (pas 04A3B2C1)\n"
            "⏱ <i>Gebeurde terwijl de bot weg was; later gemeld.</i>",
        ),
    ],
)
def test_a_start_seen_while_the_bot_was_away_says_so(lang: Language, expected: str) -> None:
    assert render(started(while_away=True), lang) == expected


# --- session finished -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "✅ <b>Garage</b>: charging finished (tag 04A3B2C1)\n"
            "12.45 kWh in 2 h 5 min · avg 6.0 kW\n"
            "ERE credits: 4.15",
        ),
        (
            "nl",
            "✅ <b>Garage</b>: klaar met laden (pas 04A3B2C1)\n"
            "12,45 kWh in 2 u 5 min · gem. 6,0 kW\n"
            "ERE-credits: 4,15",
        ),
    ],
)
def test_a_finished_session_shows_kwh_duration_average_power_and_credits(
    lang: Language, expected: str
) -> None:
    assert render(finished(), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "✅ <b>Garage</b>: charging finished\n"
            "12.30 kWh in 2 h 5 min · avg 5.9 kW\n"
            "<i>Last measured figures; Joulo had no final ones yet.</i>",
        ),
        (
            "nl",
            "✅ <b>Garage</b>: klaar met laden\n"
            "12,30 kWh in 2 u 5 min · gem. 5,9 kW\n"
            "<i>Laatst gemeten waarden; Joulo had nog geen definitieve.</i>",
        ),
    ],
)
def test_a_session_without_final_figures_has_no_credits_line_and_says_so(
    lang: Language, expected: str
) -> None:
    event = finished(kwh=12.3, ere_credits=None, id_tag=None, final=False)

    assert render(event, lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "✅ <b>Garage</b>: charging finished\n"
            "12.45 kWh in 2 h 5 min · avg 6.0 kW\n"
            "<i>Last measured figures; Joulo had no final ones yet.</i>\n"
            "⏱ <i>Happened while the bot was away; reported late.</i>",
        ),
        (
            "nl",
            "✅ <b>Garage</b>: klaar met laden\n"
            "12,45 kWh in 2 u 5 min · gem. 6,0 kW\n"
            "<i>Laatst gemeten waarden; Joulo had nog geen definitieve.</i>\n"
            "⏱ <i>Gebeurde terwijl de bot weg was; later gemeld.</i>",
        ),
    ],
)
def test_an_end_seen_while_away_carries_both_notes(lang: Language, expected: str) -> None:
    event = finished(ere_credits=None, id_tag=None, final=False, while_away=True)

    assert render(event, lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "\nERE credits: 0.00"), ("nl", "\nERE-credits: 0,00")],
)
def test_zero_credits_are_known_and_shown(lang: Language, expected: str) -> None:
    assert render(finished(ere_credits=0.0), lang).endswith(expected)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "✅ <b>Garage</b>: charging finished (tag 04A3B2C1)\n"
            "1,234.50 kWh in 3 d 4 h · avg 16.2 kW\n"
            "ERE credits: 1,234.50",
        ),
        (
            "nl",
            "✅ <b>Garage</b>: klaar met laden (pas 04A3B2C1)\n"
            "1.234,50 kWh in 3 d 4 u · gem. 16,2 kW\n"
            "ERE-credits: 1.234,50",
        ),
    ],
)
def test_big_numbers_get_the_thousands_separator_of_the_language(
    lang: Language, expected: str
) -> None:
    event = finished(kwh=1234.5, ere_credits=1234.5, ended_at=STARTED + timedelta(days=3, hours=4))

    assert render(event, lang) == expected


@pytest.mark.parametrize(
    ("kwh", "span", "en", "nl"),
    [
        (0.0, timedelta(hours=1), "0.00 kWh in 1 h", "0,00 kWh in 1 u"),
        (5.0, timedelta(0), "5.00 kWh in 0 min", "5,00 kWh in 0 min"),
        (0.0, timedelta(0), "0.00 kWh in 0 min", "0,00 kWh in 0 min"),
    ],
)
def test_an_empty_or_instant_session_shows_no_average_power(
    kwh: float, span: timedelta, en: str, nl: str
) -> None:
    event = finished(kwh=kwh, ended_at=STARTED + span, ere_credits=None, id_tag=None)

    assert render(event, "en") == f"✅ <b>Garage</b>: charging finished\n{en}"
    assert render(event, "nl") == f"✅ <b>Garage</b>: klaar met laden\n{nl}"


# --- charger offline / online -----------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "now", "expected"),
    [
        ("en", NOW, "⚠️ <b>Oprit</b> is offline since 10:15 (status: unavailable)"),
        ("nl", NOW, "⚠️ <b>Oprit</b> is offline sinds 10:15 (status: unavailable)"),
        ("en", A_WEEK_LATER, "⚠️ <b>Oprit</b> is offline since 9 Apr 10:15 (status: unavailable)"),
        ("nl", A_WEEK_LATER, "⚠️ <b>Oprit</b> is offline sinds 9 apr 10:15 (status: unavailable)"),
    ],
)
def test_an_offline_charger_shows_since_when_and_its_status(
    lang: Language, now: datetime, expected: str
) -> None:
    assert render(offline(), lang, now=now) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "🟢 <b>Oprit</b> is back online (away for 1 h 30 min)"),
        ("nl", "🟢 <b>Oprit</b> is weer online (was 1 u 30 min weg)"),
    ],
)
def test_a_charger_back_online_shows_how_long_it_was_away(lang: Language, expected: str) -> None:
    assert render(online(), lang) == expected


# --- token rejected ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "🔑 Joulo no longer accepts your API token (rotated or revoked?). "
            "Notifications are paused.\nCreate a new token in the Joulo dashboard "
            "(Settings → API) and send it here with /link.",
        ),
        (
            "nl",
            "🔑 Joulo accepteert je API-token niet meer (vernieuwd of ingetrokken?). "
            "Meldingen staan op pauze.\nMaak een nieuw token in het Joulo-dashboard "
            "(Instellingen → API) en stuur het hier met /link.",
        ),
    ],
)
def test_a_rejected_token_asks_the_owner_for_a_new_one(lang: Language, expected: str) -> None:
    assert render(TokenRejected(link_seq=1, at=NOW), lang) == expected


# --- account-level events (owner only) ---------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "⏳ I can't reach Joulo for your account since 10:15. Your chargers' last known "
            "state stands; I'll tell you when Joulo answers again.",
        ),
        (
            "nl",
            "⏳ Ik kan Joulo voor je account niet bereiken sinds 10:15. De laatst bekende "
            "stand van je laadpalen blijft staan; ik laat het weten zodra Joulo weer antwoordt.",
        ),
    ],
)
def test_an_unreachable_joulo_says_since_when(lang: Language, expected: str) -> None:
    assert render(JouloUnreachable(since=STARTED), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "✅ Joulo answers again (it was unreachable for 1 h 30 min). Anything that "
            "happened meanwhile follows.",
        ),
        (
            "nl",
            "✅ Joulo antwoordt weer (was 1 u 30 min onbereikbaar). Wat er intussen gebeurde, "
            "volgt.",
        ),
    ],
)
def test_a_recovered_joulo_says_how_long_it_was_gone(lang: Language, expected: str) -> None:
    event = JouloRecovered(since=STARTED, at=STARTED + timedelta(minutes=90))

    assert render(event, lang) == expected


@pytest.mark.parametrize(
    ("lang", "title", "expected"),
    [
        (
            "en",
            "Family <3 & co",
            "ℹ️ I was removed from the group “Family &lt;3 &amp; co”, so it no longer gets "
            "your charging notifications. Add me again and send /subscribe there to resume.",
        ),
        (
            "nl",
            None,
            "ℹ️ Ik ben uit de groep “-100123” verwijderd, dus die krijgt je laadmeldingen niet "
            "meer. Voeg me opnieuw toe en stuur daar /subscribe om verder te gaan.",
        ),
    ],
)
def test_a_lost_group_is_named_escaped_or_by_its_chat_id(
    lang: Language, title: str | None, expected: str
) -> None:
    assert render(GroupLost(chat_id=-100123, title=title, at=NOW), lang) == expected


#: One instance of every event kind; the exact texts are pinned by the tests above.
EVERY_KIND: list[Event] = [
    started(),
    finished(),
    offline(),
    online(),
    TokenRejected(link_seq=1, at=NOW),
    JouloUnreachable(since=STARTED),
    JouloRecovered(since=STARTED, at=NOW),
    GroupLost(chat_id=-100123, title="Family", at=NOW),
    SessionStalled(
        charger_id=GARAGE,
        charger_name="Garage",
        session_id=SESSION,
        started_at=STARTED,
        since=STARTED,
        kwh=3.0,
    ),
    SessionCredited(charger_id=GARAGE, session_id=SESSION, finished=finished(ere_credits=1.5)),
    MonthlyDigest(
        month="2026-03",
        previous_month="2026-02",
        kwh=120.0,
        sessions=10,
        credits=12.0,
        previous_kwh=100.0,
        previous_sessions=8,
        previous_credits=10.0,
    ),
    PayoutReceived(year=2026, added_eur=10.0, total_eur=12.48, at=NOW),
    QuarterFinal(quarter="2026-Q1", price_per_ere=0.33, ere=40.0, net_eur=11.22, at=NOW),
]


def test_every_event_kind_has_a_rendering_test() -> None:
    union = get_args(get_args(Event)[0])

    assert {cls.__name__ for cls in union} == {type(e).__name__ for e in EVERY_KIND}


@pytest.mark.parametrize("event", EVERY_KIND, ids=lambda e: e.kind)
def test_every_event_kind_renders_to_different_text_in_each_language(event: Event) -> None:
    english, dutch = render(event, "en"), render(event, "nl")

    assert english.strip()
    assert dutch.strip()
    assert english != dutch


# --- escaping ---------------------------------------------------------------------------

NASTY = '<b>&"'
ESCAPED = "&lt;b&gt;&amp;&quot;"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            started(charger_name=NASTY),
            f"🔌 <b>{ESCAPED}</b>: charging started at 10:15 (tag 04A3B2C1)",
        ),
        (
            finished(charger_name=NASTY, ere_credits=None, id_tag=None),
            f"✅ <b>{ESCAPED}</b>: charging finished\n12.45 kWh in 2 h 5 min · avg 6.0 kW",
        ),
        (
            offline(charger_name=NASTY),
            f"⚠️ <b>{ESCAPED}</b> is offline since 10:15 (status: unavailable)",
        ),
        (online(charger_name=NASTY), f"🟢 <b>{ESCAPED}</b> is back online (away for 1 h 30 min)"),
    ],
)
def test_a_nickname_with_html_characters_is_escaped(event: Event, expected: str) -> None:
    assert render(event, "en") == expected


def test_a_tag_with_html_characters_is_escaped() -> None:
    assert render(started(id_tag="<i>"), "nl") == (
        "🔌 <b>Garage</b>: laden gestart om 10:15 (pas &lt;i&gt;)"
    )


def test_a_status_with_html_characters_is_escaped() -> None:
    assert render(offline(status="<weird>"), "en") == (
        "⚠️ <b>Oprit</b> is offline since 10:15 (status: &lt;weird&gt;)"
    )


def test_a_nickname_with_braces_is_shown_as_is() -> None:
    assert render(started(charger_name="{charger} {time}"), "en") == (
        "🔌 <b>{charger} {time}</b>: charging started at 10:15 (tag 04A3B2C1)"
    )


# --- i18n -------------------------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_exists_in_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = TEXTS[key]

    assert set(entry) == set(LANGUAGES) == {"en", "nl"}
    assert all(entry[lang].strip() for lang in LANGUAGES)
    assert placeholders(entry["en"]) == placeholders(entry["nl"])


@pytest.mark.parametrize("command", sorted(COMMAND_MENU))
def test_every_menu_entry_exists_in_both_languages(command: str) -> None:
    assert set(COMMAND_MENU[command]) == {"en", "nl"}
    assert all(COMMAND_MENU[command][lang].strip() for lang in LANGUAGES)


def test_t_fills_the_placeholders_of_the_chosen_language() -> None:
    assert t("en", "tag", tag="X1") == " (tag X1)"
    assert t("nl", "tag", tag="X1") == " (pas X1)"
    assert t("nl", "online", charger="A", duration="5 min") == (
        "🟢 <b>A</b> is weer online (was 5 min weg)"
    )


@pytest.mark.parametrize(
    ("code", "default", "expected"),
    [
        ("nl", "en", "nl"),
        ("nl-BE", "en", "nl"),
        ("NL", "en", "nl"),
        ("en", "nl", "en"),
        ("en-GB", "nl", "en"),
        ("de", "en", "en"),
        ("de", "nl", "nl"),
        (None, "nl", "nl"),
        (None, "en", "en"),
        ("", "nl", "nl"),
    ],
)
def test_pick_language_maps_telegram_codes_and_falls_back_to_the_default(
    code: str | None, default: Language, expected: Language
) -> None:
    assert pick_language(code, default) == expected


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [("nl", "en", "nl"), ("en", "nl", "en"), ("fr", "nl", "nl"), ("", "en", "en")],
)
def test_as_lang_keeps_known_languages_and_defaults_the_rest(
    value: str, default: Language, expected: Language
) -> None:
    assert as_lang(value, default) == expected


@pytest.mark.parametrize(
    ("span", "en", "nl"),
    [
        (timedelta(0), "0 min", "0 min"),
        (timedelta(seconds=-30), "0 min", "0 min"),
        (timedelta(minutes=45), "45 min", "45 min"),
        (timedelta(hours=2, minutes=5), "2 h 5 min", "2 u 5 min"),
        (timedelta(hours=2), "2 h", "2 u"),
        (timedelta(hours=23, minutes=59, seconds=40), "1 d", "1 d"),
        (timedelta(days=1, minutes=30), "1 d", "1 d"),
        (timedelta(days=3, hours=4), "3 d 4 h", "3 d 4 u"),
    ],
)
def test_fmt_duration_reads_like_a_person_would_say_it(span: timedelta, en: str, nl: str) -> None:
    assert fmt_duration(span, "en") == en
    assert fmt_duration(span, "nl") == nl


@pytest.mark.parametrize(
    ("value", "decimals", "en", "nl"),
    [
        (12.45, 2, "12.45", "12,45"),
        (12.5, 1, "12.5", "12,5"),
        (1234.5, 1, "1,234.5", "1.234,5"),
        (1234567.891, 2, "1,234,567.89", "1.234.567,89"),
        (0, 2, "0.00", "0,00"),
        (7, 0, "7", "7"),
    ],
)
def test_fmt_number_uses_the_decimal_and_thousands_marks_of_the_language(
    value: float, decimals: int, en: str, nl: str
) -> None:
    assert fmt_number(value, "en", decimals) == en
    assert fmt_number(value, "nl", decimals) == nl


def test_fmt_time_shows_the_clock_today_and_the_date_otherwise() -> None:
    moment = datetime(2026, 10, 3, 6, 5, tzinfo=UTC)

    assert fmt_time(moment, "en", AMSTERDAM, moment) == "08:05"
    assert fmt_time(moment, "en", AMSTERDAM, moment + timedelta(days=1)) == "3 Oct 08:05"
    assert fmt_time(moment, "nl", AMSTERDAM, moment + timedelta(days=1)) == "3 okt 08:05"


@pytest.mark.parametrize(
    ("n", "en", "nl"),
    [
        (0, "0 chargers", "0 laadpalen"),
        (1, "1 charger", "1 laadpaal"),
        (2, "2 chargers", "2 laadpalen"),
    ],
)
def test_plural_picks_the_one_or_other_form(n: int, en: str, nl: str) -> None:
    assert plural("en", "chargers", n) == en
    assert plural("nl", "chargers", n) == nl


def test_plural_works_for_sessions_too() -> None:
    assert plural("en", "sessions", 1) == "1 session"
    assert plural("nl", "sessions", 8) == "8 sessies"


@pytest.mark.parametrize(
    ("year_month", "en", "nl"),
    [
        ("2026-04", "April 2026", "april 2026"),
        ("2026-01", "January 2026", "januari 2026"),
        ("2025-12", "December 2025", "december 2025"),
        ("2026-03", "March 2026", "maart 2026"),
    ],
)
def test_month_name_spells_out_the_month(year_month: str, en: str, nl: str) -> None:
    assert month_name(year_month, "en") == en
    assert month_name(year_month, "nl") == nl


def test_a_short_session_shows_no_average_power() -> None:
    event = finished(kwh=0.06, ended_at=STARTED + timedelta(seconds=30))
    text = render(event, "en")
    assert "avg" not in text
    assert "0.06 kWh in 0 min\n" in text


def test_a_session_of_five_minutes_shows_its_average_power() -> None:
    event = finished(kwh=0.5, ended_at=STARTED + timedelta(minutes=5))
    assert "avg 6.0 kW" in render(event, "en")


def test_t_escapes_plain_strings_but_not_html_it_was_given() -> None:
    text = t("en", "subscribed", name="<Anna & Bert>")
    assert "&lt;Anna &amp; Bert&gt;" in text
    assert t("en", "unsubscribed", names=Html("<b>x</b>")).endswith("<b>x</b>.")


def test_html_put_together_escapes_the_plain_parts_once() -> None:
    note = t("en", "tag", tag="A&B")
    assert note == " (tag A&amp;B)"
    assert note + " & more" == " (tag A&amp;B) &amp; more"
    assert "<x>" + note == "&lt;x&gt; (tag A&amp;B)"
    assert Html("\n").join([note, "<i>"]) == " (tag A&amp;B)\n&lt;i&gt;"
    assert t("en", "unsubscribed", names=note).count("&amp;") == 1
