"""Secrets never reach the logs: every record is redacted when it is made, every line when it is
formatted (tracebacks included).

Pins down: a registered secret, a Joulo token (`joulo_` + 32) and a Telegram bot token
(`123456789:` + 35) are replaced by `[redacted]` whether they sit in the message or in its
arguments, in the records other handlers (pytest's caplog) receive and in RedactingFormatter
output, including the traceback of an exception whose message holds a token.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from bot.logs import REDACTED, RedactingFormatter, install_redaction

REGISTERED = "some-secret-value"
JOULO_TOKEN = "joulo_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"
TELEGRAM_TOKEN = "123456789:AAFabcdefghijklmnopqrstuvwxyz012345"
SECRETS = {"registered": REGISTERED, "joulo": JOULO_TOKEN, "telegram": TELEGRAM_TOKEN}
LOGGER = "tests.logs"


@pytest.fixture(autouse=True)
def _redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Install redaction for one test, then put the logging record factory back."""
    original = logging.getLogRecordFactory()
    monkeypatch.setattr(logs, "_secrets", [])  # secrets registered here stay in this test
    install_redaction([REGISTERED])
    yield
    logging.setLogRecordFactory(original)


@pytest.fixture
def formatted() -> Iterator[io.StringIO]:
    """Everything logged to LOGGER, as RedactingFormatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def test_the_tokens_used_here_have_the_real_shapes():
    assert len(JOULO_TOKEN.removeprefix("joulo_")) == 32
    bot_id, _, secret = TELEGRAM_TOKEN.partition(":")
    assert bot_id.isdigit()
    assert len(secret) == 35


@pytest.mark.parametrize("kind", list(SECRETS))
def test_a_secret_in_the_message_is_redacted_for_every_handler(caplog, formatted, kind):
    secret = SECRETS[kind]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        logging.getLogger(LOGGER).info(f"linking with {secret} for user 42")

    (record,) = caplog.records
    assert record.getMessage() == f"linking with {REDACTED} for user 42"
    assert secret not in caplog.text
    assert formatted.getvalue() == f"INFO {LOGGER}: linking with {REDACTED} for user 42\n"


@pytest.mark.parametrize("kind", list(SECRETS))
def test_a_secret_in_the_arguments_is_redacted_for_every_handler(caplog, formatted, kind):
    secret = SECRETS[kind]
    with caplog.at_level(logging.INFO, logger=LOGGER):
        logging.getLogger(LOGGER).warning("token %s rejected for user %d", secret, 42)

    (record,) = caplog.records
    assert record.getMessage() == f"token {REDACTED} rejected for user 42"
    assert secret not in caplog.text
    assert formatted.getvalue() == f"WARNING {LOGGER}: token {REDACTED} rejected for user 42\n"


def test_a_secret_inside_an_object_argument_is_redacted(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        logging.getLogger(LOGGER).info("request: %r", {"headers": f"Bearer {JOULO_TOKEN}"})

    (record,) = caplog.records
    assert JOULO_TOKEN not in record.getMessage()
    assert f"Bearer {REDACTED}" in record.getMessage()


def test_a_token_in_a_url_query_is_redacted(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        logging.getLogger(LOGGER).info("GET https://api.joulo.nl/x?token=%s", JOULO_TOKEN)

    (record,) = caplog.records
    assert record.getMessage() == f"GET https://api.joulo.nl/x?token={REDACTED}"


def test_a_registered_bot_token_in_a_bot_api_url_is_redacted(caplog):
    install_redaction([TELEGRAM_TOKEN])
    with caplog.at_level(logging.INFO, logger=LOGGER):
        logging.getLogger(LOGGER).info(
            'HTTP Request: POST https://api.telegram.org/bot%s/getMe "HTTP/1.1 200 OK"',
            TELEGRAM_TOKEN,
        )

    (record,) = caplog.records
    assert TELEGRAM_TOKEN not in record.getMessage()
    assert f"/bot{REDACTED}/getMe" in record.getMessage()


def test_an_unregistered_bot_token_in_a_bot_api_url_is_still_redacted(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        logging.getLogger(LOGGER).info(
            "HTTP Request: POST https://api.telegram.org/bot%s/sendMessage", TELEGRAM_TOKEN
        )

    (record,) = caplog.records
    assert TELEGRAM_TOKEN.partition(":")[2] not in record.getMessage()


def test_ordinary_numbers_and_words_are_left_alone(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        logging.getLogger(LOGGER).info(
            "account %s: %d event(s) at 12:30:45, chat -100123456, joulo_api ok", 7, 3
        )

    (record,) = caplog.records
    assert record.getMessage() == "account 7: 3 event(s) at 12:30:45, chat -100123456, joulo_api ok"


@pytest.mark.parametrize("kind", list(SECRETS))
def test_a_secret_in_a_traceback_is_redacted_by_the_formatter(formatted, kind):
    secret = SECRETS[kind]
    try:
        raise RuntimeError(f"Joulo said no to {secret}")
    except RuntimeError:
        logging.getLogger(LOGGER).exception("poll failed")

    output = formatted.getvalue()
    assert output.startswith(f"ERROR {LOGGER}: poll failed\n")
    assert "Traceback (most recent call last)" in output
    assert f"RuntimeError: Joulo said no to {REDACTED}" in output
    assert secret not in output


def test_the_formatter_redacts_records_made_without_the_redacting_factory():
    record = logging.LogRecord(
        LOGGER, logging.INFO, __file__, 1, "token %s, bot %s", (JOULO_TOKEN, TELEGRAM_TOKEN), None
    )

    line = RedactingFormatter("%(message)s").format(record)

    assert line == f"token {REDACTED}, bot {REDACTED}"


def test_a_broken_format_string_is_left_to_logging_and_does_not_crash():
    record = logging.getLogRecordFactory()(
        LOGGER, logging.INFO, __file__, 1, "%d items", ("many",), None
    )

    with pytest.raises(TypeError):
        record.getMessage()
