"""Logging set-up with a last line of defence: secrets are redacted from every log record.

The bot never logs a token on purpose. As a safety net, every record is redacted when it is
created (so every handler, including test capture, sees the redacted text) and every formatted
line, tracebacks included, is redacted again: in JSON, each field before it is encoded (redacting
the encoded line could cut through an escaped quote and break the JSON).

`LOG_FORMAT=json` writes one JSON object per line and routes what Python would otherwise print
on its own (warnings, an uncaught exception in the main thread or another thread) through the
same handler, so stderr holds nothing else.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal

LogFormat = Literal["text", "json"]

#: Joulo personal tokens and Telegram bot tokens, wherever they appear.
_SECRET_PATTERNS: Final = (
    re.compile(r"joulo_[A-Za-z0-9]{8,}"),
    re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{20,}"),
    # Whatever follows /link (up to a quote or line end) is meant to be a token, whatever its shape.
    re.compile(r"(?<=/link)(?:@\w+)?[ \t]+[^'\"\n]+"),
)
#: Libraries whose INFO lines contain request URLs (the Bot API URL contains the bot token).
_CHATTY_LOGGERS: Final = ("httpx", "httpcore", "apscheduler", "aiosqlite")
REDACTED: Final = "[redacted]"

_secrets: list[str] = []


def add_secret(secret: str) -> None:
    """Redact this exact string from all future log output."""
    if len(secret) >= 8 and secret not in _secrets:
        _secrets.append(secret)
        _secrets.sort(key=len, reverse=True)


def redact(text: str) -> str:
    """Replace every known secret and token-shaped string."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


_base_factory = logging.getLogRecordFactory()


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return record  # a broken format string: leave it to logging's own error report
    record.msg, record.args = redact(message), ()
    return record


class RedactingFormatter(logging.Formatter):
    """A formatter that redacts the finished line, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then redact."""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time`, `level`, `logger`, `message` and, when there is one,
    the traceback as `exception` (and a stack as `stack`), each field redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (newlines in the fields are escaped)."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry)


def install_redaction(secrets: Iterable[str] = ()) -> None:
    """Redact secrets from every log record from now on (idempotent)."""
    for secret in secrets:
        add_secret(secret)
    logging.setLogRecordFactory(_redacting_factory)


def setup_logging(level: str, secrets: Iterable[str] = (), log_format: LogFormat = "text") -> None:
    """Send logs to stderr, redacted; URL-logging libraries speak only at DEBUG."""
    install_redaction(secrets)
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        _route_python_output_to_logging()
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # At DEBUG everything is shown (redacted); otherwise these libraries only warn.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)


def _route_python_output_to_logging() -> None:
    """Warnings and uncaught exceptions become log records instead of text on stderr."""
    logging.captureWarnings(True)  # as WARNING records of the logger `py.warnings`
    crashes = logging.getLogger("bot.crash")

    def uncaught(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        crashes.critical("uncaught %s: %s", kind.__name__, error, exc_info=(kind, error, tb))

    def uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "?"
        crashes.critical(
            "uncaught %s in thread %s: %s",
            args.exc_type.__name__,
            name,
            args.exc_value,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    sys.excepthook = uncaught
    threading.excepthook = uncaught_in_thread
