"""The HTTP layer under the Joulo client: one GET in, status and body out, no cookies.

The bot ships with `AiohttpJoulo`: aiohttp directly, with nothing between the client and the
socket. httpx's client in front of the same aiohttp transport cost about as much CPU per
request again as aiohttp itself (building the request and its URL, its streams, its hooks;
see docs/performance-history.md), and at 50,000 households that is the difference between
keeping up and not. Tests keep httpx's `MockTransport`: `HttpxJoulo` runs the same client on
any `httpx.AsyncClient`.

Each implementation translates its own library's failures into `JouloUnavailable`, so the
client above sees one error tree whichever library carried the request.

One connection pool serves every account, so nothing keeps cookies: a cookie set in one
account's answer must never ride along on another account's request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx

from bot.joulo.errors import JouloUnavailable

#: Seconds to wait for a connection (from the pool, or a new one), and for each read.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
#: How long an idle connection to Joulo is kept for the next poll.
KEEPALIVE_SECONDS = 30.0

_AIOHTTP_ERRORS = (aiohttp.ClientError, OSError, asyncio.IncompleteReadError)


@dataclass(frozen=True, slots=True)
class Answer:
    """What Joulo answered: all the client reads of an HTTP response."""

    status: int
    reason: str
    #: The `Retry-After` header, as sent (None when absent).
    retry_after: str | None
    body: bytes


class JouloHttp(Protocol):
    """How the Joulo client sends a GET: any failure to get an answer is `JouloUnavailable`."""

    async def get(self, url: str, headers: Mapping[str, str], *, label: str) -> Answer:
        """GET `url`; `label` names the request in an error (e.g. "/chargers")."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


class AiohttpJoulo:
    """The bot's HTTP layer: one aiohttp session for every account, no cookie jar."""

    def __init__(
        self, *, max_connections: int, user_agent: str, read_timeout: float = READ_TIMEOUT
    ) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=max_connections, keepalive_timeout=KEEPALIVE_SECONDS
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": user_agent},
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=CONNECT_TIMEOUT + read_timeout,  # waiting for the pool, then connecting
                sock_connect=CONNECT_TIMEOUT,
                sock_read=read_timeout,
            ),
            auto_decompress=True,
        )

    async def get(self, url: str, headers: Mapping[str, str], *, label: str) -> Answer:
        """GET `url` (no redirects followed); an aiohttp failure becomes `JouloUnavailable`."""
        try:
            async with self._session.get(url, headers=headers, allow_redirects=False) as response:
                return Answer(
                    status=response.status,
                    reason=response.reason or "",
                    retry_after=response.headers.get("Retry-After"),
                    body=await response.read(),
                )
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors
            raise JouloUnavailable(f"timeout on {label}") from err
        except _AIOHTTP_ERRORS as err:
            raise JouloUnavailable(f"{type(err).__name__} on {label}") from err

    async def aclose(self) -> None:
        """Close the session and its connections."""
        await self._session.close()


class HttpxJoulo:
    """The same GET over an `httpx.AsyncClient` (tests swap its transport for a function)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def get(self, url: str, headers: Mapping[str, str], *, label: str) -> Answer:
        """GET `url`; an httpx failure becomes `JouloUnavailable`."""
        try:
            response = await self._client.get(url, headers=dict(headers))
        except httpx.TimeoutException as err:
            raise JouloUnavailable(f"timeout on {label}") from err
        except httpx.HTTPError as err:
            raise JouloUnavailable(f"{type(err).__name__} on {label}") from err
        finally:
            self._client.cookies.clear()  # one client serves every account: keep none
        return Answer(
            status=response.status_code,
            reason=response.reason_phrase,
            retry_after=response.headers.get("retry-after"),
            body=response.content,
        )

    async def aclose(self) -> None:
        """Close the httpx client."""
        await self._client.aclose()
