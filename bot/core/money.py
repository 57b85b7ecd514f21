"""What ERE credits are worth in euros, and what is worth telling about payouts. Pure.

The price per credit an account's texts use:

1. its own `/ere-position`: Joulo's `indicative_price_per_ere` less Joulo's fee
   (`effective_fee_pct`): net, what the household is actually paid, the same basis as Joulo's
   `paid` and forecast figures beside it in /stats. Without the fee the indicative price is
   used as it is (before the fee).
2. else Joulo's public ERE price feed (`mid_eur`): the market's mid price before Joulo's fee,
   so an upper bound of what a credit brings in (`CreditPrice.net_of_fee` says which).

No price known, or one older than `MAX_PRICE_AGE`: no euros at all, never a made-up figure.
An account whose token may not read `/ere-position` (an OAuth token without the scope) gets no
euros either: whose money it is, is for Joulo to say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from bot.core.events import PayoutReceived, QuarterFinal, YearMoney
from bot.core.state import Value
from bot.joulo.models import ErePosition, ErePrice, EreQuarter

PriceSource = Literal["account", "feed"]

#: A price this old is not shown any more (the feed moves weekly; Joulo's forecast hourly).
MAX_PRICE_AGE: Final = timedelta(days=14)
#: Amounts of money are compared in cents: Joulo rounds euros to 2 decimals.
CENT: Final = 0.005


@dataclass(frozen=True)
class CreditPrice:
    """The price per ERE credit an account's texts use, where it came from, and how fresh."""

    #: Euros per credit.
    eur: float
    source: PriceSource
    #: When this price was read from Joulo.
    as_of: datetime
    #: True: after Joulo's fee (what is paid out); False: before it (the market's price).
    net_of_fee: bool = True


def _positive(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) and value > 0 else None


def account_price(position: ErePosition, at: datetime) -> CreditPrice | None:
    """The account's own price per credit, net of Joulo's fee when the fee is known."""
    price = _positive(position.indicative_price_per_ere)
    if price is None:
        return None
    fee = position.effective_fee_pct
    if fee is None or not 0 <= fee < 100:
        return CreditPrice(price, "account", at, net_of_fee=False)
    return CreditPrice(price * (1 - fee / 100), "account", at, net_of_fee=True)


def feed_price(feed: ErePrice, at: datetime) -> CreditPrice | None:
    """The public feed's mid price per credit (before Joulo's fee)."""
    price = _positive(feed.mid_eur)
    return None if price is None else CreditPrice(price, "feed", at, net_of_fee=False)


def choose_price(
    *,
    own: CreditPrice | None,
    feed: CreditPrice | None,
    previous: CreditPrice | None,
    answered: bool = True,
    denied: bool = False,
    now: datetime,
) -> CreditPrice | None:
    """The price an account uses after a look at `/ere-position` (and the feed).

    `own` is what `/ere-position` gave (None: no price in it). When it did not answer
    (`answered` False) the account's own last price stands; a failed look changes nothing.
    Then the feed, then whatever was known before; none older than MAX_PRICE_AGE.
    """
    if denied:
        return None
    if not answered and previous is not None and previous.source == "account":
        own = previous
    for candidate in (own, feed, previous):
        if candidate is not None and now - candidate.as_of <= MAX_PRICE_AGE:
            return candidate
    return None


def credits_value(credits: float | None, price: CreditPrice | None) -> float | None:
    """What `credits` ERE credits are worth at `price`; None without either."""
    if credits is None or price is None:
        return None
    return credits * price.eur


# --- payouts and final quarters ------------------------------------------------------------------


class MoneyMark(Value):
    """What was last seen (and so announced) of an account's money: the next look compares."""

    #: Joulo's compliance year of `paid_eur` (None when Joulo did not say).
    year: int | None = None
    #: Euros paid out so far in that year, net.
    paid_eur: float | None = None
    #: Quarters whose final price was announced (or already final at the first look).
    final_quarters: frozenset[str] = frozenset()
    #: This year's euros as last seen (for the monthly digest).
    money: YearMoney | None = None


@dataclass(frozen=True)
class MoneyNews:
    """What one look at `/ere-position` found: the new mark and what to tell the owner."""

    mark: MoneyMark
    events: Sequence[PayoutReceived | QuarterFinal] = ()


def _amount(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def year_money(position: ErePosition) -> YearMoney | None:
    """This compliance year's euros: paid out, and Joulo's forecast of what is still to come.

    Still to come is Joulo's forecast for the year (`ytd_expected_eur`) less what it paid;
    a forecast below what was paid cannot include it, so it is then shown as it is.
    """
    paid = _paid(position)
    expected = _amount(position.ytd_expected_eur)
    if paid is None and expected is None:
        return None
    year = position.compliance_year
    if paid is not None and expected is not None and expected >= paid:
        return YearMoney(year=year, paid_eur=paid, to_come_eur=round(expected - paid, 2))
    return YearMoney(year=year, paid_eur=paid, expected_eur=expected)


def _paid(position: ErePosition) -> float | None:
    paid = position.paid.net_eur if position.paid is not None else None
    return paid if paid is not None and math.isfinite(paid) and paid >= 0 else None


def _final_quarters(position: ErePosition) -> dict[str, EreQuarter]:
    """The final quarters that have a price per credit (Joulo's, else net per credit)."""
    return {
        quarter.quarter: quarter
        for quarter in position.quarters
        if quarter.is_final and _quarter_price(quarter) is not None
    }


def _quarter_price(quarter: EreQuarter) -> float | None:
    return _positive(quarter.price_per_ere) or _positive(quarter.net_per_credit)


def money_news(previous: MoneyMark | None, position: ErePosition, now: datetime) -> MoneyNews:
    """Compare a look at `/ere-position` with the last one.

    The first look (`previous` None) records where the account stands and tells nothing. After
    that: `paid` grown (in the same compliance year, or anything paid in a new one) is a payout;
    a quarter newly final with a price is announced with it. Keys make each announcement once.
    """
    paid = _paid(position)
    year = position.compliance_year
    finals = _final_quarters(position)
    money = year_money(position)
    if previous is None:
        first = MoneyMark(year=year, paid_eur=paid, final_quarters=frozenset(finals), money=money)
        return MoneyNews(first)
    events: list[PayoutReceived | QuarterFinal] = []
    mark_year, mark_paid = previous.year, previous.paid_eur
    if paid is not None:
        new_year = year is not None and mark_year is not None and year != mark_year
        before = 0.0 if new_year else mark_paid
        if before is not None and paid - before > CENT:
            events.append(
                PayoutReceived(
                    year=year, added_eur=round(paid - before, 2), total_eur=round(paid, 2), at=now
                )
            )
        mark_year, mark_paid = year, paid
    elif year is not None and year != mark_year:
        mark_year = year
    for name, quarter in sorted(finals.items()):
        price = _quarter_price(quarter)
        if name not in previous.final_quarters and price is not None:
            events.append(
                QuarterFinal(
                    quarter=name,
                    price_per_ere=price,
                    ere=quarter.ere,
                    net_eur=quarter.net_eur
                    if quarter.net_eur is not None
                    else quarter.realized_net_eur,
                    at=now,
                )
            )
    mark = MoneyMark(
        year=mark_year,
        paid_eur=mark_paid,
        final_quarters=previous.final_quarters | frozenset(finals),
        money=money or previous.money,
    )
    return MoneyNews(mark, events)
