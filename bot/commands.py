"""Chat-agnostic answers to what people ask the bot.

Every command's logic lives here and returns a `Reply`; the Telegram handlers and the offline
demo console only translate their input into these calls and print or send the result.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from html import escape
from typing import Final

from bot.clock import Clock
from bot.core.diff import baseline, estimate_power_kw
from bot.core.i18n import Language, fmt_duration, fmt_number, fmt_time, month_name, plural, t
from bot.core.reply import Reply
from bot.core.state import ChargerState
from bot.crypto import TokenCipher, TokenUndecryptable, token_fingerprint
from bot.joulo.client import (
    JouloClient,
    JouloError,
    JouloTokenRejected,
    normalize_token,
)
from bot.joulo.models import Charger, Energy, MonthEnergy
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
    ) -> None:
        self._store = store
        self._joulo = joulo
        self._cipher = cipher
        self._clock = clock
        self._tz = tz
        self._poll_interval = poll_interval
        self._allowed_users = allowed_users
        self._energy_cache: dict[tuple[int, int], tuple[datetime, Energy]] = {}

    # --- simple texts -----------------------------------------------------------------------

    async def start(self, person: Person, place: Place) -> Reply:
        """Introduction: how to link in private, how to subscribe in a group."""
        if not place.is_private:
            return Reply(t(person.language, "welcome_group"))
        text = t(person.language, "start_private")
        if await self._store.account_for_owner(person.id) is not None:
            text += t(person.language, "start_private_linked")
        return Reply(text)

    @staticmethod
    def help(lang: Language) -> Reply:
        """The command overview."""
        return Reply(t(lang, "help"))

    @staticmethod
    def welcome_group(lang: Language) -> Reply:
        """What the bot says when it is added to a group."""
        return Reply(t(lang, "welcome_group"))

    @staticmethod
    def unknown_command(lang: Language) -> Reply:
        """A pointer to /help."""
        return Reply(t(lang, "unknown_command"))

    # --- linking ----------------------------------------------------------------------------

    def may_link(self, person: Person) -> bool:
        """Whether ALLOWED_USERS lets this person link an account."""
        return not self._allowed_users or person.id in self._allowed_users

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
            found = await self._joulo.chargers(token)
        except JouloTokenRejected:
            return LinkOutcome(Reply(t(lang, "link_rejected") + kept), linked=False)
        except JouloError as err:
            log.warning("could not validate a token for user %s: %s", person.id, err)
            return LinkOutcome(Reply(t(lang, "link_unavailable") + kept), linked=False)
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
            return LinkOutcome(Reply(t(lang, "link_taken")), linked=False)
        self._forget_energy(result.account.id)
        log.info("user %s linked account %s", person.id, result.account.id)
        chargers = self._charger_list(found.chargers, lang)
        if not result.new_account:
            return LinkOutcome(Reply(t(lang, "link_relinked", chargers=chargers)), linked=True)
        if not found.chargers:
            return LinkOutcome(Reply(t(lang, "link_ok_no_chargers")), linked=True)
        count = plural(lang, "chargers", len(found.chargers))
        return LinkOutcome(Reply(t(lang, "link_ok", count=count, chargers=chargers)), linked=True)

    def _charger_list(self, chargers: tuple[Charger, ...], lang: Language) -> str:
        lines = []
        for charger in chargers:
            state = t(lang, "state_charging") if charger.is_charging else ""
            kind = escape(charger.connection_type or "?")
            mid = ", MID" if charger.mid_certified else ""
            suffix = f" — {state}" if state else ""
            lines.append(f"• <b>{escape(charger.name)}</b> ({kind}{mid}){suffix}")
        return "\n".join(lines)

    async def unlink(self, person: Person) -> Reply:
        """Forget the person's token and everything derived from it."""
        account = await self._store.account_for_owner(person.id)
        if account is None or not await self._store.unlink_account(person.id):
            return Reply(t(person.language, "not_linked"))
        self._forget_energy(account.id)
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
            return Reply(t(lang, "subscribe_need_link", name=escape(person.name)))
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
        return Reply(t(lang, key, name=escape(account.owner_name)))

    async def unsubscribe(self, person: Person, place: Place, *, is_admin: bool) -> Reply:
        """Stop notifications here: the person's own account, or (admins) every account."""
        lang = person.language
        if place.is_private:
            return Reply(t(lang, "group_only"))
        subscribed = await self._store.subscribed_accounts(place.id)
        if not subscribed:
            return Reply(t(lang, "nothing_subscribed"))
        own = [a for a in subscribed if a.owner_id == person.id]
        targets = own or (subscribed if is_admin else [])
        if not targets:
            return Reply(t(lang, "unsubscribe_not_allowed"))
        for account in targets:
            await self._store.unsubscribe(place.id, account.id)
        names = ", ".join(escape(a.owner_name) for a in targets)
        return Reply(t(lang, "unsubscribed", names=names))

    async def visible_accounts(self, person: Person, place: Place) -> list[Account]:
        """The accounts this chat may see: your own in private, the subscribed ones in a group."""
        if place.is_private:
            account = await self._store.account_for_owner(person.id)
            return [account] if account is not None else []
        return await self._store.subscribed_accounts(place.id)

    @staticmethod
    def _nothing_to_show(place: Place, lang: Language) -> Reply:
        key = "status_none_private" if place.is_private else "nothing_subscribed"
        return Reply(t(lang, key))

    # --- /status ----------------------------------------------------------------------------

    async def status(self, person: Person, place: Place) -> Reply:
        """Every visible charger: online or not, charging, kWh so far, power, data age."""
        lang = person.language
        accounts = await self.visible_accounts(person, place)
        if not accounts:
            return self._nothing_to_show(place, lang)
        now = self._clock.now()
        blocks = []
        for account in accounts:
            states = await self._store.charger_states(account.id)
            blocks.append(self._status_block(account, states, lang, now, len(accounts) > 1))
        return Reply("\n\n".join(blocks))

    def _status_block(
        self,
        account: Account,
        states: dict[str, ChargerState],
        lang: Language,
        now: datetime,
        with_header: bool,
    ) -> str:
        lines = [t(lang, "account_header", name=escape(account.owner_name))] if with_header else []
        if account.status == "token_rejected":
            lines.append(t(lang, "account_paused", name=escape(account.owner_name)))
        if not states:
            lines.append(t(lang, "status_no_chargers"))
        for state in sorted(states.values(), key=lambda s: s.name.lower()):
            lines.extend(self._charger_lines(state, lang, now))
        seen = account.last_success_at
        if seen is not None:
            age = now - seen
            if age.total_seconds() > 3 * self._poll_interval and age > timedelta(minutes=3):
                lines.append(t(lang, "data_stale", time=fmt_time(seen, lang, self._tz, now)))
            elif age < timedelta(minutes=1):
                lines.append(t(lang, "data_age_fresh"))
            else:
                lines.append(t(lang, "data_age", age=fmt_duration(age, lang)))
        return "\n".join(lines)

    def _charger_lines(self, state: ChargerState, lang: Language, now: datetime) -> list[str]:
        name = escape(state.name)
        if not state.online:
            since = state.offline_since or state.observed_at
            label = t(
                lang,
                "state_offline",
                time=fmt_time(since, lang, self._tz, now),
                status=escape(state.status),
            )
            return [t(lang, "charger_line", charger=name, state=label)]
        if state.session is None:
            label = t(lang, "state_charging") if state.is_charging else t(lang, "state_idle")
            return [t(lang, "charger_line", charger=name, state=label)]
        session = state.session
        power = estimate_power_kw(session, state.observed_at)
        detail = t(
            lang,
            "session_line",
            kwh=fmt_number(session.kwh, lang, 2),
            duration=fmt_duration(now - session.started_at, lang),
            time=fmt_time(session.started_at, lang, self._tz, now),
            power=t(lang, "power_now", kw=fmt_number(power, lang)) if power is not None else "",
            tag=t(lang, "tag", tag=escape(session.id_tag)) if session.id_tag else "",
        )
        return [t(lang, "charger_line", charger=name, state=t(lang, "state_charging")), detail]

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
