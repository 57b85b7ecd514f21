"""Every command the bot knows: where it may be used, whether it takes arguments, who answers.

This table is the one place that says so: `Answers.command()` applies its rules, the Telegram
adapter reads `secret_args`, and the command menus are built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Where = Literal["anywhere", "private", "group"]
Menu = Literal["private", "group"]
#: The subject module that answers a command (see `bot.commands.dispatch`).
SubjectName = Literal["linking", "invites", "status", "history", "settings"]


@dataclass(frozen=True)
class Command:
    """A command, where it may be used, and the subject module that answers it."""

    name: str
    where: Where
    takes_args: bool
    subject: SubjectName
    #: The command menus it is listed in.
    menus: frozenset[Menu]
    #: Its arguments may be a secret (a token): the adapter deletes the message first.
    secret_args: bool = False


_BOTH: Final[frozenset[Menu]] = frozenset({"private", "group"})
_PRIVATE: Final[frozenset[Menu]] = frozenset({"private"})
_GROUP: Final[frozenset[Menu]] = frozenset({"group"})

COMMANDS: Final[dict[str, Command]] = {
    spec.name: spec
    for spec in (
        # `/start <code>`: an invite link's code in a group, a deep link's in private.
        Command("start", "anywhere", True, "linking", _PRIVATE),
        Command("link", "anywhere", True, "linking", _PRIVATE, secret_args=True),
        Command("unlink", "private", False, "linking", _PRIVATE),
        Command("invite", "private", False, "invites", _PRIVATE),
        Command("subscribe", "group", False, "linking", _GROUP),
        Command("unsubscribe", "group", False, "linking", _GROUP),
        Command("status", "anywhere", False, "status", _BOTH),
        Command("stats", "anywhere", False, "status", _BOTH),
        Command("sessions", "anywhere", True, "history", _BOTH),
        Command("export", "anywhere", True, "history", _BOTH),
        Command("statement", "anywhere", True, "history", _BOTH),
        Command("tag", "private", True, "history", _PRIVATE),
        Command("settings", "anywhere", False, "settings", _BOTH),
        Command("mute", "anywhere", True, "settings", _BOTH),
        Command("unmute", "anywhere", False, "settings", _BOTH),
        Command("quiet", "anywhere", True, "settings", _BOTH),
        Command("live", "anywhere", True, "settings", _BOTH),
        Command("pin", "anywhere", True, "settings", _BOTH),
        Command("language", "anywhere", True, "settings", _BOTH),
        Command("tariff", "anywhere", True, "settings", _BOTH),
        Command("help", "anywhere", False, "linking", _BOTH),
    )
}
"""Every command the bot knows, in the order its menus show them."""


def menu(kind: Menu) -> tuple[str, ...]:
    """The commands in the menu of a private chat or of a group, in order."""
    return tuple(name for name, spec in COMMANDS.items() if kind in spec.menus)
