"""The Joulo client over real loopback HTTP through the aiohttp layer the bot ships with.

Pins down: answers arrive as through the simulator's transport (the tests' layer), a
compressed answer arrives decoded, every network failure (refused connection, a server that
hangs up or stalls, a cut-off body) reaches the poller as a `JouloUnavailable`, never as an
aiohttp error, and no cookie is kept from one request to the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.joulo.client import JouloClient, JouloTokenRejected, JouloUnavailable
from bot.joulo.transport import JouloHttp
from tests.clock import ManualClock
from tests.joulo_server import SimulatorServer
from tests.joulo_sim import JouloSimulator, SimFault


@pytest.fixture
async def http() -> AsyncIterator[JouloHttp]:
    client = JouloHttp.over_aiohttp(max_connections=4, user_agent="test", read_timeout=1.0)
    yield client
    await client.aclose()


async def _asks_for_chargers(
    http: JouloHttp,
    answer: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> None:
    """Ask a loopback server that answers with `answer` for the chargers: Joulo is unavailable."""
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(JouloUnavailable):
            await JouloClient(http, f"http://127.0.0.1:{port}/api").chargers("joulo_x")


async def test_chargers_and_a_rejected_token_arrive_as_over_httpx(
    http: JouloHttp, sim: JouloSimulator
) -> None:
    token = sim.add_account()
    sim.add_charger(token, "Garage")
    with SimulatorServer(sim) as server:
        client = JouloClient(http, server.base_url)
        found = await client.chargers(token)
        assert [c.name for c in found.chargers] == ["Garage"]
        with pytest.raises(JouloTokenRejected):
            await client.chargers("joulo_not_a_token")


async def test_a_gzip_compressed_answer_is_read_decoded(http: JouloHttp) -> None:
    charger = {"id": "c1", "nickname": "Garage", "status": "online", "is_charging": False}
    body = gzip.compress(json.dumps({"chargers": [charger]}).encode())

    async def joulo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(joulo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        found = await JouloClient(http, f"http://127.0.0.1:{port}/api").chargers("joulo_x")
    assert [c.name for c in found.chargers] == ["Garage"]


async def test_a_stalled_joulo_is_unavailable_not_an_aiohttp_error(clock: ManualClock) -> None:
    sim = JouloSimulator(clock)
    token = sim.add_account()
    sim.inject_fault(SimFault(kind="timeout"))
    # A short read timeout: the server stalls for 3 s, and the test need not wait a second.
    http = JouloHttp.over_aiohttp(max_connections=1, user_agent="test", read_timeout=0.2)
    async with contextlib.aclosing(http):
        with (
            SimulatorServer(sim, timeout_delay=3) as server,
            pytest.raises(JouloUnavailable, match="timeout"),
        ):
            await JouloClient(http, server.base_url).chargers(token)


async def test_a_refused_connection_is_unavailable(http: JouloHttp) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(JouloUnavailable):
        await JouloClient(http, f"http://127.0.0.1:{port}/api").chargers("joulo_x")


async def test_a_server_that_hangs_up_mid_answer_is_unavailable(http: JouloHttp) -> None:
    async def half_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b'Content-Length: 500\r\n\r\n{"chargers": [')
        await writer.drain()
        writer.close()

    await _asks_for_chargers(http, half_answer)


async def test_a_server_that_does_not_speak_http_is_unavailable(http: JouloHttp) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        writer.close()

    await _asks_for_chargers(http, garbage)


async def test_a_cookie_one_account_is_given_never_reaches_another_account(
    http: JouloHttp,
) -> None:
    seen: list[bytes] = []

    async def joulo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed the connection
            seen.append(head)
            body = b'{"chargers": []}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Set-Cookie: session=anna; Path=/\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()

    server = await asyncio.start_server(joulo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        # by name: aiohttp's default jar would ignore cookies from a bare IP address anyway
        client = JouloClient(http, f"http://localhost:{port}/api")
        await client.chargers("joulo_anna")
        await client.chargers("joulo_bert")
    assert len(seen) == 2
    assert [b"cookie" in head.lower() for head in seen] == [False, False]
