"""What the store writes for an event: the event, who receives it, and what it waits for. Pure.

The store keeps an event once per account and gives each recipient chat an outbox row; it
decides neither. These rules do: account trouble is the owner's business only, everything
else goes to every group subscribed to the account too; a "finished" message without its ERE
credits is awaited (`bot.core.credits`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.core.credits import awaits_credits
from bot.core.events import Event

#: "owner": the owner's private chat only; "everyone": it and every active subscribed group.
Recipients = Literal["owner", "everyone"]


def recipients(event: Event) -> Recipients:
    """Who hears of an event: everyone, or (account trouble) the owner alone."""
    return "owner" if event.audience == "owner" else "everyone"


@dataclass(frozen=True)
class Outgoing:
    """An event as the store records it, with its recipients and whether credits are awaited."""

    event: Event
    recipients: Recipients
    awaits_credits: bool = False


def outgoing(event: Event) -> Outgoing:
    """The event with what the rules say about it."""
    return Outgoing(event, recipients(event), awaits_credits(event))


def outgoing_all(events: Iterable[Event]) -> list[Outgoing]:
    """`outgoing` of each event, in order."""
    return [outgoing(event) for event in events]
