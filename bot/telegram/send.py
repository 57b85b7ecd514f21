"""Sending to Telegram: python-telegram-bot's errors mapped to the sender's, in one place."""

from __future__ import annotations

from datetime import timedelta

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.outbox import ChatMoved, ChatUnreachable, DeliveryDeferred, MessageRejected

#: Retry delay after a network failure or a timeout.
NETWORK_RETRY_SECONDS = 10.0
_GONE_MARKERS = ("chat not found", "user is deactivated", "bot was kicked", "not a member")


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramMessenger:
    """A `Messenger` backed by the Bot API."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, chat_id: int, text: str) -> int | None:
        """Send an HTML message; translate failures into `DeliveryError`s."""
        try:
            message = await self._bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
        except RetryAfter as err:
            raise DeliveryDeferred("flood control", _seconds(err.retry_after), exact=True) from err
        except ChatMigrated as err:
            raise ChatMoved("group became a supergroup", err.new_chat_id) from err
        except Forbidden as err:
            raise ChatUnreachable(err.message) from err
        except BadRequest as err:  # a NetworkError subclass: must come before it
            if any(marker in err.message.lower() for marker in _GONE_MARKERS):
                raise ChatUnreachable(err.message) from err
            raise MessageRejected(err.message) from err
        except TimedOut as err:
            raise DeliveryDeferred(
                "timed out", NETWORK_RETRY_SECONDS, maybe_delivered=True
            ) from err
        except NetworkError as err:
            raise DeliveryDeferred(f"network: {err.message}", NETWORK_RETRY_SECONDS) from err
        except TelegramError as err:
            raise MessageRejected(err.message) from err
        return message.message_id
