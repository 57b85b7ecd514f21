"""Account-level notices for the owner: token trouble, long Joulo outages, lost groups. Pure.

Charger events come from `bot.core.diff` and `bot.core.catchup`; these are the rest. Like
every event they are built here and only written by the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final, Literal

from bot.core.events import GroupLost, JouloRecovered, JouloUnreachable, TokenRejected

#: Tell the owner once Joulo has failed for this long, and again when it recovers.
OUTAGE_NOTICE_AFTER: Final = timedelta(minutes=15)


def token_problem(
    link_seq: int, at: datetime, reason: Literal["rejected", "unreadable"]
) -> TokenRejected:
    """Joulo refused the token (or no key decrypts it): polling pauses, the owner is asked."""
    return TokenRejected(link_seq=link_seq, at=at, reason=reason)


def outage_notice(
    failing_since: datetime, announced: bool, now: datetime
) -> JouloUnreachable | None:
    """The owner hears once that Joulo has been failing for a long while."""
    if announced or now - failing_since < OUTAGE_NOTICE_AFTER:
        return None
    return JouloUnreachable(since=failing_since)


def recovery_notice(
    failing_since: datetime | None, announced: bool, now: datetime
) -> JouloRecovered | None:
    """After an announced outage, the owner hears once that Joulo answers again."""
    if failing_since is None or not announced:
        return None
    return JouloRecovered(since=failing_since, at=now)


def group_lost_notices(
    chat_id: int, title: str | None, owners: Mapping[int, int], at: datetime
) -> dict[int, GroupLost]:
    """For each account (id → owner's user id) subscribed to a lost chat, its owner's notice.

    A private chat that blocked the bot is its owner's own: nobody is told about that.
    """
    return {
        account_id: GroupLost(chat_id=chat_id, title=title, at=at)
        for account_id, owner_id in owners.items()
        if owner_id != chat_id
    }
