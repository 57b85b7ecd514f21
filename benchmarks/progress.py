"""Progress of a long benchmark run: one status line on a terminal, nothing anywhere else.

A run at 50,000 households takes many minutes. On a terminal it shows where it is (the phase,
the cycle, the accounts polled so far) on one line rewritten in place; when its output goes to
a file or a pipe (a log, CI, the test suite) it writes no progress at all, so what it saves is
only the table.

Each phase runs in a child interpreter whose stdout carries its figures; it reports progress on
stderr as lines starting with `PREFIX`, which the parent turns into the status line.
"""

from __future__ import annotations

import sys
from typing import TextIO

#: How a phase's progress line starts on its stderr (anything else there is an error's text).
PREFIX = "progress: "
#: Seconds between two progress reports of a phase.
EVERY = 1.0


def wanted(stream: TextIO) -> bool:
    """Whether progress belongs on `stream`: only when it is a terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """One status line, rewritten in place; silent when the stream is not a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = sys.stderr if stream is None else stream
        self.enabled = wanted(self._stream)

    def show(self, text: str) -> None:
        """Replace the status line with `text`."""
        if self.enabled:
            self._stream.write(f"\r{text}\x1b[K")
            self._stream.flush()

    def done(self, text: str) -> None:
        """Replace the status line with `text` and keep it (the next one starts below)."""
        if self.enabled:
            self._stream.write(f"\r{text}\x1b[K\n")
            self._stream.flush()


def report(enabled: bool, text: str) -> None:
    """In a phase's child process: tell the parent how far the phase is (when it asked)."""
    if enabled:
        print(f"{PREFIX}{text}", file=sys.stderr, flush=True)
