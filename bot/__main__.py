"""Command line: `python -m bot` runs the bot, `demo` runs it offline, `healthcheck` probes it,
`backup FILE` copies its database."""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from bot.exits import ExitStatus

# python-telegram-bot 22 reports durations as timedelta when this is set (and warns otherwise).
os.environ.setdefault("PTB_TIMEDELTA", "1")


def _program_name() -> str:
    """`joulo-bot` when started by that name, `python -m bot` when started as a module."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if name in ("", "-c", "__main__.py"):
        return f"{Path(sys.executable).name or 'python'} -m bot"
    return name


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line (and exit code 2), not the usage."""

    def error(self, message: str) -> NoReturn:
        """Name the mistake in one line, point at --help, exit 2."""
        self.exit(ExitStatus.CANNOT_WORK, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _more_than_zero(text: str) -> float:
    """A number of seconds or a speed: only a positive, finite number makes sense."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _writable_folder(text: str) -> Path:
    """A folder the demo can write its files to, made now if missing: refused before it starts."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; give a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise argparse.ArgumentTypeError(
            f"cannot write to {text}: {err.strerror or err}; give a folder you can write to"
        ) from None
    return path


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=_program_name(),
        description="Telegram notifications for home EV charging via the Joulo API.",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    demo = commands.add_parser(
        "demo", help="run offline against a simulated Joulo, with the terminal as the chat"
    )
    demo.add_argument(
        "--duration",
        type=_more_than_zero,
        default=None,
        metavar="SECONDS",
        help="stop after SECONDS (otherwise end of input, /quit or Ctrl-C ends it)",
    )
    demo.add_argument(
        "--speed",
        type=_more_than_zero,
        default=120.0,
        help="simulated seconds per real second (default: %(default)g)",
    )
    demo.add_argument("--seed", type=int, default=None, help="random seed for the simulation")
    demo.add_argument(
        "--out",
        type=_writable_folder,
        default=None,
        metavar="DIR",
        help="folder for the files the bot sends (/stats chart, /export CSV); "
        "default: joulo-demo in the temporary directory",
    )
    commands.add_parser(
        "healthcheck", help="exit 0 if the poller completed a cycle recently (for Docker)"
    )
    backup = commands.add_parser(
        "backup", help="copy the database to FILE, safely while the bot runs, and check the copy"
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="the new file (never replaced)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    # Loading the modules makes some 10^5 objects and frees next to none: the collector would
    # walk them again and again for nothing (a tenth of the imports' CPU). Back on once the
    # command has what it needs, before it runs.
    gc.disable()
    try:
        command = _prepare(argv)
    finally:
        gc.enable()
    return command if isinstance(command, int) else command()


def _prepare(argv: list[str] | None) -> int | Callable[[], int]:
    """The command line's command with its modules loaded, ready to run; or the exit code of
    a command line that cannot run."""
    args = _parser().parse_args(argv)
    command = args.command or "run"

    from bot.config import ConfigError, load_settings, read_log_format
    from bot.logs import setup_logging

    overrides: dict[str, object] = {}
    if command == "demo":
        from bot.demo import ignored_settings

        overrides = ignored_settings()
    try:
        settings = load_settings(require_bot_token=command == "run", **overrides)
    except ConfigError as err:
        if command == "run" and read_log_format() == "json":
            setup_logging("INFO", log_format="json")  # a log collector reads these lines too
            for line in err.problems:
                logging.getLogger("bot.config").error(
                    "configuration problem (environment or .env): %s", line
                )
            return ExitStatus.CANNOT_WORK
        print("Configuration problem (environment or .env):", file=sys.stderr)
        for line in err.problems:
            print(f"  {line}", file=sys.stderr)
        return ExitStatus.CANNOT_WORK

    if command == "demo":
        from bot.demo import run_demo

        return functools.partial(
            run_demo,
            settings,
            duration=args.duration,
            speed=args.speed,
            seed=args.seed,
            out_dir=args.out,
        )
    if command == "healthcheck":
        from bot.health import check

        return functools.partial(check, settings)
    if command == "backup":
        from bot.backup import backup

        return functools.partial(backup, settings, args.file)

    setup_logging(settings.log_level, settings.secrets(), settings.log_format)
    for warning in settings.warnings():
        logging.getLogger("bot").warning("%s", warning)
    from bot.startup import claim

    claimed = claim(settings)  # a second bot or a bad path ends here, before the heavy imports
    if isinstance(claimed, int):
        return claimed
    from bot.app import run

    return functools.partial(run, settings, claimed)


if __name__ == "__main__":
    sys.exit(main())
