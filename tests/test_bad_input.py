"""Whatever people type, the bot answers and never falls over.

Property-based: hypothesis throws random text, commands with random arguments and stale
callback data at the real Application's handlers. No update may reach the error handler, a
private chat always gets an answer, and a button press is always acknowledged.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import Application

from bot.app import Services, build_application
from bot.config import Settings
from bot.core import buttons
from bot.telegram.send import ChatRateLimiter
from tests.fake_telegram import FakeBotAPI, FakeUser

COMMANDS = ["start", "help", "link", "unlink", "subscribe", "unsubscribe", "status", "stats"]
USER = {"id": 4242, "is_bot": False, "first_name": "Fuzz", "language_code": "nl"}
_ids = itertools.count(1)


@pytest.fixture
async def application(
    services: Services, fake_bot: FakeBotAPI, settings: Settings
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The real Application with every handler, against the fake Bot API (no polling)."""
    services.settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    # Hypothesis runs every example on this one Application: with Telegram's 30 messages a
    # second (tests/test_flood_control.py) the fuzz would sit out a second of pacing.
    app = build_application(
        services,
        telegram_transport=fake_bot.transport(),
        rate_limiter=ChatRateLimiter(per_second=10_000),
    )
    async with app:
        yield app


def _message(chat: dict[str, Any], text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "date": 1_776_240_000,
        "chat": chat,
        "from": USER,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0] if text.split() else text
        message["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}
        ]
    return message


words = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), min_size=0, max_size=300
).filter(lambda s: s.strip() != "")
commands = st.builds(
    lambda name, suffix, args: f"/{name}{suffix} {args}".rstrip(),
    st.sampled_from([*COMMANDS, "frobnicate", "LINK", "start_x"]),
    st.sampled_from(["", "@joulo_test_bot", "@other_bot"]),
    st.text(max_size=400),
)


@hsettings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.one_of(words, commands), in_group=st.booleans())
async def test_every_message_is_handled_without_an_error(
    application: Application[Any, Any, Any, Any, Any, Any],
    fake_bot: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
    text: str,
    in_group: bool,
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    caplog.clear()
    # A fresh group each time: Telegram's 20-messages-a-minute limit per group is real here.
    group = {"id": -1_000_000_000 - next(_ids), "type": "supergroup", "title": "Fuzzers"}
    chat = group if in_group else {"id": USER["id"], "type": "private", "first_name": "Fuzz"}
    before = len(fake_bot.messages_to(chat["id"]))
    update = Update.de_json(
        {"update_id": next(_ids), "message": _message(chat, text)}, application.bot
    )
    await application.process_update(update)

    assert [r.getMessage() for r in caplog.records] == []
    answered = len(fake_bot.messages_to(chat["id"])) > before
    addressed = text.startswith("/") and "@other_bot" not in text.split(maxsplit=1)[0]
    if not in_group or (
        addressed and text.split(maxsplit=1)[0].lstrip("/").split("@")[0] in COMMANDS
    ):
        assert answered, f"no answer to {text!r}"


@hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.text(max_size=64))
async def test_a_button_from_an_old_message_is_answered_gracefully(
    application: Application[Any, Any, Any, Any, Any, Any],
    fake_bot: FakeBotAPI,
    caplog: pytest.LogCaptureFixture,
    data: str,
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    caplog.clear()
    person = FakeUser(id=USER["id"], first_name="Fuzz", language_code="nl")
    query_id = fake_bot.press_button(person, person, message_id=next(_ids), data=data)
    update = Update.de_json(
        {
            "update_id": next(_ids),
            "callback_query": {
                "id": query_id,
                "from": USER,
                "chat_instance": "x",
                "data": data,
                "message": {
                    "chat": {"id": USER["id"], "type": "private"},
                    "message_id": 1,
                    "date": 0,
                },
            },
        },
        application.bot,
    )
    await application.process_update(update)
    assert [r.getMessage() for r in caplog.records] == []
    answers = [c.params for c in fake_bot.calls_to("answerCallbackQuery")]
    assert answers[-1]["callback_query_id"] == query_id
    # Hypothesis also tries the string constants of the bot's own code, so `data` may be a real
    # button ("set:live"), whose press does what it says; anything else has expired.
    if buttons.decode(data) is None:
        assert answers[-1]["text"] == "Deze knop is verlopen. Stuur het commando opnieuw."


async def test_a_button_too_old_for_telegram_to_answer_is_not_an_error(
    application: Application[Any, Any, Any, Any, Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    update = Update.de_json(
        {
            "update_id": next(_ids),
            "callback_query": {
                "id": "unknown-to-telegram",
                "from": USER,
                "chat_instance": "x",
                "data": "status",
            },
        },
        application.bot,
    )
    await application.process_update(update)
    assert [r.getMessage() for r in caplog.records] == []
