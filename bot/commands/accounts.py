"""The one reader of a linked account at Joulo for the commands: decrypt, ask, cache, translate.

The token is decrypted here and nowhere else in `bot.commands`; Joulo's errors (and a token the
key cannot open) become one `AccountUnreadable` with the problem a reply names.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final, Literal, TypeVar

from bot.commands.asked import Deps
from bot.core.reply import Reply
from bot.core.text.catalog import t
from bot.core.text.format import Language
from bot.crypto import TokenUndecryptable
from bot.joulo.client import MAX_SESSION_PAGES, JouloError, JouloTokenRejected
from bot.joulo.models import Energy, ErePosition, Session
from bot.store import Account

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: How long /energy and /ere-position answers are reused per account (Joulo: "about hourly").
ENERGY_CACHE_TTL: Final = timedelta(minutes=10)

#: Why an account could not be read: its token is refused, or Joulo did not answer well.
Problem = Literal["rejected", "unavailable"]


class AccountUnreadable(Exception):
    """Joulo could not be read for an account; `problem` says whether retrying may help."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.problem: Problem = problem

    def reply(self, lang: Language) -> Reply:
        """What a command answers instead of its figures."""
        return Reply(t(lang, "stats_rejected" if self.problem == "rejected" else "joulo_busy"))


class AccountReader:
    """Reads accounts at Joulo for replies; /energy and /ere-position at most once per TTL."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._energy_cache: dict[tuple[int, int], tuple[datetime, Energy]] = {}
        self._position_cache: dict[tuple[int, int], tuple[datetime, ErePosition | None]] = {}

    def forget(self, account_id: int) -> None:
        """Drop what is cached for an account (it was linked again or unlinked)."""
        for cache in (self._energy_cache, self._position_cache):
            for key in [k for k in cache if k[0] == account_id]:
                del cache[key]

    async def _ask(self, account: Account, what: str, call: Callable[[str], Awaitable[_T]]) -> _T:
        """`call(token)` for an account, its failures translated (and logged) once, here."""
        try:
            return await call(self._deps.cipher.decrypt(account.token_enc))
        except (JouloTokenRejected, TokenUndecryptable) as err:
            log.info("%s: the token of account %s is refused: %s", what, account.id, err)
            raise AccountUnreadable("rejected") from err
        except JouloError as err:
            log.warning("%s: Joulo failed for account %s: %s", what, account.id, err)
            raise AccountUnreadable("unavailable") from err

    async def _cached(
        self,
        cache: dict[tuple[int, int], tuple[datetime, _T]],
        account: Account,
        what: str,
        call: Callable[[str], Awaitable[_T]],
    ) -> _T:
        """`call(token)` for an account, asked at most once per ENERGY_CACHE_TTL."""
        key = (account.id, account.link_seq)
        now = self._deps.clock.now()
        cached = cache.get(key)
        if cached is not None and now - cached[0] < ENERGY_CACHE_TTL:
            return cached[1]
        value = await self._ask(account, what, call)
        cache[key] = (now, value)
        return value

    async def energy(self, account: Account) -> Energy:
        """`/energy` for an account, cached."""
        return await self._cached(self._energy_cache, account, "/energy", self._deps.joulo.energy)

    async def position(self, account: Account) -> ErePosition | None:
        """`/ere-position` for an account, or None when it does not answer; cached like /energy.

        A failure is cached too: the money side is optional, and asking again on every button
        press would only slow /stats down.
        """
        joulo = self._deps.joulo
        try:
            return await self._cached(
                self._position_cache, account, "/ere-position", joulo.ere_position
            )
        except AccountUnreadable:
            self._position_cache[(account.id, account.link_seq)] = (self._deps.clock.now(), None)
            return None

    async def sessions(
        self,
        account: Account,
        *,
        offset: int = 0,
        count: int | None = None,
        charger_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        max_pages: int = MAX_SESSION_PAGES,
    ) -> list[Session]:
        """An account's sessions, newest first, paged by the Joulo client (see its `sessions`)."""

        async def call(token: str) -> list[Session]:
            return await self._deps.joulo.sessions(
                token,
                offset=offset,
                count=count,
                charger_id=charger_id,
                since=since,
                until=until,
                max_pages=max_pages,
            )

        return await self._ask(account, "/sessions", call)
