"""Chats are served side by side, each chat's messages in order.

Joulo answers one family slowly (a token check that takes until the test lets it finish);
another family's /status must not wait for it, while the slow family's own next command waits
its turn.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from tests.fake_telegram import FakeUser
from tests.joulo_sim import JouloSimulator
from tests.story import ANNA, World

SLOW = FakeUser(id=5010, first_name="Sam", language_code="en")
SLOW_TOKEN = "joulo_" + "S" * 32
#: How long Joulo keeps Sam waiting at most: the test lets it answer as soon as Anna has hers.
DELAY = 1.5


@pytest.fixture
def sam_answered() -> asyncio.Event:
    """Set by the test when Joulo may answer for Sam's token."""
    return asyncio.Event()


@pytest.fixture
def joulo_transport(sim: JouloSimulator, sam_answered: asyncio.Event) -> httpx.AsyncBaseTransport:
    """The simulator, but Sam's token is answered only when the test says so (or after DELAY
    seconds, so that a bot which makes Anna wait for Sam fails the test instead of hanging)."""

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") == f"Bearer {SLOW_TOKEN}":
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DELAY):
                    await sam_answered.wait()
        return sim.handle(request)

    return httpx.MockTransport(handle)


async def test_a_slow_link_does_not_hold_up_other_chats_but_keeps_its_own_order(
    world: World, sam_answered: asyncio.Event
) -> None:
    world.sim.add_account(SLOW_TOKEN)
    world.telegram.private_message(ANNA, f"/link {world.token}")
    await world.messages(ANNA.id, 1)

    world.telegram.private_message(SLOW, f"/link {SLOW_TOKEN}")
    world.telegram.private_message(SLOW, "/status")
    world.telegram.private_message(ANNA, "/status")
    anna = await world.messages(ANNA.id, 2)  # answered while Sam is still being checked
    assert anna[1].startswith("Driveway — 🟢 online, idle")
    assert world.telegram.messages_to(SLOW.id) == []  # Sam's /status waits for his /link
    sam_answered.set()
    sam = await world.messages(SLOW.id, 2)
    order = [m.chat_id for m in world.telegram.sent()]
    assert order[-3:] == [ANNA.id, SLOW.id, SLOW.id]  # Anna was answered while Sam waited

    assert sam[0].startswith("✅ Linked!")  # the /link answer first ...
    # ... then /status, which already sees the linked account.
    assert sam[1] == "No chargers on this Joulo account yet.\nData from just now."
