"""`/statement`: one account's month of charging as a page for an employer. Pure: no I/O, no clock.

`statement_data` gathers the figures (the finished sessions started in the month, their totals,
the cost at the chat's tariff and the credits' estimated value), `render_statement` turns them
into the words and numbers of the page in the chat's language, and `bot.core.statement_pdf`
only lays those out. So everything a reader checks is tested here without a PDF.

One statement covers one account: it is handed to that driver's employer, who should see that
driver's charging and nobody else's, with totals that are that driver's alone.

MID/ERE-eligible: Joulo's `counts_for_ere` when it gives it; without it, a session that earned
credits counted; otherwise it is unknown ("?"), never guessed as "no".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Final

from bot.core.export import Period, SessionView
from bot.core.money import MAX_PRICE_AGE, CreditPrice, credits_value
from bot.core.tariff import cost
from bot.core.text.catalog import per_kwh, plain
from bot.core.text.format import (
    Language,
    fmt_number,
    month_abbreviation,
    month_name,
    plain_text,
)

_SLUG_DROP: Final = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class StatementData:
    """One account's finished sessions started in one month, and what they cost and earned."""

    holder: str
    period: Period
    #: Oldest first.
    sessions: tuple[SessionView, ...]
    made_at: datetime
    #: The chat's price per kWh in euros, if it set one.
    tariff: float | None = None
    price: CreditPrice | None = None

    @property
    def kwh(self) -> float:
        """Everything charged."""
        return float(_exact_sum(view.session.kwh for view in self.sessions))

    @property
    def ere_kwh(self) -> float:
        """The part charged in sessions that count for ERE credits."""
        return float(
            _exact_sum(view.session.kwh for view in self.sessions if eligible(view) is True)
        )

    @property
    def credits(self) -> float:
        """The ERE credits Joulo gave the sessions (those it has computed)."""
        return float(_exact_sum(view.session.ere_credits or 0.0 for view in self.sessions))

    @property
    def cost(self) -> float | None:
        """Everything charged at the chat's tariff; None without a tariff."""
        return None if self.tariff is None else cost(self.kwh, self.tariff)

    @property
    def value(self) -> float | None:
        """The credits' estimated value; None without a known price."""
        return credits_value(self.credits, self.price)

    @property
    def chargers(self) -> tuple[str, ...]:
        """The chargers the sessions were at, by name."""
        return tuple(sorted({view.charger for view in self.sessions}, key=str.casefold))

    @property
    def month_over(self) -> bool:
        """Whether the month had ended when the statement was made."""
        return self.made_at >= self.period.end


def _exact_sum(values: Iterable[float]) -> Decimal:
    """The sum of figures Joulo gives to two decimals, without float's stray digits."""
    return sum((Decimal(str(value)) for value in values), Decimal(0))


def eligible(view: SessionView) -> bool | None:
    """Whether a session counts for ERE credits; None when Joulo does not say (see module doc)."""
    session = view.session
    if session.counts_for_ere is not None:
        return session.counts_for_ere
    if session.ere_credits:
        return True
    return None


def statement_data(
    holder: str,
    period: Period,
    views: Sequence[SessionView],
    *,
    made_at: datetime,
    tariff: float | None = None,
    price: CreditPrice | None = None,
) -> StatementData | None:
    """The statement of `period` from `views`: finished sessions started in it; None if none.

    A price older than `MAX_PRICE_AGE` is no price: the credits then get no value.
    """
    kept = sorted(
        (
            view
            for view in views
            if view.session.ended_at is not None
            and period.start <= view.session.started_at < period.end
        ),
        key=lambda view: (view.session.started_at, view.session.id),
    )
    if not kept:
        return None
    if price is not None and made_at - price.as_of > MAX_PRICE_AGE:
        price = None
    return StatementData(holder, period, tuple(kept), made_at, tariff, price)


# --- the page's words -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementPage:
    """Everything printed on a statement, in the reader's language; the PDF only lays it out."""

    title: str
    #: Label and value: holder, chargers, period.
    facts: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: Label and value: sessions, kWh, ERE part, credits, their value, the cost.
    totals: tuple[tuple[str, str], ...]
    #: Small print under the totals: what an estimate is based on.
    notes: tuple[str, ...]
    #: Who made it, when, from what.
    made: str
    #: "Page {page} of {pages}".
    page_of: str
    #: The document's title and author in the PDF's properties.
    author: str


def _eur(amount: float, lang: Language, decimals: int = 2) -> str:
    return plain(lang, "eur", amount=fmt_number(amount, lang, decimals))


def price_text(eur_per_credit: float, lang: Language) -> str:
    """A price per credit: cents when that is exact, else to a hundredth of a cent."""
    exact = round(eur_per_credit, 2) == round(eur_per_credit, 6)
    return _eur(eur_per_credit, lang, 2 if exact else 4)


