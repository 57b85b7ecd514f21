"""What a command answers: /status, /stats, /sessions, /export, /tag, linking, and their buttons.

`bot.commands` decides what to say; the functions here say it, over the catalog. Pure: no
I/O, `now` is an argument. External strings (names, statuses, tags) go in as they are: `t()` and
`fmt()` escape them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from bot.core import buttons
from bot.core.buttons import STATS_PERIODS, StatsPeriod
from bot.core.chart import Bar, MonthFigures, all_time, last_months, month_keys
from bot.core.events import YearMoney
from bot.core.export import SessionView
from bot.core.money import year_money
from bot.core.reply import Button
from bot.core.state import ChargerState, estimate_power_kw
from bot.core.statement import StatementData
from bot.core.tariff import cost
from bot.core.text.catalog import euros, per_kwh, plain, plural, t, who_note
from bot.core.text.format import (
    Html,
    Language,
    fmt,
    fmt_duration,
    fmt_number,
    fmt_time,
    fmt_when,
    month_key,
    month_name,
    period_name,
)
from bot.joulo.models import Charger, Energy, ErePosition, MonthEnergy


def charger_list(chargers: Sequence[Charger], lang: Language) -> Html:
    """One line per charger found while linking: name, kind, MID meter, charging now."""
    lines = []
    for charger in chargers:
        state = t(lang, "state_charging") if charger.is_charging else ""
        lines.append(
            fmt(
                "• <b>{name}</b> ({kind}{mid}){suffix}",
                name=charger.name,
                kind=charger.connection_type or "?",
                mid=", MID" if charger.mid_certified else "",
                suffix=Html(" — ") + state if state else "",
            )
        )
    return Html("\n").join(lines)


def charger_count(lang: Language, count: int) -> Html:
    """`2 chargers` / `1 laadpaal`."""
    return plural(lang, "chargers", count)


@dataclass(frozen=True)
class AccountStatus:
    """What `/status` shows of one account: its chargers as last polled, and how fresh that is."""

    owner_name: str
    paused: bool
    chargers: Sequence[ChargerState]
    last_success_at: datetime | None
    #: The account's names for its charge cards: a running session says who charges.
    tag_names: Mapping[str, str]


def status(
    accounts: Sequence[AccountStatus],
    lang: Language,
    tz: tzinfo,
    now: datetime,
    *,
    poll_interval: float,
) -> Html:
    """`/status`: every visible charger, one block per account (headed when there are several)."""
    blocks = [
        _status_block(account, lang, tz, now, poll_interval, with_header=len(accounts) > 1)
        for account in accounts
    ]
    return Html("\n\n").join(blocks)


def _status_block(
    account: AccountStatus,
    lang: Language,
    tz: tzinfo,
    now: datetime,
    poll_interval: float,
    *,
    with_header: bool,
) -> Html:
    name = account.owner_name
    lines: list[Html] = [t(lang, "account_header", name=name)] if with_header else []
    if account.paused:
        lines.append(t(lang, "account_paused", name=name))
    if not account.chargers:
        lines.append(t(lang, "status_no_chargers"))
    for state in sorted(account.chargers, key=lambda s: s.name.lower()):
        lines.extend(_charger_lines(state, account.tag_names, lang, tz, now))
    seen = account.last_success_at
    if seen is not None:
        age = now - seen
        if age.total_seconds() > 3 * poll_interval and age > timedelta(minutes=3):
            lines.append(t(lang, "data_stale", time=fmt_time(seen, lang, tz, now)))
        elif age < timedelta(minutes=1):
            lines.append(t(lang, "data_age_fresh"))
        else:
            lines.append(t(lang, "data_age", age=fmt_duration(age, lang)))
    return Html("\n").join(lines)


def _charger_lines(
    state: ChargerState, names: Mapping[str, str], lang: Language, tz: tzinfo, now: datetime
) -> list[Html]:
    name = state.name
    if not state.online:
        since = state.offline_since or state.observed_at
        label = t(lang, "state_offline", time=fmt_time(since, lang, tz, now), status=state.status)
        return [t(lang, "charger_line", charger=name, state=label)]
    if state.session is None:
        label = t(lang, "state_charging") if state.is_charging else t(lang, "state_idle")
        return [t(lang, "charger_line", charger=name, state=label)]
    session = state.session
    power = estimate_power_kw(session, state.observed_at)
    detail = t(
        lang,
        "session_line",
        kwh=fmt_number(session.kwh, lang, 2),
        duration=fmt_duration(now - session.started_at, lang),
        time=fmt_time(session.started_at, lang, tz, now),
        power=t(lang, "power_now", kw=fmt_number(power, lang)) if power is not None else "",
        tag=who_note(session.id_tag, names, lang),
    )
    return [t(lang, "charger_line", charger=name, state=t(lang, "state_charging")), detail]


# --- /stats, /sessions, /export, /tag ------------------------------------------------------------


@dataclass(frozen=True)
class _Figures:
    kwh: float
    sessions: int
    credits: float
    kwh_all: float | None = None
    sessions_all: int | None = None


@dataclass(frozen=True)
class AccountStats:
    """What /stats knows about one account: the figures, or why there are none."""

    owner_name: str
    energy: Energy | None
    position: ErePosition | None = None
    problem: Literal["rejected", "unavailable"] | None = None


def _splits(energy: Energy) -> bool:
    """Whether Joulo tells all charging (`*_all`) apart from the ERE-eligible part."""
    return energy.total_kwh_all is not None or any(m.kwh_all is not None for m in energy.months)


def _month_figures(months: Sequence[MonthEnergy]) -> _Figures:
    return _Figures(
        kwh=sum(m.kwh for m in months),
        sessions=sum(m.sessions for m in months),
        credits=sum(m.ere_credits or 0.0 for m in months),
        kwh_all=sum(m.kwh_all if m.kwh_all is not None else m.kwh for m in months),
        sessions_all=sum(
            m.sessions_all if m.sessions_all is not None else m.sessions for m in months
        ),
    )


def _cost_note(kwh: float, tariff: float | None, lang: Language) -> Html:
    """` · €8.75`: what `kwh` cost at the chat's tariff; empty without one."""
    if tariff is None:
        return Html()
    return t(lang, "stats_cost", cost=euros(cost(kwh, tariff), lang))


