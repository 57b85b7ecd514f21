"""Getting started, linking a Joulo account, sharing it with groups, and the bot's chats.

`/start` (with an invite link's code: see `invites`), `/help`, `/link`, `/unlink`,
`/subscribe`, `/unsubscribe`, a pasted token, and the bot being added to, removed from or moved
between chats.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final

from bot.commands.accounts import AccountReader
from bot.commands.asked import Asked, Deps, Person, Place, unknown_command
from bot.commands.invites import Invites
from bot.core.reply import Reply
from bot.core.text import replies
from bot.core.text.catalog import t
from bot.core.text.format import Language
from bot.crypto import token_fingerprint
from bot.joulo.client import JouloError, JouloTokenRejected, normalize_token
from bot.outbox import lose_chat
from bot.store import Account, FingerprintTaken

log = logging.getLogger(__name__)

#: What a pasted Joulo token looks like (with an optional `Bearer ` in front).
TOKEN_PATTERN: Final = re.compile(r"(?:\bbearer\s+)?\b(joulo_[A-Za-z0-9]{32})\b", re.IGNORECASE)
#: What `/link` accepts before asking Joulo: one word of token characters.
_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9_\-.~+/=]{8,256}")


def find_token(text: str) -> str | None:
    """The Joulo token inside a message, if the message holds one."""
    match = TOKEN_PATTERN.search(text)
    return match.group(1) if match else None


@dataclass(frozen=True)
class LinkOutcome:
    """A reply to a link attempt, and whether a token was stored."""

    reply: Reply
    linked: bool


class Linking:
    """Linking and membership: who is linked, and which groups hear about which account."""

    def __init__(self, deps: Deps, accounts: AccountReader, invites: Invites) -> None:
        self._deps = deps
        self._store = deps.store
        self._accounts = accounts
        self._invites = invites

    async def answer(self, asked: Asked) -> Reply:
        """`/start`, `/help`, `/link`, `/unlink`, `/subscribe` or `/unsubscribe`."""
        match asked.command:
            case "start" if asked.args:
                return await self._start_with(asked)
            case "start":
                return await self.start(asked.person, asked.place)
            case "help":
                return self.help(asked.language)
            case "link":
                return await self._link_command(asked)
            case "unlink":
                return await self.unlink(asked.person)
            case "subscribe":
                return await self.subscribe(asked.person, asked.place)
            case "unsubscribe":
                return await self.unsubscribe(asked)
        raise unknown_command(asked.command)

    # --- simple texts -----------------------------------------------------------------------

    async def start(self, person: Person, place: Place) -> Reply:
        """Introduction: how to link in private, how to subscribe in a group."""
        lang = person.language
        if not place.is_private:
            return Reply(t(lang, "welcome_group"))
        text = t(lang, "start_private")
        if await self._store.account_for_owner(person.id) is not None:
            return Reply(text + t(lang, "start_private_linked"))
        return Reply(text)

    async def _start_with(self, asked: Asked) -> Reply:
        """`/start <code>`: an invite link's code in a group; in private (a `?start=` deep
        link) the linking steps, as /link gives them."""
        if asked.place.is_private:
            return Reply(t(asked.language, "link_usage"))
        redeemed = await self._invites.redeem(asked, " ".join(asked.args))
        if isinstance(redeemed, Reply):
            return redeemed
        return await self._subscribe(redeemed, asked.place, asked.language, redeemed.owner_id)

    @staticmethod
    def help(lang: Language) -> Reply:
        """The command overview."""
        return Reply(t(lang, "help"))

    @staticmethod
    def welcome_group(lang: Language) -> Reply:
        """What the bot says when it is added to a group."""
        return Reply(t(lang, "welcome_group"))

    # --- the bot's place in chats ----------------------------------------------------------

    async def bot_added(self, place: Place, by: Person) -> Reply | None:
        """The bot joined a chat (or was unblocked): a group is welcomed, a private chat resumes."""
        now = self._deps.clock.now()
        if place.is_private:
            await self._store.reactivate_chat(place.id, now)
            return None
        if await self._store.chat(place.id) is not None:
            await self._store.reactivate_chat(place.id, now)
        return self.welcome_group(by.language)

    async def bot_removed(self, place: Place) -> None:
        """The bot was removed from a group or blocked in private: stop writing there."""
        reason = "bot blocked" if place.is_private else "bot removed from chat"
        accounts = await lose_chat(self._store, place.id, reason, self._deps.clock.now())
        log.info("%s: chat %s (%d subscription(s) ended)", reason, place.id, len(accounts))
        self._deps.on_events()

    async def chat_moved(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its subscriptions and settings follow it to the new id."""
        log.info("chat %s became supergroup %s", old_id, new_id)
        await self._store.migrate_chat(old_id, new_id, self._deps.clock.now())

    # --- linking ----------------------------------------------------------------------------

    def may_link(self, person: Person) -> bool:
        """Whether ALLOWED_USERS lets this person link an account."""
        return not self._deps.allowed_users or person.id in self._deps.allowed_users

    async def token_message(self, asked: Asked, raw_token: str) -> Reply:
        """A message that may hold a token: link it in private, warn about it in a group."""
        lang = asked.language
        if not asked.place.is_private:
            log.warning("a Joulo token was posted in group %s; it was not used", asked.place.id)
            note = t(lang, "token_deleted_group" if asked.deleted else "token_not_deleted_group")
            return Reply(t(lang, "link_in_group", deleted=note))
        text = (await self.link(asked.person, raw_token)).reply.text
        if not asked.deleted:
            text += t(lang, "token_not_deleted_private")
        return Reply(text)

    async def _link_command(self, asked: Asked) -> Reply:
        if asked.args:
            return await self.token_message(asked, " ".join(asked.args))
        if not asked.place.is_private:
            return Reply(t(asked.language, "private_only"))
        return Reply(t(asked.language, "link_usage"))

    async def link(self, person: Person, raw_token: str) -> LinkOutcome:
        """Validate a token with Joulo and store it encrypted; nothing is stored on failure."""
        lang = person.language
        if not self.may_link(person):
            return LinkOutcome(Reply(t(lang, "private_bot")), linked=False)
        token = normalize_token(raw_token)
        if not token:
            return LinkOutcome(Reply(t(lang, "link_usage")), linked=False)
        existing = await self._store.account_for_owner(person.id)
        kept = t(lang, "link_rejected_kept") if existing is not None else ""
        if not _TOKEN_CHARS.fullmatch(token):
            return LinkOutcome(Reply(t(lang, "link_malformed") + kept), linked=False)
        try:
            found = await self._deps.joulo.chargers(token)
        except JouloTokenRejected:
            return LinkOutcome(Reply(t(lang, "link_rejected") + kept), linked=False)
        except JouloError as err:
            log.warning("could not validate a token for user %s: %s", person.id, err)
            return LinkOutcome(Reply(t(lang, "link_unavailable") + kept), linked=False)
        now = self._deps.clock.now()
        try:
            result = await self._store.link_account(
                owner_id=person.id,
                owner_name=person.name,
                language=lang,
                token_enc=self._deps.cipher.encrypt(token),
                fingerprint=token_fingerprint(token),
                now=now,
            )
        except FingerprintTaken:
            return LinkOutcome(Reply(t(lang, "link_taken")), linked=False)
        await self._deps.on_linked(result.account, found)  # the poller's first poll: the baseline
        self._accounts.forget(result.account.id)
        log.info("user %s linked account %s", person.id, result.account.id)
        chargers = replies.charger_list(found.chargers, lang)
        if not result.new_account:
            return LinkOutcome(Reply(t(lang, "link_relinked", chargers=chargers)), True)
        if not found.chargers:
            return LinkOutcome(Reply(t(lang, "link_ok_no_chargers")), linked=True)
        count = replies.charger_count(lang, len(found.chargers))
        return LinkOutcome(Reply(t(lang, "link_ok", count=count, chargers=chargers)), True)

    async def unlink(self, person: Person) -> Reply:
        """Forget the person's token and everything derived from it."""
        account = await self._store.account_for_owner(person.id)
        if account is None or not await self._store.unlink_account(person.id):
            return Reply(t(person.language, "not_linked"))
        self._accounts.forget(account.id)
        log.info("user %s unlinked account %s", person.id, account.id)
        return Reply(t(person.language, "unlinked"))

    # --- subscriptions ----------------------------------------------------------------------

    async def subscribe(self, person: Person, place: Place) -> Reply:
        """Send the person's account notifications to this group."""
        lang = person.language
        if place.is_private:
            return Reply(t(lang, "group_only"))
        account = await self._store.account_for_owner(person.id)
        if account is None:
            return Reply(t(lang, "subscribe_need_link", name=person.name))
        return await self._subscribe(account, place, lang, person.id)

    async def _subscribe(
        self, account: Account, place: Place, lang: Language, by_user: int
    ) -> Reply:
        """Send `account`'s notifications to this group (by /subscribe or an invite link)."""
        added = await self._store.subscribe(
            chat_id=place.id,
            kind=place.kind,
            title=place.title,
            language=lang,
            account_id=account.id,
            by_user=by_user,
            now=self._deps.clock.now(),
        )
        # Where /subscribe was sent is where the group's notifications go (General or a topic).
        moved = await self._store.set_thread(place.id, place.thread, place.thread_name)
        if added:
            text = t(lang, "subscribed", name=account.owner_name)
            return Reply(text + t(lang, "subscribed_thread") if place.thread is not None else text)
        if moved:
            where = "thread_moved_here" if place.thread is not None else "thread_moved_general"
            return Reply(t(lang, where))
        return Reply(t(lang, "already_subscribed", name=account.owner_name))

    async def unsubscribe(self, asked: Asked) -> Reply:
        """Stop notifications here: the person's own account, or (admins) every account."""
        lang, place = asked.language, asked.place
        subscribed = await self._store.subscribed_accounts(place.id)
        if not subscribed:
            return Reply(t(lang, "nothing_subscribed"))
        own = [a for a in subscribed if a.owner_id == asked.person.id]
        targets = own or (subscribed if await asked.is_admin() else [])
        if not targets:
            return Reply(t(lang, "unsubscribe_not_allowed"))
        for account in targets:
            await self._store.unsubscribe(place.id, account.id)
        names = ", ".join(a.owner_name for a in targets)
        return Reply(t(lang, "unsubscribed", names=names))
