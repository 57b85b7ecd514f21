"""The real bot as a child process (`python -m bot`), for tests that signal, kill and restart it.

The child gets its whole configuration from the environment (never from a `.env`), runs in a
test's `tmp_path`, and appends its stdout and stderr to files there, so a failing test can show
what the bot logged across every restart. Each run is forked from an interpreter that has
already loaded the bot's modules (tests/forkserver.py): a start then costs what the bot's own
start costs, not the second of imports before it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.fernet import Fernet

from bot.config import Settings
from tests.fake_telegram import BOT_TOKEN
from tests.forkserver import ForkedBot, fork_bot

#: The repository root, so the child imports this checkout's `bot` package.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Every environment variable the bot reads as configuration.
CONFIG_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)


def bot_environment(
    *, telegram_url: str, joulo_url: str, database: Path, poll_interval: float
) -> dict[str, str]:
    """The test process's environment minus any bot configuration, plus a test deployment's."""
    env = {
        name: value for name, value in os.environ.items() if name.upper() not in CONFIG_VARIABLES
    }
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_URL=telegram_url,
        JOULO_API_URL=joulo_url,
        DATABASE_PATH=str(database),
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
        POLL_INTERVAL=f"{poll_interval:g}",
        DEFAULT_LANGUAGE="en",
        LOG_LEVEL="DEBUG",
        PTB_TIMEDELTA="1",
    )
    return env


def run_bot_command(
    env: Mapping[str, str], workdir: Path, *args: str, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot <args>` to completion and capture its output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = fork_bot(list(args), env, workdir, stdout=out, stderr=err)
        try:
            code = child.wait(timeout=timeout)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(
            list(args), code, out.read().decode(), err.read().decode()
        )


class BotProcess:
    """`python -m bot` in a child process that can be started again after it stopped."""

    def __init__(self, env: Mapping[str, str], workdir: Path) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.stdout_path = workdir / "bot.stdout.log"
        self.stderr_path = workdir / "bot.stderr.log"
        self.runs = 0
        self._process: ForkedBot | None = None
        self._run_offset = 0

    @property
    def pid(self) -> int | None:
        """The process id of the current (or last) run."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the child of the current run is still alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def exit_code(self) -> int | None:
        """How the last run ended; None while it runs or before the first start."""
        return self._process.poll() if self._process is not None else None

    def start(self) -> None:
        """Start a new run; its output is appended to the log files after a marker line."""
        if self.running:
            raise RuntimeError("the bot is already running")
        self.runs += 1
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            now = time.time()  # as the bot's log lines show it
            ms = int(now * 1000) % 1000
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{ms:03d}"
            err.write(f"----- test harness: run {self.runs} at {at} -----\n".encode())
            err.flush()
            self._run_offset = err.tell()
            self._process = fork_bot([], self.env, self.workdir, stdout=out, stderr=err)

    def kill(self) -> None:
        """SIGKILL the current run (no chance to clean up) and reap it."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def terminate(self, timeout: float) -> int | None:
        """SIGTERM the current run; its exit code, or None if it is still alive after `timeout`."""
        process = self._process
        if process is None:
            raise RuntimeError("the bot was never started")
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        """Make sure no child is left behind (for fixture finalizers)."""
        self.kill()

    def run_stderr(self) -> str:
        """What the current (or last) run wrote to stderr."""
        with self.stderr_path.open("rb") as err:
            err.seek(self._run_offset)
            return err.read().decode("utf-8", errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        """The last lines of stderr over all runs, for assertion messages."""
        if not self.stderr_path.exists():
            return "(the bot wrote nothing to stderr)"
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last {lines} lines of {self.stderr_path} ---\n{tail}"

    def eventually(
        self, condition: Callable[[], bool], what: str, *, timeout: float = 30.0
    ) -> None:
        """Wait until `condition()` holds while the bot keeps running; fail with its log."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self._process is not None and not self.running:
                raise AssertionError(
                    f"the bot exited with code {self.exit_code} while waiting until {what}\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout:g} s: {what}\n{self.log_tail()}")
            time.sleep(0.01)