def _figures_text(
    figures: _Figures, split: bool, lang: Language, tariff: float | None = None
) -> Html:
    if not split:
        return t(
            lang,
            "stats_body",
            kwh=fmt_number(figures.kwh, lang),
            cost=_cost_note(figures.kwh, tariff, lang),
            sessions=plural(lang, "sessions", figures.sessions),
            credits=fmt_number(figures.credits, lang, 2),
        )
    kwh_all = figures.kwh_all if figures.kwh_all is not None else figures.kwh
    sessions_all = figures.sessions_all if figures.sessions_all is not None else figures.sessions
    return t(
        lang,
        "stats_body_all",
        kwh=fmt_number(kwh_all, lang),
        cost=_cost_note(kwh_all, tariff, lang),  # all charging is paid for, not only the ERE part
        sessions=plural(lang, "sessions", sessions_all),
        ere_kwh=fmt_number(figures.kwh, lang),
        credits=fmt_number(figures.credits, lang, 2),
    )


def render_money(position: ErePosition | None, lang: Language) -> Html | None:
    """/stats' money line: this year's euros paid out and still to come, from `/ere-position`."""
    return render_year_money(year_money(position) if position is not None else None, lang)


def render_year_money(money: YearMoney | None, lang: Language) -> Html | None:
    """ "💶 ERE in euros, 2026: €310.46 paid out · €12.00 still to come (Joulo's forecast)";
    None when Joulo said nothing of it. The same line in /stats and the monthly digest."""
    if money is None:
        return None
    parts = []
    if money.paid_eur is not None:
        parts.append(t(lang, "stats_paid", eur=euros(money.paid_eur, lang)))
    if money.to_come_eur is not None:
        parts.append(t(lang, "stats_to_come", eur=euros(money.to_come_eur, lang)))
    elif money.expected_eur is not None:
        parts.append(t(lang, "stats_expected", eur=euros(money.expected_eur, lang)))
    if not parts:
        return None
    year = str(money.year) if money.year is not None else t(lang, "stats_money_this_year")
    return t(lang, "stats_money", year=year, parts=Html(" · ").join(parts))


