"""Durable state in one SQLite file. The only module that contains SQL.

Invariants the rest of the bot relies on:
- A poll's new charger state and the events it caused are written in one transaction, and an
  event is unique per (account, key): replaying the same observation cannot notify twice.
- Every event gets one outbox row per recipient chat in that same transaction; a row is marked
  sent only after Telegram accepted the message.
- Deleting an account deletes every row derived from it (ON DELETE CASCADE).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Collection, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import aiosqlite

from bot.core.credits import Awaited
from bot.core.events import (
    Event,
    SessionFinished,
    SessionStarted,
    event_from_json,
    event_to_json,
)
from bot.core.money import CreditPrice, MoneyMark
from bot.core.outgoing import Outgoing
from bot.core.policy import ChatSettings
from bot.core.state import ChargerState, PendingEnd
from bot.core.tags import tag_key

ChatKind = Literal["private", "group", "supergroup", "channel"]
AccountStatus = Literal["active", "token_rejected"]

_MIGRATIONS: Final[tuple[str, ...]] = (
    # 1: the core schema
    """
    CREATE TABLE chats (
        id          INTEGER PRIMARY KEY,           -- Telegram chat id
        kind        TEXT    NOT NULL,
        title       TEXT,
        language    TEXT    NOT NULL,
        active      INTEGER NOT NULL DEFAULT 1,    -- 0 once the bot was blocked or removed
        updated_at  TEXT    NOT NULL
    );
    CREATE TABLE accounts (
        id              INTEGER PRIMARY KEY,
        owner_id        INTEGER NOT NULL UNIQUE,   -- Telegram user id = private chat id
        owner_name      TEXT    NOT NULL,
        token_enc       BLOB    NOT NULL,          -- Fernet ciphertext, never the token itself
        fingerprint     TEXT    NOT NULL UNIQUE,   -- one-way hash that recognises the account
        link_seq        INTEGER NOT NULL DEFAULT 1,
        status          TEXT    NOT NULL DEFAULT 'active',
        linked_at       TEXT    NOT NULL,
        baseline_at     TEXT,
        last_success_at TEXT
    );
    CREATE TABLE subscriptions (
        chat_id       INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        subscribed_by INTEGER NOT NULL,
        created_at    TEXT    NOT NULL,
        PRIMARY KEY (chat_id, account_id)
    );
    CREATE TABLE charger_states (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        charger_id TEXT    NOT NULL,
        state      TEXT    NOT NULL,               -- ChargerState as JSON
        PRIMARY KEY (account_id, charger_id)
    );
    CREATE TABLE pending_ends (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        session_id TEXT    NOT NULL,
        data       TEXT    NOT NULL,               -- PendingEnd as JSON
        PRIMARY KEY (account_id, session_id)
    );
    CREATE TABLE events (
        id         INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        key        TEXT    NOT NULL,
        kind       TEXT    NOT NULL,
        payload    TEXT    NOT NULL,
        created_at TEXT    NOT NULL,
        UNIQUE (account_id, key)
    );
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        event_id        INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        chat_id         INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        status          TEXT    NOT NULL DEFAULT 'pending',   -- pending | sent | dropped
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        sent_at         TEXT,
        message_id      INTEGER,
        error           TEXT,
        UNIQUE (event_id, chat_id)
    );
    CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
    CREATE INDEX subscriptions_by_account ON subscriptions (account_id);
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: Joulo outages survive restarts; rejected tokens are re-checked hourly
    """
    ALTER TABLE accounts ADD COLUMN failing_since TEXT;
    ALTER TABLE accounts ADD COLUMN outage_announced INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE accounts ADD COLUMN checked_at TEXT;
    """,
    # 3: each chat decides (settings per chat; live session cards edited in place)
    """
    CREATE TABLE chat_settings (
        chat_id INTEGER PRIMARY KEY
                REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
        data    TEXT    NOT NULL                -- ChatSettings as JSON
    );
    ALTER TABLE outbox ADD COLUMN card TEXT;    -- 'live' while edited in place, then 'closed'
    ALTER TABLE outbox ADD COLUMN edited_at TEXT;
    """,
    # 4: names for charge cards (RFID tags), per account
    """
    CREATE TABLE tag_names (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        tag        TEXT    NOT NULL,               -- the tag id, as bot.core.tags.tag_key has it
        name       TEXT    NOT NULL,
        updated_at TEXT    NOT NULL,
        PRIMARY KEY (account_id, tag)
    );
    """,
    # 5: ERE credits Joulo fills in after a session's end (bot.core.credits)
    """
    CREATE TABLE awaited_credits (
        event_id   INTEGER PRIMARY KEY              -- the "finished" event sent without credits
                   REFERENCES events(id) ON DELETE CASCADE,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        checked_at TEXT    NOT NULL                 -- when /sessions was last asked about it
    );
    CREATE INDEX awaited_credits_by_account ON awaited_credits (account_id);
    """,
    # 6: indexes for pruning old events and for a chat's outbox rows (also used by the
    # foreign-key cascades when a chat is deleted or migrated to a supergroup)
    """
    CREATE INDEX events_by_created_at ON events (created_at);
    CREATE INDEX outbox_by_chat ON outbox (chat_id);
    """,
    # 7: the charger and session an event is about, as columns (filled in for older rows), so
    # that no query has to take an event's key or payload apart
    """
    ALTER TABLE events ADD COLUMN charger_id TEXT;
    ALTER TABLE events ADD COLUMN session_id TEXT;
    UPDATE events SET charger_id = json_extract(payload, '$.charger_id'),
                      session_id = json_extract(payload, '$.session_id');
    CREATE INDEX events_by_session ON events (account_id, session_id)
        WHERE session_id IS NOT NULL;
    """,
    # 8: money: each account's price per ERE credit, as the money job last found it, and what
    # it last saw of the payouts (bot.core.money), so renderers read one row and a restart
    # neither repeats nor loses an announcement
    """
    CREATE TABLE money (
        account_id   INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        checked_at   TEXT    NOT NULL,             -- last look at /ere-position, answered or not
        price_eur    REAL,                         -- per credit; NULL: no euros for this account
        price_source TEXT,                         -- 'account' | 'feed'
        price_net    INTEGER NOT NULL DEFAULT 1,   -- 1: after Joulo's fee
        price_as_of  TEXT,
        mark         TEXT                          -- MoneyMark as JSON; NULL before a first look
    );
    """,
    # 9: forum groups and pinned live cards: the topic a group's notifications go to (where
    # /subscribe was last sent) and whether the group is owed word that it vanished; who
    # turned /pin on and whether Telegram refused the bot that right; which cards are pinned
    """
    ALTER TABLE chats ADD COLUMN thread_id INTEGER;       -- a forum topic; NULL: General
    ALTER TABLE chats ADD COLUMN thread_name TEXT;
    ALTER TABLE chats ADD COLUMN thread_notice INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE chats ADD COLUMN pin_by INTEGER;           -- who last switched /pin
    ALTER TABLE chats ADD COLUMN pin_refused INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
    """,
    # 10: each chat's tariff, euros per kWh (NULL: none); see bot.core.tariff
    """
    ALTER TABLE chats ADD COLUMN tariff REAL;
    """,
    # 11: invite links (/invite): a code works once, for a while; only its hash is kept
    """
    CREATE TABLE invites (
        code_hash  TEXT    PRIMARY KEY,            -- sha256 of the code, never the code itself
        owner_id   INTEGER NOT NULL,               -- the Telegram user who asked for it
        created_at TEXT    NOT NULL,
        expires_at TEXT    NOT NULL,
        used_at    TEXT,
        used_in    INTEGER                         -- the chat it was used in
    );
    CREATE INDEX invites_by_expiry ON invites (expires_at);
    """,
    # 12: the charge cards each account has been seen charging with (bot.core.tags), kept
    # when old events are pruned, so a card is "new" only once; filled in from the events
    """
    CREATE TABLE seen_tags (
        account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        tag           TEXT    NOT NULL,            -- as bot.core.tags.tag_key has it
        first_seen_at TEXT    NOT NULL,
        PRIMARY KEY (account_id, tag)
    );
    INSERT OR IGNORE INTO seen_tags (account_id, tag, first_seen_at)
        SELECT account_id, upper(trim(json_extract(payload, '$.id_tag'))), min(created_at)
        FROM events
        WHERE kind IN ('session_started', 'session_finished')
          AND trim(coalesce(json_extract(payload, '$.id_tag'), '')) != ''
        GROUP BY 1, 2;
    """,
    # 13: /unlink forgets the person's invite links, found by their owner
    """
    CREATE INDEX invites_by_owner ON invites (owner_id);
    """,
)

