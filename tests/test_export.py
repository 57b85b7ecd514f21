"""/export's pure parts: which period an argument means (none = last month; never the future),
and a CSV that spreadsheets open as columns: `;` and decimal commas for Dutch, `,` for English,
UTF-8 with a BOM, local times, and no cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.export import SessionView, parse_period, sessions_csv
from bot.core.money import CreditPrice
from bot.joulo.models import Session

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)


def test_no_argument_means_last_month_in_local_time() -> None:
    period = parse_period(None, NOW, AMSTERDAM)
    assert period is not None
    assert period.label == "2026-03"
    assert period.start == datetime(2026, 3, 1, tzinfo=AMSTERDAM)
    assert period.end == datetime(2026, 4, 1, tzinfo=AMSTERDAM)
    assert period.filename == "joulo-sessions-2026-03.csv"


def test_january_exports_last_december() -> None:
    period = parse_period("", datetime(2026, 1, 10, tzinfo=UTC), AMSTERDAM)
    assert period is not None
    assert period.label == "2025-12"


@pytest.mark.parametrize(
    ("argument", "label"),
    [("2026-04", "2026-04"), ("2025-7", "2025-07"), ("2025", "2025"), ("1999", "1999")],
)
def test_a_month_or_a_year_that_has_begun_is_a_period(argument: str, label: str) -> None:
    period = parse_period(argument, NOW, AMSTERDAM)
    assert period is not None
    assert period.label == label


@pytest.mark.parametrize(
    "argument", ["2026-05", "2027", "2026-13", "2026-00", "april", "26-04", "0000", "2026 04"]
)
def test_a_future_or_malformed_period_is_refused(argument: str) -> None:
    assert parse_period(argument, NOW, AMSTERDAM) is None


def _session(start: datetime, minutes: int | None, kwh: float, credits: float | None, **extra):
    return Session(
        id=f"s-{start.isoformat()}",
        charger_id="c1",
        started_at=start,
        ended_at=start + timedelta(minutes=minutes) if minutes is not None else None,
        kwh=kwh,
        ere_credits=credits,
        **extra,
    )


#: The account's price per ERE credit, as the money job stored it.
PRICE = CreditPrice(0.2475, "account", NOW)

ROWS = [
    SessionView(
        _session(
            datetime(2026, 3, 20, 17, 5, tzinfo=UTC),
            93,
            17.03,
            5.62,
            counts_for_ere=True,
            id_tag="04A3B2C1",
        ),
        "Garage",
        "Anna",
        PRICE,
    ),
    SessionView(
        _session(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), 45, 1234.5, None, counts_for_ere=False),
        "=Oprit",
        None,
    ),
    SessionView(
        _session(datetime(2026, 3, 31, 21, 0, tzinfo=UTC), None, 3.1, None), "Garage", None
    ),
]


def _parse(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_an_english_csv_uses_commas_points_and_local_times_oldest_first() -> None:
    table = _parse(sessions_csv(ROWS, "en", AMSTERDAM), ",")
    assert table[0] == [
        "Start", "End", "Charger", "kWh", "Duration (min)", "ERE credits",
        "Est. ERE value (EUR)", "Counts for ERE", "Tag", "Tag name",
    ]  # fmt: skip
    assert table[1] == [
        "2026-03-02 08:00", "2026-03-02 08:45", "'=Oprit", "1234.50", "45", "", "", "no", "", "",
    ]  # fmt: skip
    assert table[2] == [
        "2026-03-20 18:05", "2026-03-20 19:38", "Garage", "17.03", "93", "5.62", "1.39", "yes",
        "04A3B2C1", "Anna",
    ]  # fmt: skip
    assert table[3] == ["2026-03-31 23:00", "", "Garage", "3.10", "", "", "", "", "", ""]
    assert len(table) == 4


def test_a_dutch_csv_uses_semicolons_and_decimal_commas() -> None:
    table = _parse(sessions_csv(ROWS, "nl", AMSTERDAM), ";")
    assert table[0][:3] == ["Begin", "Einde", "Laadpaal"]
    assert table[2][3:8] == ["17,03", "93", "5,62", "1,39", "ja"]
    assert table[1][3] == "1234,50"
    assert all(len(row) == 10 for row in table)


def test_without_a_price_the_value_column_stays_empty() -> None:
    unpriced = [SessionView(ROWS[0].session, "Garage", "Anna")]

    table = _parse(sessions_csv(unpriced, "en", AMSTERDAM), ",")

    assert table[1][5:7] == ["5.62", ""]
