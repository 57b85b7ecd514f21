"""Charge cards (RFID tags), the names people give them, and which card is new. Pure."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Final

from bot.core.events import SessionStarted
from bot.core.outgoing import Outgoing

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


def mark_new_cards(
    items: Iterable[Outgoing], seen: Collection[str], names: Mapping[str, str]
) -> list[Outgoing]:
    """The items, each start on a card the account never saw (`seen`, as `tag_key` has them)
    and has not named marked `new_card`: but only when the account named at least one card,
    so a family that does not use names is not nagged. A card is new once: a second start on
    it in the same batch is not."""
    items = list(items)
    if not names:
        return items
    known = set(seen)
    marked = []
    for item in items:
        tag = getattr(item.event, "id_tag", None)
        key = tag_key(tag) if tag else None
        event = item.event
        if isinstance(event, SessionStarted) and key and key not in known | names.keys():
            marked.append(replace(item, event=event.model_copy(update={"new_card": True})))
        else:
            marked.append(item)
        if key:
            known.add(key)
    return marked
