"""What the bot answers, for Telegram and the demo alike: every rule and decision, no Telegram.

`Answers` decides what to say and `bot.core.render` says it. Each command is one row of
`COMMANDS` (where it may be used, whether it takes arguments); `Answers.command()` applies
those rules in one place, so the Telegram adapter only translates updates into `Asked` and
sends the `Reply` back. The demo console calls the same methods.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape
from typing import Final, Literal, TypeVar

from bot.clock import Clock
from bot.core import render
from bot.core.chart import draw_chart
from bot.core.diff import baseline
from bot.core.export import SessionView, parse_period, sessions_csv
from bot.core.i18n import LANGUAGES, Language, as_lang, fmt_time
from bot.core.policy import TOPICS, ChatSettings, Topic, parse_mute, parse_quiet
from bot.core.render import message
from bot.core.render_chat import chart_text, settings_menu, settings_notice
from bot.core.reply import MAX_BUTTON_DATA, Attachment, Button, Reply
from bot.core.state import ChargerState
from bot.core.tags import MAX_TAG_NAME, TAG_ID, clean_name, tag_key, tag_name
from bot.crypto import TokenCipher, TokenUndecryptable, token_fingerprint
from bot.joulo.client import (
    SESSIONS_PAGE_LIMIT,
    JouloClient,
    JouloError,
    JouloTokenRejected,
    normalize_token,
)
from bot.joulo.models import Energy, ErePosition, Session
from bot.outbox import lose_chat
from bot.poller import ChargerReadings
from bot.store import Account, ChatKind, FingerprintTaken, Store

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: What a pasted Joulo token looks like (with an optional `Bearer ` in front).
TOKEN_PATTERN: Final = re.compile(r"(?:\bbearer\s+)?\b(joulo_[A-Za-z0-9]{32})\b", re.IGNORECASE)
#: What `/link` accepts before asking Joulo: one word of token characters.
_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9_\-.~+/=]{8,256}")
#: How long /energy and /ere-position answers are reused per account (Joulo: "about hourly").
ENERGY_CACHE_TTL: Final = timedelta(minutes=10)
#: Sessions per /sessions page, and how far back the paging buttons go.
SESSIONS_PAGE: Final = 10
MAX_SESSIONS_OFFSET: Final = 1000
#: Cap on /sessions pages read for one /export (100 sessions each).
EXPORT_MAX_PAGES: Final = 50
CHART_FILENAME: Final = "joulo-stats.png"
#: Telegram's limit for a photo caption, in UTF-16 code units of the text without markup.
MAX_CAPTION: Final = 1024
_TAGS: Final = re.compile(r"<[^>]+>")


#: An account's tag names and charger states, read once per reply.
_Lookup = tuple[dict[str, str], dict[str, ChargerState]]


def caption_length(text: str) -> int:
    """How long Telegram counts an HTML text: markup stripped, entities decoded, UTF-16 units."""
    plain = html.unescape(_TAGS.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


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


class Answers:
    """Builds every reply. Holds the services it needs; keeps no state beyond a small cache."""

    def __init__(
        self,
        *,
        store: Store,
        readings: ChargerReadings,
        joulo: JouloClient,
        cipher: TokenCipher,
        clock: Clock,
        tz: tzinfo,
        poll_interval: float,
        allowed_users: frozenset[int],
        on_events: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._readings = readings
        self._joulo = joulo
        self._cipher = cipher
        self._clock = clock
        self._tz = tz
        self._poll_interval = poll_interval
        self._allowed_users = allowed_users
        self._on_events = on_events
        self._energy_cache: dict[tuple[int, int], tuple[datetime, Energy]] = {}
        self._position_cache: dict[tuple[int, int], tuple[datetime, ErePosition | None]] = {}

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
        command, _, argument = data.partition(":")
        if command == "stats" and argument in render.STATS_PERIODS:
            period: render.StatsPeriod = "all" if argument == "all" else "12m"
            return await self.stats(asked.person, asked.place, period)
        if command == "sessions":
            offset, _, charger = argument.partition(":")
            if offset.isdigit():
                return await self.sessions(asked.person, asked.place, charger, int(offset))
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
                chargers=list(
                    (await self._readings.charger_states(account.id, account.link_seq)).values()
                ),
                last_success_at=self._readings.last_success(account),
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
            states = await self._readings.charger_states(account.id, account.link_seq)
            chargers.extend((s.charger_id, s.name) for s in states.values())
        return sorted(chargers, key=lambda pair: pair[1].lower())

    async def settings(self, asked: Asked) -> Reply:
        """The chat's settings as a summary with a keyboard that changes them."""
        current = await self._store.chat_settings(asked.place.id)
        return await self._menu(asked.person, asked.place, current)

    async def _menu(
        self,
        person: Person,
        place: Place,
        current: ChatSettings,
        chargers: list[tuple[str, str]] | None = None,
    ) -> Reply:
        chat_language = await self._chat_language(place, current, person.language)
        return settings_menu(
            current,
            chargers if chargers is not None else await self._chargers(person, place),
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
        chargers = await self._chargers(person, place)
        change = self._button_change(data, chargers, private=place.is_private)
        if change is None:
            return None
        updated = await self._change(asked, change)
        if updated is None:
            current = await self._store.chat_settings(place.id)
            redrawn = await self._menu(person, place, current, chargers)
            return replace(redrawn, notice=settings_notice(lang, saved=False))
        redrawn = await self._menu(person, place, updated, chargers)
        return replace(redrawn, notice=settings_notice(lang, saved=True))

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
            return Reply(message(person.language, "language_usage"))
        chosen = as_lang(code)
        updated = await self._change(asked, lambda s: s.model_copy(update={"language": chosen}))
        if updated is None:
            return Reply(message(person.language, "settings_admins_only"))
        return Reply(message(chosen, "language_set"))

    async def quiet(self, asked: Asked) -> Reply:
        """`/quiet HH:MM-HH:MM` (may cross midnight) or `/quiet off`."""
        lang, text = asked.language, " ".join(asked.args).strip().lower()
        window = None if text in _OFF else parse_quiet(text)
        if window is None and text not in _OFF:
            return Reply(message(lang, "quiet_usage"))
        updated = await self._change(asked, lambda s: s.model_copy(update={"quiet": window}))
        if updated is None:
            return Reply(message(lang, "settings_admins_only"))
        if window is None:
            return Reply(message(lang, "quiet_off"))
        return Reply(message(lang, "quiet_set", window=window.label()))

    async def live(self, asked: Asked) -> Reply:
        """`/live on|off`: the "started" message becomes a card edited while the session runs."""
        lang, text = asked.language, " ".join(asked.args).strip().lower()
        if text not in _ON | _OFF:
            return Reply(message(lang, "live_usage"))
        on = text in _ON
        updated = await self._change(asked, lambda s: s.model_copy(update={"live": on}))
        if updated is None:
            return Reply(message(lang, "settings_admins_only"))
        return Reply(message(lang, "live_on" if on else "live_off"))

    async def mute(self, asked: Asked) -> Reply:
        """`/mute [30m|2h|1d]` (default one hour): nothing is sent here until then."""
        lang = asked.language
        span = parse_mute(" ".join(asked.args))
        if span is None:
            return Reply(message(lang, "mute_usage"))
        now = self._clock.now()
        until = now + span
        updated = await self._change(asked, lambda s: s.model_copy(update={"muted_until": until}))
        if updated is None:
            return Reply(message(lang, "settings_admins_only"))
        return Reply(message(lang, "mute_set", time=fmt_time(until, lang, self._tz, now)))

    async def unmute(self, asked: Asked) -> Reply:
        """`/unmute`: notifications are back right away."""
        lang = asked.language
        if not (await self._store.chat_settings(asked.place.id)).muted(self._clock.now()):
            return Reply(message(lang, "not_muted"))
        updated = await self._change(asked, lambda s: s.model_copy(update={"muted_until": None}))
        if updated is None:
            return Reply(message(lang, "settings_admins_only"))
        return Reply(message(lang, "unmuted"))

    # --- /stats -----------------------------------------------------------------------------

    def _forget_energy(self, account_id: int) -> None:
        for cache in (self._energy_cache, self._position_cache):
            for key in [k for k in cache if k[0] == account_id]:
                del cache[key]

    async def _cached(
        self,
        cache: dict[tuple[int, int], tuple[datetime, _T]],
        account: Account,
        fetch: Callable[[str], Awaitable[_T]],
    ) -> _T:
        """`fetch(token)` for an account, asked at most once per ENERGY_CACHE_TTL."""
        key = (account.id, account.link_seq)
        now = self._clock.now()
        cached = cache.get(key)
        if cached is not None and now - cached[0] < ENERGY_CACHE_TTL:
            return cached[1]
        value = await fetch(self._cipher.decrypt(account.token_enc))
        cache[key] = (now, value)
        return value

    async def _energy(self, account: Account) -> Energy:
        """`/energy` for an account, cached."""
        return await self._cached(self._energy_cache, account, self._joulo.energy)

    async def _position(self, account: Account) -> ErePosition | None:
        """`/ere-position` for an account, or None when it does not answer; cached like /energy.

        A failure is cached too: the money side is optional, and asking again on every button
        press would only slow /stats down.
        """
        try:
            return await self._cached(self._position_cache, account, self._joulo.ere_position)
        except (JouloError, TokenUndecryptable) as err:
            log.info("/stats: no ERE position for account %s: %s", account.id, err)
            self._position_cache[(account.id, account.link_seq)] = (self._clock.now(), None)
            return None

    async def _account_stats(self, account: Account) -> render.AccountStats:
        try:
            energy = await self._energy(account)
        except (JouloTokenRejected, TokenUndecryptable):
            return render.AccountStats(account.owner_name, None, problem="rejected")
        except JouloError as err:
            log.warning("/stats: Joulo failed for account %s: %s", account.id, err)
            return render.AccountStats(account.owner_name, None, problem="unavailable")
        return render.AccountStats(account.owner_name, energy, await self._position(account))

    async def stats(
        self, person: Person, place: Place, period: render.StatsPeriod = "12m"
    ) -> Reply:
        """A chart of the months, and this month, last month, this year and lifetime in text.

        The chart comes as a photo with the text as its caption and buttons for the period;
        if it cannot be drawn (or the caption would be too long), the text comes alone.
        """
        lang = person.language
        accounts = await self.visible_accounts(person, place)
        if not accounts:
            return self._nothing_to_show(place, lang)
        now = self._clock.now()
        figures = [await self._account_stats(account) for account in accounts]
        text = render.render_stats(figures, lang, now, self._tz)
        if all(f.energy is None for f in figures) or caption_length(text) > MAX_CAPTION:
            return Reply(text)
        bars = render.chart_bars(figures, period, lang, now, self._tz)
        words = chart_text(lang, all_time=period == "all")
        try:
            # In a worker thread, so the bot stays responsive (draw_chart draws one at a time).
            png = await asyncio.to_thread(draw_chart, bars, words, lang)
        except Exception:  # any drawing failure: the figures still go out
            log.exception("/stats: could not draw the chart")
            return Reply(text)
        return Reply(
            text,
            buttons=render.stats_buttons(period, lang),
            attachment=Attachment("photo", CHART_FILENAME, png),
        )

    # --- /sessions --------------------------------------------------------------------------

    async def _charger_filter(
        self, accounts: list[Account], wanted: str, lang: Language
    ) -> tuple[str, dict[int, str]] | Reply:
        """The charger called (or with id) `wanted`: its name and its id per account."""
        found: dict[int, str] = {}
        name = wanted
        known: list[str] = []
        for account in accounts:
            for state in (
                await self._readings.charger_states(account.id, account.link_seq)
            ).values():
                known.append(state.name)
                if wanted.casefold() in (state.name.casefold(), state.charger_id.casefold()):
                    found[account.id] = state.charger_id
                    name = state.name
        if found:
            return name, found
        return Reply(
            message(
                lang,
                "sessions_unknown_charger",
                name=wanted,
                names=", ".join(sorted(set(known), key=str.casefold)) or "—",
            )
        )

    async def _newest(
        self, account: Account, count: int, offset: int, charger_id: str | None
    ) -> list[Session]:
        """`count` sessions of one account from `offset`, newest first (paging as needed)."""
        token = self._cipher.decrypt(account.token_enc)
        found: list[Session] = []
        while len(found) < count:
            limit = min(SESSIONS_PAGE_LIMIT, count - len(found))
            page = await self._joulo.session_page(
                token, offset=offset + len(found), limit=limit, charger_id=charger_id
            )
            found.extend(page.sessions)
            if len(page.sessions) < limit:
                break
        return found

    async def sessions(
        self, person: Person, place: Place, charger: str = "", offset: int = 0
    ) -> Reply:
        """The last sessions this chat may see, newest first, a page at a time."""
        lang = person.language
        accounts = await self.visible_accounts(person, place)
        if not accounts:
            return self._nothing_to_show(place, lang)
        offset = max(0, min(offset, MAX_SESSIONS_OFFSET))
        wanted = " ".join(charger.split())
        charger_name: str | None = None
        charger_ids: dict[int, str] = {}
        if wanted:
            resolved = await self._charger_filter(accounts, wanted, lang)
            if isinstance(resolved, Reply):
                return resolved
            charger_name, charger_ids = resolved
            accounts = [a for a in accounts if a.id in charger_ids]
        # One account pages at Joulo; several are merged, so each gives its newest ones.
        single = len(accounts) == 1
        merged: list[tuple[Session, Account]] = []
        try:
            for account in accounts:
                found = await self._newest(
                    account,
                    SESSIONS_PAGE + 1 + (0 if single else offset),
                    offset if single else 0,
                    charger_ids.get(account.id),
                )
                merged.extend((session, account) for session in found)
        except (JouloTokenRejected, TokenUndecryptable):
            return Reply(message(lang, "stats_rejected"))
        except JouloError as err:
            log.warning("/sessions: Joulo failed: %s", err)
            return Reply(message(lang, "joulo_busy"))
        merged.sort(key=lambda pair: (pair[0].started_at, pair[0].id), reverse=True)
        window = merged if single else merged[offset:]
        page, more = window[:SESSIONS_PAGE], len(window) > SESSIONS_PAGE
        lookups: dict[int, _Lookup] = {}
        views = [await self._view(session, account, lookups) for session, account in page]
        text = render.render_sessions(
            views,
            offset=offset,
            charger=charger_name,
            lang=lang,
            tz=self._tz,
            now=self._clock.now(),
        )
        return Reply(text, buttons=self._paging(offset, more, wanted, charger_ids, lang))

    async def _view(
        self, session: Session, account: Account, lookups: dict[int, _Lookup]
    ) -> SessionView:
        """A session with its charger's and tag's names (read once per account into `lookups`)."""
        if account.id not in lookups:
            lookups[account.id] = (
                await self._store.tag_names(account.id),
                await self._readings.charger_states(account.id, account.link_seq),
            )
        names, states = lookups[account.id]
        state = states.get(session.charger_id)
        charger = (session.charger_nickname or "").strip() or (
            state.name if state else session.charger_id
        )
        return SessionView(session, charger, tag_name(names, session.id_tag))

    @staticmethod
    def _paging(
        offset: int, more: bool, wanted: str, charger_ids: dict[int, str], lang: Language
    ) -> tuple[tuple[Button, ...], ...]:
        suffix = f":{wanted}" if wanted else ""
        if len(f"sessions:{MAX_SESSIONS_OFFSET}{suffix}".encode()) > MAX_BUTTON_DATA:
            suffix = f":{next(iter(charger_ids.values()))}"  # a long name: the id fits
        newer = f"sessions:{max(0, offset - SESSIONS_PAGE)}{suffix}" if offset > 0 else None
        has_older = more and offset + SESSIONS_PAGE <= MAX_SESSIONS_OFFSET
        older = f"sessions:{offset + SESSIONS_PAGE}{suffix}" if has_older else None
        return render.paging_buttons(lang, newer=newer, older=older)

    # --- /export ----------------------------------------------------------------------------

    async def export(self, person: Person, place: Place, argument: str = "") -> Reply:
        """A CSV file of every session that started in a month or a year (default: last month)."""
        lang = person.language
        accounts = await self.visible_accounts(person, place)
        if not accounts:
            return self._nothing_to_show(place, lang)
        period = parse_period(argument, self._clock.now(), self._tz)
        if period is None:
            return Reply(message(lang, "export_usage"))
        rows: list[SessionView] = []
        lookups: dict[int, _Lookup] = {}
        try:
            for account in accounts:
                token = self._cipher.decrypt(account.token_enc)
                found = await self._joulo.sessions(
                    token,
                    since=period.start,
                    until=period.end - timedelta(seconds=1),
                    max_pages=EXPORT_MAX_PAGES,
                )
                for session in found:
                    if period.start <= session.started_at < period.end:
                        rows.append(await self._view(session, account, lookups))
        except (JouloTokenRejected, TokenUndecryptable):
            return Reply(message(lang, "stats_rejected"))
        except JouloError as err:
            log.warning("/export: Joulo failed: %s", err)
            return Reply(message(lang, "joulo_busy"))
        label = render.period_name(period.label, lang)
        if not rows:
            return Reply(message(lang, "export_empty", period=label))
        content = sessions_csv(rows, lang, self._tz)
        caption = render.render_export_caption(rows, period.label, lang)
        return Reply(caption, attachment=Attachment("document", period.filename, content))

    # --- /tag -------------------------------------------------------------------------------

    async def tag(self, person: Person, args: tuple[str, ...]) -> Reply:
        """List the charge cards with their names, name one, or remove a name."""
        lang = person.language
        account = await self._store.account_for_owner(person.id)
        if account is None:
            return Reply(message(lang, "not_linked"))
        if not args:
            return await self._tag_list(account, lang)
        tag = tag_key(args[0])
        if not TAG_ID.fullmatch(tag):
            return Reply(message(lang, "tag_bad_name", max=MAX_TAG_NAME))
        if len(args) == 1:
            removed = await self._store.remove_tag_name(account.id, tag)
            return Reply(message(lang, "tag_unnamed" if removed else "tag_had_no_name", tag=tag))
        name = clean_name(" ".join(args[1:]))
        if name is None:
            return Reply(message(lang, "tag_bad_name", max=MAX_TAG_NAME))
        await self._store.set_tag_name(account.id, tag, name, self._clock.now())
        return Reply(message(lang, "tag_named", tag=tag, name=name))

    async def _tag_list(self, account: Account, lang: Language) -> Reply:
        names = await self._store.tag_names(account.id)
        last_used: dict[str, datetime] = {}
        note = ""
        try:
            page = await self._joulo.session_page(
                self._cipher.decrypt(account.token_enc), limit=SESSIONS_PAGE_LIMIT
            )
            for session in page.sessions:
                if session.id_tag:
                    key = tag_key(session.id_tag)
                    last_used[key] = max(last_used.get(key, session.started_at), session.started_at)
        except (JouloError, TokenUndecryptable) as err:
            log.info("/tag: could not read recent sessions: %s", err)
            note = "\n" + message(lang, "joulo_busy")
        seen = [
            render.TagSeen(tag, names.get(tag), last_used.get(tag))
            for tag in sorted(set(last_used) | set(names))
        ]
        seen.sort(key=lambda s: s.last_used or datetime.min.replace(tzinfo=UTC), reverse=True)
        return Reply(render.render_tags(seen, lang, self._tz, self._clock.now()) + note)


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
        Command(
            "sessions",
            "anywhere",
            True,
            lambda a, q: a.sessions(q.person, q.place, " ".join(q.args)),
            _BOTH,
        ),
        Command(
            "export",
            "anywhere",
            True,
            lambda a, q: a.export(q.person, q.place, " ".join(q.args)),
            _BOTH,
        ),
        Command("tag", "private", True, lambda a, q: a.tag(q.person, q.args), _PRIVATE),
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
