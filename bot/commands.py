"""What the bot answers, for Telegram and the demo alike: every rule and decision, no Telegram.

`Answers` decides what to say and `bot.core.render` says it. Each command is one row of
`COMMANDS` (where it may be used, whether it takes arguments); `Answers.command()` applies
those rules in one place, so the Telegram adapter only translates updates into `Asked` and
sends the `Reply` back. The demo console calls the same methods.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from html import escape
from typing import Final, Literal

from bot.clock import Clock
from bot.core import render
from bot.core.diff import baseline
from bot.core.i18n import LANGUAGES, Language, as_lang, fmt_number, fmt_time, month_name, plural, t
from bot.core.policy import TOPICS, ChatSettings, Topic, parse_mute, parse_quiet
from bot.core.render import message
from bot.core.render_chat import settings_menu
from bot.core.reply import Reply
from bot.crypto import TokenCipher, TokenUndecryptable, token_fingerprint
from bot.joulo.client import (
    JouloClient,
    JouloError,
    JouloTokenRejected,
    normalize_token,
)
from bot.joulo.models import Energy, MonthEnergy
from bot.outbox import lose_chat
from bot.store import Account, ChatKind, FingerprintTaken, Store

log = logging.getLogger(__name__)

#: What a pasted Joulo token looks like (with an optional `Bearer ` in front).
TOKEN_PATTERN: Final = re.compile(r"(?:\bbearer\s+)?\b(joulo_[A-Za-z0-9]{32})\b", re.IGNORECASE)
#: What `/link` accepts before asking Joulo: one word of token characters.
_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9_\-.~+/=]{8,256}")
ENERGY_CACHE_TTL: Final = timedelta(minutes=5)


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

    @property
    def language(self) -> Language:
        """The language to answer in."""
        return self.person.language


Where = Literal["anywhere", "private", "group"]
Menu = Literal["private", "group"]


@dataclass(frozen=True)
class Command:
    """A command, where it may be used, and the answer it gets."""

    name: str
    where: Where
    takes_args: bool
    answer: Callable[[Answers, Asked], Awaitable[Reply]]
    #: The command menus it is listed in.
    menus: frozenset[Menu]
    #: Its arguments may be a secret (a token): the adapter deletes the message first.
    secret_args: bool = False


_ON: Final = frozenset({"on", "aan", "1", "yes", "ja"})
_OFF: Final = frozenset({"off", "uit", "0", "no", "nee"})


@dataclass(frozen=True)
class LinkOutcome:
    """A reply to a link attempt, and whether a token was stored."""

    reply: Reply
    linked: bool


def find_token(text: str) -> str | None:
    """The Joulo token inside a message, if the message holds one."""
    match = TOKEN_PATTERN.search(text)
    return match.group(1) if match else None


def _month_key(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m")


def _previous_month_key(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


class Answers:
    """Builds every reply. Holds the services it needs; keeps no state beyond a small cache."""

    def __init__(
        self,
        *,
        store: Store,
        joulo: JouloClient,
        cipher: TokenCipher,
        clock: Clock,
        tz: tzinfo,
        poll_interval: float,
        allowed_users: frozenset[int],
        on_events: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._joulo = joulo
        self._cipher = cipher
        self._clock = clock
        self._tz = tz
        self._poll_interval = poll_interval
        self._allowed_users = allowed_users
        self._on_events = on_events
        self._energy_cache: dict[tuple[int, int], tuple[datetime, Energy]] = {}

    # --- the rules every command goes through ------------------------------------------------

    async def command(self, name: str, asked: Asked) -> Reply:
        """Answer `/name`, after the rules: known, the right kind of chat, arguments or not."""
        lang = asked.language
        spec = COMMANDS.get(name)
        if spec is None:
            return self.unknown_command(lang)
        if spec.where == "private" and not asked.place.is_private:
            return Reply(message(lang, "private_only"))
        if spec.where == "group" and asked.place.is_private:
            return Reply(message(lang, "group_only"))
        if asked.args and not spec.takes_args:
            return Reply(message(lang, "too_many_args", command=name))
        return await spec.answer(self, asked)

    async def chatter(self, asked: Asked) -> Reply:
        """Plain text in a private chat: the bot only understands commands."""
        return Reply(message(asked.language, "only_commands"))

    async def press(self, asked: Asked, data: str) -> Reply | None:
        """A button was pressed; None when it belongs to no current message (an old button)."""
        reply = await self.press_setting(asked, data)
        if reply is None:
            log.debug("button %r has no handler", data[:64])
        return reply

    @staticmethod
    def stale_button(lang: Language) -> str:
        """What an expired button says when pressed."""
        return message(lang, "stale_button")

    @staticmethod
    def error_text(lang: Language) -> str:
        """What a chat hears when handling its message failed unexpectedly."""
        return message(lang, "error_generic")

    # --- simple texts -----------------------------------------------------------------------

    async def start(self, person: Person, place: Place) -> Reply:
        """Introduction: how to link in private, how to subscribe in a group."""
        lang = person.language
        if not place.is_private:
            return Reply(message(lang, "welcome_group"))
        text = message(lang, "start_private")
        if await self._store.account_for_owner(person.id) is not None:
            return Reply(text + message(lang, "start_private_linked"))
        return Reply(text)

    @staticmethod
    def help(lang: Language) -> Reply:
        """The command overview."""
        return Reply(message(lang, "help"))

    @staticmethod
    def welcome_group(lang: Language) -> Reply:
        """What the bot says when it is added to a group."""
        return Reply(message(lang, "welcome_group"))

    @staticmethod
    def unknown_command(lang: Language) -> Reply:
        """A pointer to /help."""
        return Reply(message(lang, "unknown_command"))

    # --- the bot's place in chats ----------------------------------------------------------

    async def bot_added(self, place: Place, by: Person) -> Reply | None:
        """The bot joined a chat (or was unblocked): a group is welcomed, a private chat resumes."""
        now = self._clock.now()
        if place.is_private:
            await self._store.reactivate_chat(place.id, now)
            return None
        if await self._store.chat(place.id) is not None:
            await self._store.reactivate_chat(place.id, now)
        return self.welcome_group(by.language)

    async def bot_removed(self, place: Place) -> None:
        """The bot was removed from a group or blocked in private: stop writing there."""
        reason = "bot blocked" if place.is_private else "bot removed from chat"
        accounts = await lose_chat(self._store, place.id, reason, self._clock.now())
        log.info("%s: chat %s (%d subscription(s) ended)", reason, place.id, len(accounts))
        self._on_events()

    async def chat_moved(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its subscriptions and settings follow it to the new id."""
        log.info("chat %s became supergroup %s", old_id, new_id)
        await self._store.migrate_chat(old_id, new_id, self._clock.now())

    # --- linking ----------------------------------------------------------------------------

    def may_link(self, person: Person) -> bool:
        """Whether ALLOWED_USERS lets this person link an account."""
        return not self._allowed_users or person.id in self._allowed_users

    async def token_message(self, asked: Asked, raw_token: str) -> Reply:
        """A message that may hold a token: link it in private, warn about it in a group."""
        lang = asked.language
        if not asked.place.is_private:
            log.warning("a Joulo token was posted in group %s; it was not used", asked.place.id)
            note = message(
                lang, "token_deleted_group" if asked.deleted else "token_not_deleted_group"
            )
            return Reply(message(lang, "link_in_group", deleted=note))
        text = (await self.link(asked.person, raw_token)).reply.text
        if not asked.deleted:
            text += message(lang, "token_not_deleted_private")
        return Reply(text)

    async def _link_command(self, asked: Asked) -> Reply:
        if asked.args:
            return await self.token_message(asked, " ".join(asked.args))
        if not asked.place.is_private:
            return Reply(message(asked.language, "private_only"))
        return Reply(message(asked.language, "link_usage"))

    async def link(self, person: Person, raw_token: str) -> LinkOutcome:
        """Validate a token with Joulo and store it encrypted; nothing is stored on failure."""
        lang = person.language
        if not self.may_link(person):
            return LinkOutcome(Reply(message(lang, "private_bot")), linked=False)
        token = normalize_token(raw_token)
        if not token:
            return LinkOutcome(Reply(message(lang, "link_usage")), linked=False)
        existing = await self._store.account_for_owner(person.id)
        kept = message(lang, "link_rejected_kept") if existing is not None else ""
        if not _TOKEN_CHARS.fullmatch(token):
            return LinkOutcome(Reply(message(lang, "link_malformed") + kept), linked=False)
        try:
            found = await self._joulo.chargers(token)
        except JouloTokenRejected:
            return LinkOutcome(Reply(message(lang, "link_rejected") + kept), linked=False)
        except JouloError as err:
            log.warning("could not validate a token for user %s: %s", person.id, err)
            return LinkOutcome(Reply(message(lang, "link_unavailable") + kept), linked=False)
        now = self._clock.now()
        try:
            result = await self._store.link_account(
                owner_id=person.id,
                owner_name=person.name,
                language=lang,
                token_enc=self._cipher.encrypt(token),
                fingerprint=token_fingerprint(token),
                states=baseline(found.chargers, now),
                now=now,
            )
        except FingerprintTaken:
            return LinkOutcome(Reply(message(lang, "link_taken")), linked=False)
        self._forget_energy(result.account.id)
        log.info("user %s linked account %s", person.id, result.account.id)
        chargers = render.charger_list(found.chargers, lang)
        if not result.new_account:
            return LinkOutcome(Reply(message(lang, "link_relinked", chargers=chargers)), True)
        if not found.chargers:
            return LinkOutcome(Reply(message(lang, "link_ok_no_chargers")), linked=True)
        count = render.charger_count(lang, len(found.chargers))
        return LinkOutcome(Reply(message(lang, "link_ok", count=count, chargers=chargers)), True)

    async def unlink(self, person: Person) -> Reply:
        """Forget the person's token and everything derived from it."""
        account = await self._store.account_for_owner(person.id)
        if account is None or not await self._store.unlink_account(person.id):
            return Reply(message(person.language, "not_linked"))
        self._forget_energy(account.id)
        log.info("user %s unlinked account %s", person.id, account.id)
        return Reply(message(person.language, "unlinked"))

    # --- subscriptions ----------------------------------------------------------------------

    async def subscribe(self, person: Person, place: Place) -> Reply:
        """Send the person's account notifications to this group."""
        lang = person.language
        if place.is_private:
            return Reply(message(lang, "group_only"))
        account = await self._store.account_for_owner(person.id)
        if account is None:
            return Reply(message(lang, "subscribe_need_link", name=person.name))
        added = await self._store.subscribe(
            chat_id=place.id,
            kind=place.kind,
            title=place.title,
            language=lang,
            account_id=account.id,
            by_user=person.id,
            now=self._clock.now(),
        )
        key = "subscribed" if added else "already_subscribed"
        return Reply(message(lang, key, name=account.owner_name))

    async def unsubscribe(self, asked: Asked) -> Reply:
        """Stop notifications here: the person's own account, or (admins) every account."""
        lang, place = asked.language, asked.place
        if place.is_private:
            return Reply(message(lang, "group_only"))
        subscribed = await self._store.subscribed_accounts(place.id)
        if not subscribed:
            return Reply(message(lang, "nothing_subscribed"))
        own = [a for a in subscribed if a.owner_id == asked.person.id]
        targets = own or (subscribed if await asked.is_admin() else [])
        if not targets:
            return Reply(message(lang, "unsubscribe_not_allowed"))
        for account in targets:
            await self._store.unsubscribe(place.id, account.id)
        names = ", ".join(escape(a.owner_name) for a in targets)
        return Reply(message(lang, "unsubscribed", names=render.Html(names)))

    async def visible_accounts(self, person: Person, place: Place) -> list[Account]:
        """The accounts this chat may see: your own in private, the subscribed ones in a group."""
        if place.is_private:
            account = await self._store.account_for_owner(person.id)
            return [account] if account is not None else []
        return await self._store.subscribed_accounts(place.id)

    @staticmethod
    def _nothing_to_show(place: Place, lang: Language) -> Reply:
        key = "status_none_private" if place.is_private else "nothing_subscribed"
        return Reply(message(lang, key))

    # --- /status ----------------------------------------------------------------------------

    async def status(self, person: Person, place: Place) -> Reply:
        """Every visible charger: online or not, charging, kWh so far, power, data age."""
        lang = person.language
        accounts = await self.visible_accounts(person, place)
        if not accounts:
            return self._nothing_to_show(place, lang)
        views = [
            render.AccountStatus(
                owner_name=account.owner_name,
                paused=account.status == "token_rejected",
                chargers=list((await self._store.charger_states(account.id)).values()),
                last_success_at=account.last_success_at,
            )
            for account in accounts
        ]
        text = render.status(
            views, lang, self._tz, self._clock.now(), poll_interval=self._poll_interval
        )
        return Reply(text)

    # --- what this chat gets: /settings, /language, /quiet, /live, /mute, /unmute -----------

    async def _chat_language(
        self, place: Place, settings: ChatSettings, fallback: Language
    ) -> Language:
        if settings.language is not None:
            return settings.language
        chat = await self._store.chat(place.id)
        return as_lang(chat.language, fallback) if chat is not None else fallback

    async def _chargers(self, person: Person, place: Place) -> list[tuple[str, str]]:
        chargers: list[tuple[str, str]] = []
        for account in await self.visible_accounts(person, place):
            states = await self._store.charger_states(account.id)
            chargers.extend((s.charger_id, s.name) for s in states.values())
        return sorted(chargers, key=lambda pair: pair[1].lower())

    async def settings(self, asked: Asked) -> Reply:
        """The chat's settings as a summary with a keyboard that changes them."""
        current = await self._store.chat_settings(asked.place.id)
        return await self._menu(asked.person, asked.place, current)

    async def _menu(self, person: Person, place: Place, current: ChatSettings) -> Reply:
        chat_language = await self._chat_language(place, current, person.language)
        return settings_menu(
            current,
            await self._chargers(person, place),
            person.language,
            self._tz,
            self._clock.now(),
            private=place.is_private,
            chat_language=chat_language,
        )

    async def _change(
        self,
        asked: Asked,
        change: Callable[[ChatSettings], ChatSettings],
    ) -> ChatSettings | None:
        """Apply `change` to the chat's settings; None (and nothing changes) for a non-admin.

        A private chat belongs to its person. In a group, Telegram is asked at this moment.
        """
        person, place = asked.person, asked.place
        if not place.is_private and not await asked.is_admin():
            return None
        updated = change(await self._store.chat_settings(place.id))
        await self._store.save_chat_settings(
            chat_id=place.id,
            kind=place.kind,
            title=place.title,
            language=person.language,
            settings=updated,
            now=self._clock.now(),
        )
        return updated

    async def press_setting(self, asked: Asked, data: str) -> Reply | None:
        """A `/settings` button (`set:…`): the menu redrawn; None when it is no such button.

        A non-admin in a group gets the menu unchanged, with a short notice why.
        """
        person, place, lang = asked.person, asked.place, asked.language
        change = self._button_change(
            data, await self._chargers(person, place), private=place.is_private
        )
        if change is None:
            return None
        updated = await self._change(asked, change)
        if updated is None:
            current = await self._menu(person, place, await self._store.chat_settings(place.id))
            return replace(current, notice=t(lang, "settings_admins_only"))
        return replace(await self._menu(person, place, updated), notice=t(lang, "settings_saved"))

    @staticmethod
    def _button_change(
        data: str, chargers: list[tuple[str, str]], *, private: bool
    ) -> Callable[[ChatSettings], ChatSettings] | None:
        command, _, argument = data.partition(":")
        if command != "set":
            return None
        what, _, value = argument.partition(":")
        if what == "t" and value in TOPICS:
            topic: Topic = value

            def toggle(s: ChatSettings) -> ChatSettings:
                on = s.wants(topic, private=private)
                return s.model_copy(update={"topics": {**s.topics, topic: not on}})

            return toggle
        if what == "c" and value in {cid for cid, _ in chargers}:
            return lambda s: s.model_copy(update={"muted_chargers": s.muted_chargers ^ {value}})
        if what == "live" and not value:
            return lambda s: s.model_copy(update={"live": not s.live})
        if what == "lang" and value in LANGUAGES:
            return lambda s: s.model_copy(update={"language": as_lang(value)})
        if what == "q":
            quiet = None if value == "off" else parse_quiet(value)
            if quiet is None and value != "off":
                return None
            return lambda s: s.model_copy(update={"quiet": quiet})
        return None

    async def set_language(self, asked: Asked) -> Reply:
        """`/language nl|en`: the language of this chat's notifications."""
        person, code = asked.person, " ".join(asked.args).strip().lower()
        if code not in LANGUAGES:
            return Reply(t(person.language, "language_usage"))
        chosen = as_lang(code)
        updated = await self._change(asked, lambda s: s.model_copy(update={"language": chosen}))
        if updated is None:
            return Reply(t(person.language, "settings_admins_only"))
        return Reply(t(chosen, "language_set"))

    async def quiet(self, asked: Asked) -> Reply:
        """`/quiet HH:MM-HH:MM` (may cross midnight) or `/quiet off`."""
        lang, text = asked.language, " ".join(asked.args).strip().lower()
        window = None if text in _OFF else parse_quiet(text)
        if window is None and text not in _OFF:
            return Reply(t(lang, "quiet_usage"))
        updated = await self._change(asked, lambda s: s.model_copy(update={"quiet": window}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        if window is None:
            return Reply(t(lang, "quiet_off"))
        return Reply(t(lang, "quiet_set", window=window.label()))

    async def live(self, asked: Asked) -> Reply:
        """`/live on|off`: the "started" message becomes a card edited while the session runs."""
        lang, text = asked.language, " ".join(asked.args).strip().lower()
        if text not in _ON | _OFF:
            return Reply(t(lang, "live_usage"))
        on = text in _ON
        updated = await self._change(asked, lambda s: s.model_copy(update={"live": on}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        return Reply(t(lang, "live_on" if on else "live_off"))

    async def mute(self, asked: Asked) -> Reply:
        """`/mute [30m|2h|1d]` (default one hour): nothing is sent here until then."""
        lang = asked.language
        span = parse_mute(" ".join(asked.args))
        if span is None:
            return Reply(t(lang, "mute_usage"))
        now = self._clock.now()
        until = now + span
        updated = await self._change(asked, lambda s: s.model_copy(update={"muted_until": until}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        return Reply(t(lang, "mute_set", time=fmt_time(until, lang, self._tz, now)))

    async def unmute(self, asked: Asked) -> Reply:
        """`/unmute`: notifications are back right away."""
        lang = asked.language
        if not (await self._store.chat_settings(asked.place.id)).muted(self._clock.now()):
            return Reply(t(lang, "not_muted"))
        updated = await self._change(asked, lambda s: s.model_copy(update={"muted_until": None}))
        if updated is None:
            return Reply(t(lang, "settings_admins_only"))
        return Reply(t(lang, "unmuted"))

    # --- /stats -----------------------------------------------------------------------------

    def _forget_energy(self, account_id: int) -> None:
        for key in [k for k in self._energy_cache if k[0] == account_id]:
            del self._energy_cache[key]

    async def _energy(self, account: Account) -> Energy:
        key = (account.id, account.link_seq)
        now = self._clock.now()
        cached = self._energy_cache.get(key)
        if cached is not None and now - cached[0] < ENERGY_CACHE_TTL:
            return cached[1]
        token = self._cipher.decrypt(account.token_enc)
        energy = await self._joulo.energy(token)
        self._energy_cache[key] = (now, energy)
        return energy

    async def stats(self, person: Person, place: Place) -> Reply:
        """This month, last month and lifetime kWh, sessions and ERE credits per account."""
        lang = person.language
        accounts = await self.visible_accounts(person, place)
        if not accounts:
            return self._nothing_to_show(place, lang)
        now = self._clock.now()
        blocks = []
        for account in accounts:
            title = t(lang, "stats_title")
            if len(accounts) > 1:
                title += f" — {escape(account.owner_name)}"
            try:
                energy = await self._energy(account)
            except (JouloTokenRejected, TokenUndecryptable):
                blocks.append(f"{title}\n{t(lang, 'stats_rejected')}")
                continue
            except JouloError as err:
                log.warning("/stats: Joulo failed for account %s: %s", account.id, err)
                blocks.append(f"{title}\n{t(lang, 'stats_unavailable')}")
                continue
            blocks.append(f"{title}\n{self._stats_block(energy, lang, now)}")
        return Reply("\n\n".join(blocks))

    def _stats_block(self, energy: Energy, lang: Language, now: datetime) -> str:
        this_key = _month_key(now, self._tz)
        last_key = _previous_month_key(now, self._tz)
        rows = [
            (t(lang, "this_month", month=month_name(this_key, lang)), energy.month(this_key)),
            (t(lang, "last_month", month=month_name(last_key, lang)), energy.month(last_key)),
        ]
        lines = [
            t(lang, "stats_row", label=label, body=self._figures(month, lang))
            for label, month in rows
        ]
        lifetime = t(
            lang,
            "stats_body",
            kwh=fmt_number(energy.total_kwh, lang),
            sessions=plural(lang, "sessions", energy.total_sessions),
            credits=fmt_number(energy.total_ere_credits or 0.0, lang, 2),
        )
        lines.append(t(lang, "stats_row", label=t(lang, "lifetime"), body=lifetime))
        if energy.total_kwh_all is not None and energy.total_kwh_all != energy.total_kwh:
            lines.append(
                t(
                    lang,
                    "stats_all",
                    kwh=fmt_number(energy.total_kwh_all, lang),
                    sessions=plural(lang, "sessions", energy.total_sessions_all or 0),
                ).lstrip("\n")
            )
        lines.append(t(lang, "stats_note"))
        return "\n".join(lines)

    @staticmethod
    def _figures(month: MonthEnergy | None, lang: Language) -> str:
        if month is None:  # Joulo leaves out months without charging
            month = MonthEnergy(month="0000-00")
        body = t(
            lang,
            "stats_body",
            kwh=fmt_number(month.kwh, lang),
            sessions=plural(lang, "sessions", month.sessions),
            credits=fmt_number(month.ere_credits or 0.0, lang, 2),
        )
        if month.kwh_all is not None and month.kwh_all != month.kwh:
            body += t(
                lang,
                "stats_all",
                kwh=fmt_number(month.kwh_all, lang),
                sessions=plural(lang, "sessions", month.sessions_all or 0),
            )
        return body


_BOTH: Final[frozenset[Menu]] = frozenset({"private", "group"})
_PRIVATE: Final[frozenset[Menu]] = frozenset({"private"})
_GROUP: Final[frozenset[Menu]] = frozenset({"group"})


async def _ready(reply: Reply) -> Reply:
    return reply


COMMANDS: Final[dict[str, Command]] = {
    spec.name: spec
    for spec in (
        Command("start", "anywhere", False, lambda a, q: a.start(q.person, q.place), _PRIVATE),
        Command("link", "anywhere", True, Answers._link_command, _PRIVATE, secret_args=True),
        Command("unlink", "private", False, lambda a, q: a.unlink(q.person), _PRIVATE),
        Command("subscribe", "group", False, lambda a, q: a.subscribe(q.person, q.place), _GROUP),
        Command("unsubscribe", "group", False, Answers.unsubscribe, _GROUP),
        Command("status", "anywhere", False, lambda a, q: a.status(q.person, q.place), _BOTH),
        Command("stats", "anywhere", False, lambda a, q: a.stats(q.person, q.place), _BOTH),
        Command("settings", "anywhere", False, Answers.settings, _BOTH),
        Command("mute", "anywhere", True, Answers.mute, _BOTH),
        Command("unmute", "anywhere", False, Answers.unmute, _BOTH),
        Command("quiet", "anywhere", True, Answers.quiet, _BOTH),
        Command("live", "anywhere", True, Answers.live, _BOTH),
        Command("language", "anywhere", True, Answers.set_language, _BOTH),
        Command("help", "anywhere", False, lambda a, q: _ready(a.help(q.language)), _BOTH),
    )
}
"""Every command the bot knows, in the order its menus show them."""


def menu(kind: Menu) -> tuple[str, ...]:
    """The commands in the menu of a private chat or of a group, in order."""
    return tuple(name for name, spec in COMMANDS.items() if kind in spec.menus)
