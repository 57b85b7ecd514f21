"""The offline demo ends every way it can end, and leaves nothing behind.

What the demo says is checked in this process: `play_demo`, the very coroutine
`python -m bot demo` runs, gets Anna's input through a real pipe (or /dev/null), as from a shell,
and prints into a buffer, with simulated time sped up and its throw-away folder in the test's
folder; the end of input, `/quit` and a malformed `.env` go through `main` as the command line
does. Only what needs the operating system runs `python -m bot demo` as a child process: SIGTERM,
Ctrl-C (SIGINT) and a reader that stops reading (`| head -5`).

Pinned down: piped commands are answered and `/quit` ends the demo; so do the end of input,
`--duration`, SIGTERM, Ctrl-C and a reader that stops reading, each time with exit code 0,
"Demo ended." as the last line and no `joulo-demo-*` folder left. `/private` and `/group` move
between the chats, and what is typed is answered as Telegram would: `/status@bot`, a bare token
(deleted, warned about), a number with no button. Options that cannot work are refused in one
line before the demo starts. A Dutch demo says its own lines (banner, chat names, file sizes,
"Demo ended.") in Dutch too, and a chat switched to another language gets the demo's lines about
it in that language. Malformed Telegram settings in `.env` do not stop the demo: it ignores every
setting it does not read. And it starts without loading python-telegram-bot or aiohttp.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.__main__ import main
from tests.demo_play import SPEED, TIMEOUT, play, typed
from tests.forkserver import fork_bot
from tests.imports import imported_on_load
from tests.processes import CONFIG_VARIABLES, REPO_ROOT

ENDED = "Demo ended."


@pytest.fixture
def tmpdir_of_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's temporary directory (TMPDIR), where it keeps its throw-away database."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))  # for a demo in this process
    return folder


@pytest.fixture
def environment(tmpdir_of_demo: Path) -> dict[str, str]:
    """The test's environment without bot settings, in English, with TMPDIR in the test."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in CONFIG_VARIABLES}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        TMPDIR=str(tmpdir_of_demo),
        DEFAULT_LANGUAGE="en",
        PTB_TIMEDELTA="1",
    )
    return env


@pytest.fixture
def logging_kept() -> Iterator[None]:
    """`main` sets up the demo's logging (to stderr, redacted): put it back as it was after."""
    root = logging.getLogger()
    level, handlers, factory = root.level, list(root.handlers), logging.getLogRecordFactory()
    chatty = {name: logging.getLogger(name).level for name in logs._CHATTY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.setLogRecordFactory(factory)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def command_line(
    tmpdir_of_demo: Path,
    logging_kept: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, str, str]]:
    """`python -m bot demo --speed 3000` run by `main` in this process (the command line's own
    code, signal handlers and all), Anna typing `stdin`: its exit code, stdout and stderr.

    A demo that does not end by itself gets SIGTERM after TIMEOUT, as an operator would end
    it, and the test fails."""
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")

    def run(stdin: str | None) -> tuple[int, str, str]:
        overdue: list[bool] = []

        def end_it() -> None:
            overdue.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

        timer = threading.Timer(TIMEOUT, end_it)
        with typed(stdin) as typed_in:
            monkeypatch.setattr(sys, "stdin", typed_in)
            timer.start()
            try:
                code = main(["demo", "--speed", f"{SPEED:g}"])
            finally:
                timer.cancel()
        shown = capsys.readouterr()
        assert not overdue, f"the demo was still running {TIMEOUT:g} s later\n{shown.out[-2000:]}"
        return code, shown.out, shown.err

    return run


