"""The monthly digest: when it is due, and what it says. Pure; `now` is an argument.

It is due on the 1st of a month from 09:00 local time until the end of that day, so a bot that
was down at 09:00 still sends it when it is back that day. It is an event keyed by the month,
so however often the scheduled check runs (at start-up and every poll cycle) and however often
the bot restarts, the store records it once per account and month.
"""

from __future__ import annotations

from datetime import datetime, time, tzinfo
from typing import Final

from bot.core.chart import month_keys
from bot.core.events import MonthlyDigest, MonthTotals, YearMoney
from bot.joulo.models import Energy

#: Local time on the 1st from which the digest goes out.
DIGEST_TIME: Final = time(9, 0)
#: Months in the digest's chart, ending with the month it sums up (as /stats draws them).
CHART_MONTHS: Final = 12


def digest_due(now: datetime, tz: tzinfo) -> tuple[str, str] | None:
    """`(last month, the month before)` as `YYYY-MM` when the digest is due at `now`, else None."""
    local = now.astimezone(tz)
    if local.day != 1 or local.time().replace(tzinfo=None) < DIGEST_TIME:
        return None
    before, last, _ = month_keys(f"{local.year:04d}-{local.month:02d}", 3)
    return last, before


def build_digest(
    energy: Energy,
    month: str,
    previous_month: str,
    owner: str = "",
    *,
    money: YearMoney | None = None,
) -> MonthlyDigest:
    """`owner`'s digest of `month` compared with `previous_month`, from Joulo's `/energy`, with
    this year's ERE euros (`money`) as the money job last saw them."""
    last = energy.month(month)
    before = energy.month(previous_month)
    shown = set(month_keys(month, CHART_MONTHS))
    months = tuple(
        MonthTotals(month=m.month, kwh=m.kwh, credits=m.ere_credits or 0.0, kwh_all=m.kwh_all)
        for m in energy.months
        if m.month in shown
    )
    return MonthlyDigest(
        month=month,
        previous_month=previous_month,
        kwh=last.kwh if last else 0.0,
        sessions=last.sessions if last else 0,
        credits=(last.ere_credits or 0.0) if last else 0.0,
        previous_kwh=before.kwh if before else 0.0,
        previous_sessions=before.sessions if before else 0,
        previous_credits=(before.ere_credits or 0.0) if before else 0.0,
        months=months,
        owner=owner,
        money=money,
    )
