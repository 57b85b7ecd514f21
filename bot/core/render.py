"""Events → Telegram HTML, per language. Pure: no I/O, and `now` is an argument."""

from __future__ import annotations

from datetime import datetime, tzinfo
from html import escape

from bot.core.events import (
    ChargerOffline,
    ChargerOnline,
    Event,
    GroupLost,
    JouloRecovered,
    JouloUnreachable,
    SessionFinished,
    SessionStarted,
    TokenRejected,
)
from bot.core.i18n import Language, fmt_duration, fmt_number, fmt_time, t


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
                if hours > 0 and event.kwh > 0
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
