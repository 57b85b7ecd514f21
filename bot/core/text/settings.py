"""What a chat sees of its own settings: the /settings summary, its keyboard, the saved notice.

Pure: no I/O, `now` is an argument. Charger names go in as they are: `t()` escapes them; button
labels and the popup are plain text (`plain()`), which Telegram shows as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.core import buttons
from bot.core.policy import TOPICS, ChatSettings
from bot.core.reply import Button, Reply
from bot.core.text.catalog import per_kwh, plain, t
from bot.core.text.format import LANGUAGES, Html, Language, fmt_time

#: Quiet-hour windows offered as buttons; `/quiet HH:MM-HH:MM` sets any other.
QUIET_PRESETS = ("22:00-07:00", "23:00-08:00")


@dataclass(frozen=True)
class ThreadShown:
    """Where a forum group's notifications go: a topic (maybe with its name), or General."""

    thread_id: int | None
    name: str | None = None


def _thread_label(thread: ThreadShown, lang: Language) -> Html:
    if thread.thread_id is None:
        return t(lang, "settings_thread_general")
    if thread.name is None:
        return t(lang, "settings_thread_unnamed")
    return t(lang, "settings_thread_named", name=thread.name)


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
    thread: ThreadShown | None = None,
    tariff: float | None = None,
) -> Reply:
    """`/settings`: a summary and a keyboard; its buttons' data comes from `bot.core.buttons`.

    `lang` is the reader's language; `chat_language` the one the chat's notifications use;
    `thread` where a forum group's notifications go (None: not a forum, nothing to say).
    """
    lines = [t(lang, "settings_title")]
    wanted = [
        t(lang, f"topic_{topic}") for topic in TOPICS if settings.wants(topic, private=private)
    ]
    lines.append(
        t(lang, "settings_topics", topics=Html(", ").join(wanted) or t(lang, "settings_none"))
    )
    if thread is not None:
        lines.append(t(lang, "settings_thread", where=_thread_label(thread, lang)))
    muted = [name for cid, name in chargers if cid in settings.muted_chargers]
    if muted:
        lines.append(t(lang, "settings_muted_chargers", names=", ".join(muted)))
    lines.append(t(lang, "settings_live_on" if settings.live else "settings_live_off"))
    lines.append(t(lang, "settings_pin_on" if settings.pin else "settings_pin_off"))
    quiet = settings.quiet.label() if settings.quiet else t(lang, "settings_quiet_none")
    lines.append(t(lang, "settings_quiet", window=quiet))
    if settings.muted(now):
        assert settings.muted_until is not None  # noqa: S101  (muted() checked it)
        lines.append(
            t(lang, "settings_muted_until", time=fmt_time(settings.muted_until, lang, tz, now))
        )
    lines.append(t(lang, "settings_language", language=t(lang, f"language_{chat_language}")))
    if tariff is None:
        lines.append(t(lang, "settings_tariff_none"))
    else:
        lines.append(t(lang, "settings_tariff", price=per_kwh(tariff, lang)))
    lines.append(t(lang, "settings_hint"))

    rows: list[tuple[Button, ...]] = []
    toggles = [
        Button(
            f"{_on_off(settings.wants(topic, private=private))} {plain(lang, f'topic_{topic}')}",
            buttons.topic(topic),
        )
        for topic in TOPICS
    ]
    rows.extend(tuple(toggles[i : i + 2]) for i in range(0, len(toggles), 2))
    for charger_id, name in chargers:
        audible = charger_id not in settings.muted_chargers
        label = plain(lang, "button_charger", charger=name)
        rows.append((Button(f"{_on_off(audible)} {label}", buttons.charger(charger_id)),))
    rows.append(
        (
            Button(f"{_on_off(settings.live)} {plain(lang, 'button_live')}", buttons.live()),
            Button(f"{_on_off(settings.pin)} {plain(lang, 'button_pin')}", buttons.pin()),
        )
    )
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
            f"{_on_off(settings.quiet is None)} {plain(lang, 'button_quiet_off')}",
            buttons.quiet(None),
        )
    )
    rows.append(tuple(quiet_row))
    rows.append(
        tuple(
            Button(
                f"{'✅ ' if code == chat_language else ''}{plain(lang, f'language_{code}')}",
                buttons.language(code),
            )
            for code in LANGUAGES
        )
    )
    if tariff is not None:
        rows.append((Button(f"💶 {plain(lang, 'button_tariff_off')}", buttons.tariff_off()),))
    return Reply(Html("\n").join(lines), tuple(rows))


def settings_notice(lang: Language, *, saved: bool) -> str:
    """The popup after a settings button: saved, or why nothing changed (plain text)."""
    return plain(lang, "settings_saved" if saved else "settings_admins_only")
