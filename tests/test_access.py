"""ALLOWED_USERS: only the listed Telegram users may link an account; others are told politely."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.fake_telegram import FakeUser
from tests.story import ANNA, World

STRANGER = FakeUser(id=6666, first_name="Stranger", language_code="en")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The deployment allows Anna only."""
    return settings.model_copy(update={"allowed_users": frozenset({ANNA.id})})


async def test_a_user_outside_allowed_users_cannot_link(world: World) -> None:
    world.telegram.private_message(STRANGER, f"/link {world.token}")
    reply = (await world.messages(STRANGER.id, 1))[0]
    assert reply == "Sorry, this bot is private: only its owner's household can link accounts."
    assert [r for r in world.sim.requests if r.token == world.token] == []


async def test_an_allowed_user_can_link(world: World) -> None:
    world.telegram.private_message(ANNA, f"/link {world.token}")
    reply = (await world.messages(ANNA.id, 1))[0]
    assert reply.startswith("✅ Linked!")
