"""What a chat sees of its own settings, its live session cards, stalls and the monthly digest.

Pure: no I/O, `now` is an argument. External strings (charger names, tags) are escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from html import escape

from bot.core import buttons
from bot.core.chart import ChartText
from bot.core.events import MonthlyDigest, SessionFinished, SessionStalled, SessionStarted
from bot.core.i18n import (
    LANGUAGES,
    Language,
    fmt_duration,
    fmt_number,
    fmt_time,
    month_name,
    plural,
    t,
)
from bot.core.policy import TOPICS, ChatSettings
from bot.core.reply import Button, Reply
from bot.core.state import ChargerState, estimate_power_kw

#: Quiet-hour windows offered as buttons; `/quiet HH:MM-HH:MM` sets any other.
QUIET_PRESETS = ("22:00-07:00", "23:00-08:00")


def tag_note(tag: str | None, lang: Language) -> str:
    """` (tag 04A3B2C1)` after a charger's name, escaped; empty without a tag."""
    return t(lang, "tag", tag=escape(tag)) if tag else ""


def _on_off(value: bool) -> str:
    return "✅" if value else "▫️"


def settings_menu(
    settings: ChatSettings,
    chargers: Sequence[tuple[str, str]],
    lang: Language,
    tz: tzinfo,
    now: datetime,
    *,
    private: bool,
    chat_language: Language,
) -> Reply:
    """`/settings`: a summary and a keyboard; its buttons' data comes from `bot.core.buttons`.

    `lang` is the reader's language; `chat_language` the one the chat's notifications use.
    """
    lines = [t(lang, "settings_title")]
    wanted = [
        t(lang, f"topic_{topic}") for topic in TOPICS if settings.wants(topic, private=private)
    ]
    lines.append(t(lang, "settings_topics", topics=", ".join(wanted) or t(lang, "settings_none")))
    muted = [escape(name) for cid, name in chargers if cid in settings.muted_chargers]
    if muted:
        lines.append(t(lang, "settings_muted_chargers", names=", ".join(muted)))
    lines.append(t(lang, "settings_live_on" if settings.live else "settings_live_off"))
    quiet = settings.quiet.label() if settings.quiet else t(lang, "settings_quiet_none")
    lines.append(t(lang, "settings_quiet", window=quiet))
    if settings.muted(now):
        assert settings.muted_until is not None  # noqa: S101  (muted() checked it)
        lines.append(
            t(lang, "settings_muted_until", time=fmt_time(settings.muted_until, lang, tz, now))
        )
    lines.append(t(lang, "settings_language", language=t(lang, f"language_{chat_language}")))
    lines.append(t(lang, "settings_hint"))

    rows: list[tuple[Button, ...]] = []
    toggles = [
        Button(
            f"{_on_off(settings.wants(topic, private=private))} {t(lang, f'topic_{topic}')}",
            buttons.topic(topic),
        )
        for topic in TOPICS
    ]
    rows.extend(tuple(toggles[i : i + 2]) for i in range(0, len(toggles), 2))
    for charger_id, name in chargers:
        audible = charger_id not in settings.muted_chargers
        label = t(lang, "button_charger", charger=name)
        rows.append((Button(f"{_on_off(audible)} {label}", buttons.charger(charger_id)),))
    rows.append((Button(f"{_on_off(settings.live)} {t(lang, 'button_live')}", buttons.live()),))
    quiet_row = [
        Button(
            f"{'✅ ' if settings.quiet and settings.quiet.label() == p.replace('-', '–') else ''}"
            f"🌙 {p.replace('-', '–')}",
            buttons.quiet(p),
        )
        for p in QUIET_PRESETS
    ]
    quiet_row.append(
        Button(
            f"{_on_off(settings.quiet is None)} {t(lang, 'button_quiet_off')}", buttons.quiet(None)
        )
    )
    rows.append(tuple(quiet_row))
    rows.append(
        tuple(
            Button(
                f"{'✅ ' if code == chat_language else ''}{t(lang, f'language_{code}')}",
                buttons.language(code),
            )
            for code in LANGUAGES
        )
    )
    return Reply("\n".join(lines), tuple(rows))


