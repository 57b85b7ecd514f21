"""Command line: `python -m bot` runs the bot, `demo` runs it offline, `healthcheck` probes it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# python-telegram-bot 22 reports durations as timedelta when this is set (and warns otherwise).
os.environ.setdefault("PTB_TIMEDELTA", "1")


def _program_name() -> str:
    """`joulo-bot` when started by that name, `python -m bot` when started as a module."""
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if name in ("", "-c", "__main__.py"):
        return f"{Path(sys.executable).name or 'python'} -m bot"
    return name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after SECONDS (otherwise end of input, /quit or Ctrl-C ends it)",
    )
    demo.add_argument(
        "--speed", type=float, default=120.0, help="simulated seconds per real second"
    )
    demo.add_argument("--seed", type=int, default=None, help="random seed for the simulation")
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the files the bot sends (/stats chart, /export CSV); "
        "default: joulo-demo in the temporary directory",
    )
    commands.add_parser(
        "healthcheck", help="exit 0 if the poller completed a cycle recently (for Docker)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    command = args.command or "run"

    from bot.config import ConfigError, load_settings
    from bot.logs import setup_logging

    overrides: dict[str, object] = {}
    if command == "demo":
        from bot.demo import ignored_settings

        overrides = ignored_settings()
    try:
        settings = load_settings(require_bot_token=command == "run", **overrides)
    except ConfigError as err:
        print("Configuration problem (environment or .env):", file=sys.stderr)
        for line in err.problems:
            print(f"  {line}", file=sys.stderr)
        return 2

    if command == "demo":
        from bot.demo import run_demo

        return run_demo(
            settings, duration=args.duration, speed=args.speed, seed=args.seed, out_dir=args.out
        )
    if command == "healthcheck":
        from bot.health import check

        return check(settings)

    secrets = (
        [settings.telegram_bot_token.get_secret_value()] if settings.telegram_bot_token else []
    )
    setup_logging(settings.log_level, secrets)
    import logging

    for warning in settings.warnings():
        logging.getLogger("bot").warning("%s", warning)
    from bot.app import run

    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
