"""/statement's page: one account's finished sessions started in the month (local time), oldest
first, with totals, the cost at the chat's tariff and the credits' value (marked an estimate)
only when they are known, in the chat's language with Dutch numbers and dates in Dutch; the PDF
says all of it (read back as text), on a second page rather than cutting rows, and prints "€"
and every name it can draw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.export import SessionView, parse_period
from bot.core.money import CreditPrice
from bot.core.statement import (
    StatementData,
    render_statement,
    statement_data,
    statement_filename,
)
from bot.core.statement_pdf import draw_statement
from bot.joulo.models import Session
from tests.pdf_text import pdf_pages, pdf_text

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MADE = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
NOVEMBER = parse_period("2026-11", MADE, AMSTERDAM)
PRICE = CreditPrice(0.25, "account", MADE - timedelta(days=2), net_of_fee=True)


def _view(
    start: datetime,
    hours: float,
    kwh: float,
    *,
    credits: float | None = None,
    counts: bool | None = True,
    charger: str = "Garage",
    tag: str | None = None,
    tag_name: str | None = None,
    ended: bool = True,
) -> SessionView:
    session = Session(
        id=f"s-{start.isoformat()}",
        charger_id="c1",
        started_at=start,
        ended_at=start + timedelta(hours=hours) if ended else None,
        kwh=kwh,
        ere_credits=credits,
        counts_for_ere=counts,
        id_tag=tag,
    )
    return SessionView(session, charger, tag_name)


def _november() -> list[SessionView]:
    return [
        # 30 Nov 23:30 UTC is 1 Dec in Amsterdam: December's, not November's.
        _view(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), 2, 7.0, credits=2.0),
        _view(
            datetime(2026, 11, 12, 17, 5, tzinfo=UTC),
            14,
            31.25,
            credits=10.4,
            tag="04A3B2C1",
            tag_name="Anna",
        ),
        _view(datetime(2026, 11, 3, 18, 0, tzinfo=UTC), 3, 12.5, counts=False, charger="Oprit"),
        # Still charging: not on the statement.
        _view(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), 1, 5.0, ended=False),
        # 31 Oct 23:30 UTC is 1 Nov in Amsterdam: November's.
        _view(
            datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
            2,
            1234.5,
            credits=None,
            tag="04F19A7E",
        ),
    ]


def _data(**kwargs: object) -> StatementData:
    assert NOVEMBER is not None
    data = statement_data("Anna de Vries", NOVEMBER, _november(), made_at=MADE, **kwargs)  # type: ignore[arg-type]
    assert data is not None
    return data


def test_only_finished_sessions_started_in_the_local_month_oldest_first() -> None:
    data = _data()
    starts = [view.session.started_at for view in data.sessions]
    assert starts == [
        datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
        datetime(2026, 11, 3, 18, 0, tzinfo=UTC),
        datetime(2026, 11, 12, 17, 5, tzinfo=UTC),
    ]
    assert data.kwh == pytest.approx(1234.5 + 12.5 + 31.25)
    assert data.ere_kwh == pytest.approx(1234.5 + 31.25)  # the Oprit's session does not count
    assert data.credits == pytest.approx(10.4)
    assert (data.cost, data.value) == (None, None)


def test_a_month_without_finished_sessions_has_no_statement() -> None:
    assert NOVEMBER is not None
    running = [_view(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), 1, 5.0, ended=False)]
    assert statement_data("Anna", NOVEMBER, running, made_at=MADE) is None
    assert statement_data("Anna", NOVEMBER, [], made_at=MADE) is None


def test_the_dutch_page_writes_dutch_numbers_dates_and_words() -> None:
    page = render_statement(_data(tariff=0.32, price=PRICE), "nl", AMSTERDAM)
    assert page.title == "Laadoverzicht november 2026"
    assert page.facts == (
        ("Accounthouder", "Anna de Vries"),
        ("Laadpalen", "Garage, Oprit"),
        ("Periode", "1 november 2026 – 30 november 2026"),
    )
    assert page.columns == (
        "Datum", "Laadpaal", "Begin", "Einde", "kWh", "MID/ERE", "ERE-credits", "Pas",
    )  # fmt: skip
    assert page.rows == (
        ("1-11-2026", "Garage", "00:30", "02:30", "1.234,50", "ja", "—", "04F19A7E"),
        ("3-11-2026", "Oprit", "19:00", "22:00", "12,50", "nee", "—", ""),
        ("12-11-2026", "Garage", "18:05", "08:05 +1", "31,25", "ja", "10,40", "Anna (04A3B2C1)"),
    )
    assert page.totals == (
        ("Sessies", "3"),
        ("Geladen energie", "1.278,25 kWh"),
        ("waarvan MID/ERE-geschikt", "1.265,75 kWh"),
        ("ERE-credits", "10,40"),
        ("Waarde van de ERE-credits (schatting)", "≈ € 2,60"),
        ("Kosten tegen € 0,32 per kWh", "€ 409,04"),
    )
    assert page.notes == (
        "Schatting tegen € 0,25 per credit: indicatieve prijs van Joulo voor dit account, na de "
        "vergoeding van Joulo, stand van 1 december 2026. Alleen wat Joulo uitbetaalt is "
        "definitief.",
        "—: Joulo had de ERE-credits van deze sessie nog niet berekend.",
    )
    assert page.made.startswith("Gemaakt op 3 december 2026 om 10:30 (Europe/Amsterdam)")


def test_the_cost_is_rounded_to_the_cent_as_a_bill_rounds_it() -> None:
    assert NOVEMBER is not None
    start = datetime(2026, 11, 5, 18, tzinfo=UTC)
    data = statement_data("Anna", NOVEMBER, [_view(start, 2, 42.25)], made_at=MADE, tariff=0.3)
    assert data is not None
    assert data.cost == 12.68  # 42.25 × 0.30 = 12.675; binary floats would make it 12.67
    assert render_statement(data, "en", AMSTERDAM).totals[-1] == (
        "Cost at €0.30 per kWh",
        "€12.68",
    )


def test_the_english_page_without_tariff_or_price_shows_neither() -> None:
    page = render_statement(_data(), "en", AMSTERDAM)
    assert page.title == "Charging statement November 2026"
    assert page.rows[2] == (
        "12 Nov 2026", "Garage", "18:05", "08:05 +1", "31.25", "yes", "10.40", "Anna (04A3B2C1)",
    )  # fmt: skip
    assert page.totals == (
        ("Sessions", "3"),
        ("Energy charged", "1,278.25 kWh"),
        ("of which MID/ERE-eligible", "1,265.75 kWh"),
        ("ERE credits", "10.40"),
    )
    assert page.notes == ("—: Joulo had not yet computed this session's ERE credits.",)


def test_a_session_without_counts_for_ere_is_eligible_when_it_earned_credits() -> None:
    assert NOVEMBER is not None
    start = datetime(2026, 11, 5, 18, tzinfo=UTC)
    views = [
        _view(start, 2, 10.0, credits=3.3, counts=None),
        _view(start + timedelta(days=1), 2, 10.0, credits=None, counts=None),
    ]
    data = statement_data("Anna", NOVEMBER, views, made_at=MADE)
    assert data is not None
    page = render_statement(data, "en", AMSTERDAM)
    assert [row[5] for row in page.rows] == ["yes", "?"]
    assert data.ere_kwh == 10.0


def test_the_feed_price_says_so_and_a_stale_price_gives_no_value() -> None:
    feed = CreditPrice(0.3123, "feed", MADE - timedelta(days=3), net_of_fee=False)
    page = render_statement(_data(price=feed), "en", AMSTERDAM)
    assert page.totals[-1] == ("Value of the ERE credits (estimate)", "≈ €3.25")
    assert page.notes[0] == (
        "Estimate at €0.3123 per credit: Joulo's public ERE price of the week, before Joulo's "
        "fee, as of 30 November 2026. Only what Joulo pays out is final."
    )
    stale = CreditPrice(0.3, "account", MADE - timedelta(days=15))
    data = _data(price=stale)
    assert (data.price, data.value) == (None, None)
    assert not any("€" in value for _, value in render_statement(data, "en", AMSTERDAM).totals)


def test_the_running_month_says_it_is_not_over() -> None:
    now = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
    period = parse_period("2026-11", now, AMSTERDAM)
    assert period is not None
    data = statement_data("Anna", period, _november(), made_at=now)
    assert data is not None
    page = render_statement(data, "en", AMSTERDAM)
    assert page.facts[2] == ("Period", "1 November 2026 – 14 November 2026 (month not over yet)")


def test_the_file_is_named_after_the_month_and_the_holder() -> None:
    assert statement_filename(_data()) == "joulo-statement-2026-11-anna-de-vries.pdf"
    assert NOVEMBER is not None
    emoji = statement_data("🚗", NOVEMBER, _november(), made_at=MADE)
    assert emoji is not None
    assert statement_filename(emoji) == "joulo-statement-2026-11.pdf"


# --- the PDF, read back ----------------------------------------------------------------------


def test_the_dutch_pdf_says_everything_on_one_page() -> None:
    content = draw_statement(
        render_statement(_data(tariff=0.32, price=PRICE), "nl", AMSTERDAM), MADE
    )
    pages = pdf_pages(content)
    assert len(pages) == 1
    text = pages[0]
    for expected in (
        "Laadoverzicht november 2026",
        "Accounthouder Anna de Vries",
        "Laadpalen Garage, Oprit",
        "1-11-2026 Garage 00:30 02:30 1.234,50 ja — 04F19A7E",
        "3-11-2026 Oprit 19:00 22:00 12,50 nee —",
        "12-11-2026 Garage 18:05 08:05 +1 31,25 ja 10,40 Anna (04A3B2C1)",
        "Geladen energie 1.278,25 kWh",
        "waarvan MID/ERE-geschikt 1.265,75 kWh",
        "Waarde van de ERE-credits (schatting) ≈ € 2,60",
        "Kosten tegen € 0,32 per kWh € 409,04",
        "Gemaakt op 3 december 2026 om 10:30",
        "api.joulo.nl",
        "Pagina 1 van 1",
    ):
        assert expected in text


def test_the_english_pdf_without_tariff_or_price_has_no_euros() -> None:
    text = pdf_text(draw_statement(render_statement(_data(), "en", AMSTERDAM), MADE))
    assert "Charging statement November 2026" in text
    assert "12 Nov 2026 Garage 18:05 08:05 +1 31.25 yes 10.40 Anna (04A3B2C1)" in text
    assert "Energy charged 1,278.25 kWh" in text
    assert "€" not in text
    assert "Made on 3 December 2026 at 10:30 (Europe/Amsterdam)" in text


def test_a_long_month_continues_on_a_second_page_under_the_column_heads() -> None:
    assert NOVEMBER is not None
    start = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
    views = [_view(start + timedelta(hours=11 * i), 2, 10.0 + i, credits=3.0) for i in range(60)]
    data = statement_data("Anna", NOVEMBER, views, made_at=MADE)
    assert data is not None
    pages = pdf_pages(draw_statement(render_statement(data, "en", AMSTERDAM), MADE))
    assert len(pages) == 2
    assert all(
        page.count("Date Charger Start End kWh MID/ERE ERE credits Card") == 1 for page in pages
    )
    text = " ".join(pages)
    for i in range(60):
        assert f" {10.0 + i:.2f} yes 3.00" in text
    assert "Sessions 60" in pages[1]
    assert "Page 2 of 2" in pages[1]


def test_a_name_the_font_cannot_draw_loses_only_what_it_cannot_draw() -> None:
    assert NOVEMBER is not None
    data = statement_data("Anna 🚗 Ødegård", NOVEMBER, _november(), made_at=MADE, tariff=0.25)
    assert data is not None
    text = pdf_text(draw_statement(render_statement(data, "en", AMSTERDAM), MADE))
    assert "Account holder Anna Ødegård" in text
    assert "Cost at €0.25 per kWh €319.56" in text
