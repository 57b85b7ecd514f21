"""The database a test starts from: a copy of one migrated once per test process (the
`migrated_database` fixture in conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import Settings
from bot.store import Store


async def migrate(path: Path) -> None:
    """Make `path` a new database with every migration applied."""
    await (await Store.open(path)).close()


def fresh_database(settings: Settings, migrated: Path) -> None:
    """Put a copy of the migrated empty database where `settings` expects the bot's database."""
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated, settings.database_path)
