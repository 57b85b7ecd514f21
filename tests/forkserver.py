"""`python -m bot` for the process tests, forked from an interpreter that has loaded the bot.

A start of `python -m bot` spends most of its second of CPU importing python-telegram-bot,
pydantic, aiohttp and the bot itself. The tests that signal, kill and restart the bot start it a
dozen times a run, and on a machine with two cores that CPU is the suite's time. So each test
worker keeps one fork server (started on first use, ended with the worker): `python -m
tests.forkserver` imports what `python -m bot` and its commands import, then forks a child for
each start. The child takes its command line, environment, working folder and standard streams
from the request and runs `bot/__main__.py` as `python -m bot` does (`runpy`), then exits as
that interpreter would: its exit status, its signals and its stderr are the bot's own.

The fork server is single-threaded (forking is safe), reaps its children and reports how each
ended; `ForkedBot` offers what the tests use of `subprocess.Popen`. That a fresh interpreter's
start works is shown by the tests that still start one: the demo whose reader stops reading
(tests/test_demo.py), the idle bot's imports (tests/test_family.py) and the benchmark, whose
idle phase is a cold `python -m bot`.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import runpy
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

#: What `python -m bot`, `healthcheck` and `backup` load before they do anything.
PRELOADED = (
    "bot.__main__",
    "bot.config",
    "bot.logs",
    "bot.startup",
    "bot.app",
    "bot.health",
    "bot.backup",
    "aiohttp",  # Joulo's HTTP client, loaded when the bot opens it (bot/joulo/transport.py)
    "httpx_aiohttp",
)
_MESSAGE = 1 << 16


# --------------------------------------------------------------------------------------------
# The server (`python -m tests.forkserver FD`)


def _serve(channel: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """Fork a child for each request; return in the child only, with its request."""
    wakeup_read, wakeup_write = os.pipe()
    os.set_blocking(wakeup_write, False)
    signal.set_wakeup_fd(wakeup_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # the wakeup byte is the news
    selector = selectors.DefaultSelector()
    selector.register(channel, selectors.EVENT_READ)
    selector.register(wakeup_read, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is channel:
                message, fds, _, _ = socket.recv_fds(channel, _MESSAGE, 3)
                if not message:
                    sys.exit(0)  # the test worker is gone
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    channel.close()
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    os.close(wakeup_read)
                    os.close(wakeup_write)
                    return json.loads(message), fds
                for fd in fds:
                    os.close(fd)
                channel.send(f"started {pid}".encode())
            else:
                with contextlib.suppress(BlockingIOError):
                    os.read(wakeup_read, 4096)
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    channel.send(f"exited {pid} {os.waitstatus_to_exitcode(status)}".encode())


def _run_child(request: dict[str, Any], fds: list[int]) -> None:
    """Become `python -m bot ARGS` with the request's streams, environment and folder."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # What the standard library read from the server's environment, read from the child's.
    tempfile.tempdir = None  # TMPDIR
    time.tzset()  # TZ
    sys.argv = ["-m", *request["args"]]  # run_module puts bot/__main__.py's path in sys.argv[0]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


def main() -> None:
    """Load the bot's modules, then serve forks over the socket passed as argv[1]."""
    channel = socket.socket(fileno=int(sys.argv[1]))
    for module in PRELOADED:
        importlib.import_module(module)
    del sys.modules["bot.__main__"]  # `python -m bot` runs it as `__main__` only
    request, fds = _serve(channel)
    _run_child(request, fds)  # in the child: what `python -m bot` does, including its exit


# --------------------------------------------------------------------------------------------
# The test worker's side


