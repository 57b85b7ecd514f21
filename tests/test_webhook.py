"""Webhook mode: updates arrive over HTTPS (through a proxy) with the secret, or not at all.

Pins down: with WEBHOOK_URL the bot registers the webhook with WEBHOOK_SECRET and the allowed
updates, serves updates at the URL's path, never calls getUpdates; a real HTTP request without
the right X-Telegram-Bot-Api-Secret-Token gets 403 and its update is not processed, while
Telegram's own delivery (with the secret) is answered through the Bot API. Without WEBHOOK_URL
the bot long-polls and first deletes a webhook an earlier run left behind.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from pydantic import AnyHttpUrl, SecretStr

from bot.app import RunningBot, open_services, running
from bot.config import Settings
from bot.listeners import listen
from tests.clock import ManualClock
from tests.fake_telegram import FakeBotAPI
from tests.joulo_sim import JouloSimulator
from tests.story import ANNA

URL = "https://bot.example.org/telegram/updates"
SECRET = "s3cret_-Token"


@asynccontextmanager
async def webhook_bot(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, fake_bot: FakeBotAPI
) -> AsyncIterator[tuple[RunningBot, str]]:
    """The bot in webhook mode on a free loopback port; (bot, where a proxy would forward)."""
    settings = settings.model_copy(
        update={
            "telegram_api_url": fake_bot.base_url,
            "webhook_url": AnyHttpUrl(URL),
            "webhook_secret": SecretStr(SECRET),
        }
    )
    sock = listen("127.0.0.1", 0, setting="WEBHOOK_PORT", address_setting="WEBHOOK_LISTEN")
    upstream = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        async with (
            open_services(settings, clock=clock, joulo_transport=sim.transport()) as services,
            running(services, scheduled=False, webhook=sock) as bot,
        ):
            yield bot, upstream
    finally:
        sock.close()


def start_update(update_id: int) -> bytes:
    """A private /start from Anna, as Telegram would post it."""
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 1_776_240_000,
                "chat": {"id": ANNA.id, "type": "private", "first_name": ANNA.first_name},
                "from": {"id": ANNA.id, "is_bot": False, "first_name": ANNA.first_name},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
    ).encode()


async def test_telegram_delivers_updates_by_webhook_and_the_bot_answers(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, fake_bot: FakeBotAPI
) -> None:
    async with webhook_bot(settings, clock, sim, fake_bot) as (_, upstream):
        hook = fake_bot.webhook
        assert hook is not None
        assert (hook["url"], hook["secret_token"]) == (URL, SECRET)

        fake_bot.private_message(ANNA, "/start")
        statuses = await asyncio.to_thread(fake_bot.deliver_webhook, upstream)

        assert statuses == [200]
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 1)
        assert fake_bot.messages_to(ANNA.id)[0].startswith("👋 Hi! I tell you")
    assert fake_bot.calls_to("getUpdates") == []
    assert fake_bot.webhook is not None  # kept: Telegram holds the updates while the bot is down


@pytest.mark.parametrize("header", [None, "wrong-secret", SECRET.lower()])
async def test_a_request_without_the_right_secret_gets_403_and_is_not_processed(
    settings: Settings,
    clock: ManualClock,
    sim: JouloSimulator,
    fake_bot: FakeBotAPI,
    header: str | None,
) -> None:
    async with (
        webhook_bot(settings, clock, sim, fake_bot) as (_, upstream),
        httpx.AsyncClient() as client,
    ):
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = header
        forged = await client.post(
            f"{upstream}/telegram/updates", content=start_update(1), headers=headers
        )
        assert forged.status_code == 403

        # The real one after it, in the same chat: updates of a chat are handled in order, so
        # once its answer is there, the forged one would have been answered before it.
        fake_bot.private_message(ANNA, "/start")
        assert await asyncio.to_thread(fake_bot.deliver_webhook, upstream) == [200]
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) >= 1)
        await asyncio.sleep(0.1)
    (only,) = fake_bot.messages_to(ANNA.id)
    assert only.startswith("👋 Hi! I tell you")  # /start's answer; /help's never came


async def test_updates_are_served_only_at_the_webhook_urls_path(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, fake_bot: FakeBotAPI
) -> None:
    async with (
        webhook_bot(settings, clock, sim, fake_bot) as (_, upstream),
        httpx.AsyncClient() as client,
    ):
        elsewhere = await client.post(
            f"{upstream}/",
            content=start_update(1),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
    assert elsewhere.status_code == 404


async def test_long_polling_deletes_a_webhook_an_earlier_run_left(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, fake_bot: FakeBotAPI
) -> None:
    fake_bot.set_webhook(URL, SECRET)  # WEBHOOK_URL was set last time, and is not now
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    async with (
        open_services(settings, clock=clock, joulo_transport=sim.transport()) as services,
        running(services, scheduled=False),
    ):
        fake_bot.private_message(ANNA, "/start")
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 1)

    assert fake_bot.webhook is None
    methods = [call.method for call in fake_bot.calls]
    assert "deleteWebhook" in methods
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert fake_bot.calls_to("getUpdates")[0].status == 200  # no "webhook is active" 409
