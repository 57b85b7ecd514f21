"""Configuration comes from the environment or `.env`; every problem is one line that names the
variable and never echoes the value.

Pins down: the documented defaults, environment variables and `.env` (the environment wins),
ALLOWED_USERS parsing, one line per invalid variable without its value, a missing bot token
mattering only when the bot itself runs, the demo ignoring Telegram's settings, and
`python -m bot` exiting with code 2, a readable list and no traceback or secret on stderr;
`--help` names the program as it was started (`joulo-bot` or `python -m bot`).

The command line runs in this process (`bot.__main__.main`, whose result is the exit code):
these rules are decided before anything starts, and a child process would only add a second
of imports to each. `python -m bot` as a process ends with these codes in tests/test_startup.py.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.__main__ import main
from bot.config import ConfigError, load_settings
from bot.demo import ignored_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456789:AAFdefaultTokenForConfigTests_abcdefg"
#: Part of every rejected value below; nobody should ever see it in an error message.
SECRET_PART = "S3cr3tV4lu3"
SECRET = f"joulo_{SECRET_PART}DoNotEch0Th1sAnyWh3r3"


def problems_of(**overrides: object) -> list[str]:
    """The lines load_settings reports for the current environment."""
    with pytest.raises(ConfigError) as caught:
        load_settings(require_bot_token=False, **overrides)
    return caught.value.problems


# --- defaults and sources -----------------------------------------------------------------------


def test_every_setting_has_the_documented_default():
    settings = load_settings(require_bot_token=False)

    assert settings.poll_interval == 60
    assert settings.offline_grace == 300
    assert settings.timezone == "Europe/Amsterdam"
    assert str(settings.tz) == "Europe/Amsterdam"
    assert settings.default_language == "nl"
    assert settings.log_level == "INFO"
    assert settings.log_format == "text"
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.joulo_base_url == "https://api.joulo.nl/functions/v1/api"
    assert settings.allowed_users == frozenset()
    assert settings.telegram_bot_token is None
    assert settings.encryption_keys() == []


def test_environment_variables_are_read(monkeypatch, tmp_path):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("POLL_INTERVAL", "45")
    monkeypatch.setenv("OFFLINE_GRACE", "0")
    monkeypatch.setenv("TIMEZONE", "America/New_York")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "EN")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db" / "bot.sqlite3"))
    monkeypatch.setenv("ENCRYPTION_KEY", key)
    monkeypatch.setenv("JOULO_API_URL", "http://127.0.0.1:8080/functions/v1/api/")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/bot")

    settings = load_settings(require_bot_token=True)

    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == BOT_TOKEN
    assert settings.poll_interval == 45
    assert settings.offline_grace == 0
    assert settings.timezone == "America/New_York"
    assert settings.default_language == "en"
    assert settings.log_level == "DEBUG"
    assert settings.database_path == tmp_path / "db" / "bot.sqlite3"
    assert settings.encryption_keys() == [key]
    assert settings.joulo_base_url == "http://127.0.0.1:8080/functions/v1/api"
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={BOT_TOKEN}\nPOLL_INTERVAL=90\nTIMEZONE=Europe/London\n"
        "ALLOWED_USERS=7,8\n",
        encoding="utf-8",
    )

    settings = load_settings(require_bot_token=True)

    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == BOT_TOKEN
    assert settings.poll_interval == 90
    assert settings.timezone == "Europe/London"
    assert settings.allowed_users == frozenset({7, 8})


def test_the_environment_wins_over_the_dotenv_file(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("POLL_INTERVAL=90\nDEFAULT_LANGUAGE=en\n", encoding="utf-8")
    monkeypatch.setenv("POLL_INTERVAL", "30")

    settings = load_settings(require_bot_token=False)

    assert settings.poll_interval == 30
    assert settings.default_language == "en"


def test_empty_token_and_key_lines_copied_from_the_example_count_as_unset(tmp_path):
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=\nENCRYPTION_KEY=\n", encoding="utf-8")

    settings = load_settings(require_bot_token=False)

    assert settings.telegram_bot_token is None
    assert settings.encryption_keys() == []


def test_an_empty_database_path_means_the_default(monkeypatch):
    monkeypatch.setenv("DATABASE_PATH", "")

    settings = load_settings(require_bot_token=False)

    assert settings.database_path == Path("data/bot.sqlite3")


def test_several_encryption_keys_rotate_with_the_first_one_encrypting(monkeypatch):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("ENCRYPTION_KEY", f" {new} , {old} ")

    settings = load_settings(require_bot_token=False)

    assert settings.encryption_keys() == [new, old]


# --- ALLOWED_USERS ------------------------------------------------------------------------------


def test_allowed_users_is_a_comma_separated_list_of_ids(monkeypatch):
    monkeypatch.setenv("ALLOWED_USERS", "1, 2,3")

    assert load_settings(require_bot_token=False).allowed_users == frozenset({1, 2, 3})


def test_a_single_allowed_user_is_accepted(monkeypatch):
    monkeypatch.setenv("ALLOWED_USERS", "424242")

    assert load_settings(require_bot_token=False).allowed_users == frozenset({424242})


def test_allowed_users_that_are_not_numbers_are_a_problem(monkeypatch):
    monkeypatch.setenv("ALLOWED_USERS", "abc")

    (line,) = problems_of()

    assert line.startswith("ALLOWED_USERS: ")


# --- invalid values -------------------------------------------------------------------------------

INVALID = [
    ("POLL_INTERVAL", "0"),
    ("POLL_INTERVAL", "-1"),
    ("POLL_INTERVAL", "soon"),
    ("OFFLINE_GRACE", "-5"),
    ("TIMEZONE", "Mars/Base"),
    ("DEFAULT_LANGUAGE", "fr"),
    ("LOG_LEVEL", "LOUD"),
    ("LOG_FORMAT", "yaml"),
    ("ENCRYPTION_KEY", "short"),
    ("TELEGRAM_BOT_TOKEN", "nonsense"),
    ("TELEGRAM_BOT_TOKEN", "123:too-short"),
    ("ALLOWED_USERS", "abc"),
    ("JOULO_API_URL", "not a url"),
    ("TELEGRAM_API_URL", "ftp://example.org/bot"),
    ("MONEY_CHECK_INTERVAL", "0"),
    ("MONEY_CHECK_INTERVAL", "hourly"),
    ("ERE_PRICE_URL", "joulo.nl/api/ere-price"),
]


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_an_invalid_value_gives_one_line_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    (line,) = problems_of()

    assert line.startswith(f"{name}: ")
    assert "\n" not in line
    assert len(line) > len(name) + 10  # says what is wrong, not just the name


def test_every_invalid_variable_is_listed_at_once(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL", "0")
    monkeypatch.setenv("TIMEZONE", "Mars/Base")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    monkeypatch.setenv("ENCRYPTION_KEY", "short")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "nonsense")

    problems = problems_of()

    assert sorted(line.split(":", 1)[0] for line in problems) == [
        "DEFAULT_LANGUAGE",
        "ENCRYPTION_KEY",
        "POLL_INTERVAL",
        "TELEGRAM_BOT_TOKEN",
        "TIMEZONE",
    ]


def test_a_bad_second_encryption_key_is_named_by_position(monkeypatch):
    monkeypatch.setenv("ENCRYPTION_KEY", f"{Fernet.generate_key().decode()},{SECRET}")

    (line,) = problems_of()

    assert line.startswith("ENCRYPTION_KEY: key number 2 ")
    assert SECRET not in line


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", SECRET),
        ("TELEGRAM_BOT_TOKEN", "123456:" + SECRET_PART),
        ("ENCRYPTION_KEY", SECRET),
        ("POLL_INTERVAL", SECRET),
        ("OFFLINE_GRACE", SECRET),
        ("DEFAULT_LANGUAGE", SECRET),
        ("LOG_LEVEL", SECRET),
        ("JOULO_API_URL", SECRET),
        ("TELEGRAM_API_URL", SECRET),
        pytest.param("TIMEZONE", "Mars/" + SECRET),
        pytest.param("ALLOWED_USERS", "1," + SECRET),
    ],
)
def test_the_rejected_value_is_never_echoed(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    problems = problems_of()

    assert [line.split(":", 1)[0] for line in problems] == [name]
    assert SECRET_PART not in "\n".join(problems)


# --- the bot token ------------------------------------------------------------------------------


def test_a_missing_bot_token_is_fine_when_the_bot_does_not_run():
    settings = load_settings(require_bot_token=False)

    assert settings.telegram_bot_token is None


def test_a_missing_bot_token_is_a_problem_when_the_bot_runs():
    with pytest.raises(ConfigError) as caught:
        load_settings(require_bot_token=True)

    (line,) = caught.value.problems
    assert line.startswith("TELEGRAM_BOT_TOKEN: ")
    assert "required" in line


def test_a_missing_bot_token_is_listed_together_with_the_other_problems(monkeypatch):
    monkeypatch.setenv("POLL_INTERVAL", "0")

    with pytest.raises(ConfigError) as caught:
        load_settings(require_bot_token=True)

    assert sorted(line.split(":", 1)[0] for line in caught.value.problems) == [
        "POLL_INTERVAL",
        "TELEGRAM_BOT_TOKEN",
    ]


def test_a_bot_token_is_trimmed(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", f"  {BOT_TOKEN}  ")

    settings = load_settings(require_bot_token=True)

    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == BOT_TOKEN
    assert BOT_TOKEN not in repr(settings)


# --- the command line ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """How `python -m bot` ended: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def run_bot(capsys: pytest.CaptureFixture[str], *args: str) -> Ran:
    """`python -m bot <args>` in the test's folder with no configuration in the environment
    (see tests/conftest.py), run by its `main` in this process."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Ran(code, out, err)


def test_the_bot_refuses_a_bad_dotenv_with_one_line_per_problem(tmp_path, capsys):
    (tmp_path / ".env").write_text(
        "POLL_INTERVAL=-1\nTIMEZONE=Nowhere/City\nTELEGRAM_BOT_TOKEN=123:short-secret-value\n",
        encoding="utf-8",
    )

    result = run_bot(capsys)

    assert result.returncode == 2
    problem_lines = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert sorted(line.split(":", 1)[0] for line in problem_lines) == [
        "POLL_INTERVAL",
        "TELEGRAM_BOT_TOKEN",
        "TIMEZONE",
    ]
    assert "Traceback" not in result.stderr
    assert "short-secret-value" not in result.stderr
    assert "short-secret-value" not in result.stdout
    assert not (tmp_path / "data").exists()


def test_the_bot_without_a_token_says_the_token_is_required(tmp_path, capsys):
    result = run_bot(capsys)

    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "required" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_the_healthcheck_needs_no_bot_token_and_creates_no_database(tmp_path, capsys):
    result = run_bot(capsys, "healthcheck")

    assert result.returncode == 1
    assert "unhealthy" in result.stderr
    assert "TELEGRAM_BOT_TOKEN" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_demo_ignores_telegram_and_the_settings_it_replaces_but_reads_the_rest(tmp_path):
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=123:short\nTELEGRAM_API_URL=not a url\nALLOWED_USERS=anna\n"
        "ENCRYPTION_KEY=not-a-key\nPOLL_INTERVAL=-1\nJOULO_API_URL=nowhere\nLOG_LEVEL=LOUD\n"
        "DATABASE_PATH=\nDEFAULT_LANGUAGE=en\nTIMEZONE=Europe/London\nOFFLINE_GRACE=60\n"
        "STALL_AFTER=600\n",
        encoding="utf-8",
    )

    settings = load_settings(require_bot_token=False, **ignored_settings())

    assert settings.telegram_bot_token is None
    assert settings.allowed_users == frozenset()
    assert (settings.default_language, settings.timezone) == ("en", "Europe/London")
    assert (settings.offline_grace, settings.stall_after) == (60, 600)
    (tmp_path / ".env").write_text("STALL_AFTER=-1\n", encoding="utf-8")
    assert problems_of(**ignored_settings()) == ["STALL_AFTER: Input should be greater than 0"]


@pytest.mark.parametrize(
    ("argv0", "program"),
    [
        ("/usr/local/bin/joulo-bot", "joulo-bot"),
        (str(REPO_ROOT / "bot" / "__main__.py"), f"{Path(sys.executable).name} -m bot"),
    ],
    ids=["joulo-bot", "python -m bot"],
)
def test_help_names_the_program_as_it_was_started(monkeypatch, capsys, argv0, program):
    monkeypatch.setattr(sys, "argv", [argv0, "demo", "--help"])

    with pytest.raises(SystemExit) as leaving:
        main()

    assert leaving.value.code == 0
    usage = capsys.readouterr().out
    assert usage.startswith(f"usage: {program} demo ")
    assert "--duration SECONDS" in usage


def test_an_empty_ere_price_url_turns_the_feed_off(monkeypatch):
    monkeypatch.setenv("ERE_PRICE_URL", " ")

    assert load_settings(require_bot_token=False).ere_price_feed is None
    monkeypatch.delenv("ERE_PRICE_URL")
    assert load_settings(require_bot_token=False).ere_price_feed == (
        "https://joulo.nl/api/ere-price"
    )
