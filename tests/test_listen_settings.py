"""The settings of the bot's listening ports: one line naming the setting, exit 2, nothing made.

Pins down: METRICS_PORT is off and listens on loopback unless told otherwise; a port that is
out of range is a configuration problem, and one that is in use stops `run()` with one ERROR
line naming METRICS_PORT before the database or the key file is created.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from bot.app import run
from bot.config import ConfigError, Settings, load_settings

SECRET_PART = "N0tTh1sOn3"


def problems_of(**env: str) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with pytest.raises(ConfigError) as caught:
            load_settings(require_bot_token=False)
    return caught.value.problems


def test_metrics_are_off_and_listen_on_loopback_by_default():
    settings = load_settings(require_bot_token=False)

    assert settings.metrics_port is None
    assert settings.metrics_listen == "127.0.0.1"


@pytest.mark.parametrize("value", ["70000", "0", "nine"])
def test_a_metrics_port_that_cannot_be_one_is_one_line_naming_it(value):
    (line,) = problems_of(METRICS_PORT=value)

    assert line.startswith("METRICS_PORT: ")


@pytest.mark.parametrize("setting", ["METRICS_PORT"])
def test_a_port_in_use_stops_the_bot_before_anything_is_made(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture, setting: str
) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    update: dict[str, object] = {"encryption_key": None}
    if setting == "METRICS_PORT":
        update["metrics_port"] = port
    else:
        update |= {
            "webhook_url": "https://bot.example.org/hook",
            "webhook_secret": "secret",
            "webhook_port": port,
        }
    caplog.set_level(logging.INFO)
    try:
        code = run(Settings(**{**settings.model_dump(), **update}))
    finally:
        taken.close()

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert code == 2, caplog.text
    (line,) = errors
    assert line.startswith(f"{setting}: cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in line
    assert not settings.database_path.parent.exists()  # no database, no key file
