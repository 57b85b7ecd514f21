"""`python -m bot`, started ahead of time: an interpreter that has loaded the bot's modules and
waits for the word to run it (see `BotProcess.prepare` in tests/processes.py).

`python -m tests.warm_start LOADS` imports what `python -m bot` loads for LOADS (a command, or
`claim`: a run as far as a second bot on the same database gets), then reads one
line from stdin: the command line's arguments as a JSON list. It swaps its stdin for /dev/null
(as a bot started with nothing to read has it) and runs `bot/__main__.py` as `python -m bot`
does, with those arguments. A start then costs what the bot does when it starts (settings,
lock, database, Telegram's handshake), not the second or more of imports before that, which a
test waiting for a restart would otherwise sit out. An empty line or end of input ends it.
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import sys

#: What `python -m bot COMMAND` imports before it does anything (see bot/__main__.py).
_LOADS = ("bot.__main__", "bot.config", "bot.logs")
PRELOADED = {
    # A run up to where it claims DATABASE_PATH: as far as a second bot on it gets.
    "claim": (*_LOADS, "bot.startup"),
    # Joulo's HTTP client is aiohttp, loaded when the bot opens it (bot/joulo/transport.py).
    "run": (*_LOADS, "bot.startup", "bot.app", "aiohttp", "httpx_aiohttp"),
    "healthcheck": (*_LOADS, "bot.health"),
    "backup": (*_LOADS, "bot.backup"),
}


def main() -> None:
    """Load the modules of the command, wait for the arguments, run the bot with them."""
    for module in PRELOADED[sys.argv[1]]:
        importlib.import_module(module)
    del sys.modules["bot.__main__"]  # `python -m bot` runs it as `__main__` only, as below
    line = sys.stdin.readline().strip()
    if not line:
        return  # never needed
    arguments = json.loads(line)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, sys.stdin.fileno())
    os.close(nothing)
    sys.argv = ["-m", *arguments]  # run_module puts bot/__main__.py's path in sys.argv[0]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
