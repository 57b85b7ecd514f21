"""Shared fixtures: a hand-cranked clock, the Joulo simulator, and the bot's services on a real
SQLite file in `tmp_path`. Only Telegram and Joulo are faked; everything else is the real code."""

from __future__ import annotations

import asyncio
import functools
import gc
import os

os.environ.setdefault("PTB_TIMEDELTA", "1")
# Tests speak plain HTTP to loopback servers and MockTransports, never TLS, yet every process
# (each test worker, each child `python -m bot`) and every httpx client a test builds loads a CA
# bundle of some 150 roots into a fresh SSL context: 0.1-0.2 s each. One root is as valid a trust
# store and loads in no time. Set before anything imports httpx or aiohttp (children inherit it).
os.environ["SSL_CERT_FILE"] = os.path.join(os.path.dirname(__file__), "one_root_ca.pem")

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.clock import ManualClock
from tests.fake_telegram import BOT_TOKEN, FakeBotAPI
from tests.story import joulo_transport, world  # noqa: F401  (fixtures)

# The bot is imported inside the fixtures, not here: with `-n`, the pytest process that hands
# tests to the workers loads this file before it starts them, and it never runs a test.
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from bot.app import Services
    from bot.commands import Person
    from bot.config import Settings
    from tests.joulo_sim import JouloSimulator


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep what collection loaded out of the garbage collector's way for the rest of the run.

    Collection imports every test module and, through them, the bot, python-telegram-bot,
    pydantic, hypothesis: some hundred thousand objects that live until the worker exits. Each
    full collection during the tests would walk them all again (together about 0.6 s a worker).
    Frozen, they are left alone; what a test makes is not frozen, so a cycle it leaves (an
    unraisable exception in a `__del__`, say) is still found.
    """
    gc.freeze()


#: A Wednesday morning in April, local time 10:00 in Amsterdam.
START = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read a developer's `.env` or environment settings."""
    from bot.config import Settings

    monkeypatch.chdir(tmp_path)
    names = {field.upper() for field in Settings.model_fields}
    for name in names.intersection(os.environ):
        monkeypatch.delenv(name)


@pytest.fixture
def clock() -> ManualClock:
    """Time that only moves when a test says so."""
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> JouloSimulator:
    """The Joulo simulator on the test clock."""
    from tests.joulo_sim import JouloSimulator

    return JouloSimulator(clock, seed=1)


@functools.cache
def _from_arguments() -> type[Settings]:
    """`Settings` read from its arguments alone, validated as ever.

    pydantic-settings asks every source (the environment, `.env`, secrets) for every field at
    each construction, ~4 ms; tests read none of them (see `_no_dotenv`).
    """
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

    from bot.config import Settings

    class FromArguments(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings,)

    return FromArguments


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings as a test deployment would have them."""
    from cryptography.fernet import Fernet

    return _from_arguments()(
        telegram_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
        database_path=tmp_path / "data" / "bot.sqlite3",
        encryption_key=Fernet.generate_key().decode(),  # type: ignore[arg-type]
        poll_interval=0.5,
        offline_grace=300,
        timezone="Europe/Amsterdam",
        default_language="en",
    )


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with every migration applied, made once per test process.

    Migrating a new file is 13 transactions (~15 ms of CPU and ~50 ms of disk); a copy of this
    one is the same SQLite file in a millisecond. Tests of the store and of start-up still open
    new files, which migrates them from scratch.
    """
    from tests.database import migrate

    path = tmp_path_factory.mktemp("migrated") / "bot.sqlite3"
    asyncio.run(migrate(path))
    return path


@pytest.fixture
async def services(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, migrated_database: Path
) -> AsyncIterator[Services]:
    """The bot's real services (store, Joulo client, answers, poller) against the simulator."""
    from bot.app import open_services
    from tests.database import fresh_database

    fresh_database(settings, migrated_database)
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as built:
        yield built


@pytest.fixture
def fake_bot() -> Iterator[FakeBotAPI]:
    """A fake Telegram Bot API on loopback."""
    with FakeBotAPI() as api:
        yield api
        assert api.internal_errors == []


async def link_garage(services: Services, sim: JouloSimulator, person: Person) -> str:
    """A new Joulo account with one charger, "Garage", linked by `person`; returns its token."""
    token = sim.add_account()
    sim.add_charger(token, "Garage")
    outcome = await services.answers.link(person, token)
    assert outcome.linked, outcome.reply.text
    return token
