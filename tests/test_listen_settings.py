"""The settings of the bot's listening ports: one line naming the setting, exit 2, nothing made.

Pins down: METRICS_PORT is off and both servers listen on loopback unless told otherwise;
WEBHOOK_URL must be https and comes with a WEBHOOK_SECRET of Telegram's alphabet (never
echoed); a port that is out of range is a configuration problem, and one that is in use stops
`run()` with one ERROR line naming METRICS_PORT or WEBHOOK_PORT before the database or the key
file is created.
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


def test_metrics_are_off_and_both_servers_listen_on_loopback_by_default():
    settings = load_settings(require_bot_token=False)

    assert settings.metrics_port is None
    assert settings.metrics_listen == "127.0.0.1"
    assert settings.webhook_url is None
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8443)


def test_webhook_settings_are_read(monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram/updates")
    monkeypatch.setenv("WEBHOOK_SECRET", "a-Secret_0123")
    monkeypatch.setenv("WEBHOOK_LISTEN", "0.0.0.0")  # noqa: S104
    monkeypatch.setenv("WEBHOOK_PORT", "8080")
    monkeypatch.setenv("METRICS_PORT", "9100")

    settings = load_settings(require_bot_token=False)

    assert settings.webhook_path == "/telegram/updates"
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == "a-Secret_0123"
    assert (settings.webhook_listen, settings.webhook_port) == ("0.0.0.0", 8080)  # noqa: S104
    assert settings.metrics_port == 9100


@pytest.mark.parametrize(
    ("env", "name", "says"),
    [
        (
            {"WEBHOOK_URL": "http://bot.example.org/hook", "WEBHOOK_SECRET": "s"},
            "WEBHOOK_URL",
            "https",
        ),
        ({"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_SECRET", "required"),
        (
            {"WEBHOOK_URL": "https://x.org/", "WEBHOOK_SECRET": f"{SECRET_PART} with spaces"},
            "WEBHOOK_SECRET",
            "A-Z, a-z, 0-9, _ and -",
        ),
        (
            {"WEBHOOK_URL": "https://x.org/", "WEBHOOK_SECRET": SECRET_PART * 26},
            "WEBHOOK_SECRET",
            "1 to 256",
        ),
        ({"METRICS_PORT": "70000"}, "METRICS_PORT", "65535"),
        ({"WEBHOOK_PORT": "0"}, "WEBHOOK_PORT", "1"),
    ],
    ids=["http url", "no secret", "forbidden characters", "secret too long", "port", "zero"],
)
def test_a_listening_setting_that_cannot_work_is_one_line_naming_it(env, name, says):
    (line,) = problems_of(**env)

    assert line.startswith(f"{name}: ")
    assert says in line
    assert SECRET_PART not in line


def test_a_secret_of_256_allowed_characters_is_fine(monkeypatch):
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.setenv("WEBHOOK_SECRET", "aZ09_-" * 42 + "abcd")

    assert load_settings(require_bot_token=False).webhook_secret is not None


@pytest.mark.parametrize("setting", ["METRICS_PORT", "WEBHOOK_PORT"])
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
