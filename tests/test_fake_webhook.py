"""The fake Bot API's webhooks are as strict as Telegram's.

Pins down: setWebhook takes only an https URL on ports 443, 80, 88 or 8443, a secret token of
1-256 of A-Z a-z 0-9 _ -, 1-100 connections and only the documented parameters; getUpdates is
refused with 409 Conflict while a webhook is set, and works again after deleteWebhook;
getWebhookInfo tells the URL and the waiting updates, never the secret.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fake_telegram import FakeBotAPI
from tests.story import ANNA

URL = "https://bot.example.org/telegram/updates"
SECRET = "s3cret_-Token"


def call(fake: FakeBotAPI, method: str, **params: object) -> httpx.Response:
    """One Bot API call, as python-telegram-bot sends them (form-encoded, non-strings as JSON)."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return httpx.post(f"{fake.base_url}{fake.token}/{method}", data=data)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"url": "http://bot.example.org/hook"}, "HTTPS URL must be provided"),
        ({"url": "https://bot.example.org:8080/hook"}, "ports 80, 88, 443 or 8443"),
        ({"url": URL, "secret_token": "with space"}, "secret token"),
        ({"url": URL, "secret_token": "x" * 257}, "secret token"),
        ({"url": URL, "max_connections": 101}, "max_connections"),
        ({"url": URL, "certificat": "typo"}, "unknown parameter"),
        ({}, "url"),
    ],
    ids=["http", "port", "space in secret", "long secret", "connections", "unknown", "no url"],
)
def test_the_fake_refuses_a_webhook_telegram_would_refuse(fake_bot, params, says) -> None:
    answer = call(fake_bot, "setWebhook", **params)

    assert answer.status_code == 400
    assert says in answer.json()["description"]
    assert fake_bot.webhook is None


def test_the_fake_refuses_getupdates_while_a_webhook_is_set(fake_bot) -> None:
    fake_bot.private_message(ANNA, "/start")
    assert call(fake_bot, "setWebhook", url=URL, secret_token=SECRET, max_connections=40).json()[
        "ok"
    ]

    refused = call(fake_bot, "getUpdates")
    info = call(fake_bot, "getWebhookInfo").json()["result"]
    assert call(fake_bot, "deleteWebhook", drop_pending_updates=False).json()["result"] is True
    fetched = call(fake_bot, "getUpdates").json()["result"]

    assert refused.status_code == 409
    assert "webhook is active" in refused.json()["description"]
    assert (info["url"], info["pending_update_count"]) == (URL, 1)
    assert "secret_token" not in info  # Telegram never tells it back
    assert [update["message"]["text"] for update in fetched] == ["/start"]