SCHEMA_VERSION: Final = len(_MIGRATIONS)


class StoreError(Exception):
    """The database could not do what was asked.

    Every `sqlite3.Error` (and an OSError while creating the database's folder) reaches the
    rest of the bot as this, raised `from` the original, at one choke point: `_sqlite_errors`.
    """


#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER: Final = b"SQLite format 3\x00"


def check_database_path(path: Path) -> None:
    """Refuse, in our words, a DATABASE_PATH that SQLite could not use; creates nothing.

    SQLite says "unable to open database file" for a folder and "disk I/O error" for
    /dev/null, and makes a database before it finds a folder it cannot write to. Raises
    StoreError with a reason that reads after "cannot use DATABASE_PATH <path>: ".
    """
    try:
        if path.is_dir():
            raise StoreError(f"it is a folder; give a file path, such as {path / 'bot.sqlite3'}")
        if path.exists():
            if not path.is_file():
                raise StoreError("it is not a regular file (a device?); give a file path")
            with path.open("rb") as handle:
                header = handle.read(len(SQLITE_HEADER))
            if header and header != SQLITE_HEADER:
                raise StoreError(
                    "it is not a database (an SQLite file); give the bot's database, "
                    "or a path where it may make a new one"
                )
            if not os.access(path, os.W_OK):
                raise StoreError("the bot may not write to it (permission denied)")
            folder = path.parent
        else:
            folder = path.parent
            while not folder.exists():  # the folders the bot would make
                folder = folder.parent
            if not folder.is_dir():
                raise StoreError(f"{folder} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StoreError(
                f"the bot may not write in the folder {folder} (where SQLite keeps its "
                "side files); give a path in a folder it may write to"
            )
    except OSError as err:
        raise StoreError(f"cannot read it: {err.strerror or err}") from err


class FingerprintTaken(StoreError):
    """Another Telegram user has already linked this Joulo account."""


@dataclass(frozen=True)
class Account:
    """A linked Joulo account, owned by one Telegram user."""

    id: int
    owner_id: int
    owner_name: str
    token_enc: bytes
    link_seq: int
    status: AccountStatus
    linked_at: datetime
    baseline_at: datetime | None
    last_success_at: datetime | None
    #: Start of the current run of failed polls, or None while Joulo answers.
    failing_since: datetime | None = None
    outage_announced: bool = False


@dataclass(frozen=True)
class Chat:
    """A Telegram chat the bot talks to."""

    id: int
    kind: ChatKind
    title: str | None
    language: str
    active: bool
    #: The forum topic its notifications go to (None: the chat itself, a forum's General).
    thread_id: int | None = None
    thread_name: str | None = None
    #: The chat is owed word that its topic vanished and notifications go to General now.
    thread_notice: bool = False
    #: Who last switched pinning on or off here; whether Telegram refused the bot to pin.
    pin_by: int | None = None
    pin_refused: bool = False
    #: The chat's price per kWh in euros (`/tariff`); None: it set none.
    tariff: float | None = None


@dataclass(frozen=True)
class Delivery:
    """One event waiting to be sent to one chat, with what that chat wants."""

    id: int
    chat_id: int
    account_id: int
    #: The language recorded for the chat (see `policy.chat_language` for the one it gets).
    language: str
    attempts: int
    next_attempt_at: datetime | None
    event: Event
    kind: ChatKind = "private"
    settings: ChatSettings = field(default_factory=ChatSettings)
    #: The forum topic the chat's notifications go to (None: the chat itself).
    thread_id: int | None = None
    #: The chat is owed word that its topic vanished and notifications go to General now.
    thread_notice: bool = False
    #: Telegram refused the bot the right to pin here (until the setting is changed).
    pin_refused: bool = False
    #: The chat's price per kWh in euros; None: it set none.
    tariff: float | None = None


@dataclass(frozen=True)
class LiveCard:
    """A "started" message being edited in place while its session runs."""

    delivery_id: int
    chat_id: int
    account_id: int
    #: The account's link the card belongs to (its chargers are read for this link).
    link_seq: int
    message_id: int
    #: The language recorded for the chat (see `policy.chat_language` for the one it gets).
    language: str
    settings: ChatSettings
    started: SessionStarted
    #: The session's "finished" announcement, once there is one.
    finished: SessionFinished | None
    #: The last edit of any card in this chat (edits are throttled per chat).
    chat_edited_at: datetime | None
    #: The bot pinned this card (it unpins it when the session ends).
    pinned: bool = False
    #: The chat's price per kWh in euros; None: it set none.
    tariff: float | None = None
    #: What kind of chat it is in (a private chat is the account owner's).
    kind: ChatKind = "group"


@dataclass(frozen=True)
class HeldPoll:
    """A successful poll whose writing the poller held back: when, and maybe new states.

    `states` None: the chargers changed only in when they were seen, so only the time of
    success is written.
    """

    account_id: int
    link_seq: int
    polled_at: datetime
    states: Mapping[str, ChargerState] | None = None


@dataclass(frozen=True)
class OperatingCounts:
    """What the database says about the bot's work, for the metrics."""

    outbox_pending: int
    accounts: dict[str, int]


@dataclass(frozen=True)
class Invite:
    """An invite link's code as stored: whose it is, until when it works, whether it was used."""

    owner_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class LinkResult:
    """What linking did: `new_account` False means the user re-linked."""

    account: Account
    new_account: bool
    same_joulo_account: bool


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    """The store's one choke point: sqlite3's errors become StoreError (exactly once)."""
    try:
        yield
    except sqlite3.Error as err:
        raise StoreError(str(err) or type(err).__name__) from err


