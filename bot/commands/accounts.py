"""Reading a linked account's figures from Joulo for a reply, with a short cache."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final, TypeVar

from bot.commands.asked import Deps
from bot.crypto import TokenUndecryptable
from bot.joulo.client import JouloError
from bot.joulo.models import Energy, ErePosition
from bot.store import Account

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: How long /energy and /ere-position answers are reused per account (Joulo: "about hourly").
ENERGY_CACHE_TTL: Final = timedelta(minutes=10)


class AccountReader:
    """An account's /energy and /ere-position, asked at most once per ENERGY_CACHE_TTL."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._energy_cache: dict[tuple[int, int], tuple[datetime, Energy]] = {}
        self._position_cache: dict[tuple[int, int], tuple[datetime, ErePosition | None]] = {}

    def forget(self, account_id: int) -> None:
        """Drop what is cached for an account (it was linked again or unlinked)."""
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
        now = self._deps.clock.now()
        cached = cache.get(key)
        if cached is not None and now - cached[0] < ENERGY_CACHE_TTL:
            return cached[1]
        value = await fetch(self._deps.cipher.decrypt(account.token_enc))
        cache[key] = (now, value)
        return value

    async def energy(self, account: Account) -> Energy:
        """`/energy` for an account, cached."""
        return await self._cached(self._energy_cache, account, self._deps.joulo.energy)

    async def position(self, account: Account) -> ErePosition | None:
        """`/ere-position` for an account, or None when it does not answer; cached like /energy.

        A failure is cached too: the money side is optional, and asking again on every button
        press would only slow /stats down.
        """
        try:
            return await self._cached(self._position_cache, account, self._deps.joulo.ere_position)
        except (JouloError, TokenUndecryptable) as err:
            log.info("/stats: no ERE position for account %s: %s", account.id, err)
            key = (account.id, account.link_seq)
            self._position_cache[key] = (self._deps.clock.now(), None)
            return None
