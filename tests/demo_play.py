"""The offline demo played in the test's own event loop: `play_demo`, the coroutine that
`python -m bot demo` runs, with Anna's input through a real pipe (as from a shell) and the chats
printed into a buffer. No interpreter to start, no imports to repeat: a demo takes a tenth of a
second instead of the seconds of a child process."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from bot.demo import EndSignals, play_demo

#: Simulated seconds per real second: the demo's script (a session, an outage) plays at once.
SPEED = 3000.0
#: Generous, for a busy machine; a demo that does not end fails the test instead of hanging it.
TIMEOUT = 30.0


@contextmanager
def typed(text: str | None, *, then_end: bool = True) -> Iterator[TextIO]:
    """Anna's input as a shell pipe gives it: `text`, then the end of input unless `then_end`
    is False (the pipe stays open, as a terminal nobody types into). None: `< /dev/null`."""
    if text is None:
        with open(os.devnull, encoding="utf-8") as nothing:
            yield nothing
        return
    read_end, write_end = os.pipe()
    os.write(write_end, text.encode())  # a few lines: far less than a pipe holds
    if then_end:
        os.close(write_end)
    try:
        with open(read_end, encoding="utf-8") as stdin:
            yield stdin
    finally:
        if not then_end:
            os.close(write_end)


async def play(
    stdin: TextIO,
    *,
    out_dir: Path,
    language: str = "en",
    duration: float | None = None,
    speed: float = SPEED,
) -> tuple[int, str]:
    """Run the demo here, in this test's event loop, to its end; its exit code and output."""
    out = io.StringIO()
    with EndSignals() as signals:
        async with asyncio.timeout(TIMEOUT):
            code = await play_demo(
                Settings(default_language=language),  # type: ignore[arg-type]
                duration=duration,
                speed=speed,
                seed=7,
                out_dir=out_dir,
                signals=signals,
                stdin=stdin,
                out=out,
            )
    return code, out.getvalue()