def live_card(
    started: SessionStarted,
    state: ChargerState | None,
    finished: SessionFinished | None,
    *,
    lang: Language,
    tz: tzinfo,
    now: datetime,
) -> str:
    """The "started" message redrawn: kWh, power and time while running; end figures at last."""
    charger = escape(started.charger_name)
    begin = fmt_time(started.started_at, lang, tz, now)
    if finished is not None:
        span = finished.ended_at - finished.started_at
        text = t(
            lang,
            "card_done",
            charger=charger,
            start=begin,
            end=fmt_time(finished.ended_at, lang, tz, now),
            tag=tag_note(started.id_tag, lang),
            kwh=fmt_number(finished.kwh, lang, 2),
            duration=fmt_duration(span, lang),
        )
        if finished.ere_credits is not None:
            text += t(lang, "credits", credits=fmt_number(finished.ere_credits, lang, 2))
        return text
    text = t(lang, "card_live", charger=charger, time=begin, tag=tag_note(started.id_tag, lang))
    session = state.session if state is not None else None
    if state is not None and session is not None and session.id == started.session_id:
        power = estimate_power_kw(session, state.observed_at)
        text += t(
            lang,
            "card_figures",
            kwh=fmt_number(session.kwh, lang, 2),
            power=t(lang, "power_now", kw=fmt_number(power, lang)) if power is not None else "",
            duration=fmt_duration(state.observed_at - session.started_at, lang),
            updated=fmt_time(state.observed_at, lang, tz, now),
        )
    return text


def stalled(event: SessionStalled, lang: Language, tz: tzinfo, now: datetime) -> str:
    """ "Charging seems to have stopped", with since when and the kWh so far."""
    return t(
        lang,
        "stalled",
        charger=escape(event.charger_name),
        time=fmt_time(event.since, lang, tz, now),
        kwh=fmt_number(event.kwh, lang, 2),
    )


def _change(now: float, before: float, lang: Language, decimals: int = 1) -> str:
    if before <= 0:
        return ""
    percent = (now - before) / before * 100
    sign = "+" if percent >= 0 else "−"
    return t(lang, "digest_change", change=f"{sign}{fmt_number(abs(percent), lang, 0)}")


def digest(event: MonthlyDigest, lang: Language) -> str:
    """Last month's kWh, sessions and credits, each compared with the month before."""
    return t(
        lang,
        "digest",
        month=month_name(event.month, lang),
        previous=month_name(event.previous_month, lang),
        kwh=fmt_number(event.kwh, lang),
        kwh_change=_change(event.kwh, event.previous_kwh, lang),
        sessions=plural(lang, "sessions", event.sessions),
        sessions_change=_change(event.sessions, event.previous_sessions, lang),
        credits=fmt_number(event.credits, lang, 2),
        credits_change=_change(event.credits, event.previous_credits, lang),
        previous_kwh=fmt_number(event.previous_kwh, lang),
        previous_sessions=plural(lang, "sessions", event.previous_sessions),
        previous_credits=fmt_number(event.previous_credits, lang, 2),
    )


def chart_text(lang: Language, *, all_time: bool = False) -> ChartText:
    """The words on a chart: twelve months (/stats and the digest), or all time."""
    return ChartText(
        title=t(lang, "chart_title_all" if all_time else "chart_title_12m"),
        kwh_axis=t(lang, "chart_kwh_axis"),
        credits_axis=t(lang, "chart_credits_axis"),
        all_legend=t(lang, "chart_all_legend"),
        ere_legend=t(lang, "chart_ere_legend"),
        kwh_legend=t(lang, "chart_kwh_legend"),
        credits_legend=t(lang, "chart_credits_legend"),
    )


def settings_notice(lang: Language, *, saved: bool) -> str:
    """The popup after a settings button: saved, or why nothing changed (plain text)."""
    return t(lang, "settings_saved" if saved else "settings_admins_only")
