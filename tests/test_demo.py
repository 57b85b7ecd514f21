"""The offline demo ends every way it can end, and leaves nothing behind.

Pins down, with `python -m bot demo` as a child process (simulated time sped up, its TMPDIR in
the test's folder): piped commands are answered and `/quit` ends the demo; so do the end of
input, `--duration`, SIGTERM, Ctrl-C (SIGINT) and a reader that stops reading (`| head -5`),
each time with exit code 0, "Demo ended." as the last line and no `joulo-demo-*` folder left.
`/private` and `/group` move between the chats, and what is typed is answered as Telegram
would: `/status@bot`, a bare token (deleted, warned about), a number with no button. Options
that cannot work are refused in one line before the demo starts. A Dutch demo says its own
lines (banner, chat names, file sizes, "Demo ended.") in Dutch too, and a chat switched to
another language gets the demo's lines about it in that language. Malformed Telegram settings
in `.env` do not stop the demo: it ignores every setting it does not read.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import main
from tests.processes import CONFIG_VARIABLES, REPO_ROOT

#: Simulated seconds per real second: the demo's script (a session, an outage) plays at once.
SPEED = "3000"
#: Generous: a child's start-up (imports) can take a few seconds on a busy machine.
TIMEOUT = 30.0
ENDED = "Demo ended."


@pytest.fixture
def tmpdir_of_child(tmp_path: Path) -> Path:
    """The child's TMPDIR, where the demo keeps its throw-away database."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


@pytest.fixture
def environment(tmpdir_of_child: Path) -> dict[str, str]:
    """The test's environment without bot settings, in English, with TMPDIR in the test."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in CONFIG_VARIABLES}
    env.update(
        PYTHONPATH=str(REPO_ROOT),
        TMPDIR=str(tmpdir_of_child),
        DEFAULT_LANGUAGE="en",
        PTB_TIMEDELTA="1",
    )
    return env


@pytest.fixture
def started(environment: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A running demo whose input stays open, once it printed its first line."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--speed", SPEED],
        env=environment,
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("Joulo bot demo"), first + (
            child.stderr.read() if child.stderr else ""
        )
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        for pipe in (child.stdin, child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()


def demo(
    environment: dict[str, str], cwd: Path, *args: str, stdin: str | None
) -> subprocess.CompletedProcess[str]:
    """Run the demo to its end with `stdin` as input (None: no input at all)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--speed", SPEED, *args],
        env=environment,
        cwd=cwd,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def assert_ended_cleanly(code: int, out: str, err: str, tmpdir_of_child: Path) -> None:
    """Exit 0, "Demo ended." last, no traceback, and the throw-away folder is gone."""
    assert code == 0, f"exit code {code}\n{out[-2000:]}\n{err[-3000:]}"
    assert out.rstrip().endswith(ENDED), out[-2000:]
    assert "Traceback" not in err, err[-3000:]
    # The throw-away database's folder is gone (`joulo-demo`, the charts and CSV files the
    # demo shows its user, may stay).
    assert sorted(p.name for p in tmpdir_of_child.glob("joulo-demo-*")) == []


def test_piped_commands_are_answered_and_quit_ends_the_demo(environment, tmp_path, tmpdir_of_child):
    result = demo(environment, tmp_path, stdin="/help\n/status\n/quit\n/stats\n")

    assert_ended_cleanly(result.returncode, result.stdout, result.stderr, tmpdir_of_child)
    assert "What I can do" in result.stdout  # the answer to /help
    assert "Garage —" in result.stdout  # the answer to /status
    assert "Family group\n    /stats" not in result.stdout  # nothing is read after /quit


def test_the_end_of_input_ends_the_demo(environment, tmp_path, tmpdir_of_child):
    result = demo(environment, tmp_path, stdin=None)

    assert_ended_cleanly(result.returncode, result.stdout, result.stderr, tmpdir_of_child)


