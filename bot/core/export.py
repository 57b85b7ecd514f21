"""`/export`: which period an argument means, and the CSV for reimbursement paperwork. Pure.

The file is UTF-8 with a byte-order mark, so Excel recognises the encoding. Dutch chats get `;`
between columns and decimal commas (what Dutch Excel expects), English chats `,` and points.
Text cells that a spreadsheet would take for a formula get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Final

from bot.core.money import CreditPrice, credits_value
from bot.core.tariff import cost, tariff_decimals
from bot.core.text.catalog import plain
from bot.core.text.format import Language
from bot.joulo.models import Session

_MONTH_ARG: Final = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR_ARG: Final = re.compile(r"\d{4}")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
BOM: Final = "\ufeff"
#: Where the cost column goes, with a tariff: right after kWh.
_COST_COLUMN: Final = 4
#: No Joulo session started before this: an earlier period is empty without asking Joulo.
NO_SESSIONS_BEFORE: Final = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """A calendar month or year in local time: `start` inclusive, `end` exclusive."""

    label: str  # `2026-10` or `2026`
    start: datetime
    end: datetime

    @property
    def before_joulo(self) -> bool:
        """Whether the period ended before any Joulo session could have started."""
        return self.end <= NO_SESSIONS_BEFORE

    @property
    def filename(self) -> str:
        """The name the CSV file gets: `joulo-sessions-2026-10.csv`."""
        return f"joulo-sessions-{self.label}.csv"


@dataclass(frozen=True)
class SessionView:
    """One session as /sessions and /export show it: its charger's name and its tag's name."""

    session: Session
    charger: str
    tag_name: str | None
    #: The account's price per ERE credit (`Store.credit_price`): the credits' value beside them.
    price: CreditPrice | None = None

    @property
    def credits_eur(self) -> float | None:
        """The estimated value of the session's ERE credits; None without credits or price."""
        return credits_value(self.session.ere_credits, self.price)


def _month(year: int, month: int, tz: tzinfo) -> Period:
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
    return Period(f"{year:04d}-{month:02d}", start, end)


def parse_period(argument: str | None, now: datetime, tz: tzinfo) -> Period | None:
    """`YYYY-MM`, `YYYY` or nothing (last month) → a period; None if malformed or in the future."""
    local = now.astimezone(tz)
    text = (argument or "").strip()
    if not text:
        year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
        return _month(year, month, tz)
    if match := _MONTH_ARG.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < 1:
            return None
        period = _month(year, month, tz)
    elif _YEAR_ARG.fullmatch(text) and int(text) >= 1:
        year = int(text)
        period = Period(text, datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz))
    else:
        return None
    return period if period.start <= now else None


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: float, lang: Language, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "nl" else text


def sessions_csv(
    rows: Sequence[SessionView], lang: Language, tz: tzinfo, tariff: float | None = None
) -> bytes:
    """The CSV file (bytes, UTF-8 with BOM) of `rows`, oldest first, in the chat's conventions.

    With the chat's `tariff`, a column after kWh gives each session's cost at it (its header
    names the tariff, so the file explains itself on an employer's desk).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if lang == "nl" else ",", lineterminator="\r\n")
    header = plain(lang, "csv_columns").split("|")
    if tariff is not None:
        price = _number(tariff, lang, tariff_decimals(tariff))
        header.insert(_COST_COLUMN, plain(lang, "csv_cost", price=price))
    writer.writerow(header)
    for row in sorted(rows, key=lambda r: (r.session.started_at, r.session.id)):
        session = row.session
        end = session.ended_at
        minutes = round((end - session.started_at).total_seconds() / 60) if end else None
        counts = session.counts_for_ere
        cells = [
            session.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            end.astimezone(tz).strftime("%Y-%m-%d %H:%M") if end else "",
            _cell(row.charger),
            _number(session.kwh, lang, 2),
            str(minutes) if minutes is not None else "",
            _number(session.ere_credits, lang, 2) if session.ere_credits is not None else "",
            _number(row.credits_eur, lang, 2) if row.credits_eur is not None else "",
            "" if counts is None else plain(lang, "csv_yes" if counts else "csv_no"),
            _cell(session.id_tag or ""),
            _cell(row.tag_name or ""),
        ]
        if tariff is not None:
            cells.insert(_COST_COLUMN, _number(cost(session.kwh, tariff), lang, 2))
        writer.writerow(cells)
    return (BOM + buffer.getvalue()).encode("utf-8")