def _ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _account(row: sqlite3.Row) -> Account:
    linked_at = _dt(row["linked_at"])
    assert linked_at is not None  # noqa: S101  (NOT NULL column)
    return Account(
        id=row["id"],
        owner_id=row["owner_id"],
        owner_name=row["owner_name"],
        token_enc=bytes(row["token_enc"]),
        link_seq=row["link_seq"],
        status=row["status"],
        linked_at=linked_at,
        baseline_at=_dt(row["baseline_at"]),
        last_success_at=_dt(row["last_success_at"]),
        failing_since=_dt(row["failing_since"]),
        outage_announced=bool(row["outage_announced"]),
    )


def _settings(raw: str | None) -> ChatSettings:
    return ChatSettings() if raw is None else ChatSettings.model_validate_json(raw)


def _chat(row: sqlite3.Row) -> Chat:
    return Chat(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        language=row["language"],
        active=bool(row["active"]),
        thread_id=row["thread_id"],
        thread_name=row["thread_name"],
        thread_notice=bool(row["thread_notice"]),
        pin_by=row["pin_by"],
        pin_refused=bool(row["pin_refused"]),
        tariff=row["tariff"],
    )


class Store:
    """Async access to the bot's SQLite database. Open with `await Store.open(path)`."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        # One connection is shared by all coroutines: a lock keeps transactions from interleaving.
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Store:
        """Open (creating it and its directory if needed) and migrate the database.

        Raises StoreError, with the connection closed, when that fails: a file that is not a
        database is refused as it is, untouched.
        """
        check_database_path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError as err:
            raise StoreError(f"{path.parent} is not a folder") from err
        except OSError as err:
            raise StoreError(f"cannot create the folder {path.parent}: {err.strerror}") from err
        with _sqlite_errors():
            db = await aiosqlite.connect(path, isolation_level=None)
        try:
            with _sqlite_errors():
                db.row_factory = sqlite3.Row
                await db.execute("PRAGMA journal_mode=WAL")
                await db.execute("PRAGMA synchronous=NORMAL")
                await db.execute("PRAGMA foreign_keys=ON")
                await db.execute("PRAGMA busy_timeout=5000")
            store = cls(db)
            await store._migrate()
        except BaseException:
            await db.close()  # its thread would keep the process alive
            raise
        return store

    async def close(self) -> None:
        """Close the connection (after a running transaction)."""
        async with self._lock:
            with _sqlite_errors():
                await self._db.close()

    async def _migrate(self) -> None:
        async with self._lock:
            with _sqlite_errors():
                row = await (await self._db.execute("PRAGMA user_version")).fetchone()
                version = int(row[0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"database schema {version} is newer than this bot ({SCHEMA_VERSION})"
                    )
                for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                    await self._db.executescript(
                        f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={number};\nCOMMIT;"
                    )

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN ... COMMIT, rolled back on any error or cancellation.

        aiosqlite runs statements in order on its own thread, and a statement whose await was
        cancelled still runs. So BEGIN sits inside the `try`: whatever happens after it was
        queued, a ROLLBACK is queued behind it and the connection is never left inside a
        transaction. (If the COMMIT was already queued, it wins and the ROLLBACK is a no-op.)
        """
        async with self._lock:
            try:
                with _sqlite_errors():  # the statements of the body included
                    await self._db.execute("BEGIN IMMEDIATE")
                    yield self._db
                    await self._db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await self._db.execute("ROLLBACK")
                raise

    async def _fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            with _sqlite_errors():
                cursor = await self._db.execute(sql, tuple(params))
                return list(await cursor.fetchall())

    async def _fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    # --- chats --------------------------------------------------------------------------

    @staticmethod
    async def _upsert_chat(
        db: aiosqlite.Connection,
        *,
        chat_id: int,
        kind: ChatKind,
        title: str | None,
        language: str,
        now: datetime,
    ) -> None:
        await db.execute(
            """
            INSERT INTO chats (id, kind, title, language, active, updated_at)
            VALUES (?, ?, ?, ?, 1, ?)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
                language = excluded.language, active = 1, updated_at = excluded.updated_at
            """,
            (chat_id, kind, title, language, _ts(now)),
        )

    async def chat(self, chat_id: int) -> Chat | None:
        """The chat with this id, if the bot knows it."""
        row = await self._fetchone("SELECT * FROM chats WHERE id = ?", (chat_id,))
        return _chat(row) if row else None

    async def deactivate_chat(
        self, chat_id: int, reason: str, now: datetime, notices: Mapping[int, Outgoing]
    ) -> list[Account]:
        """Stop sending to a chat: drop its subscriptions and pending messages.

        `notices` maps an account id to the event its owner gets about it; each is recorded in
        the same transaction, for the accounts that were still subscribed. Returns those.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                """SELECT * FROM accounts
                    WHERE id IN (SELECT account_id FROM subscriptions WHERE chat_id = ?)
                    ORDER BY id""",
                (chat_id,),
            )
            accounts = [_account(row) for row in await cursor.fetchall()]
            await db.execute("UPDATE chats SET active = 0 WHERE id = ?", (chat_id,))
            await db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            await db.execute(
                "UPDATE outbox SET status = 'dropped', error = ? "
                "WHERE chat_id = ? AND status = 'pending'",
                (reason[:200], chat_id),
            )
            for account in accounts:
                if (notice := notices.get(account.id)) is not None:
                    await self._add_events(db, account.id, [notice], now)
        return accounts

    async def migrate_chat(self, old_id: int, new_id: int, now: datetime) -> None:
        """A group became a supergroup: move its subscriptions, settings and outbox."""
        async with self._transaction() as db:
            cursor = await db.execute("SELECT 1 FROM chats WHERE id = ?", (new_id,))
            if await cursor.fetchone() is None:
                await db.execute(
                    "UPDATE chats SET id = ?, kind = 'supergroup', updated_at = ? WHERE id = ?",
                    (new_id, _ts(now), old_id),
                )  # ON UPDATE CASCADE carries subscriptions and outbox rows along
                return
            await db.execute(
                """INSERT INTO subscriptions (chat_id, account_id, subscribed_by, created_at)
                   SELECT ?, account_id, subscribed_by, created_at FROM subscriptions
                   WHERE chat_id = ? ON CONFLICT DO NOTHING""",
                (new_id, old_id),
            )
            await db.execute(
                "UPDATE OR IGNORE outbox SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
            )
            # The settings made in the old group win over the defaults the new id may have.
            await db.execute(
                """INSERT INTO chat_settings (chat_id, data)
                   SELECT ?, data FROM chat_settings WHERE chat_id = ?
                   ON CONFLICT (chat_id) DO UPDATE SET data = excluded.data""",
                (new_id, old_id),
            )
            await db.execute(
                "UPDATE chats SET tariff = (SELECT tariff FROM chats WHERE id = ?) WHERE id = ?",
                (old_id, new_id),
            )
            await db.execute("DELETE FROM chats WHERE id = ?", (old_id,))

    async def chat_settings(self, chat_id: int) -> ChatSettings:
        """What this chat wants to hear (the defaults if it never changed anything)."""
        row = await self._fetchone("SELECT data FROM chat_settings WHERE chat_id = ?", (chat_id,))
        return _settings(None if row is None else str(row["data"]))

    async def save_chat_settings(
        self,
        *,
        chat_id: int,
        kind: ChatKind,
        title: str | None,
        language: str,
        settings: ChatSettings,
        now: datetime,
        pin_switched_by: int | None = None,
    ) -> None:
        """Store a chat's settings (registering the chat first if the bot did not know it).

        `pin_switched_by`: who switched pinning, and so lifts a refusal to pin.
        """
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO chats (id, kind, title, language, active, updated_at)
                   VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (id) DO NOTHING""",
                (chat_id, kind, title, language, _ts(now)),
            )
            await db.execute(
                """INSERT INTO chat_settings (chat_id, data) VALUES (?, ?)
                   ON CONFLICT (chat_id) DO UPDATE SET data = excluded.data""",
                (chat_id, settings.model_dump_json()),
            )
            if pin_switched_by is not None:
                await db.execute(
                    "UPDATE chats SET pin_by = ?, pin_refused = 0 WHERE id = ?",
                    (pin_switched_by, chat_id),
                )

    async def set_tariff(
        self,
        *,
        chat_id: int,
        kind: ChatKind,
        title: str | None,
        language: str,
        tariff: float | None,
        now: datetime,
    ) -> None:
        """Store a chat's price per kWh, None for none (registering the chat if it is new)."""
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO chats (id, kind, title, language, active, updated_at, tariff)
                   VALUES (?, ?, ?, ?, 1, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET tariff = excluded.tariff""",
                (chat_id, kind, title, language, _ts(now), tariff),
            )

    async def reactivate_chat(self, chat_id: int, now: datetime) -> None:
        """Mark a chat as reachable again (the bot was unblocked or re-added)."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE chats SET active = 1, updated_at = ? WHERE id = ?", (_ts(now), chat_id)
            )

    async def set_thread(self, chat_id: int, thread_id: int | None, name: str | None) -> bool:
        """Send a chat's notifications to forum topic `thread_id` (None: General).

        Returns whether that moved them. A known name is kept when the topic stays the same.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                """UPDATE chats SET thread_id = ?, thread_name = ?, thread_notice = 0
                   WHERE id = ? AND thread_id IS NOT ?""",
                (thread_id, name, chat_id, thread_id),
            )
            if cursor.rowcount == 0 and name is not None:
                await db.execute(
                    "UPDATE chats SET thread_name = ? WHERE id = ? AND thread_id IS ?",
                    (name, chat_id, thread_id),
                )
            return cursor.rowcount > 0

    async def thread_gone(self, chat_id: int, thread_id: int) -> None:
        """Telegram refused forum topic `thread_id`: the chat's notifications go to General,
        and the chat is owed word of it (unless /subscribe moved them elsewhere meanwhile)."""
        async with self._transaction() as db:
            await db.execute(
                """UPDATE chats SET thread_id = NULL, thread_name = NULL, thread_notice = 1
                   WHERE id = ? AND thread_id = ?""",
                (chat_id, thread_id),
            )

    async def pin_refused(self, chat_id: int) -> Chat | None:
        """Telegram refused the bot to pin in this chat: no more tries until /pin is used.

        Returns the chat the first time (whoever switched pinning on is to be told), else None.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE chats SET pin_refused = 1 WHERE id = ? AND pin_refused = 0", (chat_id,)
            )
            if cursor.rowcount == 0:
                return None
            cursor = await db.execute("SELECT * FROM chats WHERE id = ?", (chat_id,))
            row = await cursor.fetchone()
            return _chat(row) if row is not None else None

    async def card_pinned(self, delivery_id: int, *, pinned: bool) -> None:
        """Record that a live card was pinned (or unpinned)."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET pinned = ? WHERE id = ?", (1 if pinned else 0, delivery_id)
            )

    async def thread_notice_sent(self, chat_id: int) -> None:
        """The chat was told its notifications come to General now."""
        async with self._transaction() as db:
            await db.execute("UPDATE chats SET thread_notice = 0 WHERE id = ?", (chat_id,))

    # --- accounts -----------------------------------------------------------------------

    async def link_account(
        self,
        *,
        owner_id: int,
        owner_name: str,
        language: str,
        token_enc: bytes,
        fingerprint: str,
        now: datetime,
    ) -> LinkResult:
        """Store a validated token for a user.

        Re-linking the same Joulo account keeps what the bot remembers about it and resumes
        polling; linking a different one starts afresh: no chargers, no baseline and no poll
        yet (the account's first poll is its baseline).
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                "SELECT owner_id FROM accounts WHERE fingerprint = ?", (fingerprint,)
            )
            holder = await cursor.fetchone()
            if holder is not None and holder["owner_id"] != owner_id:
                raise FingerprintTaken("this Joulo account is linked by another Telegram user")
            await self._upsert_chat(
                db, chat_id=owner_id, kind="private", title=None, language=language, now=now
            )
            cursor = await db.execute(
                "SELECT id, fingerprint FROM accounts WHERE owner_id = ?", (owner_id,)
            )
            existing = await cursor.fetchone()
            same = existing is not None and existing["fingerprint"] == fingerprint
            if existing is None:
                cursor = await db.execute(
                    """INSERT INTO accounts (owner_id, owner_name, token_enc, fingerprint,
                           link_seq, status, linked_at)
                       VALUES (?, ?, ?, ?, 1, 'active', ?)""",
                    (owner_id, owner_name, token_enc, fingerprint, _ts(now)),
                )
                account_id = cursor.lastrowid
                assert account_id is not None  # noqa: S101
            else:
                account_id = existing["id"]
                await db.execute(
                    """UPDATE accounts SET owner_name = ?, token_enc = ?, fingerprint = ?,
                           link_seq = link_seq + 1, status = 'active', linked_at = ?
                       WHERE id = ?""",
                    (owner_name, token_enc, fingerprint, _ts(now), account_id),
                )
            if not same:
                await db.execute("DELETE FROM charger_states WHERE account_id = ?", (account_id,))
                await db.execute("DELETE FROM pending_ends WHERE account_id = ?", (account_id,))
                await db.execute("DELETE FROM money WHERE account_id = ?", (account_id,))
                await db.execute(
                    "UPDATE accounts SET baseline_at = NULL, last_success_at = NULL WHERE id = ?",
                    (account_id,),
                )
            cursor = await db.execute("SELECT * FROM accounts WHERE id = ?", (account_id,))
            row = await cursor.fetchone()
            assert row is not None  # noqa: S101
            return LinkResult(
                account=_account(row), new_account=existing is None, same_joulo_account=same
            )

    async def unlink_account(self, owner_id: int) -> bool:
        """Forget a user's account and everything derived from it (their invite links too).
        False if there was none."""
        async with self._transaction() as db:
            await db.execute("DELETE FROM invites WHERE owner_id = ?", (owner_id,))
            cursor = await db.execute("DELETE FROM accounts WHERE owner_id = ?", (owner_id,))
            return cursor.rowcount > 0

    async def encrypted_tokens(self) -> list[tuple[int, bytes]]:
        """Every account's token ciphertext, for key rotation."""
        rows = await self._fetchall("SELECT id, token_enc FROM accounts ORDER BY id")
        return [(row["id"], bytes(row["token_enc"])) for row in rows]

    async def replace_token_ciphertext(self, account_id: int, old: bytes, new: bytes) -> bool:
        """Swap a token's ciphertext, unless it changed meanwhile (a re-link)."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE accounts SET token_enc = ? WHERE id = ? AND token_enc = ?",
                (new, account_id, old),
            )
            return cursor.rowcount > 0

    async def account_for_owner(self, owner_id: int) -> Account | None:
        """The account linked by this Telegram user."""
        row = await self._fetchone("SELECT * FROM accounts WHERE owner_id = ?", (owner_id,))
        return _account(row) if row else None

    async def account(self, account_id: int) -> Account | None:
        """The account with this id."""
        row = await self._fetchone("SELECT * FROM accounts WHERE id = ?", (account_id,))
        return _account(row) if row else None

    async def accounts_to_poll(self, now: datetime, recheck_after: timedelta) -> list[Account]:
        """Active accounts, plus paused ones whose rejected token is due for a re-check."""
        rows = await self._fetchall(
            """SELECT * FROM accounts
               WHERE status = 'active'
                  OR (status = 'token_rejected' AND (checked_at IS NULL OR checked_at <= ?))
               ORDER BY id""",
            (_ts(now - recheck_after),),
        )
        return [_account(row) for row in rows]

    async def pause_account(
        self, account_id: int, *, link_seq: int, at: datetime, notice: Outgoing
    ) -> None:
        """Stop polling an account whose token was rejected, and record the owner's `notice`.

        Does nothing if the account was re-linked (`link_seq` changed) meanwhile.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                """UPDATE accounts SET status = 'token_rejected', checked_at = ?
                   WHERE id = ? AND link_seq = ?""",
                (_ts(at), account_id, link_seq),
            )
            if cursor.rowcount:
                await self._add_events(db, account_id, [notice], at)

    async def record_failure(
        self, account_id: int, since: datetime, announce: Outgoing | None
    ) -> None:
        """Remember when Joulo started failing for an account, and announce a long outage."""
        async with self._transaction() as db:
            await db.execute(
                """UPDATE accounts SET failing_since = COALESCE(failing_since, ?),
                       outage_announced = MAX(outage_announced, ?)
                   WHERE id = ?""",
                (_ts(since), 1 if announce else 0, account_id),
            )
            if announce is not None:
                await self._add_events(db, account_id, [announce], since)

    # --- subscriptions ------------------------------------------------------------------

    async def subscribe(
        self,
        *,
        chat_id: int,
        kind: ChatKind,
        title: str | None,
        language: str,
        account_id: int,
        by_user: int,
        now: datetime,
    ) -> bool:
        """Send an account's notifications to a chat. False if it already was subscribed."""
        async with self._transaction() as db:
            await self._upsert_chat(
                db, chat_id=chat_id, kind=kind, title=title, language=language, now=now
            )
            cursor = await db.execute(
                """INSERT INTO subscriptions (chat_id, account_id, subscribed_by, created_at)
                   VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                (chat_id, account_id, by_user, _ts(now)),
            )
            return cursor.rowcount > 0

    async def unsubscribe(self, chat_id: int, account_id: int) -> bool:
        """Stop an account's notifications in a chat. False if it was not subscribed."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE chat_id = ? AND account_id = ?",
                (chat_id, account_id),
            )
            return cursor.rowcount > 0

    async def subscribed_accounts(self, chat_id: int) -> list[Account]:
        """Accounts whose notifications go to this (group) chat."""
        rows = await self._fetchall(
            """SELECT * FROM accounts
                WHERE id IN (SELECT account_id FROM subscriptions WHERE chat_id = ?)
                ORDER BY id""",
            (chat_id,),
        )
        return [_account(row) for row in rows]

    async def charger_states(self, account_id: int) -> dict[str, ChargerState]:
        """The account's chargers as last written."""
        rows = await self._fetchall(
            "SELECT state FROM charger_states WHERE account_id = ? ORDER BY charger_id",
            (account_id,),
        )
        states = [ChargerState.model_validate_json(row["state"]) for row in rows]
        return {state.charger_id: state for state in states}

    async def pending_ends(self, account_id: int) -> list[PendingEnd]:
        """Ended sessions still waiting for their final figures."""
        rows = await self._fetchall(
            "SELECT data FROM pending_ends WHERE account_id = ? ORDER BY rowid", (account_id,)
        )
        return [PendingEnd.model_validate_json(row["data"]) for row in rows]

    async def last_polls(
        self,
    ) -> tuple[dict[int, dict[str, ChargerState]], dict[int, list[PendingEnd]]]:
        """Every account's chargers as last written and its ended sessions still waiting for
        their final figures, in two reads (what `charger_states` and `pending_ends` give one
        account at a time)."""
        states: dict[int, dict[str, ChargerState]] = {}
        for row in await self._fetchall(
            "SELECT account_id, state FROM charger_states ORDER BY account_id, charger_id"
        ):
            state = ChargerState.model_validate_json(row["state"])
            states.setdefault(row["account_id"], {})[state.charger_id] = state
        pending: dict[int, list[PendingEnd]] = {}
        for row in await self._fetchall("SELECT account_id, data FROM pending_ends ORDER BY rowid"):
            end = PendingEnd.model_validate_json(row["data"])
            pending.setdefault(row["account_id"], []).append(end)
        return states, pending

    @staticmethod
    async def _write_states(
        db: aiosqlite.Connection, account_id: int, states: Mapping[str, ChargerState]
    ) -> None:
        await db.executemany(
            "INSERT INTO charger_states (account_id, charger_id, state) VALUES (?, ?, ?)",
            [(account_id, cid, state.model_dump_json()) for cid, state in states.items()],
        )

    async def _add_events(
        self,
        db: aiosqlite.Connection,
        account_id: int,
        events: Iterable[Outgoing],
        now: datetime,
    ) -> int:
        """Insert events (ignoring ones already recorded), each with an outbox row per recipient
        and, if it says so, a row for its awaited credits."""
        created = 0
        for item in events:
            event = item.event
            cursor = await db.execute(
                """INSERT INTO events (account_id, key, kind, payload, created_at,
                                       charger_id, session_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, key) DO NOTHING""",
                (
                    account_id,
                    event.key,
                    event.kind,
                    event_to_json(event),
                    _ts(now),
                    getattr(event, "charger_id", None),
                    getattr(event, "session_id", None),
                ),
            )
            if cursor.rowcount == 0:
                continue
            created += 1
            event_id = cursor.lastrowid
            tag = getattr(event, "id_tag", None)
            if tag and tag.strip():
                await db.execute(
                    """INSERT INTO seen_tags (account_id, tag, first_seen_at) VALUES (?, ?, ?)
                       ON CONFLICT DO NOTHING""",
                    (account_id, tag_key(tag), _ts(now)),
                )
            if item.awaits_credits:
                await db.execute(
                    """INSERT INTO awaited_credits (event_id, account_id, checked_at)
                       VALUES (?, ?, ?)""",
                    (event_id, account_id, _ts(now)),
                )
            await db.execute(
                """INSERT INTO outbox (event_id, chat_id)
                   SELECT ?, owner_id FROM accounts WHERE id = ?
                   ON CONFLICT DO NOTHING""",
                (event_id, account_id),
            )
            if item.recipients == "everyone":  # also each active subscribed group
                await db.execute(
                    """INSERT INTO outbox (event_id, chat_id)
                       SELECT ?, subscriptions.chat_id FROM subscriptions
                       JOIN chats ON chats.id = subscriptions.chat_id
                       WHERE subscriptions.account_id = ? AND chats.active = 1
                       ORDER BY subscriptions.chat_id
                       ON CONFLICT DO NOTHING""",
                    (event_id, account_id),
                )
        return created

    async def record_poll(
        self,
        account_id: int,
        *,
        link_seq: int,
        states: Mapping[str, ChargerState],
        events: Iterable[Outgoing],
        new_pending: Iterable[PendingEnd],
        resolved_pending: Iterable[str],
        now: datetime,
    ) -> int:
        """Save a successful poll atomically: new state, events with their outbox, pending ends.

        Returns how many events were new. Does nothing if the account was unlinked or re-linked
        (`link_seq` changed) while the poll was under way: its observation is stale.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                """UPDATE accounts SET last_success_at = ?, baseline_at = COALESCE(baseline_at, ?),
                       failing_since = NULL, outage_announced = 0, status = 'active'
                   WHERE id = ? AND link_seq = ?""",
                (_ts(now), _ts(now), account_id, link_seq),
            )
            if cursor.rowcount == 0:
                return 0
            await db.execute("DELETE FROM charger_states WHERE account_id = ?", (account_id,))
            await self._write_states(db, account_id, states)
            if resolved_pending:
                await db.executemany(
                    "DELETE FROM pending_ends WHERE account_id = ? AND session_id = ?",
                    [(account_id, session_id) for session_id in resolved_pending],
                )
            if new_pending:
                await db.executemany(
                    """INSERT INTO pending_ends (account_id, session_id, data) VALUES (?, ?, ?)
                       ON CONFLICT DO NOTHING""",
                    [(account_id, p.session_id, p.model_dump_json()) for p in new_pending],
                )
            return await self._add_events(db, account_id, events, now)

    async def write_held_polls(self, held: Iterable[HeldPoll]) -> int:
        """Write polls that were held back, in one transaction; returns how many were written.

        A held poll of an account unlinked or re-linked since (`link_seq` changed) is skipped.
        """
        held = list(held)
        if not held:
            return 0
        guard = "EXISTS (SELECT 1 FROM accounts WHERE id = ? AND link_seq = ?)"
        with_states = [poll for poll in held if poll.states is not None]
        async with self._transaction() as db:
            await db.executemany(
                f"DELETE FROM charger_states WHERE account_id = ? AND {guard}",  # noqa: S608
                [(p.account_id, p.account_id, p.link_seq) for p in with_states],
            )
            await db.executemany(
                "INSERT INTO charger_states (account_id, charger_id, state) "
                f"SELECT ?, ?, ? WHERE {guard}",
                [
                    (p.account_id, cid, state.model_dump_json(), p.account_id, p.link_seq)
                    for p in with_states
                    for cid, state in (p.states or {}).items()
                ],
            )
            cursor = await db.executemany(
                "UPDATE accounts SET last_success_at = ? WHERE id = ? AND link_seq = ?",
                [(_ts(p.polled_at), p.account_id, p.link_seq) for p in held],
            )
            return cursor.rowcount

    async def accounts_awaiting_credits(self) -> set[int]:
        """The accounts with "finished" announcements still waiting for their ERE credits."""
        rows = await self._fetchall("SELECT DISTINCT account_id FROM awaited_credits")
        return {row["account_id"] for row in rows}

    async def awaited_credits(self, account_id: int) -> list[Awaited]:
        """An account's "finished" announcements still waiting for their ERE credits."""
        rows = await self._fetchall(
            """SELECT events.payload, awaited_credits.checked_at FROM awaited_credits
               JOIN events ON events.id = awaited_credits.event_id
               WHERE awaited_credits.account_id = ? ORDER BY awaited_credits.event_id""",
            (account_id,),
        )
        awaited = []
        for row in rows:
            finished = event_from_json(row["payload"])
            checked_at = _dt(row["checked_at"])
            if isinstance(finished, SessionFinished) and checked_at is not None:
                awaited.append(Awaited(finished, checked_at))
        return awaited

    async def record_credits(
        self,
        account_id: int,
        *,
        link_seq: int,
        credited: Iterable[Outgoing],
        settled: Iterable[str],
        now: datetime,
    ) -> int:
        """Save a look for late credits: the sessions credited (with their outbox rows), the
        keys no longer awaited (the credited ones among them, as `CreditNews.settled` has it),
        and `now` as the time of the look. Returns the new events.

        Does nothing if the account was unlinked or re-linked meanwhile.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                "SELECT 1 FROM accounts WHERE id = ? AND link_seq = ?", (account_id, link_seq)
            )
            if await cursor.fetchone() is None:
                return 0
            created = await self._add_events(db, account_id, credited, now)
            await db.executemany(
                """DELETE FROM awaited_credits WHERE event_id IN
                   (SELECT id FROM events WHERE account_id = ? AND key = ?)""",
                [(account_id, key) for key in settled],
            )
            await db.execute(
                "UPDATE awaited_credits SET checked_at = ? WHERE account_id = ?",
                (_ts(now), account_id),
            )
            return created

    # --- invite links -----------------------------------------------------------------

    async def add_invite(
        self, *, code_hash: str, owner_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Remember an invite link's code (by its hash) for its owner until `expires_at`."""
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO invites (code_hash, owner_id, created_at, expires_at)
                   VALUES (?, ?, ?, ?)""",
                (code_hash, owner_id, _ts(now), _ts(expires_at)),
            )

    async def invite(self, code_hash: str) -> Invite | None:
        """The invite whose code has this hash, if it is (still) stored."""
        row = await self._fetchone("SELECT * FROM invites WHERE code_hash = ?", (code_hash,))
        if row is None:
            return None
        return Invite(
            owner_id=row["owner_id"],
            created_at=datetime.fromisoformat(row["created_at"]),
            expires_at=datetime.fromisoformat(row["expires_at"]),
            used_at=_dt(row["used_at"]),
        )

    async def use_invite(self, code_hash: str, chat_id: int, now: datetime) -> bool:
        """Mark an invite used (in `chat_id`); False if it was used already or has expired."""
        async with self._transaction() as db:
            cursor = await db.execute(
                """UPDATE invites SET used_at = ?, used_in = ?
                   WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?""",
                (_ts(now), chat_id, code_hash, _ts(now)),
            )
            return cursor.rowcount > 0

    async def prune_invites(self, now: datetime) -> int:
        """Forget invites that expired before `now`, used or not; returns how many."""
        async with self._transaction() as db:
            cursor = await db.execute("DELETE FROM invites WHERE expires_at <= ?", (_ts(now),))
            return cursor.rowcount

    # --- names for charge cards ---------------------------------------------------------

    async def set_tag_name(self, account_id: int, tag: str, name: str, now: datetime) -> None:
        """Name (or rename) one of an account's RFID tags."""
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO tag_names (account_id, tag, name, updated_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (account_id, tag) DO UPDATE
                   SET name = excluded.name, updated_at = excluded.updated_at""",
                (account_id, tag, name, _ts(now)),
            )

    async def remove_tag_name(self, account_id: int, tag: str) -> bool:
        """Forget a tag's name. False if it had none."""
        async with self._transaction() as db:
            cursor = await db.execute(
                "DELETE FROM tag_names WHERE account_id = ? AND tag = ?", (account_id, tag)
            )
            return cursor.rowcount > 0

    async def seen_tags(self, account_id: int) -> set[str]:
        """The charge cards an account has been seen charging with (as `tag_key` has them)."""
        rows = await self._fetchall("SELECT tag FROM seen_tags WHERE account_id = ?", (account_id,))
        return {row["tag"] for row in rows}

    async def tag_names(self, account_id: int) -> dict[str, str]:
        """An account's tag names by tag."""
        rows = await self._fetchall(
            "SELECT tag, name FROM tag_names WHERE account_id = ? ORDER BY tag", (account_id,)
        )
        return {row["tag"]: row["name"] for row in rows}

    # --- outbox ---------------------------------------------------------------------------

    async def pending_deliveries(
        self, limit: int = 500, *, last: Collection[str] = ()
    ) -> list[Delivery]:
        """Unsent messages, oldest first, those of the event kinds `last` after all others.

        Callers keep per-chat order within what they are given.
        """
        waits = ", ".join("?" * len(last))
        rows = await self._fetchall(
            f"""SELECT outbox.id, outbox.chat_id, outbox.attempts, outbox.next_attempt_at,
                      events.account_id, events.payload, chats.language, chats.kind,
                      chats.thread_id, chats.thread_notice, chats.pin_refused, chats.tariff,
                      chat_settings.data AS settings
               FROM outbox
               JOIN events ON events.id = outbox.event_id
               JOIN chats ON chats.id = outbox.chat_id
               LEFT JOIN chat_settings ON chat_settings.chat_id = outbox.chat_id
               WHERE outbox.status = 'pending'
               ORDER BY events.kind IN ({waits}), outbox.id LIMIT ?""",  # noqa: S608
            (*last, limit),
        )
        deliveries = []
        for row in rows:
            settings = _settings(row["settings"])
            deliveries.append(
                Delivery(
                    id=row["id"],
                    chat_id=row["chat_id"],
                    account_id=row["account_id"],
                    language=row["language"],
                    attempts=row["attempts"],
                    next_attempt_at=_dt(row["next_attempt_at"]),
                    event=event_from_json(row["payload"]),
                    kind=row["kind"],
                    settings=settings,
                    thread_id=row["thread_id"],
                    thread_notice=bool(row["thread_notice"]),
                    pin_refused=bool(row["pin_refused"]),
                    tariff=row["tariff"],
                )
            )
        return deliveries

    async def mark_sent(
        self, delivery_id: int, message_id: int | None, now: datetime, *, card: bool = False
    ) -> None:
        """Record that Telegram accepted a message (`card`: it will be edited while live)."""
        async with self._transaction() as db:
            await db.execute(
                """UPDATE outbox SET status = 'sent', sent_at = ?, message_id = ?,
                       attempts = attempts + 1, error = NULL, card = ?
                   WHERE id = ?""",
                (_ts(now), message_id, "live" if card and message_id else None, delivery_id),
            )

    async def sent_message_id(self, account_id: int, key: str, chat_id: int) -> int | None:
        """The message id under which this account's event `key` was delivered to a chat."""
        row = await self._fetchone(
            """SELECT outbox.message_id FROM outbox
               JOIN events ON events.id = outbox.event_id
               WHERE events.account_id = ? AND events.key = ? AND outbox.chat_id = ?
                 AND outbox.status = 'sent'""",
            (account_id, key, chat_id),
        )
        return None if row is None or row["message_id"] is None else int(row["message_id"])

    async def live_cards(self) -> list[LiveCard]:
        """Every "started" message still edited in place, with what is needed to redraw it."""
        rows = await self._fetchall(
            """SELECT outbox.id, outbox.chat_id, outbox.message_id, outbox.pinned,
                      events.account_id,
                      accounts.link_seq, events.payload, chats.language, chats.tariff,
                      chats.kind, chat_settings.data AS settings,
                      (SELECT payload FROM events AS fin
                        WHERE fin.account_id = events.account_id
                          AND fin.session_id = events.session_id
                          AND fin.charger_id = events.charger_id
                          AND fin.kind = 'session_finished') AS finished,
                      (SELECT MAX(edited_at) FROM outbox AS other
                        WHERE other.chat_id = outbox.chat_id) AS chat_edited_at
               FROM outbox
               JOIN events ON events.id = outbox.event_id
               JOIN accounts ON accounts.id = events.account_id
               JOIN chats ON chats.id = outbox.chat_id
               LEFT JOIN chat_settings ON chat_settings.chat_id = outbox.chat_id
               WHERE outbox.card = 'live' AND chats.active = 1
               ORDER BY outbox.id"""
        )
        cards = []
        for row in rows:
            started = event_from_json(row["payload"])
            finished = event_from_json(row["finished"]) if row["finished"] else None
            if not isinstance(started, SessionStarted):
                continue
            settings = _settings(row["settings"])
            cards.append(
                LiveCard(
                    delivery_id=row["id"],
                    chat_id=row["chat_id"],
                    account_id=row["account_id"],
                    link_seq=row["link_seq"],
                    message_id=row["message_id"],
                    language=row["language"],
                    settings=settings,
                    started=started,
                    finished=finished if isinstance(finished, SessionFinished) else None,
                    chat_edited_at=_dt(row["chat_edited_at"]),
                    pinned=bool(row["pinned"]),
                    tariff=row["tariff"],
                    kind=row["kind"],
                )
            )
        return cards

    async def card_edited(self, delivery_id: int, now: datetime, *, closed: bool) -> None:
        """Record an edit of a live card; `closed` ends its editing (final figures shown)."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET edited_at = ?, card = ? WHERE id = ?",
                (_ts(now), "closed" if closed else "live", delivery_id),
            )

    async def record_digest(self, account_id: int, digest: Outgoing, now: datetime) -> bool:
        """Record an account's monthly digest with its outbox rows; False if it already was."""
        async with self._transaction() as db:
            return await self._add_events(db, account_id, [digest], now) > 0

    async def accounts_with_event(self, key: str) -> set[int]:
        """The accounts whose event `key` was already recorded."""
        rows = await self._fetchall(
            """SELECT id FROM accounts WHERE EXISTS
               (SELECT 1 FROM events WHERE account_id = accounts.id AND key = ?)""",
            (key,),
        )
        return {row["id"] for row in rows}

    async def mark_dropped(self, delivery_id: int, reason: str) -> None:
        """Give up on a message that can never be delivered."""
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'dropped', attempts = attempts + 1, error = ? "
                "WHERE id = ?",
                (reason[:200], delivery_id),
            )

    async def postpone(self, delivery_id: int, until: datetime, reason: str) -> None:
        """Try a message again later."""
        async with self._transaction() as db:
            await db.execute(
                """UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ?
                   WHERE id = ?""",
                (_ts(until), reason[:200], delivery_id),
            )

    async def prune(self, before: datetime) -> int:
        """Forget delivered or dropped notifications created before `before`; returns how many.

        Events still waiting for a delivery are kept. Dedupe does not need old events: the
        remembered charger state already says what was announced.
        """
        async with self._transaction() as db:
            cutoff = _ts(before)
            await db.execute(
                """DELETE FROM outbox WHERE status != 'pending'
                   AND event_id IN (SELECT id FROM events WHERE created_at < ?)""",
                (cutoff,),
            )
            cursor = await db.execute(
                """DELETE FROM events WHERE created_at < ? AND NOT EXISTS
                   (SELECT 1 FROM outbox WHERE outbox.event_id = events.id)""",
                (cutoff,),
            )
            return cursor.rowcount

    # --- money --------------------------------------------------------------------------------

    async def credit_price(self, account_id: int) -> CreditPrice | None:
        """The price per ERE credit this account's texts use; None: show no euros."""
        return (await self.credit_prices([account_id])).get(account_id)

    async def credit_prices(self, account_ids: Iterable[int]) -> dict[int, CreditPrice]:
        """`credit_price` of several accounts in one query (those without a price are left out)."""
        ids = sorted(set(account_ids))
        if not ids:
            return {}
        rows = await self._fetchall(
            f"""SELECT account_id, price_eur, price_source, price_net, price_as_of FROM money
                WHERE price_eur IS NOT NULL AND account_id IN ({", ".join("?" * len(ids))})""",  # noqa: S608
            ids,
        )
        prices = {}
        for row in rows:
            as_of = _dt(row["price_as_of"])
            if as_of is not None and row["price_source"] in ("account", "feed"):
                prices[int(row["account_id"])] = CreditPrice(
                    eur=float(row["price_eur"]),
                    source=row["price_source"],
                    as_of=as_of,
                    net_of_fee=bool(row["price_net"]),
                )
        return prices

    async def money_checks(self) -> dict[int, tuple[datetime, MoneyMark | None]]:
        """Per account the money job looked at: when it last did, and what it saw of payouts."""
        rows = await self._fetchall("SELECT account_id, checked_at, mark FROM money")
        checks = {}
        for row in rows:
            checked_at = _dt(row["checked_at"])
            assert checked_at is not None  # noqa: S101  (NOT NULL column)
            mark = None if row["mark"] is None else MoneyMark.model_validate_json(row["mark"])
            checks[int(row["account_id"])] = (checked_at, mark)
        return checks

    async def money_mark(self, account_id: int) -> MoneyMark | None:
        """What the money job last saw of an account's payouts (None: never looked yet)."""
        row = await self._fetchone("SELECT mark FROM money WHERE account_id = ?", (account_id,))
        if row is None or row["mark"] is None:
            return None
        return MoneyMark.model_validate_json(row["mark"])

    async def record_money(
        self,
        account_id: int,
        *,
        link_seq: int,
        checked_at: datetime,
        price: CreditPrice | None,
        mark: MoneyMark | None,
        events: Iterable[Outgoing] = (),
    ) -> int:
        """Save a look at an account's money: its price, its mark (None: keep the stored one),
        and the announcements it made, in one transaction. Returns the new events.

        Does nothing if the account was unlinked or re-linked meanwhile.
        """
        async with self._transaction() as db:
            cursor = await db.execute(
                "SELECT 1 FROM accounts WHERE id = ? AND link_seq = ?", (account_id, link_seq)
            )
            if await cursor.fetchone() is None:
                return 0
            await db.execute(
                """INSERT INTO money (account_id, checked_at, price_eur, price_source, price_net,
                       price_as_of, mark)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (account_id) DO UPDATE SET checked_at = excluded.checked_at,
                       price_eur = excluded.price_eur, price_source = excluded.price_source,
                       price_net = excluded.price_net, price_as_of = excluded.price_as_of,
                       mark = COALESCE(excluded.mark, money.mark)""",
                (
                    account_id,
                    _ts(checked_at),
                    None if price is None else price.eur,
                    None if price is None else price.source,
                    1 if price is None or price.net_of_fee else 0,
                    None if price is None else _ts(price.as_of),
                    None if mark is None else mark.model_dump_json(),
                ),
            )
            return await self._add_events(db, account_id, events, checked_at)

    # --- health -----------------------------------------------------------------------------

    async def set_meta(self, key: str, value: str) -> None:
        """Store a small named value (heartbeat and the like)."""
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def meta(self, key: str) -> str | None:
        """Read a named value."""
        row = await self._fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def operating_counts(self) -> OperatingCounts:
        """Messages waiting in the outbox, and accounts by status (`failing`: active, failing)."""
        pending = await self._fetchone("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
        rows = await self._fetchall(
            """SELECT CASE WHEN status = 'active' AND failing_since IS NOT NULL THEN 'failing'
                           ELSE status END AS shown, COUNT(*) AS n
               FROM accounts GROUP BY shown"""
        )
        return OperatingCounts(
            outbox_pending=int(pending["n"]) if pending else 0,
            accounts={str(row["shown"]): int(row["n"]) for row in rows},
        )


def read_meta_readonly(path: Path, key: str) -> str | None:
    """Read a named value without the event loop and without creating the database."""
    if not path.exists():
        return None
    uri = path.resolve().as_uri() + "?mode=ro"  # as_uri() escapes '#', '?' and '%'
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


def copy_database(source: Path, target: Path) -> None:
    """Copy a database the bot may be using into the new file `target`, and check the copy.

    SQLite's online backup API copies every page in one read transaction: a consistent moment,
    while the bot (in WAL mode) goes on writing. The copy is switched to a rollback journal, so
    it is one self-contained file. Raises StoreError when the source cannot be read or written
    from, or the copy fails `PRAGMA integrity_check`.
    """
    # mode=rw: never create a database; SQLite falls back to reading a file it may not write.
    uri = source.resolve().as_uri() + "?mode=rw"
    with (
        _sqlite_errors(),
        contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as live,
        contextlib.closing(sqlite3.connect(target, isolation_level=None)) as copy,
    ):
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        problems = [str(row[0]) for row in copy.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise StoreError(f"the copy failed its integrity check: {'; '.join(problems[:3])}")
