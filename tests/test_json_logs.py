"""`LOG_FORMAT=json`: every line on stderr is one JSON object, redacted like the text format.

Pins down: each record is one line holding `time` (ISO 8601, UTC), `level`, `logger` and
`message`, and its traceback as the one field `exception`; tokens are redacted in the message
and in the traceback, before the line is encoded (so a redaction never breaks the JSON); what
Python would print on its own (a warning, an uncaught exception in the main thread or another
one) arrives as such a line too; and settings that cannot work are reported in JSON lines when
LOG_FORMAT=json could be read, as plain lines naming LOG_FORMAT when it is the bad one. The
running bot's whole stderr, as JSON: tests/test_operations.py.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import logs
from bot.__main__ import main
from bot.logs import REDACTED, JsonFormatter, RedactingFormatter, setup_logging

JOULO_TOKEN = "joulo_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"
TELEGRAM_TOKEN = "123456789:AAFabcdefghijklmnopqrstuvwxyz012345"
LOGGER = "tests.json_logs"


@pytest.fixture
def stderr_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """What reached stderr since the last call, one parsed object per line (each must be one).

    Puts logging back as it was afterwards: the root logger's level and handlers, the record
    factory, warnings, and Python's hooks for uncaught exceptions.

    The cyclic garbage collector stays off until the test ends: a collection in the middle of
    it would finalise what earlier tests in this process left behind, and an unclosed socket's
    ResourceWarning (or asyncio's complaint about a lost task) would arrive as an extra line.
    (Not a `gc.collect()` first: in a worker that has run hundreds of tests it takes 0.3 s.)
    """
    root = logging.getLogger()
    level, factory = root.level, logging.getLogRecordFactory()
    chatty = {name: logging.getLogger(name).level for name in logs._CHATTY_LOGGERS}
    monkeypatch.setattr(logs, "_secrets", [])
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines()]

    gc.disable()
    try:
        yield lines
    finally:
        gc.enable()
    logging.captureWarnings(False)
    for handler in list(root.handlers):
        if isinstance(handler.formatter, JsonFormatter | RedactingFormatter):
            root.removeHandler(handler)
    root.setLevel(level)
    logging.setLogRecordFactory(factory)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


def test_every_record_is_one_line_of_json_with_time_level_logger_and_message(
    stderr_json: Callable[[], list[dict[str, Any]]],
) -> None:
    setup_logging("INFO", log_format="json")
    before = datetime.now(UTC)

    logging.getLogger(LOGGER).warning("Joulo slow:\n%d accounts waited, €%s", 3, "0,12")

    (line,) = stderr_json()
    assert set(line) == {"time", "level", "logger", "message"}
    assert line["level"] == "WARNING"
    assert line["logger"] == LOGGER
    assert line["message"] == "Joulo slow:\n3 accounts waited, €0,12"
    moment = datetime.fromisoformat(line["time"])
    assert moment.utcoffset() == timedelta(0)
    assert abs((moment - before).total_seconds()) < 5


def test_an_exception_is_one_field_and_tokens_are_redacted_in_it_and_the_message(
    stderr_json: Callable[[], list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("INFO", [TELEGRAM_TOKEN], log_format="json")

    try:
        raise RuntimeError(f"Joulo said no to {JOULO_TOKEN}")
    except RuntimeError:
        logging.getLogger(LOGGER).exception("poll failed, bot %s", TELEGRAM_TOKEN)

    (line,) = stderr_json()
    assert line["level"] == "ERROR"
    assert line["message"] == f"poll failed, bot {REDACTED}"
    assert line["exception"].startswith("Traceback (most recent call last):\n")
    assert line["exception"].endswith(f"RuntimeError: Joulo said no to {REDACTED}")
    assert JOULO_TOKEN not in json.dumps(line)
    assert TELEGRAM_TOKEN not in json.dumps(line)


def test_redacting_keeps_the_line_valid_json_for_records_made_without_the_factory() -> None:
    record = logging.LogRecord(
        LOGGER, logging.INFO, __file__, 1, 'someone sent "/link %s"', ("abc",), None
    )

    # Redacting the encoded line would eat the backslash of the escaped quote and break it.
    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == f'someone sent "/link{REDACTED}"'


def test_warnings_and_uncaught_exceptions_arrive_as_json_lines_too(
    stderr_json: Callable[[], list[dict[str, Any]]],
) -> None:
    setup_logging("INFO", log_format="json")

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("this setting is deprecated", UserWarning, stacklevel=1)
    try:
        raise ValueError(f"main thread, {JOULO_TOKEN}")
    except ValueError:
        sys.excepthook(*sys.exc_info())

    def fail() -> None:
        raise KeyError("worker")

    worker = threading.Thread(target=fail, name="worker")
    worker.start()
    worker.join()

    warned, crashed, crashed_in_thread = stderr_json()
    assert warned["level"] == "WARNING"
    assert warned["logger"] == "py.warnings"
    assert "UserWarning: this setting is deprecated" in warned["message"]
    assert crashed["level"] == "CRITICAL"
    assert crashed["message"] == f"uncaught ValueError: main thread, {REDACTED}"
    assert crashed["exception"].endswith(f"ValueError: main thread, {REDACTED}")
    assert crashed_in_thread["message"] == "uncaught KeyError in thread worker: 'worker'"
    assert "Traceback" in crashed_in_thread["exception"]


def test_settings_that_cannot_work_are_reported_as_json_when_log_format_is_json(
    stderr_json: Callable[[], list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("POLL_INTERVAL", "0")

    assert main([]) == 2

    lines = stderr_json()
    assert [(line["level"], line["logger"]) for line in lines] == [("ERROR", "bot.config")] * 2
    assert [line["message"].split(": ")[1] for line in lines] == [
        "TELEGRAM_BOT_TOKEN",
        "POLL_INTERVAL",
    ]


def test_a_log_format_that_is_neither_is_named_in_one_plain_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)

    assert main([]) == 2

    assert capsys.readouterr().err.splitlines() == [
        "Configuration problem (environment or .env):",
        "  LOG_FORMAT: Input should be 'text' or 'json'",
    ]
