"""Logging set-up with a last line of defence: secrets are redacted from every log record.

The bot never logs a token on purpose. As a safety net, every record is redacted when it is
created (so every handler, including test capture, sees the redacted text) and every formatted
line, tracebacks included, is redacted again.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any, Final

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


def install_redaction(secrets: Iterable[str] = ()) -> None:
    """Redact secrets from every log record from now on (idempotent)."""
    for secret in secrets:
        add_secret(secret)
    logging.setLogRecordFactory(_redacting_factory)


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr, redacted; URL-logging libraries speak only at DEBUG."""
    install_redaction(secrets)
    handler = logging.StreamHandler(sys.stderr)
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
