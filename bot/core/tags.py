"""Charge cards (RFID tags) and the names people give them. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

#: Longest name a tag may get (it shows in one line of a notification).
MAX_TAG_NAME: Final = 32
#: What a tag id may look like: one word of printable characters.
TAG_ID: Final = re.compile(r"[^\s]{1,64}")


def tag_key(tag: str) -> str:
    """The form a tag id is stored and looked up in: `04a3b2c1 ` and `04A3B2C1` are one card."""
    return tag.strip().upper()


def tag_name(names: Mapping[str, str], tag: str | None) -> str | None:
    """The name given to `tag`, if any."""
    if not tag:
        return None
    return names.get(tag_key(tag))


def clean_name(raw: str) -> str | None:
    """A name as given to /tag, with spaces collapsed; None when empty or too long."""
    name = " ".join(raw.split())
    if not name or len(name) > MAX_TAG_NAME:
        return None
    return name
