"""The error tree a `Messenger` raises when a message cannot be delivered (now, or ever).

`bot.telegram.send` maps python-telegram-bot's errors to it; the outbox decides what each means
for the message and the chat. Kept apart from `send`, without python-telegram-bot, so what
only needs the tree (the outbox, and through it the offline demo) does not load the library.

    DeliveryError
    ├── DeliveryDeferred     try again after `retry_after` seconds (flood control, network)
    ├── MessageRejected      this message can never be sent (bad request); drop it
    ├── TopicGone            the forum topic was deleted or closed; the chat itself is fine
    ├── PinRefused           the bot lacks the right to pin messages in this chat
    └── ChatUnreachable      the chat is gone for us (blocked, kicked, not found)
        └── ChatMoved        the group became a supergroup with `new_chat_id`
"""

from __future__ import annotations

#: Retry delay after a network failure or a timeout.
NETWORK_RETRY_SECONDS = 10.0


class DeliveryError(Exception):
    """A message could not be delivered."""


class DeliveryDeferred(DeliveryError):
    """Not now; try again after `retry_after` seconds.

    `maybe_delivered` is set when the request may have reached Telegram (a timeout): such a
    message is retried only a few times, since every retry may show it once more.
    """

    def __init__(
        self,
        reason: str,
        retry_after: float,
        *,
        maybe_delivered: bool = False,
        exact: bool = False,
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered
        #: Wait exactly `retry_after` (Telegram said so) instead of backing off further.
        self.exact = exact


class MessageRejected(DeliveryError):
    """The message itself was refused and retrying will not help."""


class TopicGone(DeliveryError):
    """The forum topic (message thread) sent to was deleted or closed."""


class PinRefused(DeliveryError):
    """The bot may not pin messages in this chat (no "Pin messages" right)."""


class ChatUnreachable(DeliveryError):
    """The bot can no longer write to this chat."""


class ChatMoved(ChatUnreachable):
    """The group was upgraded to a supergroup with a new id."""

    def __init__(self, reason: str, new_chat_id: int) -> None:
        super().__init__(reason)
        self.new_chat_id = new_chat_id
