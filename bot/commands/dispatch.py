"""`Answers`: every command through the rules of `COMMANDS`, then to the subject that answers.

The Telegram adapter only translates updates into `Asked` and sends the `Reply` back; the demo
console calls the same methods. What is said lives in the subject modules (`linking`, `status`,
`history`, `settings`), and the words in `bot.core.text`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import tzinfo

from bot.clock import Clock
from bot.commands.accounts import AccountReader
from bot.commands.asked import Asked, Deps, Person, Place, Subject
from bot.commands.history import History
from bot.commands.invites import Invites
from bot.commands.linking import Linking, LinkOutcome
from bot.commands.settings import Settings
from bot.commands.status import Status
from bot.commands.table import COMMANDS, SubjectName
from bot.core import buttons
from bot.core.buttons import SessionsPress, StatsPeriod, StatsPress
from bot.core.policy import chat_language
from bot.core.reply import Reply
from bot.core.text.catalog import t
from bot.core.text.format import Language
from bot.crypto import TokenCipher
from bot.joulo.client import JouloClient
from bot.joulo.models import ChargerList
from bot.poller import ChargerReadings
from bot.store import Account, Store

log = logging.getLogger(__name__)


class Answers:
    """Builds every reply: applies the rules, then asks the subject module. Keeps no state."""

    def __init__(
        self,
        *,
        store: Store,
        readings: ChargerReadings,
        on_linked: Callable[[Account, ChargerList], Awaitable[None]],
        joulo: JouloClient,
        cipher: TokenCipher,
        clock: Clock,
        tz: tzinfo,
        poll_interval: float,
        allowed_users: frozenset[int],
        on_events: Callable[[], None] = lambda: None,
    ) -> None:
        deps = Deps(
            store,
            readings,
            joulo,
            cipher,
            clock,
            tz,
            poll_interval,
            allowed_users,
            on_events,
            on_linked,
        )
        self._store = store
        accounts = AccountReader(deps)
        invites = Invites(deps)
        self._linking = Linking(deps, accounts, invites)
        self._status = Status(deps, accounts)
        self._history = History(deps, accounts)
        self._settings = Settings(deps)
        self._subjects: dict[SubjectName, Subject] = {
            "linking": self._linking,
            "invites": invites,
            "status": self._status,
            "history": self._history,
            "settings": self._settings,
        }

    # --- the rules every command goes through ------------------------------------------------

    async def language_in(self, place: Place, person: Person) -> Language:
        """The language to answer `person` in, in this chat (see `policy.chat_language`)."""
        chosen = (await self._store.chat_settings(place.id)).language
        return chat_language(chosen, person.language)

    async def _in_chat_language(self, asked: Asked) -> Asked:
        lang = await self.language_in(asked.place, asked.person)
        if lang == asked.person.language:
            return asked
        return replace(asked, person=replace(asked.person, language=lang))

    async def command(self, name: str, asked: Asked) -> Reply:
        """Answer `/name`, after the rules: known, the right kind of chat, arguments or not."""
        asked = await self._in_chat_language(asked)
        lang = asked.language
        spec = COMMANDS.get(name)
        if spec is None:
            return self.unknown_command(lang)
        if spec.where == "private" and not asked.place.is_private:
            return Reply(t(lang, "private_only"))
        if spec.where == "group" and asked.place.is_private:
            return Reply(t(lang, "group_only"))
        if asked.args and not spec.takes_args:
            return Reply(t(lang, "too_many_args", command=name))
        return await self._subjects[spec.subject].answer(replace(asked, command=name))

    async def chatter(self, asked: Asked) -> Reply:
        """Plain text in a private chat: the bot only understands commands."""
        asked = await self._in_chat_language(asked)
        return Reply(t(asked.language, "only_commands"))

    async def press(self, asked: Asked, data: str) -> Reply | None:
        """A button was pressed; None when it belongs to no current message (an old button)."""
        asked = await self._in_chat_language(asked)
        person, place = asked.person, asked.place
        match buttons.decode(data):
            case StatsPress(period):
                return await self._status.stats(person, place, period)
            case SessionsPress(offset, charger):
                return await self._history.sessions(person, place, charger, offset)
            case None:
                log.debug("button %r has no handler", data[:64])
                return None
            case setting:
                return await self._settings.press(asked, setting)

    @staticmethod
    def stale_button(lang: Language) -> str:
        """What an expired button says when pressed."""
        return t(lang, "stale_button")

    @staticmethod
    def error_text(lang: Language) -> str:
        """What a chat hears when handling its message failed unexpectedly."""
        return t(lang, "error_generic")

    @staticmethod
    def unknown_command(lang: Language) -> Reply:
        """A pointer to /help."""
        return Reply(t(lang, "unknown_command"))

    # --- the bot's place in chats (see `Linking`) -------------------------------------------

    async def bot_added(self, place: Place, by: Person) -> Reply | None:
        """The bot joined a chat (or was unblocked): a group is welcomed, a private chat resumes."""
        language = await self.language_in(place, by)
        return await self._linking.bot_added(place, replace(by, language=language))

    async def bot_removed(self, place: Place) -> None:
        """The bot was removed from a group or blocked in private: stop writing there."""
        await self._linking.bot_removed(place)

    async def chat_moved(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its subscriptions and settings follow it to the new id."""
        await self._linking.chat_moved(old_id, new_id)

    # --- shortcuts for the demo and the tests ----------------------------------------------

    async def token_message(self, asked: Asked, raw_token: str) -> Reply:
        """A message that may hold a token: link it in private, warn about it in a group."""
        return await self._linking.token_message(asked, raw_token)

    async def link(self, person: Person, raw_token: str) -> LinkOutcome:
        """Validate a token with Joulo and store it encrypted; nothing is stored on failure."""
        return await self._linking.link(person, raw_token)

    async def unlink(self, person: Person) -> Reply:
        """Forget the person's token and everything derived from it."""
        return await self._linking.unlink(person)

    async def subscribe(self, person: Person, place: Place) -> Reply:
        """Send the person's account notifications to this group."""
        return await self._linking.subscribe(person, place)

    async def status(self, person: Person, place: Place) -> Reply:
        """`/status` for this chat."""
        return await self._status.status(person, place)

    async def stats(self, person: Person, place: Place, period: StatsPeriod = "12m") -> Reply:
        """`/stats` for this chat, over the last 12 months or all time."""
        return await self._status.stats(person, place, period)

    async def tag(self, person: Person, args: tuple[str, ...]) -> Reply:
        """`/tag` in the person's private chat."""
        return await self._history.tag(person, args)
