"""Invite links: what a code looks like, how it is kept, and whether it still works. Pure.

`/invite` gives `https://t.me/<bot>?startgroup=<code>`; adding the bot to a group through it
makes Telegram send `/start@<bot> <code>` there, which subscribes the group to the inviter's
account. A code is random, works once, for `INVITE_TTL`, and only its sha256 is stored: the
code has 128 random bits, so a plain hash cannot be guessed back and needs no salt.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Final, Literal

#: How long an invite link works after /invite made it.
INVITE_TTL: Final = timedelta(hours=24)
#: Random bytes in a code: 16 bytes are 22 characters of base64url.
CODE_BYTES: Final = 16
#: What a code the bot made looks like: Telegram's start parameter alphabet, 22 characters.
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{22}")

#: What became of an invite: works, was used, expired; "unknown": no such code (or garbage).
InviteState = Literal["valid", "used", "expired", "unknown"]


def code_hash(code: str) -> str | None:
    """The stored form of a code (hex sha256); None for anything that cannot be one of ours."""
    if not CODE_PATTERN.fullmatch(code):
        return None
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def invite_state(
    *, found: bool, used_at: datetime | None, expires_at: datetime | None, now: datetime
) -> InviteState:
    """Whether a stored invite can be used `now`: unknown, used, expired or valid."""
    if not found:
        return "unknown"
    if used_at is not None:
        return "used"
    if expires_at is None or now >= expires_at:
        return "expired"
    return "valid"


def start_link(bot_username: str, code: str) -> str:
    """The link that adds the bot to a group with `code` as its start parameter."""
    return f"https://t.me/{bot_username}?startgroup={code}"
