"""The HTTP layer under the Joulo client: one GET in, status and body out, no cookies.

httpx's API over aiohttp's transport (`httpx-aiohttp`), in the bot and in the tests alike: the
bot's transport is `AiohttpTransport` on an aiohttp session of our own, the tests' is
`httpx.MockTransport` with the simulator behind it, and both go through the same `get`.

`get` hands its `httpx.Request` straight to the transport. httpx's `AsyncClient` in front of
it cost about as much CPU per request as aiohttp itself (merging URLs, headers and cookies,
auth and redirect flows, event hooks; see docs/performance-history.md) and does nothing the
Joulo client needs: it sends one GET with its own headers and follows no redirect. For the
same reason the request is built as a transport gets it from a client (its body a stream, its
headers ASCII): httpx's `Request(content=...)` builds its headers twice to add a `Host` that
aiohttp adds anyway, and was the largest part of the httpx layer's cost. An answer that is not
content-encoded is read straight from the transport's stream, without httpx's decoder chain.

Every failure to get an answer, whichever library raises it (httpx-aiohttp maps most of
aiohttp's errors to httpx's, not all), becomes `JouloUnavailable` here, once.

One connection pool serves every account, so nothing keeps cookies: the session's jar is a
`DummyCookieJar`, and no client-level jar exists.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import httpx

from bot.joulo.errors import JouloUnavailable

#: Seconds to wait for a connection (from the pool, or a new one), and for each read.
CONNECT_TIMEOUT: Final = 5.0
READ_TIMEOUT: Final = 10.0
#: How long an idle connection to Joulo is kept for the next poll.
KEEPALIVE_SECONDS: Final = 30.0

#: What any transport raises when there is no answer (over aiohttp, also `aiohttp.ClientError`).
_NO_ANSWER: Final = (httpx.HTTPError, OSError, asyncio.IncompleteReadError)
#: A GET's body: none (shared: an empty `ByteStream` can be read any number of times).
_NO_BODY: Final = httpx.ByteStream(b"")


@dataclass(frozen=True, slots=True)
class Answer:
    """What Joulo answered: all the client reads of an HTTP response."""

    status: int
    reason: str
    #: The `Retry-After` header, as sent (None when absent).
    retry_after: str | None
    body: bytes


@functools.lru_cache(maxsize=256)
def _parsed(url: str) -> httpx.URL:
    """`url` parsed once: every account's poll asks for the same `/chargers` URL."""
    return httpx.URL(url)


class JouloHttp:
    """Sends the Joulo client's GETs through an httpx transport; see the module docstring."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        user_agent: str,
        read_timeout: float = READ_TIMEOUT,
        no_answer: tuple[type[Exception], ...] = (),
    ) -> None:
        self._transport = transport
        #: The errors that mean no answer: httpx's, the network's, and the transport's own.
        self._no_answer: tuple[type[Exception], ...] = (*_NO_ANSWER, *no_answer)
        self._user_agent = user_agent
        # httpx's per-request timeouts, which AiohttpTransport turns into aiohttp's.
        self._extensions = {
            "timeout": {
                "connect": CONNECT_TIMEOUT,
                "read": read_timeout,
                "write": read_timeout,
                "pool": CONNECT_TIMEOUT + read_timeout,  # waiting for the pool, then connecting
            }
        }

    @classmethod
    def over_aiohttp(
        cls, *, max_connections: int, user_agent: str, read_timeout: float = READ_TIMEOUT
    ) -> JouloHttp:
        """The bot's: httpx-aiohttp's transport on one aiohttp session without a cookie jar.

        aiohttp is imported here, not with the module: the demo and the tests' transports go
        without it (a fifth of the demo's start-up)."""
        import aiohttp
        from httpx_aiohttp import AiohttpTransport

        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=max_connections, keepalive_timeout=KEEPALIVE_SECONDS
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return cls(
            AiohttpTransport(client=session),
            user_agent=user_agent,
            read_timeout=read_timeout,
            no_answer=(aiohttp.ClientError,),
        )

    async def get(self, url: str, headers: Mapping[str, str], *, label: str) -> Answer:
        """GET `url` (no redirect followed); no answer at all is `JouloUnavailable`.

        `label` names the request in the error (e.g. "/chargers").
        """
        request = httpx.Request("GET", _parsed(url), stream=_NO_BODY, extensions=self._extensions)
        request.headers = httpx.Headers(
            {"User-Agent": self._user_agent, **headers}, encoding="ascii"
        )
        request.read()  # the empty body, so the transport sends none
        try:
            response = await self._transport.handle_async_request(request)
            try:
                stream = response.stream
                if isinstance(stream, httpx.AsyncByteStream) and (
                    "content-encoding" not in response.headers
                ):
                    body = b"".join([chunk async for chunk in stream])
                else:
                    body = await response.aread()  # httpx's decoders (gzip, br, ...)
            finally:
                await response.aclose()
        except (httpx.TimeoutException, TimeoutError) as err:
            raise JouloUnavailable(f"timeout on {label}") from err
        except self._no_answer as err:
            raise JouloUnavailable(f"{type(err).__name__} on {label}") from err
        return Answer(
            status=response.status_code,
            reason=response.reason_phrase,
            retry_after=response.headers.get("retry-after"),
            body=body,
        )

    async def aclose(self) -> None:
        """Close the transport and its connections."""
        await self._transport.aclose()
