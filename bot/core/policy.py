"""Each chat decides what it hears: its settings, and the one rule that applies them. Pure.

`decide()` is the single place where a notification's fate in a chat is settled: send it,
send it silently (quiet hours), or drop it (the chat is muted, does not want this kind of
news, or muted this charger). It is applied by the outbox sender when a row is *delivered*,
not when it is created, because:

- settings may change between the two (a row waiting out Telegram's flood control must obey
  a `/mute` sent meanwhile), and
- quiet hours are about when the phone buzzes, which is the moment of delivery.

A dropped row is marked as such and never piles up: after a mute, `/status` tells the state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Final, Literal

from pydantic import Field

from bot.core.events import (
    ChargerOffline,
    ChargerOnline,
    Event,
    MonthlyDigest,
    SessionCredited,
    SessionFinished,
    SessionStalled,
    SessionStarted,
)
from bot.core.state import Value
from bot.core.text.format import Language

#: The kinds of news a chat can switch on or off (account trouble is always told).
Topic = Literal["start", "finish", "offline", "stalled", "digest"]
TOPICS: Final[tuple[Topic, ...]] = ("start", "finish", "offline", "stalled", "digest")
#: `/mute` without an argument.
DEFAULT_MUTE: Final = timedelta(hours=1)
#: Longest `/mute` accepted (a month; longer is better done in /settings).
MAX_MUTE: Final = timedelta(days=31)

Action = Literal["send", "silent", "drop"]


class QuietHours(Value):
    """A daily window (local time) in which messages arrive without a sound; may cross midnight."""

    start: time
    end: time

    def contains(self, moment: datetime, tz: tzinfo) -> bool:
        """Whether `moment` falls inside the window, in local time `tz`."""
        local = moment.astimezone(tz).time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def label(self) -> str:
        """`22:00–07:00`."""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class ChatSettings(Value):
    """What one chat wants to hear. Stored as JSON per chat; missing fields take defaults."""

    #: Topics switched away from their default (see `wants`).
    topics: dict[Topic, bool] = Field(default_factory=dict)
    muted_chargers: frozenset[str] = frozenset()
    live: bool = False
    #: Pin the live card while its session runs (and unpin it when it ends).
    pin: bool = False
    #: Chosen with /language or /settings; None: the language the chat was registered with.
    language: Language | None = None
    quiet: QuietHours | None = None
    muted_until: datetime | None = None

    def wants(self, topic: Topic, *, private: bool) -> bool:
        """Whether this chat gets `topic`: all on by default, but a group opts in to the digest."""
        default = private or topic != "digest"
        return self.topics.get(topic, default)

    def muted(self, now: datetime) -> bool:
        """Whether `/mute` is in force at `now`."""
        return self.muted_until is not None and now < self.muted_until


@dataclass(frozen=True)
class Decision:
    """What happens to one notification in one chat, and why (for the log and the outbox)."""

    action: Action
    reason: str


def topic_of(event: Event) -> Topic | None:
    """The switchable kind of news `event` is; None for what a chat cannot switch off."""
    match event:
        case SessionStarted():
            return "start"
        case SessionFinished() | SessionCredited():
            return "finish"
        case ChargerOffline() | ChargerOnline():
            return "offline"
        case SessionStalled():
            return "stalled"
        case MonthlyDigest():
            return "digest"
    return None


def decide(
    event: Event, settings: ChatSettings, *, private: bool, now: datetime, tz: tzinfo
) -> Decision:
    """Send, send silently, or drop `event` in a chat with `settings`, at `now` (see module)."""
    if settings.muted(now):
        return Decision("drop", "chat muted")
    topic = topic_of(event)
    if topic is not None and not settings.wants(topic, private=private):
        return Decision("drop", f"{topic} switched off")
    charger_id = getattr(event, "charger_id", None)
    if charger_id is not None and charger_id in settings.muted_chargers:
        return Decision("drop", "charger muted")
    if settings.quiet is not None and settings.quiet.contains(now, tz):
        return Decision("silent", "quiet hours")
    return Decision("send", "wanted")


# --- what people type ------------------------------------------------------------------------

_CLOCK: Final = re.compile(r"([01]?\d|2[0-3])[:.]?([0-5]\d)")
_SPAN: Final = re.compile(r"(\d{1,4})\s*(m|min|h|u|d)", re.IGNORECASE)
_UNIT_SECONDS: Final = {"m": 60, "min": 60, "h": 3600, "u": 3600, "d": 86400}


def parse_clock(text: str) -> time | None:
    """`22:00`, `7:30`, `0730` or `22.00` → a time; None if it is not one."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def chat_language(chosen: Language | None, default: Language) -> Language:
    """The language of everything said in a chat: replies, menus and notifications alike.

    The language chosen for the chat (`/language`, the settings menu) wins; without one, a
    reply is in the asker's language and a notification in the one recorded for the chat.
    """
    return chosen if chosen is not None else default


def parse_quiet(text: str) -> QuietHours | None:
    """`22:00-07:00` (may cross midnight) → quiet hours; None if malformed or empty."""
    start_text, sep, end_text = text.replace("–", "-").partition("-")
    if not sep:
        return None
    start, end = parse_clock(start_text), parse_clock(end_text)
    if start is None or end is None or start == end:
        return None
    return QuietHours(start=start, end=end)


def parse_mute(text: str) -> timedelta | None:
    """`30m`, `2h` (Dutch `2u`), `1d`; empty → one hour; None if malformed or out of range."""
    if not text.strip():
        return DEFAULT_MUTE
    match = _SPAN.fullmatch(text.strip())
    if match is None:
        return None
    span = timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
    if span <= timedelta(0) or span > MAX_MUTE:
        return None
    return span
