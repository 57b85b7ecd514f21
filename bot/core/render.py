"""Every sentence the bot shows, as Telegram HTML, per language. Pure: no I/O, `now` is an argument.

`bot.commands` decides what to say; the functions here say it, over the catalog in
`bot.core.i18n`. External strings (names, statuses, tags) are escaped here and nowhere else:
`message()` escapes every value that is not already `Html`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from html import escape

from bot.core.events import (
    ChargerOffline,
    ChargerOnline,
    Event,
    GroupLost,
    JouloRecovered,
    JouloUnreachable,
    MonthlyDigest,
    SessionCredited,
    SessionFinished,
    SessionStalled,
    SessionStarted,
    TokenRejected,
)
from bot.core.i18n import Language, fmt_duration, fmt_number, fmt_time, plural, t
from bot.core.render_chat import digest, stalled
from bot.core.state import ChargerState, estimate_power_kw
from bot.joulo.models import Charger

#: Below this a session's average power means little (a 30-second test would read "7,500 kW").
MIN_SPAN_FOR_AVERAGE = timedelta(minutes=5)


class Html(str):
    """Text that is already Telegram HTML and must not be escaped again."""

    __slots__ = ()


def message(lang: Language, key: str, **values: object) -> Html:
    """Catalog text `key` with its placeholders filled; plain strings are escaped."""
    safe = {
        name: escape(value) if isinstance(value, str) and not isinstance(value, Html) else value
        for name, value in values.items()
    }
    return Html(t(lang, key, **safe))


def _tag(tag: str | None, lang: Language) -> str:
    return t(lang, "tag", tag=escape(tag)) if tag else ""


def render_event(event: Event, lang: Language, tz: tzinfo, now: datetime) -> str:
    """The message that announces `event` in a chat that speaks `lang`."""
    match event:
        case SessionStarted():
            text = t(
                lang,
                "started",
                charger=escape(event.charger_name),
                time=fmt_time(event.started_at, lang, tz, now),
                tag=_tag(event.id_tag, lang),
            )
        case SessionFinished():
            span = event.ended_at - event.started_at
            hours = span.total_seconds() / 3600
            power = (
                t(lang, "avg_power", kw=fmt_number(event.kwh / hours, lang))
                if span >= MIN_SPAN_FOR_AVERAGE and event.kwh > 0
                else ""
            )
            text = t(
                lang,
                "finished",
                charger=escape(event.charger_name),
                tag=_tag(event.id_tag, lang),
                kwh=fmt_number(event.kwh, lang, 2),
                duration=fmt_duration(span, lang),
                power=power,
            )
            if event.ere_credits is not None:
                text += t(lang, "credits", credits=fmt_number(event.ere_credits, lang, 2))
            if not event.final:
                text += t(lang, "not_final")
        case SessionCredited():
            return render_event(event.finished, lang, tz, now)
        case SessionStalled():
            return stalled(event, lang, tz, now)
        case MonthlyDigest():
            return digest(event, lang)
        case ChargerOffline():
            return t(
                lang,
                "offline",
                charger=escape(event.charger_name),
                time=fmt_time(event.since, lang, tz, now),
                status=escape(event.status),
            )
        case ChargerOnline():
            return t(
                lang,
                "online",
                charger=escape(event.charger_name),
                duration=fmt_duration(event.back_at - event.offline_since, lang),
            )
        case TokenRejected():
            return t(lang, "token_unreadable" if event.reason == "unreadable" else "token_rejected")
        case JouloUnreachable():
            return t(lang, "joulo_unreachable", time=fmt_time(event.since, lang, tz, now))
        case JouloRecovered():
            return t(lang, "joulo_recovered", duration=fmt_duration(event.at - event.since, lang))
        case GroupLost():
            return t(lang, "group_lost", title=escape(event.title or str(event.chat_id)))
    if event.while_away:
        text += t(lang, "while_away")
    return text


def charger_list(chargers: Sequence[Charger], lang: Language) -> Html:
    """One line per charger found while linking: name, kind, MID meter, charging now."""
    lines = []
    for charger in chargers:
        state = t(lang, "state_charging") if charger.is_charging else ""
        kind = escape(charger.connection_type or "?")
        mid = ", MID" if charger.mid_certified else ""
        suffix = f" — {state}" if state else ""
        lines.append(f"• <b>{escape(charger.name)}</b> ({kind}{mid}){suffix}")
    return Html("\n".join(lines))


def charger_count(lang: Language, count: int) -> Html:
    """`2 chargers` / `1 laadpaal`."""
    return Html(plural(lang, "chargers", count))


@dataclass(frozen=True)
class AccountStatus:
    """What `/status` shows of one account: its chargers as last polled, and how fresh that is."""

    owner_name: str
    paused: bool
    chargers: Sequence[ChargerState]
    last_success_at: datetime | None


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
    return Html("\n\n".join(blocks))


def _status_block(
    account: AccountStatus,
    lang: Language,
    tz: tzinfo,
    now: datetime,
    poll_interval: float,
    *,
    with_header: bool,
) -> str:
    name = escape(account.owner_name)
    lines = [t(lang, "account_header", name=name)] if with_header else []
    if account.paused:
        lines.append(t(lang, "account_paused", name=name))
    if not account.chargers:
        lines.append(t(lang, "status_no_chargers"))
    for state in sorted(account.chargers, key=lambda s: s.name.lower()):
        lines.extend(_charger_lines(state, lang, tz, now))
    seen = account.last_success_at
    if seen is not None:
        age = now - seen
        if age.total_seconds() > 3 * poll_interval and age > timedelta(minutes=3):
            lines.append(t(lang, "data_stale", time=fmt_time(seen, lang, tz, now)))
        elif age < timedelta(minutes=1):
            lines.append(t(lang, "data_age_fresh"))
        else:
            lines.append(t(lang, "data_age", age=fmt_duration(age, lang)))
    return "\n".join(lines)


def _charger_lines(state: ChargerState, lang: Language, tz: tzinfo, now: datetime) -> list[str]:
    name = escape(state.name)
    if not state.online:
        since = state.offline_since or state.observed_at
        label = t(
            lang, "state_offline", time=fmt_time(since, lang, tz, now), status=escape(state.status)
        )
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
        tag=_tag(session.id_tag, lang),
    )
    return [t(lang, "charger_line", charger=name, state=t(lang, "state_charging")), detail]