class Started:
    """A demo forked as `python -m bot demo` (tests/forkserver.py), with pipes to and from it."""

    def __init__(self, environment: dict[str, str], cwd: Path) -> None:
        stdin, self._stdin = os.pipe()
        self._stdout, stdout = os.pipe()
        self._stderr, stderr = os.pipe()
        try:
            self.child = fork_bot(
                ["demo", "--speed", f"{SPEED:g}"],
                environment,
                cwd,
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
            )
        finally:
            for fd in (stdin, stdout, stderr):
                os.close(fd)
        self.stdout = open(self._stdout, encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.stderr = open(self._stderr, encoding="utf-8")  # noqa: SIM115

    def communicate(self, timeout: float) -> tuple[str, str]:
        """Everything it writes until it ends (as `Popen.communicate`); its input stays open."""
        err: list[str] = []
        reader = threading.Thread(target=lambda: err.append(self.stderr.read()), daemon=True)
        reader.start()
        out = self.stdout.read()  # until it ends (or a watchdog kills it)
        self.child.wait(timeout=timeout)
        reader.join(timeout)
        return out, "".join(err)

    def close(self) -> None:
        """Kill it if it still runs; close the pipes."""
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait(timeout=30)
        os.close(self._stdin)
        self.stdout.close()
        self.stderr.close()


@pytest.fixture
def started(environment: dict[str, str], tmp_path: Path) -> Iterator[Started]:
    """A running demo whose input stays open, once it printed its first line."""
    demo = Started(environment, tmp_path)
    try:
        first = demo.stdout.readline()
        assert first.startswith("Joulo bot demo"), first
        yield demo
    finally:
        demo.close()


def assert_ended_cleanly(code: int, out: str, err: str, tmpdir_of_demo: Path) -> None:
    """Exit 0, "Demo ended." last, no traceback, and the throw-away folder is gone."""
    assert code == 0, f"exit code {code}\n{out[-2000:]}\n{err[-3000:]}"
    assert out.rstrip().endswith(ENDED), out[-2000:]
    assert "Traceback" not in err, err[-3000:]
    # The throw-away database's folder is gone (`joulo-demo`, the charts and CSV files the
    # demo shows its user, may stay).
    assert sorted(p.name for p in tmpdir_of_demo.glob("joulo-demo-*")) == []


def test_piped_commands_are_answered_and_quit_ends_the_demo(command_line, tmpdir_of_demo):
    code, out, err = command_line(stdin="/help\n/status\n/quit\n/stats\n")

    assert_ended_cleanly(code, out, err, tmpdir_of_demo)
    assert "What I can do" in out  # the answer to /help
    assert "Garage —" in out  # the answer to /status
    assert "Family group\n    /stats" not in out  # nothing is read after /quit


def test_the_end_of_input_ends_the_demo(command_line, tmpdir_of_demo):
    code, out, err = command_line(stdin=None)

    assert_ended_cleanly(code, out, err, tmpdir_of_demo)


async def test_the_duration_ends_a_demo_whose_input_stays_open(tmp_path, tmpdir_of_demo):
    with typed("", then_end=False) as stdin:  # the test holds the pipe open: input never ends
        try:
            code, out = await play(stdin, out_dir=tmp_path / "out", duration=0.1)
        except TimeoutError:
            pytest.fail(f"the demo was still running {TIMEOUT:g} s after a --duration of 0.1 s")

    assert_ended_cleanly(code, out, "", tmpdir_of_demo)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_after_the_first_line_ends_the_demo_cleanly(
    started: Started, sig: signal.Signals, tmpdir_of_demo: Path
) -> None:
    started.child.send_signal(sig)
    watchdog = threading.Timer(TIMEOUT, started.child.kill)
    watchdog.start()
    try:
        out, err = started.communicate(timeout=TIMEOUT)
    finally:
        watchdog.cancel()
    code = started.child.returncode
    assert code != -signal.SIGKILL, f"the demo was still running {TIMEOUT:g} s after {sig.name}"

    assert code is not None
    assert_ended_cleanly(code, out, err, tmpdir_of_demo)


def test_a_malformed_telegram_token_in_dotenv_does_not_stop_the_demo(
    command_line, tmp_path, tmpdir_of_demo
):
    (tmp_path / ".env").write_text(  # the test runs in tmp_path, as the demo's user in a folder
        "TELEGRAM_BOT_TOKEN=123:not-a-token\nTELEGRAM_API_URL=not a url\nALLOWED_USERS=anna\n",
        encoding="utf-8",
    )

    code, out, err = command_line(stdin="/quit\n")

    assert_ended_cleanly(code, out, err, tmpdir_of_demo)
    assert "✅ Linked!" in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--out", "a-file"], "argument --out: a-file is a file; give a folder"),
        (["--out", "a-file/charts"], "argument --out: cannot write to a-file/charts"),
        (["--duration", "0"], "argument --duration: must be more than 0"),
        (["--duration", "-1"], "argument --duration: must be more than 0"),
        (["--duration", "soon"], "argument --duration: 'soon' is not a number"),
        (["--speed", "0"], "argument --speed: must be more than 0"),
        (["--speed", "inf"], "argument --speed: must be more than 0"),
        (["--speed", "nan"], "argument --speed: must be more than 0"),
    ],
    ids=[
        "--out a file",
        "--out under a file",
        "--duration 0",
        "--duration -1",
        "--duration soon",
        "--speed 0",
        "--speed inf",
        "--speed nan",
    ],
)
def test_a_demo_option_that_cannot_work_is_refused_in_one_line_before_the_demo_starts(
    args: list[str],
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder\n")

    with pytest.raises(SystemExit) as leaving:
        main(["demo", *args])

    assert leaving.value.code == 2
    shown = capsys.readouterr()
    assert shown.out == ""  # the demo's banner never appeared
    (line,) = shown.err.splitlines()
    assert says in line
    assert (tmp_path / "a-file").read_text() == "not a folder\n"


def test_a_reader_that_stops_reading_ends_the_demo_quietly(
    environment: dict[str, str], tmp_path: Path, tmpdir_of_demo: Path
) -> None:
    """`python -m bot demo | head -5`: once `head` has its lines, the demo ends without a word."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--speed", f"{SPEED:g}"],
        env=environment,
        cwd=tmp_path,
        stdin=subprocess.PIPE,  # stays open: only the closed output can end the demo
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    assert child.stderr is not None
    try:
        head = [child.stdout.readline() for _ in range(5)]
        child.stdout.close()  # what `head -5` does after its fifth line
        # Anna types, so the demo writes at once rather than at the simulation's next event.
        child.stdin.write("/help\n")
        child.stdin.flush()
        code = child.wait(timeout=TIMEOUT)
        err = child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdin.close()
        child.stderr.close()

    assert head[0].startswith("Joulo bot demo")
    assert code == 0, err[-3000:]
    assert err == ""  # no BrokenPipeError, no "Exception ignored"
    assert sorted(p.name for p in tmpdir_of_demo.glob("joulo-demo-*")) == []


async def test_the_demo_moves_between_the_group_and_the_private_chat_as_telegram_would(
    tmp_path: Path, tmpdir_of_demo: Path
) -> None:
    token = "joulo_" + "a" * 32
    typing = f"/tag\n/private\n/tag\n/group\n/status@JouloBot\n/settings\n99\n{token}\n/quit\n"
    with typed(typing) as stdin:
        code, out = await play(stdin, out_dir=tmp_path / "out")

    assert_ended_cleanly(code, out, "", tmpdir_of_demo)
    # In the group /tag is refused, as in Telegram; in the private chat it lists the cards.
    group_tag, _, rest = out.partition("📱 Anna → bot\n    /tag\n")
    assert "👪 Anna → Family group\n    /tag\n" in group_tag
    assert "That command works in a private chat with me." in group_tag
    assert "🤖 bot → Anna\n    💳 Charge cards\n    04A3B2C1 — Anna" in rest
    # Back in the group, a command addressed to the bot by name is answered.
    assert "👪 Anna → Family group\n    /status@JouloBot\n" in rest
    assert "Garage — " in rest
    assert "I don't know that command" not in out
    # The settings have 14 buttons, so 99 presses none.
    assert "(there is no button 99: the last answer has buttons 1 to 14)" in rest
    # A bare token in the group is deleted and warned about; it is never echoed whole.
    assert "🗑 (deleted Anna's message: it held a Joulo token)" in rest
    assert "⚠️ Never share your Joulo token in a group! I deleted the message." in rest
    assert token not in out


async def test_a_dutch_demo_says_its_own_lines_in_dutch_too(
    tmp_path: Path, tmpdir_of_demo: Path
) -> None:
    out_dir = tmp_path / "out"
    with typed("/stats\n/private\n/quit\n") as stdin:
        code, out = await play(stdin, out_dir=out_dir, language="nl")

    assert code == 0
    assert out.startswith("Demo van de Joulo-bot — de gesimuleerde tijd loopt 3000× sneller")
    assert f"Grafieken en CSV-bestanden komen in {out_dir}." in out
    assert "👪 Anna → Gezinsgroep\n    /stats\n" in out
    assert re.search(rf"📎 {re.escape(str(out_dir))}/\S+\.png \(\d{{1,3}}(\.\d{{3}})+ bytes\)", out)
    assert "(je bent nu in je privéchat met de bot" in out
    assert out.rstrip().endswith("Demo afgelopen.")
    for english in ("Family group", "simulated time", "private chat", "Demo ended"):
        assert english not in out


async def test_a_chat_switched_to_dutch_gets_the_demo_lines_in_dutch_too(
    tmp_path: Path, tmpdir_of_demo: Path
) -> None:
    with typed("/language nl\n/status\n99\n/private\n/quit\n") as stdin:
        code, out = await play(stdin, out_dir=tmp_path / "out")

    assert_ended_cleanly(code, out, "", tmpdir_of_demo)
    before, _, after = out.partition("👪 Anna → Family group\n    /language nl\n")
    assert "🤖 bot → Family group" in before
    assert "🤖 bot → Gezinsgroep" in after  # the answer to /language nl already
    assert "👪 Anna → Gezinsgroep\n    /status\n" in after
    assert "(er is geen knop 99: het laatste antwoord heeft geen knoppen)" in after
    assert "(you are now in your private chat with the bot" in after  # that chat kept English
    assert "Family group" not in after


def test_the_demo_starts_without_python_telegram_bot_or_aiohttp() -> None:
    """The demo never talks to Telegram or over aiohttp, nor serves metrics: loading them was
    half its start-up."""
    loaded = imported_on_load("bot.demo")
    libraries = {name.split(".")[0] for name in loaded}

    assert "bot.services" in loaded  # the walk follows the bot's own imports ...
    assert "httpx" in libraries  # ... and names the libraries
    unused = {"telegram", "aiohttp", "httpx_aiohttp", "matplotlib", "fpdf", "prometheus_client"}
    assert not libraries & unused
