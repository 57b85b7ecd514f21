"""The exit statuses of `python -m bot`: one list, which the README's table repeats."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """How a run of `python -m bot` (the bot, `demo`, `healthcheck` or `backup`) ended."""

    #: The bot was stopped (SIGTERM, Ctrl-C), the demo ended, the healthcheck found it healthy,
    #: the backup was written and checked.
    OK = 0
    #: Telegram could not be reached or failed at start-up; the healthcheck found no recent
    #: poll cycle or no database yet; the backup failed while copying (a full disk, a copy that
    #: fails its check). (Python also exits 1 after an unexpected error.)
    FAILED = 1
    #: A setting, a file or a command-line argument cannot work; nothing was started or made.
    CANNOT_WORK = 2