def render_stats_block(
    energy: Energy,
    position: ErePosition | None,
    lang: Language,
    now: datetime,
    tz: tzinfo,
    *,
    tariff: float | None = None,
) -> Html:
    """This month, last month, this year and lifetime for one account, and the money side.

    The MID/ERE split is claimed only when Joulo sends the `*_all` fields that make it known.
    With the chat's `tariff`, each period says what its charging cost at that tariff.
    """
    this_key = month_key(now, tz)
    last_key, _ = month_keys(this_key, 2)
    year = this_key[:4]
    split = _splits(energy)
    rows: list[tuple[str, _Figures]] = []
    for label, key in (
        (t(lang, "this_month", month=month_name(this_key, lang)), this_key),
        (t(lang, "last_month", month=month_name(last_key, lang)), last_key),
    ):
        month = energy.month(key)
        rows.append((label, _month_figures([month] if month else [])))
    this_year = [m for m in energy.months if m.month.startswith(f"{year}-")]
    rows.append((t(lang, "this_year", year=year), _month_figures(this_year)))
    lifetime = _Figures(
        kwh=energy.total_kwh,
        sessions=energy.total_sessions,
        credits=energy.total_ere_credits or 0.0,
        kwh_all=energy.total_kwh_all,
        sessions_all=energy.total_sessions_all,
    )
    rows.append((t(lang, "lifetime"), lifetime))
    lines = [
        t(lang, "stats_row", label=label, body=_figures_text(figures, split, lang, tariff))
        for label, figures in rows
    ]
    money = render_money(position, lang)
    if money is not None:
        lines.append(money)
    if tariff is not None:
        lines.append(t(lang, "stats_note_tariff", price=per_kwh(tariff, lang)))
    if split:
        lines.append(t(lang, "stats_note_ere"))
    return Html("\n").join(lines)


def render_stats(
    accounts: Sequence[AccountStats],
    lang: Language,
    now: datetime,
    tz: tzinfo,
    tariff: float | None = None,
) -> Html:
    """The /stats text (the photo's caption): one block per account this chat may see.

    `tariff` is the chat's price per kWh: with one, each period says what it cost.
    """
    blocks = []
    for account in accounts:
        title = t(lang, "stats_title")
        if len(accounts) > 1:
            title += " — " + account.owner_name
        if account.problem == "rejected":
            body = t(lang, "stats_rejected")
        elif account.energy is None:
            body = t(lang, "stats_unavailable")
        else:
            body = render_stats_block(
                account.energy, account.position, lang, now, tz, tariff=tariff
            )
        blocks.append(title + "\n" + body)
    return Html("\n\n").join(blocks)


def chart_figures(accounts: Sequence[AccountStats]) -> list[MonthFigures]:
    """Every account's months as the chart takes them (the chart adds accounts up)."""
    figures: list[MonthFigures] = []
    for account in accounts:
        if account.energy is None:
            continue
        split = _splits(account.energy)
        figures.extend(
            MonthFigures(
                m.month,
                m.kwh,
                m.ere_credits or 0.0,
                (m.kwh_all if m.kwh_all is not None else m.kwh) if split else None,
            )
            for m in account.energy.months
        )
    return figures


def chart_bars(
    accounts: Sequence[AccountStats], period: StatsPeriod, lang: Language, now: datetime, tz: tzinfo
) -> list[Bar]:
    """The bars of the /stats chart for `period`."""
    figures = chart_figures(accounts)
    this_month = month_key(now, tz)
    if period == "all":
        return all_time(figures, this_month, lang)
    return last_months(figures, this_month, lang)


def stats_buttons(period: StatsPeriod, lang: Language) -> tuple[tuple[Button, ...], ...]:
    """ "12 months" and "All time"; the one shown is marked."""
    row = []
    for choice in STATS_PERIODS:
        label = plain(lang, f"stats_period_{choice}")
        if choice == period:
            label = plain(lang, "button_current", label=label)
        row.append(Button(label, buttons.stats(choice)))
    return (tuple(row),)


def paging_buttons(
    lang: Language, *, newer: str | None, older: str | None
) -> tuple[tuple[Button, ...], ...]:
    """ "« Newer" and "Older »" for paged history, each only when there is such a page."""
    row = []
    if newer is not None:
        row.append(Button(plain(lang, "sessions_newer"), newer))
    if older is not None:
        row.append(Button(plain(lang, "sessions_older"), older))
    return (tuple(row),) if row else ()


