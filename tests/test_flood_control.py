"""One layer answers each 429, and a 429 pauses one request, never the bot.

Outbox sends give up on flood control at once (the outbox postpones that chat alone); a reply to
a command waits out one short flood itself and gives up on a long one. Either way no other
request waits. Telegram is a plain function here, or the fake Bot API through the real `ExtBot`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.telegram.send import (
    OUTBOX_SENDS,
    ChatRateLimiter,
    DeliveryDeferred,
    FloodPolicy,
    TelegramMessenger,
)
from tests.fake_telegram import BOT_TOKEN, FakeBotAPI

Result = bool | dict[str, Any] | list[dict[str, Any]]


class Telegram:
    """Stands in for one Bot API call: refuses the first `floods` tries with `retry_after`."""

    def __init__(self, floods: int, retry_after: timedelta) -> None:
        self.floods = floods
        self.retry_after = retry_after
        self.tries = 0
        self.tried = asyncio.Event()

    async def call(self) -> Result:
        """One try: a 429 while floods are left, then success."""
        self.tries += 1
        self.tried.set()
        if self.tries <= self.floods:
            raise RetryAfter(self.retry_after)
        return {"message_id": self.tries}


async def _request(
    limiter: ChatRateLimiter,
    call: Callable[[], Coroutine[Any, Any, Result]],
    chat_id: int,
    policy: FloodPolicy | None = None,
) -> Result:
    return await limiter.process_request(
        call, (), {}, "sendMessage", {"chat_id": chat_id, "text": "hi"}, policy
    )


async def test_a_reply_waits_out_one_short_flood_and_is_sent_once() -> None:
    telegram = Telegram(floods=1, retry_after=timedelta(milliseconds=10))
    assert await _request(ChatRateLimiter(), telegram.call, 7001) == {"message_id": 2}
    assert telegram.tries == 2


async def test_a_reply_gives_up_on_a_second_flood() -> None:
    telegram = Telegram(floods=2, retry_after=timedelta(milliseconds=10))
    with pytest.raises(RetryAfter):
        await _request(ChatRateLimiter(), telegram.call, 7001)
    assert telegram.tries == 2


async def test_a_reply_is_not_kept_waiting_by_a_long_flood() -> None:
    telegram = Telegram(floods=1, retry_after=timedelta(seconds=30))
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(RetryAfter):
        await _request(ChatRateLimiter(), telegram.call, -100777)
    assert telegram.tries == 1
    assert loop.time() - began < 5


async def test_an_outbox_send_never_waits_for_a_flood_itself() -> None:
    telegram = Telegram(floods=1, retry_after=timedelta(milliseconds=10))
    with pytest.raises(RetryAfter):
        await _request(ChatRateLimiter(), telegram.call, 7001, OUTBOX_SENDS)
    assert telegram.tries == 1


async def test_while_one_reply_waits_out_a_flood_other_chats_are_answered() -> None:
    limiter = ChatRateLimiter()
    flooded = Telegram(floods=1, retry_after=timedelta(seconds=5))
    waiting = asyncio.create_task(_request(limiter, flooded.call, -100777))
    await flooded.tried.wait()
    other = Telegram(floods=0, retry_after=timedelta(0))
    assert await asyncio.wait_for(_request(limiter, other.call, 7001), timeout=2) == {
        "message_id": 1
    }
    assert not waiting.done()  # still sitting out its own 5 s
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_the_outbox_policy_reaches_the_limiter_through_the_real_bot(
    fake_bot: FakeBotAPI,
) -> None:
    fake_bot.flood(7001, 3, now=lambda: 0.0)  # a short flood that never ends by itself
    bot: ExtBot[FloodPolicy] = ExtBot(
        BOT_TOKEN, base_url=fake_bot.base_url, rate_limiter=ChatRateLimiter()
    )
    async with bot:
        loop = asyncio.get_running_loop()
        began = loop.time()
        with pytest.raises(DeliveryDeferred) as deferred:
            await TelegramMessenger(bot).send(7001, "charging started")
        assert loop.time() - began < 2  # a reply would have waited 3 s and tried again
    assert deferred.value.retry_after == 3
    assert deferred.value.exact
    assert fake_bot.flood_refusals(7001) == 1


async def test_messages_to_chats_keep_within_the_bot_wide_budget_per_second() -> None:
    """Telegram's 30 messages a second, bot-wide (here 20, to wait less): a burst of that many
    goes at once, the next one waits its turn, whichever chat it is for."""
    limiter = ChatRateLimiter(per_second=20)
    sent: list[float] = []

    async def call() -> Result:
        sent.append(asyncio.get_running_loop().time())
        return True

    await asyncio.gather(*(_request(limiter, call, 7000 + n) for n in range(21)))

    assert len(sent) == 21
    assert sent[-1] - sent[0] >= 0.04  # the 21st waited for 1/20 s of budget to come back