def test_the_duration_ends_a_demo_whose_input_stays_open(environment, tmp_path, tmpdir_of_child):
    read_end, write_end = os.pipe()  # the test holds the write end: input never ends
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--speed", SPEED, "--duration", "0.5"],
            env=environment,
            cwd=tmp_path,
            stdin=read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            out, err = child.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            pytest.fail(f"the demo was still running {TIMEOUT:g} s after a --duration of 0.5 s")
    finally:
        os.close(read_end)
        os.close(write_end)

    assert_ended_cleanly(child.returncode, out, err, tmpdir_of_child)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_after_the_first_line_ends_the_demo_cleanly(
    started: subprocess.Popen[str], sig: signal.Signals, tmpdir_of_child: Path
) -> None:
    started.send_signal(sig)
    try:
        out, err = started.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo was still running {TIMEOUT:g} s after {sig.name}")

    assert_ended_cleanly(started.returncode, out, err, tmpdir_of_child)


def test_a_malformed_telegram_token_in_dotenv_does_not_stop_the_demo(
    environment, tmp_path, tmpdir_of_child
):
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=123:not-a-token\nTELEGRAM_API_URL=not a url\nALLOWED_USERS=anna\n",
        encoding="utf-8",
    )

    result = demo(environment, tmp_path, stdin="/quit\n")

    assert_ended_cleanly(result.returncode, result.stdout, result.stderr, tmpdir_of_child)
    assert "✅ Linked!" in result.stdout


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
    environment: dict[str, str], tmp_path: Path, tmpdir_of_child: Path
) -> None:
    """`python -m bot demo | head -5`: once `head` has its lines, the demo ends without a word."""
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--speed", SPEED],
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
    assert sorted(p.name for p in tmpdir_of_child.glob("joulo-demo-*")) == []


def test_the_demo_moves_between_the_group_and_the_private_chat_as_telegram_would(
    environment: dict[str, str], tmp_path: Path, tmpdir_of_child: Path
) -> None:
    token = "joulo_" + "a" * 32
    result = demo(
        environment,
        tmp_path,
        stdin=f"/tag\n/private\n/tag\n/group\n/status@JouloBot\n/settings\n99\n{token}\n/quit\n",
    )

    assert_ended_cleanly(result.returncode, result.stdout, result.stderr, tmpdir_of_child)
    out = result.stdout
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


def test_a_dutch_demo_says_its_own_lines_in_dutch_too(
    environment: dict[str, str], tmp_path: Path, tmpdir_of_child: Path
) -> None:
    out_dir = tmp_path / "out"
    result = demo(
        {**environment, "DEFAULT_LANGUAGE": "nl"},
        tmp_path,
        "--out",
        str(out_dir),
        stdin="/stats\n/private\n/quit\n",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert out.startswith("Demo van de Joulo-bot — de gesimuleerde tijd loopt 3000× sneller")
    assert f"Grafieken en CSV-bestanden komen in {out_dir}." in out
    assert "👪 Anna → Gezinsgroep\n    /stats\n" in out
    assert re.search(rf"📎 {re.escape(str(out_dir))}/\S+\.png \(\d{{1,3}}(\.\d{{3}})+ bytes\)", out)
    assert "(je bent nu in je privéchat met de bot" in out
    assert out.rstrip().endswith("Demo afgelopen.")
    for english in ("Family group", "simulated time", "private chat", "Demo ended"):
        assert english not in out


def test_a_chat_switched_to_dutch_gets_the_demo_lines_in_dutch_too(
    environment: dict[str, str], tmp_path: Path, tmpdir_of_child: Path
) -> None:
    result = demo(environment, tmp_path, stdin="/language nl\n/status\n99\n/private\n/quit\n")

    assert_ended_cleanly(result.returncode, result.stdout, result.stderr, tmpdir_of_child)
    out = result.stdout
    before, _, after = out.partition("👪 Anna → Family group\n    /language nl\n")
    assert "🤖 bot → Family group" in before
    assert "🤖 bot → Gezinsgroep" in after  # the answer to /language nl already
    assert "👪 Anna → Gezinsgroep\n    /status\n" in after
    assert "(er is geen knop 99: het laatste antwoord heeft geen knoppen)" in after
    assert "(you are now in your private chat with the bot" in after  # that chat kept English
    assert "Family group" not in after
