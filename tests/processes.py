"""The real bot as a child process (`python -m bot`), for tests that signal, kill and restart it.

The child gets its whole configuration from the environment (never from a `.env`), runs in a
test's `tmp_path`, and appends its stdout and stderr to files there, so a failing test can show
what the bot logged across every restart. A test that restarts the bot can have the next run's
interpreter started ahead, while the current run works (`BotProcess.prepare`): it loads the
bot's modules meanwhile, and the restart then costs what the bot's own start costs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.fernet import Fernet

from bot.config import Settings
from tests.fake_telegram import BOT_TOKEN

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
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=dict(env),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class PreparedCommand:
    """`python -m bot ...` whose interpreter starts now, loads the bot's modules for `loads`
    (run, claim, healthcheck, backup: see tests/warm_start.py) meanwhile, and runs when `run`
    gives it the arguments: for a test that waits anyway (for a bot to poll, say) first."""

    def __init__(self, env: Mapping[str, str], workdir: Path, loads: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.warm_start", loads],
            env=dict(env),
            cwd=workdir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """`python -m bot <args>` to completion, its output captured (as `run_bot_command`)."""
        try:
            out, err = self._process.communicate(json.dumps(args) + "\n", timeout=timeout)
        finally:
            self.close()
        return subprocess.CompletedProcess(list(args), self._process.returncode, out, err)

    def close(self) -> None:
        """End it if it is still waiting (or running)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()


class BotProcess:
    """`python -m bot` in a child process that can be started again after it stopped."""

    def __init__(self, env: Mapping[str, str], workdir: Path) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.stdout_path = workdir / "bot.stdout.log"
        self.stderr_path = workdir / "bot.stderr.log"
        self.runs = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._spare: subprocess.Popen[bytes] | None = None
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

    def prepare(self) -> None:
        """Start the next run's interpreter now (tests/warm_start.py): it loads the bot's
        modules while this run works, and waits for `start` to run `python -m bot`'s code."""
        if self._spare is not None:
            return
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self._spare = subprocess.Popen(
                [sys.executable, "-m", "tests.warm_start", "run"],
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
            )

    def start(self) -> None:
        """Start a new run (the prepared interpreter, if there is one); its output is appended
        to the log files after a marker line."""
        if self.running:
            raise RuntimeError("the bot is already running")
        self.runs += 1
        spare, self._spare = self._spare, None
        warm = " (prepared)" if spare is not None else ""
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            now = time.time()  # as the bot's log lines show it
            ms = int(now * 1000) % 1000
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{ms:03d}"
            err.write(f"----- test harness: run {self.runs}{warm} at {at} -----\n".encode())
            err.flush()
            self._run_offset = err.tell()
            if spare is None:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "bot"],
                    env=self.env,
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                )
                return
        self._process = spare
        assert spare.stdin is not None
        try:
            spare.stdin.write(json.dumps([]).encode() + b"\n")
            spare.stdin.close()
        except BrokenPipeError:
            pass  # it ended early: `running` says so, and its log says why

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
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.kill()
            spare.wait(timeout=30)
            if spare.stdin is not None:
                spare.stdin.close()

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
