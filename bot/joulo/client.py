"""The Joulo API client: the only module that decides what Joulo's answers mean.

Its errors are the tree in `bot.joulo.errors` (re-exported here): the HTTP layer under it
(`bot.joulo.transport`) raises `JouloUnavailable` when no answer came; every status and body is
mapped here, at `_get`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from urllib.parse import urlencode

from bot.joulo.errors import (
    JouloError,
    JouloRateLimited,
    JouloRejected,
    JouloScopeMissing,
    JouloTokenRejected,
    JouloTransientError,
    JouloUnavailable,
)
from bot.joulo.models import (
    ChargerList,
    Energy,
    ErePosition,
    ErePrice,
    Session,
    SessionPage,
    chargers_at_once,
    parse_chargers,
)
from bot.joulo.transport import Answer, JouloHttp

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "MAX_SESSION_PAGES",
    "SESSIONS_PAGE_LIMIT",
    "JouloClient",
    "JouloError",
    "JouloRateLimited",
    "JouloRejected",
    "JouloScopeMissing",
    "JouloTokenRejected",
    "JouloTransientError",
    "JouloUnavailable",
    "normalize_token",
]

SESSIONS_PAGE_LIMIT: Final = 100
#: Cap on pages fetched for one `/sessions` query, so a bad server cannot keep us paging forever.
MAX_SESSION_PAGES: Final = 20
DEFAULT_RETRY_AFTER: Final = 60.0

_T = TypeVar("_T")


def normalize_token(raw: str) -> str:
    """Strip the spaces and a leading `Bearer ` that users paste along with a token."""
    token = raw.strip()
    if token.lower().startswith("bearer "):
        token = token[len("bearer ") :].strip()
    return token


def _retry_after(answer: Answer) -> float:
    value = answer.retry_after or ""
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 1.0), 3600.0)


def _error_message(answer: Answer) -> str:
    try:
        body = json.loads(answer.body)
    except ValueError:
        return answer.reason or "error"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):
        return error[:200]
    return answer.reason or "error"


def _required_scope(answer: Answer) -> str | None:
    try:
        body = json.loads(answer.body)
    except ValueError:
        return None
    scope = body.get("required_scope") if isinstance(body, dict) else None
    return scope if isinstance(scope, str) and scope.strip() else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class JouloClient:
    """A thin async client; one instance serves every account (the token is per call).

    `http` carries its GETs: over aiohttp in the bot, over the simulator in tests.
    """

    def __init__(self, http: JouloHttp, base_url: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")

    async def _request(
        self,
        token: str,
        path: str,
        parse: Callable[[Any], _T],
        params: dict[str, str] | None = None,
        *,
        at_once: Callable[[bytes], _T | None] | None = None,
    ) -> _T:
        """GET `path` with `token`; return the JSON as `parse` reads it, or raise a JouloError.

        `at_once`, if given, reads a good answer's bytes in one go (None when it cannot).
        """
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return await self._get(
            f"{self._base_url}{path}", path, parse, params, headers, at_once=at_once
        )

    async def _get(
        self,
        url: str,
        path: str,
        parse: Callable[[Any], _T],
        params: dict[str, str] | None,
        headers: dict[str, str],
        *,
        at_once: Callable[[bytes], _T | None] | None = None,
    ) -> _T:
        """The one choke point: every odd answer becomes a JouloError (no answer already is)."""
        if params:
            url = f"{url}?{urlencode(params)}"
        answer = await self._http.get(url, headers, label=path)
        status = answer.status
        if status == 403 and (scope := _required_scope(answer)) is not None:
            raise JouloScopeMissing(status, _error_message(answer), scope)
        if status in (401, 403):
            raise JouloTokenRejected(status, _error_message(answer))
        if status == 429:
            raise JouloRateLimited(_retry_after(answer))
        if status >= 500:
            raise JouloUnavailable(f"HTTP {status} on {path}")
        if status >= 400:
            raise JouloRejected(status, _error_message(answer))
        if at_once is not None and (found := at_once(answer.body)) is not None:
            return found
        try:
            body = json.loads(answer.body)
        except ValueError as err:  # a JSONDecodeError, or bytes that are no text at all
            raise JouloUnavailable(f"unreadable body on {path}") from err
        try:
            return parse(body)
        except ValueError as err:  # pydantic's ValidationError is one
            raise JouloUnavailable(f"unexpected {path} shape") from err

    async def chargers(self, token: str) -> ChargerList:
        """Live state of every charger on the account."""
        return await self._request(token, "/chargers", parse_chargers, at_once=chargers_at_once)

    async def session_page(
        self,
        token: str,
        *,
        offset: int = 0,
        limit: int = SESSIONS_PAGE_LIMIT,
        charger_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> SessionPage:
        """One page of sessions, newest first; `since`/`until` bound the start, both inclusive."""
        params: dict[str, str] = {"limit": str(limit), "offset": str(offset)}
        if charger_id is not None:
            params["charger_id"] = charger_id
        if since is not None:
            params["from"] = _iso(since)
        if until is not None:
            params["to"] = _iso(until)
        return await self._request(token, "/sessions", SessionPage.model_validate, params)

    async def sessions(
        self,
        token: str,
        *,
        offset: int = 0,
        count: int | None = None,
        charger_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        max_pages: int = MAX_SESSION_PAGES,
    ) -> list[Session]:
        """Sessions newest first from `offset`: `count` of them (None: all), paged as needed.

        Optionally for one charger, and started within [since, until]. Paging stops at a short
        page, at `count`, or after `max_pages` pages.
        """
        found: list[Session] = []
        for _ in range(max_pages):
            limit = SESSIONS_PAGE_LIMIT if count is None else count - len(found)
            if limit <= 0:
                break
            limit = min(limit, SESSIONS_PAGE_LIMIT)
            page = await self.session_page(
                token,
                offset=offset + len(found),
                limit=limit,
                charger_id=charger_id,
                since=since,
                until=until,
            )
            found.extend(page.sessions)
            if len(page.sessions) < limit:
                break
        return found

    async def energy(self, token: str) -> Energy:
        """Lifetime and monthly energy totals."""
        return await self._request(token, "/energy", Energy.model_validate)

    async def ere_position(self, token: str) -> ErePosition:
        """What the account's ERE credits are worth: paid so far and Joulo's forecast."""
        return await self._request(token, "/ere-position", ErePosition.model_validate)

    async def ere_price(self, url: str) -> ErePrice:
        """Joulo's public ERE price feed at `url` (no token): this week's mid price per credit."""
        return await self._get(
            url, "the ERE price feed", ErePrice.model_validate, None, {"Accept": "application/json"}
        )
