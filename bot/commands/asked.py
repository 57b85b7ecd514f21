"""Who asks, where, and what every subject module needs to answer them; no Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Protocol

from bot.clock import Clock
from bot.core.reply import Reply
from bot.core.text.catalog import t
from bot.core.text.format import Language
from bot.crypto import TokenCipher
from bot.joulo.client import JouloClient
from bot.joulo.models import ChargerList
from bot.poller import ChargerReadings
from bot.store import Account, ChatKind, Store


@dataclass(frozen=True)
class Person:
    """Who is asking."""

    id: int
    name: str
    language: Language


@dataclass(frozen=True)
class Place:
    """Where they are asking."""

    id: int
    kind: ChatKind
    title: str | None = None
    #: The forum topic (message_thread_id) asked from; None: the chat itself (a forum's General).
    thread: int | None = None
    #: That topic's name, when Telegram said it.
    thread_name: str | None = None
    #: A group with topics (a forum).
    forum: bool = False

    @property
    def is_private(self) -> bool:
        """Whether this is a one-to-one chat with the bot."""
        return self.kind == "private"


async def _not_admin() -> bool:
    return False


@dataclass(frozen=True)
class Asked:
    """One command as the bot received it, stripped of everything Telegram-specific."""

    person: Person
    place: Place
    args: tuple[str, ...] = ()
    #: Asks Telegram whether the person administers the place, at the moment a rule needs it.
    is_admin: Callable[[], Awaitable[bool]] = field(default=_not_admin, compare=False)
    #: For messages that may hold a token: whether the adapter managed to delete it.
    deleted: bool = True
    #: The command's name without the slash (set by `Answers.command`).
    command: str = ""
    #: The bot's own username, for links to it (`t.me/<bot>`).
    bot_username: str = ""

    @property
    def language(self) -> Language:
        """The language to answer in."""
        return self.person.language


class Subject(Protocol):
    """A module of commands about one subject: answers the commands `COMMANDS` sends it."""

    async def answer(self, asked: Asked) -> Reply:
        """The reply to `asked.command`, whose rules (where, arguments) were already applied."""
        ...


@dataclass(frozen=True)
class Deps:
    """What the subject modules need: the store, the readings, Joulo, the key, the clock…"""

    store: Store
    #: The one reading of each charger, kept by the poller.
    readings: ChargerReadings
    joulo: JouloClient
    cipher: TokenCipher
    clock: Clock
    tz: tzinfo
    poll_interval: float
    allowed_users: frozenset[int]
    #: Wakes the outbox after a command wrote events.
    on_events: Callable[[], None]
    #: Hands a just-linked account's chargers to the poller: its first poll, the baseline.
    on_linked: Callable[[Account, ChargerList], Awaitable[None]]


async def visible_accounts(store: Store, person: Person, place: Place) -> list[Account]:
    """The accounts this chat may see: your own in private, the subscribed ones in a group."""
    if place.is_private:
        account = await store.account_for_owner(person.id)
        return [account] if account is not None else []
    return await store.subscribed_accounts(place.id)


def nothing_to_show(place: Place, lang: Language) -> Reply:
    """The answer when no account is visible here: link one (private) or subscribe (group)."""
    key = "status_none_private" if place.is_private else "nothing_subscribed"
    return Reply(t(lang, key))


def unknown_command(command: str) -> Exception:
    """The error for a subject asked a command COMMANDS does not send it (a programming error)."""
    return LookupError(f"no answer for /{command} here")
