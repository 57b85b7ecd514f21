"""Sending to Telegram: python-telegram-bot's errors mapped to the sender's, in one place.

Also who answers Telegram's flood control (429 `RetryAfter`), and how. The outbox owns it for
notifications: its sends give up on a 429 at once and the outbox postpones that chat alone, so a
flood-limited group never holds up another family's messages. A reply to a command may wait out
one short 429 itself; that wait holds only the request that got it (and so only that chat's
updates), never the whole bot as python-telegram-bot's `AIORateLimiter` would.

python-telegram-bot's errors become the `DeliveryError` tree of `bot.telegram.delivery` here, and
only here (the outbox decides what each means for the message and the chat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import BaseRateLimiter, ExtBot

from bot.telegram.delivery import (
    NETWORK_RETRY_SECONDS,
    ChatMoved,
    ChatUnreachable,
    DeliveryDeferred,
    MessageRejected,
    PinRefused,
    TopicGone,
)

log = logging.getLogger(__name__)

_NOT_MODIFIED = "message is not modified"
_GONE_MARKERS = ("chat not found", "user is deactivated", "bot was kicked", "not a member")
#: Telegram's words for a forum topic that was deleted, or closed.
_TOPIC_MARKERS = ("message thread not found", "topic_closed", "topic_deleted")
_NO_PIN_RIGHT = "not enough rights to manage pinned messages"
#: Group limiters kept before idle ones are forgotten.
_MAX_GROUP_LIMITERS: Final = 512


def topic_refused(err: TelegramError) -> bool:
    """Whether Telegram refused a send because its forum topic was deleted or closed."""
    return isinstance(err, BadRequest) and any(
        marker in err.message.lower() for marker in _TOPIC_MARKERS
    )


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(frozen=True)
class FloodPolicy:
    """How one request answers Telegram's flood control (a 429 `RetryAfter`).

    It waits out at most `retries` of them, each only if Telegram asks for `max_wait` seconds
    or less; otherwise the `RetryAfter` goes to the caller at once.
    """

    retries: int
    max_wait: float


#: Outbox sends: no wait here; the outbox postpones that chat and goes on with the others.
OUTBOX_SENDS: Final = FloodPolicy(retries=0, max_wait=0.0)
#: Replies to commands (every request without a policy of its own): a person who just asked
#: would rather get the answer a few seconds late than not at all, but an answer half a minute
#: late comes after they gave up or asked again, so a longer flood drops the reply (logged).
REPLIES: Final = FloodPolicy(retries=1, max_wait=10.0)


class ChatRateLimiter(BaseRateLimiter[FloodPolicy]):
    """Throttles like python-telegram-bot's `AIORateLimiter`, but a 429 pauses one request only.

    Every request to a chat waits for the bot-wide budget (30 messages a second), and every
    request to a group for that group's (20 a minute), as `AIORateLimiter` does. Unlike it, a
    429 never halts other requests: it is answered by the request's `FloodPolicy` (passed as
    `rate_limit_args`; `default` when there is none). `per_second` is the bot-wide budget.
    """

    def __init__(
        self,
        default: FloodPolicy = REPLIES,
        *,
        per_second: float = FloodLimit.MESSAGES_PER_SECOND,
    ) -> None:
        self._default = default
        self._overall = AsyncLimiter(per_second, 1)
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(  # noqa: PLR0917 - python-telegram-bot's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: FloodPolicy | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Make the request within the throttle; wait out a 429 only as the policy allows."""
        policy = rate_limit_args or self._default
        attempt = 0
        while True:
            try:
                async with self._throttle(data.get("chat_id")):
                    return await callback(*args, **kwargs)
            except RetryAfter as err:
                wait = _seconds(err.retry_after)
                if attempt >= policy.retries or wait > policy.max_wait:
                    raise
                attempt += 1
                log.info("flood control on %s: trying again in %.0f s", endpoint, wait)
                await asyncio.sleep(wait)

    @contextlib.asynccontextmanager
    async def _throttle(self, chat_id: object) -> AsyncIterator[None]:
        if isinstance(chat_id, str):
            with contextlib.suppress(ValueError):
                chat_id = int(chat_id)
        if isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0):
            async with self._group(chat_id), self._overall:  # a group, supergroup or channel
                yield
        elif isinstance(chat_id, int):
            async with self._overall:
                yield
        else:  # not about a chat (getMe, setMyCommands): no budget to keep
            yield

    def _group(self, chat_id: int | str) -> AsyncLimiter:
        limiter = self._groups.get(chat_id)
        if limiter is None:
            if len(self._groups) >= _MAX_GROUP_LIMITERS:  # forget groups with nothing in flight
                idle = [k for k, v in self._groups.items() if v.has_capacity(v.max_rate)]
                for key in idle:
                    del self._groups[key]
            limiter = AsyncLimiter(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP, 60)
            self._groups[chat_id] = limiter
        return limiter


class TelegramMessenger:
    """A `Messenger` backed by the Bot API."""

    def __init__(self, bot: ExtBot[FloodPolicy]) -> None:
        self._bot = bot

    async def send(
        self, chat_id: int, text: str, *, silent: bool = False, thread: int | None = None
    ) -> int | None:
        """Send an HTML message (without a sound if `silent`, into forum topic `thread` if
        given); map failures to DeliveryErrors."""
        with _delivery_errors():
            message = await self._bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                disable_notification=silent,
                message_thread_id=thread,
                rate_limit_args=OUTBOX_SENDS,
            )
        return message.message_id

    async def pin(self, chat_id: int, message_id: int) -> None:
        """Pin a message without notifying anyone; map failures to DeliveryErrors."""
        with _delivery_errors():
            await self._bot.pin_chat_message(
                chat_id, message_id, disable_notification=True, rate_limit_args=OUTBOX_SENDS
            )

    async def unpin(self, chat_id: int, message_id: int) -> None:
        """Unpin a message; map failures to DeliveryErrors."""
        with _delivery_errors():
            await self._bot.unpin_chat_message(chat_id, message_id, rate_limit_args=OUTBOX_SENDS)

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """Replace a message's HTML text; "not modified" counts as done."""
        try:
            with _delivery_errors():
                await self._bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    rate_limit_args=OUTBOX_SENDS,
                )
        except MessageRejected as err:
            if _NOT_MODIFIED not in str(err).lower():
                raise


@contextlib.contextmanager
def _delivery_errors() -> Iterator[None]:
    """Translate python-telegram-bot's errors into the sender's, in this one place."""
    try:
        yield
    except RetryAfter as err:
        raise DeliveryDeferred("flood control", _seconds(err.retry_after), exact=True) from err
    except ChatMigrated as err:
        raise ChatMoved("group became a supergroup", err.new_chat_id) from err
    except Forbidden as err:
        raise ChatUnreachable(err.message) from err
    except BadRequest as err:  # a NetworkError subclass: must come before it
        said = err.message.lower()
        if topic_refused(err):
            raise TopicGone(err.message) from err
        if _NO_PIN_RIGHT in said:
            raise PinRefused(err.message) from err
        if any(marker in said for marker in _GONE_MARKERS):
            raise ChatUnreachable(err.message) from err
        raise MessageRejected(err.message) from err
    except TimedOut as err:
        raise DeliveryDeferred("timed out", NETWORK_RETRY_SECONDS, maybe_delivered=True) from err
    except NetworkError as err:
        raise DeliveryDeferred(f"network: {err.message}", NETWORK_RETRY_SECONDS) from err
    except TelegramError as err:
        raise MessageRejected(err.message) from err