def _source(price: CreditPrice, lang: Language) -> str:
    """Where a price per credit comes from, and whether Joulo's fee is off it."""
    if price.source == "feed":
        return plain(lang, "statement_source_feed")
    net = "net" if price.net_of_fee else "gross"
    return plain(lang, f"statement_source_account_{net}")


def _date(moment: datetime, lang: Language) -> str:
    """`3 Nov 2026` in English, `3-11-2026` in Dutch."""
    if lang == "nl":
        return f"{moment.day}-{moment.month}-{moment.year}"
    return f"{moment.day} {month_abbreviation(moment.month, lang)} {moment.year}"


def _long_date(moment: datetime, lang: Language) -> str:
    """`3 November 2026` / `3 november 2026`."""
    return f"{moment.day} {month_name(moment.strftime('%Y-%m'), lang)}"


def _end(start: datetime, end: datetime) -> str:
    """The end's clock time, with `+1` when it is a day later than the start (`07:12 +1`)."""
    days = (end.date() - start.date()).days
    return end.strftime("%H:%M") + (f" +{days}" if days else "")


def _row(view: SessionView, lang: Language, tz: tzinfo) -> tuple[str, ...]:
    session = view.session
    start = session.started_at.astimezone(tz)
    end = (session.ended_at or session.started_at).astimezone(tz)
    counts = eligible(view)
    mark = "?" if counts is None else plain(lang, "csv_yes" if counts else "csv_no")
    credits = session.ere_credits
    card = ""
    if session.id_tag:
        card = f"{view.tag_name} ({session.id_tag})" if view.tag_name else session.id_tag
    return (
        _date(start, lang),
        view.charger,
        start.strftime("%H:%M"),
        _end(start, end),
        fmt_number(session.kwh, lang, 2),
        mark,
        "—" if credits is None else fmt_number(credits, lang, 2),
        card,
    )


def render_statement(data: StatementData, lang: Language, tz: tzinfo) -> StatementPage:
    """The statement's words and figures in `lang`, times in `tz`, Dutch number format in Dutch."""
    period = data.period
    first = period.start.astimezone(tz)
    last = (min(period.end, data.made_at) - timedelta(seconds=1)).astimezone(tz)
    span = plain(lang, "statement_span", first=_long_date(first, lang), last=_long_date(last, lang))
    if not data.month_over:
        span += plain(lang, "statement_so_far")
    facts = (
        (plain(lang, "statement_holder"), data.holder),
        (plain(lang, "statement_chargers"), ", ".join(data.chargers)),
        (plain(lang, "statement_period"), span),
    )
    totals: list[tuple[str, str]] = [
        (plain(lang, "statement_sessions"), str(len(data.sessions))),
        (plain(lang, "statement_kwh"), f"{fmt_number(data.kwh, lang, 2)} kWh"),
        (plain(lang, "statement_ere_kwh"), f"{fmt_number(data.ere_kwh, lang, 2)} kWh"),
        (plain(lang, "statement_credits"), fmt_number(data.credits, lang, 2)),
    ]
    notes: list[str] = []
    if data.price is not None and data.value is not None:
        totals.append((plain(lang, "statement_value"), "≈ " + _eur(data.value, lang)))
        notes.append(
            plain(
                lang,
                "statement_value_note",
                price=price_text(data.price.eur, lang),
                source=_source(data.price, lang),
                date=_long_date(data.price.as_of.astimezone(tz), lang),
            )
        )
    if data.tariff is not None and data.cost is not None:
        tariff = plain_text(per_kwh(data.tariff, lang))
        totals.append((plain(lang, "statement_cost", tariff=tariff), _eur(data.cost, lang)))
    if any(view.session.ere_credits is None and eligible(view) for view in data.sessions):
        notes.append(plain(lang, "statement_credits_pending"))
    made_at = data.made_at.astimezone(tz)
    title = plain(lang, "statement_title", month=month_name(period.label, lang))
    return StatementPage(
        title=title,
        facts=facts,
        columns=tuple(plain(lang, "statement_columns").split("|")),
        rows=tuple(_row(view, lang, tz) for view in data.sessions),
        totals=tuple(totals),
        notes=tuple(notes),
        made=plain(
            lang,
            "statement_made",
            date=_long_date(made_at, lang),
            time=made_at.strftime("%H:%M"),
            zone=str(tz),
        ),
        page_of=plain(lang, "statement_page", page="{page}", pages="{pages}"),
        author=plain(lang, "statement_author"),
    )


def statement_filename(data: StatementData) -> str:
    """`joulo-statement-2026-11-anna.pdf`: the month and the holder, in plain letters."""
    letters = unicodedata.normalize("NFKD", data.holder).encode("ascii", "ignore").decode()
    slug = _SLUG_DROP.sub("-", letters.lower()).strip("-")[:32].strip("-")
    return f"joulo-statement-{data.period.label}" + (f"-{slug}" if slug else "") + ".pdf"
