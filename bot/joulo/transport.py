"""The HTTP client under the Joulo client: httpx's API over aiohttp's transport, no cookies.

httpx's own transport costs several times aiohttp's CPU per request (see
docs/performance-history.md); `httpx-aiohttp` lets the client keep httpx's API, and tests keep
swapping in `httpx.MockTransport`. aiohttp's errors are turned into httpx's here, so the Joulo
client's one choke point (`JouloClient._request`) still sees only httpx errors.

One client serves every account, so it keeps no cookies: a cookie set in one account's answer
must never ride along on another account's request (and httpx's cookie bookkeeping costs a
good share of its CPU per request).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

#: Connections kept to Joulo: enough for the poller's highest concurrency plus commands.
MAX_CONNECTIONS = 160


_AIOHTTP_ERRORS = (aiohttp.ClientError, OSError, asyncio.IncompleteReadError)


class _Body(httpx.AsyncByteStream):
    """A response body whose read errors arrive as httpx errors too."""

    def __init__(self, stream: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except httpx.HTTPError:
            raise
        except TimeoutError as err:
            raise httpx.ReadTimeout(str(err) or "timed out", request=self._request) from err
        except _AIOHTTP_ERRORS as err:
            raise httpx.ReadError(f"{type(err).__name__}: {err}", request=self._request) from err

    async def aclose(self) -> None:
        await self._stream.aclose()


class JouloTransport(AiohttpTransport):
    """`AiohttpTransport` that lets no aiohttp or timeout error escape as itself."""

    def __init__(self) -> None:
        super().__init__(
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS, keepalive_expiry=30.0)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request; an aiohttp failure becomes the matching httpx error."""
        try:
            response = await super().handle_async_request(request)
        except httpx.HTTPError:
            raise
        except TimeoutError as err:  # aiohttp's timeouts are asyncio.TimeoutError
            raise httpx.ReadTimeout(str(err) or "timed out", request=request) from err
        except _AIOHTTP_ERRORS as err:
            raise httpx.ConnectError(f"{type(err).__name__}: {err}", request=request) from err
        assert isinstance(response.stream, httpx.AsyncByteStream)  # noqa: S101
        response.stream = _Body(response.stream, request)
        return response


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing it is given."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Ignore the response's cookies."""

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        """Ignore a cookie set by hand."""


class JouloHttpClient(httpx.AsyncClient):
    """`httpx.AsyncClient` that never stores or sends cookies."""

    _jar = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty."""
        return self._jar

    @cookies.setter
    def cookies(self, _: object) -> None:
        pass
