"""What the bot says in a chat, independent of Telegram: text, and optionally buttons and a file.

Commands return a `Reply`; the Telegram adapter sends it (or edits a message with it when a
button was pressed), the demo prints it. Text is Telegram HTML built by `bot.core.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Telegram allows at most 64 bytes of callback data per button.
MAX_BUTTON_DATA = 64


@dataclass(frozen=True)
class Button:
    """An inline button; `data` is `<command>:<argument>` and comes back when it is pressed.

    A button with a `url` (and no `data`) opens that link instead.
    """

    text: str
    data: str = ""
    url: str | None = None

    def __post_init__(self) -> None:
        if bool(self.data) == bool(self.url):
            raise ValueError(f"a button has either data or a url: {self!r}")
        if len(self.data.encode()) > MAX_BUTTON_DATA:
            raise ValueError(f"button data longer than {MAX_BUTTON_DATA} bytes: {self.data!r}")


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a picture shown inline, or a document to download."""

    kind: Literal["photo", "document"]
    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """A rendered answer: HTML text (the caption when there is a photo), buttons, a file."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    #: For a pressed button: a short note shown to whoever pressed it (plain text).
    notice: str | None = None
    #: Replies sent right after this one, in order (a statement per account). Not for buttons:
    #: a pressed button edits one message.
    more: tuple[Reply, ...] = ()
