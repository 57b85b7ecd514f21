"""How every text is made safe and written: the one escaping rule, numbers, times, languages.

Texts are Telegram HTML. `escape` is the one function that makes an external string (a name,
a status, a tag) safe to put into one; `Html` marks text that is already safe markup, so it is
never escaped twice. The rule: whatever is put into `Html` (by `fmt`, `+` or `join`) and is not
`Html` itself is escaped on the way in, exactly once. Pure: no I/O, `now` is an argument.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Final, Literal

Language = Literal["en", "nl"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "nl")


class Html(str):
    """Text that is already Telegram HTML and must not be escaped again.

    Adding plain text to it, or joining plain texts with it, escapes the plain text: markup
    stays `Html` however it is put together.
    """

    __slots__ = ()

    def __add__(self, other: str, /) -> Html:
        return Html(str.__add__(self, escape(other)))

    def __radd__(self, other: str, /) -> Html:
        return Html(str.__add__(escape(other), self))

    def join(self, parts: Iterable[str], /) -> Html:
        """The parts, each escaped unless it is `Html`, with this between them."""
        return Html(str.join(self, (escape(part) for part in parts)))


def escape(text: str) -> Html:
    """`text` made safe for Telegram HTML (`<`, `>`, `&` and quotes); `Html` passes unchanged."""
    if isinstance(text, Html):
        return text
    return Html(html.escape(text))


def fmt(template: str, **values: object) -> Html:
    """The markup `template` with its placeholders filled; every text value is escaped once."""
    safe = {
        name: escape(value) if isinstance(value, str) else value for name, value in values.items()
    }
    return Html(template.format(**safe))


#: Telegram's limit for a media caption, in UTF-16 code units of the text after entity parsing.
MAX_CAPTION: Final = 1024
_MARKUP: Final = re.compile(r"<[^>]+>")


def plain_text(text: str) -> str:
    """What a person reads of Telegram HTML: markup stripped, entities decoded."""
    return html.unescape(_MARKUP.sub("", text))


def caption_length(text: str) -> int:
    """How long Telegram counts an HTML caption: UTF-16 code units of its plain text."""
    return len(plain_text(text).encode("utf-16-le")) // 2


def fits_caption(text: str) -> bool:
    """Whether Telegram takes the HTML `text` as a photo's or a file's caption."""
    return caption_length(text) <= MAX_CAPTION


_MONTHS: Final[dict[Language, tuple[str, ...]]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}
_MONTH_NAMES: Final[dict[Language, tuple[str, ...]]] = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
        "september", "oktober", "november", "december",
    ),
}  # fmt: skip


def pick_language(language_code: str | None, default: Language) -> Language:
    """Telegram's language code → our language: `nl*` Dutch, `en*` English, else the default."""
    code = (language_code or "").lower()
    if code.startswith("nl"):
        return "nl"
    if code.startswith("en"):
        return "en"
    return default


def as_lang(value: str, default: Language = "en") -> Language:
    """Narrow a stored language string to a known language."""
    return "nl" if value == "nl" else ("en" if value == "en" else default)


def fmt_number(value: float, lang: Language, decimals: int = 1) -> str:
    """12.5 in English, 12,5 in Dutch; thousands separated (1,234.5 / 1.234,5)."""
    text = f"{value:,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def fmt_duration(span: timedelta, lang: Language) -> str:
    """A human duration: `45 min`, `2 h 5 min` (Dutch `2 u 5 min`), `3 d 4 h`."""
    minutes = max(0, round(span.total_seconds() / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    hour = "u" if lang == "nl" else "h"
    if days:
        return f"{days} d {hours} {hour}" if hours else f"{days} d"
    if hours:
        return f"{hours} {hour} {minutes} min" if minutes else f"{hours} {hour}"
    return f"{minutes} min"


def fmt_time(moment: datetime, lang: Language, tz: tzinfo, now: datetime) -> str:
    """Local clock time, with the date when it is not today (`08:15`, `9 Apr 08:15`)."""
    local = moment.astimezone(tz)
    clock = local.strftime("%H:%M")
    if local.date() == now.astimezone(tz).date():
        return clock
    return f"{local.day} {_MONTHS[lang][local.month - 1]} {clock}"


def month_abbreviation(month: int, lang: Language) -> str:
    """1 → `Jan` / `jan`; 3 → `Mar` / `mrt`."""
    return _MONTHS[lang][month - 1]


def month_name(year_month: str, lang: Language) -> str:
    """`2026-04` → `April 2026` / `april 2026`."""
    year, month = year_month.split("-")
    return f"{_MONTH_NAMES[lang][int(month) - 1]} {year}"


def fmt_when(moment: datetime, lang: Language, tz: tzinfo, now: datetime) -> str:
    """`14 Apr 16:53`, with the year when it is not this year (`14 Apr 2025 16:53`)."""
    local = moment.astimezone(tz)
    day = f"{local.day} {month_abbreviation(local.month, lang)}"
    if local.year != now.astimezone(tz).year:
        day += f" {local.year}"
    return f"{day} {local.strftime('%H:%M')}"


def month_key(moment: datetime, tz: tzinfo) -> str:
    """`YYYY-MM` of `moment` in local time."""
    return moment.astimezone(tz).strftime("%Y-%m")


def period_name(label: str, lang: Language) -> str:
    """`2026-10` → `October 2026`; `2026` stays `2026`."""
    return month_name(label, lang) if len(label) == 7 else label