def render_session_line(view: SessionView, lang: Language, tz: tzinfo, now: datetime) -> Html:
    """Two lines for one session: when and where, then kWh, duration, credits and who."""
    session = view.session
    if session.ended_at is None:
        duration = t(lang, "sessions_active")
    else:
        duration = Html(fmt_duration(session.ended_at - session.started_at, lang))
    value = view.credits_eur
    if session.ere_credits is None:
        credits = Html()
    elif value is None:
        credits = t(lang, "sessions_credits", credits=fmt_number(session.ere_credits, lang, 2))
    else:
        credits = t(
            lang,
            "sessions_credits_value",
            credits=fmt_number(session.ere_credits, lang, 2),
            value=euros(value, lang),
        )
    if view.tag_name:
        who = t(lang, "sessions_who", who=view.tag_name)
    elif session.id_tag:
        who = t(lang, "sessions_tag", tag=session.id_tag)
    else:
        who = Html()
    return t(
        lang,
        "sessions_line",
        when=fmt_when(session.started_at, lang, tz, now),
        charger=view.charger,
        kwh=fmt_number(session.kwh, lang, 2),
        duration=duration,
        credits=credits,
        who=who,
    )


def render_sessions(
    views: Sequence[SessionView],
    *,
    offset: int,
    charger: str | None,
    lang: Language,
    tz: tzinfo,
    now: datetime,
) -> Html:
    """A page of /sessions: a numbered title and two lines per session, newest first."""
    if not views:
        if offset > 0:
            return t(lang, "sessions_no_more")
        if charger is not None:
            return t(lang, "sessions_none_charger", charger=charger)
        return t(lang, "sessions_none")
    first, last = offset + 1, offset + len(views)
    if charger is not None:
        title = t(lang, "sessions_title_charger", charger=charger, first=first, last=last)
    else:
        title = t(lang, "sessions_title", first=first, last=last)
    return Html("\n").join([title, *(render_session_line(v, lang, tz, now) for v in views)])


def render_export_caption(
    rows: Sequence[SessionView], label: str, lang: Language, tariff: float | None = None
) -> Html:
    """The caption of the CSV file: the period, how many sessions and kWh (and their cost)."""
    kwh = sum(r.session.kwh for r in rows)
    spent = Html()
    if tariff is not None:  # the sum of the file's cost column, cent for cent
        total = sum(round(cost(r.session.kwh, tariff), 2) for r in rows)
        spent = t(lang, "export_cost", cost=euros(total, lang), price=per_kwh(tariff, lang))
    return t(
        lang,
        "export_caption",
        period=period_name(label, lang),
        sessions=plural(lang, "sessions", len(rows)),
        kwh=fmt_number(kwh, lang),
        cost=spent,
    )


def render_statement_caption(data: StatementData, lang: Language) -> Html:
    """The caption of a statement's PDF: month, holder, sessions, kWh and the cost if known."""
    cost = data.cost
    return t(
        lang,
        "statement_caption",
        month=month_name(data.period.label, lang),
        name=data.holder,
        sessions=plural(lang, "sessions", len(data.sessions)),
        kwh=fmt_number(data.kwh, lang, 2),
        cost=Html() if cost is None else t(lang, "statement_caption_cost", eur=euros(cost, lang)),
    )


@dataclass(frozen=True)
class TagSeen:
    """A charge card in the recent sessions (or only named), and its name."""

    tag: str
    name: str | None
    last_used: datetime | None


def render_tags(tags: Sequence[TagSeen], lang: Language, tz: tzinfo, now: datetime) -> Html:
    """/tag: the cards seen lately with their names, and how to name one."""
    if not tags:
        return t(lang, "tag_list_empty") + "\n" + t(lang, "tag_howto")
    lines = [t(lang, "tag_list_title")]
    for seen in tags:
        name = fmt("<b>{name}</b>", name=seen.name) if seen.name else t(lang, "tag_no_name")
        when = (
            t(lang, "tag_last_used", when=fmt_when(seen.last_used, lang, tz, now))
            if seen.last_used is not None
            else ""
        )
        lines.append(t(lang, "tag_list_line", tag=seen.tag, name=name, seen=when))
    lines.append(t(lang, "tag_howto"))
    return Html("\n").join(lines)
