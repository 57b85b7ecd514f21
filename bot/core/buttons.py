"""Every inline button's data, written and read here and nowhere else. Pure.

Telegram hands a pressed button's data back as it was sent (at most 64 bytes), possibly long
after the message was drawn: `decode` reads anything, including data of old or other versions,
and answers None for what it does not know.

    stats:<12m|all>                 /stats over the last 12 months or all time
    sessions:<offset>[:<charger>]   a /sessions page, optionally one charger (name or id)
    set:t:<topic>                   /settings: switch a kind of news on or off
    set:c:<charger id>              /settings: mute or unmute one charger here
    set:live                        /settings: live cards on or off
    set:pin                         /settings: pinning the live card on or off
    set:q:<HH:MM-HH:MM|off>         /settings: quiet hours
    set:lang:<nl|en>                /settings: the chat's language
    set:tariff:off                  /settings: clear the chat's tariff
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from bot.core.policy import TOPICS, QuietHours, Topic, parse_quiet
from bot.core.reply import MAX_BUTTON_DATA
from bot.core.text.format import LANGUAGES, Language, as_lang

#: The periods `/stats` can chart.
StatsPeriod = Literal["12m", "all"]
STATS_PERIODS: Final[tuple[StatsPeriod, ...]] = ("12m", "all")


@dataclass(frozen=True)
class StatsPress:
    """Redraw /stats over `period`."""

    period: StatsPeriod


@dataclass(frozen=True)
class SessionsPress:
    """Show the /sessions page from `offset`, for `charger` (a name or an id; "" for all)."""

    offset: int
    charger: str = ""


@dataclass(frozen=True)
class TopicPress:
    """Switch one kind of news on or off."""

    topic: Topic


@dataclass(frozen=True)
class ChargerPress:
    """Mute or unmute one charger in this chat."""

    charger_id: str


@dataclass(frozen=True)
class LivePress:
    """Switch live cards on or off."""


@dataclass(frozen=True)
class PinPress:
    """Switch pinning the live card on or off."""


@dataclass(frozen=True)
class QuietPress:
    """Set quiet hours, or none (`window` None)."""

    window: QuietHours | None


@dataclass(frozen=True)
class LanguagePress:
    """Set the chat's language."""

    language: Language


@dataclass(frozen=True)
class TariffOffPress:
    """Clear the chat's tariff (setting one takes a number: `/tariff 0.25`)."""


#: The presses that change the chat's `ChatSettings`.
ChatSettingPress = TopicPress | ChargerPress | LivePress | PinPress | QuietPress | LanguagePress
SettingPress = ChatSettingPress | TariffOffPress
Press = StatsPress | SessionsPress | SettingPress


def stats(period: StatsPeriod) -> str:
    """The data of a /stats period button."""
    return f"stats:{period}"


def sessions(offset: int, charger: str = "", *, charger_id: str = "") -> str:
    """The data of a /sessions paging button; a charger name too long to fit gives its id."""
    data = f"sessions:{offset}:{charger}" if charger else f"sessions:{offset}"
    if len(data.encode()) > MAX_BUTTON_DATA:
        data = f"sessions:{offset}:{charger_id}"
    return data


def topic(which: Topic) -> str:
    """The data of a /settings topic button."""
    return f"set:t:{which}"


def charger(charger_id: str) -> str:
    """The data of a /settings charger button."""
    return f"set:c:{charger_id}"


def live() -> str:
    """The data of the /settings live-card button."""
    return "set:live"


def pin() -> str:
    """The data of the /settings pin button."""
    return "set:pin"


def quiet(preset: str | None) -> str:
    """The data of a /settings quiet-hours button: a preset `HH:MM-HH:MM`, or None for off."""
    return f"set:q:{preset if preset is not None else 'off'}"


def language(code: Language) -> str:
    """The data of a /settings language button."""
    return f"set:lang:{code}"


def tariff_off() -> str:
    """The data of the /settings button that clears the tariff."""
    return "set:tariff:off"


def decode(data: str) -> Press | None:
    """What a pressed button asks for; None for data no button of this version makes."""
    kind, _, rest = data.partition(":")
    if kind == "stats":
        return StatsPress("all" if rest == "all" else "12m") if rest in STATS_PERIODS else None
    if kind == "sessions":
        offset, _, name = rest.partition(":")
        return SessionsPress(int(offset), name) if offset.isdigit() else None
    if kind != "set":
        return None
    what, _, value = rest.partition(":")
    if what == "t":
        return next((TopicPress(t) for t in TOPICS if t == value), None)
    if what == "c" and value:
        return ChargerPress(value)
    if what == "live" and not value:
        return LivePress()
    if what == "pin" and not value:
        return PinPress()
    if what == "tariff" and value == "off":
        return TariffOffPress()
    if what == "lang" and value in LANGUAGES:
        return LanguagePress(as_lang(value))
    if what == "q":
        if value == "off":
            return QuietPress(None)
        window = parse_quiet(value)
        return QuietPress(window) if window is not None else None
    return None
