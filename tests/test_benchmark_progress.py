"""The benchmark shows its progress on a terminal, and writes none when its output is no terminal.

A run at 50,000 households takes many minutes: on a terminal one status line says where it is;
into a file or a pipe (a log, CI) nothing but the table is written. The whole-run case of "not a
terminal" is the smoke test's (its stderr is captured).
"""

from __future__ import annotations

import io
import os
import select
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from benchmarks.progress import PREFIX, Progress, report, wanted


@pytest.fixture
def terminal() -> Iterator[tuple[TextIO, int]]:
    """A pseudo-terminal: the stream the benchmark writes to, and the fd that reads it."""
    reader, writer = os.openpty()
    stream = open(writer, "w", encoding="utf-8")  # noqa: SIM115  (closed below)
    yield stream, reader
    stream.close()
    os.close(reader)


def test_on_a_terminal_the_status_line_is_rewritten_in_place(
    terminal: tuple[TextIO, int],
) -> None:
    stream, reader = terminal
    progress = Progress(stream)

    progress.show("bot: cycle 2 of 3: accounts polled: 41,000 of 50,000")
    progress.done("bot: done in 312 s")

    shown = _read_until(reader, "\rbot: done in 312 s\x1b[K")
    assert wanted(stream)
    assert "\rbot: cycle 2 of 3: accounts polled: 41,000 of 50,000\x1b[K" in shown
    assert "\rbot: done in 312 s\x1b[K" in shown


def _read_until(reader: int, end: str, timeout: float = 5.0) -> str:
    """What the terminal shows, read until `end` arrived (a pseudo-terminal may hand over two
    writes in two reads) or `timeout` seconds passed."""
    shown = ""
    deadline = time.monotonic() + timeout
    while end not in shown and (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([reader], [], [], left)
        if ready:
            shown += os.read(reader, 4096).decode()
    return shown


def test_into_a_file_or_a_pipe_no_progress_is_written(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    with (
        open(tmp_path / "run.log", "w", encoding="utf-8") as log,
        open(write_end, "w", encoding="utf-8") as pipe,
    ):
        for stream in (log, pipe, io.StringIO()):
            progress = Progress(stream)
            progress.show("bot: cycle 1 of 3")
            progress.done("bot: done in 12 s")
            assert not wanted(stream)
    with open(read_end, encoding="utf-8") as piped:
        assert piped.read() == ""
    assert (tmp_path / "run.log").read_text() == ""


def test_a_closed_stream_is_no_terminal() -> None:
    stream = io.StringIO()
    stream.close()

    assert not wanted(stream)


def test_a_phase_reports_on_stderr_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    report(False, "cycle 1 of 3: accounts polled: 10 of 50")
    report(True, "cycle 2 of 3: accounts polled: 20 of 50")

    captured = capsys.readouterr()
    assert captured.err == f"{PREFIX}cycle 2 of 3: accounts polled: 20 of 50\n"
    assert captured.out == ""
