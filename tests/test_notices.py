"""The owner hears about account trouble once: long outages, recovery, lost groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.events import GroupLost, JouloRecovered, JouloUnreachable
from bot.core.notices import (
    OUTAGE_NOTICE_AFTER,
    group_lost_notices,
    outage_notice,
    recovery_notice,
)

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)


def test_a_short_outage_is_not_announced() -> None:
    assert outage_notice(NOW - OUTAGE_NOTICE_AFTER + timedelta(seconds=1), False, NOW) is None


def test_a_long_outage_is_announced_once() -> None:
    since = NOW - OUTAGE_NOTICE_AFTER
    assert outage_notice(since, False, NOW) == JouloUnreachable(since=since)
    assert outage_notice(since, True, NOW) is None


def test_recovery_is_told_only_after_an_announced_outage() -> None:
    since = NOW - timedelta(hours=1)
    assert recovery_notice(since, True, NOW) == JouloRecovered(since=since, at=NOW)
    assert recovery_notice(since, False, NOW) is None
    assert recovery_notice(None, True, NOW) is None


def test_losing_a_group_tells_each_subscribed_owner_but_not_about_their_own_chat() -> None:
    notices = group_lost_notices(-100, "Family", {1: 501, 2: 502}, NOW)
    assert notices == {
        1: GroupLost(chat_id=-100, title="Family", at=NOW),
        2: GroupLost(chat_id=-100, title="Family", at=NOW),
    }
    assert group_lost_notices(501, None, {1: 501}, NOW) == {}


def test_event_keys_keep_their_stored_form() -> None:
    """Keys are stored for dedupe: a renamed key would announce an old event again."""
    event = GroupLost(chat_id=-100, title=None, at=NOW)
    assert event.key == f"group_lost:-100:{NOW.isoformat()}"
    assert event.audience == "owner"