class ForkedBot:
    """A `python -m bot` forked by the fork server: what the tests use of `subprocess.Popen`."""

    def __init__(self, server: _ForkServer, pid: int, args: list[str]) -> None:
        self._server = server
        self.pid = pid
        self.args = args

    @property
    def returncode(self) -> int | None:
        """How it ended (a negative signal number if a signal ended it); None while it runs."""
        return self._server.exit_code(self.pid)

    def poll(self) -> int | None:
        """As `Popen.poll`."""
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """As `Popen.wait`: its exit code, or `subprocess.TimeoutExpired`."""
        code = self._server.wait(self.pid, timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def send_signal(self, signum: int) -> None:
        """As `Popen.send_signal`: nothing once it has ended."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        """As `Popen.kill`."""
        self.send_signal(signal.SIGKILL)


class _ForkServer:
    """This worker's fork server: one request at a time, its news read by a thread."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.forkserver", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            cwd=root,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._channel = ours
        self._requests = threading.Lock()
        self._news = threading.Condition()
        self._started: list[int] = []
        self._exited: dict[int, int] = {}
        self._gone = False
        threading.Thread(target=self._read, name="forkserver", daemon=True).start()
        atexit.register(self.close)

    def close(self) -> None:
        """End the server (it ends when its socket does) and reap it, as the worker exits."""
        with contextlib.suppress(OSError):
            self._channel.shutdown(socket.SHUT_RDWR)  # also wakes the reader from its recv
        self._channel.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _read(self) -> None:
        while message := self._channel.recv(_MESSAGE):
            word, *numbers = message.decode().split()
            with self._news:
                if word == "started":
                    self._started.append(int(numbers[0]))
                    self._exited.pop(int(numbers[0]), None)  # an earlier child's, if pids wrapped
                else:
                    self._exited[int(numbers[0])] = int(numbers[1])
                self._news.notify_all()
        with self._news:
            self._gone = True
            self._news.notify_all()

    def fork(
        self, args: list[str], env: Mapping[str, str], cwd: Path, streams: tuple[int, int, int]
    ) -> ForkedBot:
        """Start `python -m bot ARGS` with these standard streams (file descriptors)."""
        request = json.dumps({"args": args, "env": dict(env), "cwd": str(cwd)}).encode()
        with self._requests, self._news:
            socket.send_fds(self._channel, [request], list(streams))
            if not self._news.wait_for(lambda: self._started or self._gone, timeout=60):
                raise RuntimeError("the fork server did not answer within 60 s")
            if not self._started:
                raise RuntimeError(f"the fork server ended ({self._process.poll()})")
            return ForkedBot(self, self._started.pop(), args)

    def exit_code(self, pid: int) -> int | None:
        """How the child `pid` ended, once the server has reaped it."""
        with self._news:
            return self._exited.get(pid)

    def wait(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit code once it has ended; None if it runs on past `timeout`."""
        with self._news:
            self._news.wait_for(lambda: pid in self._exited or self._gone, timeout=timeout)
            if pid not in self._exited and self._gone:
                raise RuntimeError("the fork server ended before its child did")
            return self._exited.get(pid)


_server: _ForkServer | None = None
_server_lock = threading.Lock()


def fork_server() -> _ForkServer:
    """This worker's fork server, started now if it is not running yet."""
    global _server  # noqa: PLW0603 - one per test worker, for the worker's life
    with _server_lock:
        if _server is None:
            _server = _ForkServer()
        return _server


def fork_bot(
    args: list[str],
    env: Mapping[str, str],
    cwd: Path,
    *,
    stdin: IO[Any] | int | None = None,
    stdout: IO[Any] | int,
    stderr: IO[Any] | int,
) -> ForkedBot:
    """`python -m bot ARGS`, forked: stdin is /dev/null unless given (as for a service)."""
    with contextlib.ExitStack() as stack:
        if stdin is None:
            stdin = stack.enter_context(open(os.devnull, "rb"))
        fds = [s if isinstance(s, int) else s.fileno() for s in (stdin, stdout, stderr)]
        return fork_server().fork(args, env, cwd, (fds[0], fds[1], fds[2]))


if __name__ == "__main__":
    main()
