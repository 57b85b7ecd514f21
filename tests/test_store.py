"""The store keeps the bot's memory in one SQLite file, safely and exactly once.

Pins down: the schema and its `user_version` (created once, never re-run, a newer database is
refused; a file that is not a database is refused untouched, with no connection thread left),
WAL mode, every sqlite3 error reaching callers once as StoreError, tokens at rest only as
Fernet ciphertext (and the cipher itself: rotation, unknown keys, the generated key file, the
fingerprint), re-linking rules, one transaction per poll with one outbox row per recipient (the
owner always, active subscribed groups unless the event is owner-only), no duplicate
notifications, the outbox life cycle, dropping a chat, unlinking that leaves no row behind, and
the read-only heartbeat probe used by the healthcheck.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import stat
import threading
import traceback
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest
from cryptography.fernet import Fernet

from bot import store as store_module
from bot.core.events import (
    ChargerOffline,
    Event,
    GroupLost,
    SessionFinished,
    SessionStarted,
    TokenRejected,
)
from bot.core.outgoing import outgoing, outgoing_all
from bot.core.state import ChargerState, PendingEnd
from bot.crypto import (
    KEY_FILE_NAME,
    TokenCipher,
    TokenUndecryptable,
    load_or_create_key_file,
    token_fingerprint,
)
from bot.store import (
    SCHEMA_VERSION,
    SQLITE_HEADER,
    Account,
    FingerprintTaken,
    Store,
    StoreError,
    read_meta_readonly,
)
from bot.tasks import cancel_and_wait

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
OWNER = 1001
OTHER_OWNER = 2002
GROUP = -100500
SECOND_GROUP = -100600
TOKEN = "joulo_Q7wE9rT1yU3iO5pA7sD9fG1hJ3kL5zX7"
OTHER_TOKEN = "joulo_M2nB4vC6xZ8lK0jH2gF4dS6aP8oI0uY2"
ACCOUNT_TABLES = (
    "accounts",
    "subscriptions",
    "charger_states",
    "pending_ends",
    "events",
    "outbox",
    "tag_names",
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test database lives."""
    return tmp_path / "x.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    """A real store on a fresh SQLite file, closed after the test."""
    opened = await Store.open(db_path)
    yield opened
    await opened.close()


@pytest.fixture
def cipher() -> TokenCipher:
    """A cipher with one fresh key."""
    return TokenCipher([Fernet.generate_key().decode()])


def state(charger_id: str, name: str = "Garage", *, charging: bool = False) -> ChargerState:
    """What the bot would remember about a charger at NOW."""
    return ChargerState(
        charger_id=charger_id,
        name=name,
        status="online",
        online=True,
        is_charging=charging,
        observed_at=NOW,
    )


def started(session_id: str, charger_id: str = "c1") -> SessionStarted:
    """A session-started event on `charger_id`."""
    return SessionStarted(
        charger_id=charger_id, charger_name="Garage", session_id=session_id, started_at=NOW
    )


async def link(
    store: Store,
    cipher: TokenCipher,
    *,
    owner: int = OWNER,
    token: str = TOKEN,
    now: datetime = NOW,
) -> Account:
    """Link `token` for `owner` the way the bot does after Joulo accepted it."""
    result = await store.link_account(
        owner_id=owner,
        owner_name=f"user {owner}",
        language="en",
        token_enc=cipher.encrypt(token),
        fingerprint=token_fingerprint(token),
        now=now,
    )
    return result.account


async def subscribe(store: Store, account: Account, chat_id: int, language: str = "nl") -> None:
    """Subscribe a group chat to an account."""
    await store.subscribe(
        chat_id=chat_id,
        kind="group",
        title=f"group {chat_id}",
        language=language,
        account_id=account.id,
        by_user=account.owner_id,
        now=NOW,
    )


async def record(
    store: Store,
    account: Account,
    *events: Event,
    states: Mapping[str, ChargerState] | None = None,
    new_pending: Sequence[PendingEnd] = (),
    resolved_pending: Sequence[str] = (),
) -> int:
    """Record a poll (by default one that saw charger c1 charging) that produced `events`."""
    return await store.record_poll(
        account.id,
        link_seq=account.link_seq,
        states=states if states is not None else {"c1": state("c1", charging=True)},
        events=outgoing_all(events),
        new_pending=new_pending,
        resolved_pending=resolved_pending,
        now=NOW,
    )


def count_rows(path: Path, table: str) -> int:
    """Count a table's rows with plain sqlite3, outside the store."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        row = db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    return int(row[0])


def pragma(path: Path, name: str) -> object:
    """Read a PRAGMA with plain sqlite3."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(f"PRAGMA {name}").fetchone()[0]


async def close_orphaned_connection(err: BaseException) -> None:
    """Clean-up only: close a connection in case a failed Store.open leaked one."""
    for frame, _ in traceback.walk_tb(err.__traceback__):
        orphan = frame.f_locals.get("db")
        if isinstance(orphan, aiosqlite.Connection):
            await orphan.close()


# --- schema and migrations ----------------------------------------------------------------


async def test_a_fresh_file_gets_the_schema_and_the_current_schema_version(db_path):
    store = await Store.open(db_path)
    await store.close()

    with contextlib.closing(sqlite3.connect(db_path)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"chats", "meta", *ACCOUNT_TABLES} <= tables
    assert pragma(db_path, "user_version") == SCHEMA_VERSION


async def test_the_database_directory_is_created_when_missing(tmp_path):
    path = tmp_path / "data" / "deeper" / "bot.sqlite3"

    store = await Store.open(path)
    await store.close()

    assert path.is_file()


async def test_reopening_an_up_to_date_database_changes_nothing(db_path, cipher):
    store = await Store.open(db_path)
    account = await link(store, cipher)
    await store.set_meta("heartbeat", "still here")
    await store.close()

    reopened = await Store.open(db_path)
    try:
        assert await reopened.meta("heartbeat") == "still here"
        assert await reopened.account_for_owner(OWNER) == account
    finally:
        await reopened.close()
    assert pragma(db_path, "user_version") == SCHEMA_VERSION


async def test_a_database_at_the_first_schema_is_upgraded_keeping_its_rows(db_path, cipher):
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.executescript(f"{store_module._MIGRATIONS[0]}\nPRAGMA user_version=1;")
        db.execute(
            "INSERT INTO chats (id, kind, language, updated_at) VALUES (?, 'private', 'nl', ?)",
            (OWNER, NOW.isoformat()),
        )
        db.execute(
            "INSERT INTO accounts (owner_id, owner_name, token_enc, fingerprint, linked_at) "
            "VALUES (?, 'old user', ?, ?, ?)",
            (OWNER, cipher.encrypt(TOKEN), token_fingerprint(TOKEN), NOW.isoformat()),
        )
        db.commit()

    store = await Store.open(db_path)
    try:
        account = await store.account_for_owner(OWNER)
        chat = await store.chat(OWNER)
    finally:
        await store.close()

    assert pragma(db_path, "user_version") == SCHEMA_VERSION
    assert account is not None
    assert (account.owner_name, account.status) == ("old user", "active")
    assert cipher.decrypt(account.token_enc) == TOKEN
    assert chat is not None
    assert chat.language == "nl"


async def test_events_recorded_before_their_columns_get_them_from_their_payload(db_path, cipher):
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        for script in store_module._MIGRATIONS[:6]:
            db.executescript(script)
        db.execute("PRAGMA user_version=6")
        db.execute(
            "INSERT INTO accounts (owner_id, owner_name, token_enc, fingerprint, linked_at) "
            "VALUES (?, 'old user', ?, ?, ?)",
            (OWNER, cipher.encrypt(TOKEN), token_fingerprint(TOKEN), NOW.isoformat()),
        )
        for event in (started("s1"), TokenRejected(link_seq=1, at=NOW)):
            db.execute(
                "INSERT INTO events (account_id, key, kind, payload, created_at) "
                "VALUES (1, ?, ?, ?, ?)",
                (event.key, event.kind, event.model_dump_json(), NOW.isoformat()),
            )
        db.commit()

    store = await Store.open(db_path)
    await store.close()

    with contextlib.closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("SELECT kind, charger_id, session_id FROM events ORDER BY id").fetchall()
    assert rows == [("session_started", "c1", "s1"), ("token_rejected", None, None)]


async def test_the_database_runs_in_wal_mode(store, db_path):
    assert pragma(db_path, "journal_mode") == "wal"


async def test_a_database_newer_than_the_code_is_refused_and_left_untouched(db_path):
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
        db.commit()

    with pytest.raises(StoreError, match="newer") as caught:
        await Store.open(db_path)
    await close_orphaned_connection(caught.value)

    assert pragma(db_path, "user_version") == SCHEMA_VERSION + 1
    assert count_rows(db_path, "sqlite_master") == 0


async def test_refusing_a_newer_database_leaves_no_connection_thread_running(db_path):
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
        db.commit()
    before = set(threading.enumerate())

    try:
        await Store.open(db_path)
    except StoreError as err:
        # While the error is still alive, as it is when it propagates out of asyncio.run().
        leaked = [t for t in threading.enumerate() if t not in before]
        for thread in leaked:
            thread.join(timeout=0.5)
        still_running = [t.name for t in leaked if t.is_alive()]
        await close_orphaned_connection(err)
    else:
        pytest.fail("a newer database was accepted")

    assert still_running == []


async def test_a_file_that_is_not_a_database_is_refused_untouched_leaving_no_thread(db_path):
    junk = b"not a database, just notes\n" * 100
    db_path.write_bytes(junk)

    with pytest.raises(StoreError, match="it is not a database") as caught:
        await Store.open(db_path)  # seen before SQLite opens it

    assert caught.value.__cause__ is None
    assert db_path.read_bytes() == junk
    assert [p.name for p in db_path.parent.iterdir()] == [db_path.name]


async def test_a_damaged_database_is_refused_untouched_leaving_no_thread(db_path):
    junk = SQLITE_HEADER + b"not a database, just notes\n" * 100  # SQLite's own check
    db_path.write_bytes(junk)
    before = set(threading.enumerate())

    with pytest.raises(StoreError, match="not a database") as caught:
        await Store.open(db_path)

    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    leaked = [t for t in threading.enumerate() if t not in before]
    for thread in leaked:
        thread.join(timeout=0.5)
    assert [t.name for t in leaked if t.is_alive()] == []
    assert db_path.read_bytes() == junk
    assert [p.name for p in db_path.parent.iterdir()] == [db_path.name]


async def test_a_folder_that_cannot_be_made_is_a_store_error(tmp_path):
    (tmp_path / "data").write_text("a file in the way")

    with pytest.raises(StoreError, match="is not a folder"):
        await Store.open(tmp_path / "data" / "bot.sqlite3")


async def test_sqlite_errors_reach_callers_as_store_errors_and_the_store_stays_usable(
    store, db_path, cipher
):
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.execute("DROP TABLE meta")
        db.commit()

    with pytest.raises(StoreError, match="no such table") as reading:
        await store.meta("heartbeat")
    with pytest.raises(StoreError, match="no such table") as writing:
        await store.set_meta("heartbeat", "now")

    for caught in (reading, writing):  # translated once, straight from sqlite3
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    account = await link(store, cipher)  # the failed transaction was rolled back
    assert await store.account_for_owner(OWNER) == account


# --- tokens at rest ---------------------------------------------------------------------------


async def test_linking_stores_only_the_encrypted_token(db_path, cipher):
    store = await Store.open(db_path)
    try:
        account = await link(store, cipher)
        files = [p for p in (db_path, db_path.with_name(db_path.name + "-wal")) if p.exists()]
        raw_while_open = b"".join(p.read_bytes() for p in files)
    finally:
        await store.close()
    raw_after_close = b"".join(p.read_bytes() for p in db_path.parent.glob("x.sqlite3*"))

    assert cipher.decrypt(account.token_enc) == TOKEN
    assert account.token_enc in raw_while_open or account.token_enc in raw_after_close
    assert TOKEN.encode() not in raw_while_open
    assert TOKEN.encode() not in raw_after_close
    assert TOKEN.removeprefix("joulo_").encode() not in raw_after_close


async def test_a_token_round_trips_through_the_cipher(cipher):
    blob = cipher.encrypt(TOKEN)

    assert TOKEN.encode() not in blob
    assert cipher.decrypt(blob) == TOKEN


async def test_a_new_key_still_reads_tokens_encrypted_with_the_old_one():
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher([old_key]).encrypt(TOKEN)
    rotating = TokenCipher([new_key, old_key])

    rotated = rotating.rotate(stored)

    assert rotating.decrypt(stored) == TOKEN
    assert TokenCipher([new_key]).decrypt(rotated) == TOKEN
    with pytest.raises(TokenUndecryptable):
        TokenCipher([old_key]).decrypt(rotated)


async def test_a_token_encrypted_with_an_unknown_key_is_undecryptable(cipher):
    foreign = TokenCipher([Fernet.generate_key().decode()]).encrypt(TOKEN)

    with pytest.raises(TokenUndecryptable):
        cipher.decrypt(foreign)
    with pytest.raises(TokenUndecryptable):
        cipher.rotate(foreign)


async def test_the_generated_key_file_is_private_and_reused(tmp_path):
    directory = tmp_path / "data"

    first = load_or_create_key_file(directory)
    second = load_or_create_key_file(directory)

    key_file = directory / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert second == first
    assert TokenCipher([second]).decrypt(TokenCipher([first]).encrypt(TOKEN)) == TOKEN


async def test_the_fingerprint_is_stable_distinct_and_does_not_reveal_the_token():
    fingerprint = token_fingerprint(TOKEN)

    assert fingerprint == token_fingerprint(TOKEN)
    assert fingerprint != token_fingerprint(OTHER_TOKEN)
    assert TOKEN not in fingerprint
    assert TOKEN.removeprefix("joulo_") not in fingerprint


# --- linking ----------------------------------------------------------------------------------


async def test_relinking_the_same_token_keeps_what_the_bot_remembers(store, cipher):
    first = await link(store, cipher)
    await record(store, first, started("s1"), states={"c1": state("c1", charging=True)})
    pending = PendingEnd(
        charger_id="c1",
        charger_name="Garage",
        session_id="s0",
        started_at=NOW - timedelta(hours=2),
        last_kwh=9.5,
        observed_end_at=NOW,
    )
    await record(store, first, new_pending=[pending], states={"c1": state("c1", charging=True)})

    result = await store.link_account(
        owner_id=OWNER,
        owner_name="renamed",
        language="en",
        token_enc=cipher.encrypt(TOKEN),
        fingerprint=token_fingerprint(TOKEN),
        now=NOW + timedelta(hours=1),
    )

    assert result.new_account is False
    assert result.same_joulo_account is True
    assert result.account.id == first.id
    assert result.account.link_seq == first.link_seq + 1
    assert result.account.owner_name == "renamed"
    assert await store.charger_states(first.id) == {"c1": state("c1", charging=True)}
    assert await store.pending_ends(first.id) == [pending]


async def test_linking_a_different_token_starts_afresh(store, cipher):
    first = await link(store, cipher)
    await record(store, first, started("s1"), states={"c1": state("c1", charging=True)})
    await record(
        store,
        first,
        new_pending=[
            PendingEnd(
                charger_id="c1",
                charger_name="Garage",
                session_id="s0",
                started_at=NOW,
                last_kwh=1.0,
                observed_end_at=NOW,
            )
        ],
    )
    later = NOW + timedelta(hours=1)

    result = await store.link_account(
        owner_id=OWNER,
        owner_name="user",
        language="en",
        token_enc=cipher.encrypt(OTHER_TOKEN),
        fingerprint=token_fingerprint(OTHER_TOKEN),
        now=later,
    )

    assert result.new_account is False
    assert result.same_joulo_account is False
    assert cipher.decrypt(result.account.token_enc) == OTHER_TOKEN
    assert await store.charger_states(first.id) == {}
    assert await store.pending_ends(first.id) == []
    assert result.account.baseline_at is None  # its first poll is the baseline
    assert result.account.last_success_at is None


async def test_another_user_cannot_link_an_account_that_is_already_linked(store, cipher):
    mine = await link(store, cipher, owner=OWNER, token=TOKEN)

    with pytest.raises(FingerprintTaken):
        await link(store, cipher, owner=OTHER_OWNER, token=TOKEN)

    assert await store.account_for_owner(OTHER_OWNER) is None
    assert await store.chat(OTHER_OWNER) is None
    assert await store.account_for_owner(OWNER) == mine


# --- polls, events and the outbox ----------------------------------------------------------


async def test_a_poll_writes_states_events_and_one_outbox_row_per_recipient(store, cipher):
    account = await link(store, cipher)
    await subscribe(store, account, GROUP, language="nl")
    other = await link(store, cipher, owner=OTHER_OWNER, token=OTHER_TOKEN)
    await subscribe(store, other, -999)
    pending = PendingEnd(
        charger_id="c1",
        charger_name="Garage",
        session_id="s0",
        started_at=NOW,
        last_kwh=3.2,
        observed_end_at=NOW,
    )

    created = await record(
        store,
        account,
        started("s1"),
        states={"c1": state("c1", charging=True), "c2": state("c2", "Oprit")},
        new_pending=[pending],
    )

    assert created == 1
    assert await store.charger_states(account.id) == {
        "c1": state("c1", charging=True),
        "c2": state("c2", "Oprit"),
    }
    assert await store.pending_ends(account.id) == [pending]
    deliveries = await store.pending_deliveries()
    assert [(d.chat_id, d.language, d.event) for d in deliveries] == [
        (OWNER, "en", started("s1")),
        (GROUP, "nl", started("s1")),
    ]
    assert {d.account_id for d in deliveries} == {account.id}
    polled = await store.account(account.id)
    assert polled is not None
    assert polled.last_success_at == NOW


async def test_a_resolved_pending_end_is_forgotten(store, cipher):
    account = await link(store, cipher)
    pending = PendingEnd(
        charger_id="c1",
        charger_name="Garage",
        session_id="s0",
        started_at=NOW,
        last_kwh=3.2,
        observed_end_at=NOW,
    )
    await record(store, account, new_pending=[pending])

    await record(store, account, resolved_pending=["s0"])

    assert await store.pending_ends(account.id) == []


async def test_the_token_rejected_notice_goes_to_the_owner_only(store, cipher):
    account = await link(store, cipher)
    await subscribe(store, account, GROUP)

    notice = outgoing(TokenRejected(link_seq=account.link_seq, at=NOW))
    await store.pause_account(account.id, link_seq=account.link_seq, at=NOW, notice=notice)

    deliveries = await store.pending_deliveries()
    assert [(d.chat_id, d.event.kind) for d in deliveries] == [(OWNER, "token_rejected")]
    paused = await store.account(account.id)
    assert paused is not None
    assert paused.status == "token_rejected"
    hourly = timedelta(hours=1)
    assert await store.accounts_to_poll(NOW + timedelta(minutes=5), hourly) == []
    assert [a.id for a in await store.accounts_to_poll(NOW + hourly, hourly)] == [account.id]


async def test_a_token_rejected_event_recorded_by_a_poll_also_skips_the_groups(store, cipher):
    account = await link(store, cipher)
    await subscribe(store, account, GROUP)

    await record(store, account, TokenRejected(link_seq=1, at=NOW), started("s1"))

    deliveries = await store.pending_deliveries()
    assert [(d.chat_id, d.event.kind) for d in deliveries] == [
        (OWNER, "token_rejected"),
        (OWNER, "session_started"),
        (GROUP, "session_started"),
    ]


async def test_a_rejection_of_a_token_replaced_meanwhile_does_not_alarm_the_owner(store, cipher):
    before = await link(store, cipher, token=TOKEN)
    await link(store, cipher, token=OTHER_TOKEN)  # the user re-linked during the poll

    notice = outgoing(TokenRejected(link_seq=before.link_seq, at=NOW))
    await store.pause_account(before.id, link_seq=before.link_seq, at=NOW, notice=notice)

    now_linked = await store.account(before.id)
    assert now_linked is not None
    assert now_linked.status == "active"
    assert await store.pending_deliveries() == []


async def test_recording_the_same_event_twice_notifies_once(store, cipher, db_path):
    account = await link(store, cipher)
    await subscribe(store, account, GROUP)

    first = await record(store, account, started("s1"))
    again = await record(store, account, started("s1"))

    assert (first, again) == (1, 0)
    assert count_rows(db_path, "events") == 1
    assert count_rows(db_path, "outbox") == 2
    assert len(await store.pending_deliveries()) == 2


async def test_an_event_already_sent_is_not_queued_again(store, cipher):
    account = await link(store, cipher)
    await record(store, account, started("s1"))
    (delivery,) = await store.pending_deliveries()
    await store.mark_sent(delivery.id, message_id=77, now=NOW)

    again = await record(store, account, started("s1"))

    assert again == 0
    assert await store.pending_deliveries() == []


async def test_a_poll_for_an_account_unlinked_meanwhile_is_ignored(store, cipher, db_path):
    account = await link(store, cipher)
    await store.unlink_account(OWNER)

    created = await record(store, account, started("s1"))

    assert created == 0
    assert count_rows(db_path, "charger_states") == 0
    assert count_rows(db_path, "events") == 0


async def test_pending_deliveries_come_oldest_first(store, cipher):
    account = await link(store, cipher)
    await subscribe(store, account, GROUP)
    await record(store, account, started("s1"))
    finished = SessionFinished(
        charger_id="c1",
        charger_name="Garage",
        session_id="s1",
        started_at=NOW,
        ended_at=NOW + timedelta(hours=1),
        kwh=7.4,
        ere_credits=2.44,
    )
    await record(store, account, finished)
    await record(store, account, started("s2"))

    deliveries = await store.pending_deliveries()

    assert [d.id for d in deliveries] == sorted(d.id for d in deliveries)
    assert [(d.chat_id, d.event) for d in deliveries] == [
        (OWNER, started("s1")),
        (GROUP, started("s1")),
        (OWNER, finished),
        (GROUP, finished),
        (OWNER, started("s2")),
        (GROUP, started("s2")),
    ]
    assert [d.id for d in await store.pending_deliveries(limit=2)] == [d.id for d in deliveries[:2]]


async def test_a_sent_message_leaves_the_queue(store, cipher, db_path):
    account = await link(store, cipher)
    await record(store, account, started("s1"))
    (delivery,) = await store.pending_deliveries()

    await store.mark_sent(delivery.id, message_id=42, now=NOW)

    assert await store.pending_deliveries() == []
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        row = db.execute("SELECT status, message_id, attempts FROM outbox").fetchone()
    assert row == ("sent", 42, 1)


async def test_a_postponed_message_stays_queued_with_its_retry_time(store, cipher):
    account = await link(store, cipher)
    await record(store, account, started("s1"))
    (delivery,) = await store.pending_deliveries()
    retry_at = NOW + timedelta(seconds=30)

    await store.postpone(delivery.id, retry_at, "flood control")

    (again,) = await store.pending_deliveries()
    assert again.id == delivery.id
    assert again.attempts == 1
    assert again.next_attempt_at == retry_at


async def test_a_dropped_message_leaves_the_queue(store, cipher, db_path):
    account = await link(store, cipher)
    await record(store, account, started("s1"))
    (delivery,) = await store.pending_deliveries()

    await store.mark_dropped(delivery.id, "chat not found")

    assert await store.pending_deliveries() == []
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        row = db.execute("SELECT status, error FROM outbox").fetchone()
    assert row == ("dropped", "chat not found")


# --- chats and unlinking ------------------------------------------------------------------------


async def test_deactivating_a_chat_drops_its_queue_and_subscriptions(store, cipher):
    account = await link(store, cipher)
    other = await link(store, cipher, owner=OTHER_OWNER, token=OTHER_TOKEN)
    await subscribe(store, account, GROUP)
    await subscribe(store, other, GROUP)
    await subscribe(store, account, SECOND_GROUP)
    await record(store, account, started("s1"))
    later = NOW + timedelta(minutes=1)

    lost = outgoing(GroupLost(chat_id=GROUP, title="Family", at=later))
    notices = {account.id: lost, other.id: lost, 9999: lost}  # 9999 is not subscribed: not told
    affected = await store.deactivate_chat(GROUP, "bot was blocked", later, notices)

    assert sorted(a.owner_id for a in affected) == [OWNER, OTHER_OWNER]
    pending = await store.pending_deliveries()
    assert GROUP not in {d.chat_id for d in pending}
    assert [d.chat_id for d in pending if d.event == started("s1")] == [OWNER, SECOND_GROUP]
    assert sorted(d.chat_id for d in pending if d.event.kind == "group_lost") == [
        OWNER,
        OTHER_OWNER,
    ]
    assert await store.subscribed_accounts(GROUP) == []
    assert [a.id for a in await store.subscribed_accounts(SECOND_GROUP)] == [account.id]
    chat = await store.chat(GROUP)
    assert chat is not None
    assert chat.active is False
    await record(store, account, started("s2"))
    assert GROUP not in {d.chat_id for d in await store.pending_deliveries()}


async def test_unlinking_removes_every_row_of_the_account(store, cipher, db_path):
    account = await link(store, cipher)
    await subscribe(store, account, GROUP)
    await record(
        store,
        account,
        started("s1"),
        ChargerOffline(charger_id="c2", charger_name="Oprit", status="offline", since=NOW),
        new_pending=[
            PendingEnd(
                charger_id="c1",
                charger_name="Garage",
                session_id="s0",
                started_at=NOW,
                last_kwh=1.0,
                observed_end_at=NOW,
            )
        ],
    )
    await store.set_tag_name(account.id, "04A3B2C1", "Anna", NOW)
    assert all(count_rows(db_path, table) > 0 for table in ACCOUNT_TABLES)

    removed = await store.unlink_account(OWNER)

    assert removed is True
    assert {table: count_rows(db_path, table) for table in ACCOUNT_TABLES} == dict.fromkeys(
        ACCOUNT_TABLES, 0
    )
    assert await store.unlink_account(OWNER) is False


async def test_unlinking_one_user_leaves_other_users_alone(store, cipher, db_path):
    mine = await link(store, cipher)
    theirs = await link(store, cipher, owner=OTHER_OWNER, token=OTHER_TOKEN)
    await subscribe(store, mine, GROUP)
    await subscribe(store, theirs, GROUP)
    await record(store, mine, started("s1"))
    await record(store, theirs, started("s1"))

    await store.unlink_account(OWNER)

    assert await store.account_for_owner(OTHER_OWNER) == await store.account(theirs.id)
    assert await store.charger_states(theirs.id) == {"c1": state("c1", charging=True)}
    assert [d.chat_id for d in await store.pending_deliveries()] == [OTHER_OWNER, GROUP]
    assert [a.id for a in await store.subscribed_accounts(GROUP)] == [theirs.id]


# --- the read-only heartbeat probe --------------------------------------------------------------


async def test_reading_meta_from_a_missing_file_returns_none_and_creates_nothing(tmp_path):
    path = tmp_path / "data" / "bot.sqlite3"

    assert read_meta_readonly(path, "heartbeat") is None

    assert list(tmp_path.iterdir()) == []


async def test_meta_is_readable_without_the_store_while_it_is_open_and_after(store, db_path):
    await store.set_meta("heartbeat", "2026-04-15T08:00:00+00:00")

    assert read_meta_readonly(db_path, "heartbeat") == "2026-04-15T08:00:00+00:00"
    assert read_meta_readonly(db_path, "missing") is None
    await store.close()
    assert read_meta_readonly(db_path, "heartbeat") == "2026-04-15T08:00:00+00:00"


async def test_a_file_that_is_not_a_database_reads_as_no_value(tmp_path):
    path = tmp_path / "bot.sqlite3"
    path.write_text("not a database at all, just some text" * 50)

    assert read_meta_readonly(path, "heartbeat") is None


@pytest.mark.parametrize("directory", ["data#1", "data?x", "data%20x"])
async def test_meta_is_readable_from_a_path_with_uri_characters(tmp_path, directory):
    path = tmp_path / directory / "bot.sqlite3"
    store = await Store.open(path)
    await store.set_meta("heartbeat", "beat")
    await store.close()

    value = read_meta_readonly(path, "heartbeat")

    assert sorted(p.name for p in tmp_path.iterdir()) == [directory]
    assert value == "beat"


async def test_a_poll_that_started_before_a_relink_is_ignored(
    store: Store, cipher: TokenCipher
) -> None:
    """A slow poll with the old token must not overwrite the newly linked account's state."""
    old = await link(store, cipher)
    relinked = await link(store, cipher, token="joulo_" + "N" * 32)
    assert relinked.link_seq == old.link_seq + 1
    assert await record(store, old, states={"stale": state("stale", charging=True)}) == 0
    assert "stale" not in await store.charger_states(old.id)


async def test_a_transaction_cancelled_at_any_await_leaves_the_connection_usable(
    store: Store, cipher: TokenCipher
) -> None:
    """A poll cut off by the cycle's time limit must not wedge the shared connection."""
    account = await link(store, cipher)
    for delay_steps in range(12):

        async def cut_short(steps: int = delay_steps) -> None:
            task = asyncio.create_task(record(store, account, started(f"s{steps}")))
            for _ in range(steps):
                await asyncio.sleep(0)
            await cancel_and_wait(task)

        await cut_short()
        # The next transaction works, whatever point the previous one was cancelled at.
        await store.set_meta("probe", str(delay_steps))
        assert await store.meta("probe") == str(delay_steps)


async def test_tag_names_are_kept_per_account_renamed_and_removed(store, cipher):
    anna = await link(store, cipher)
    bert = await link(store, cipher, owner=OTHER_OWNER, token=OTHER_TOKEN)

    await store.set_tag_name(anna.id, "04A3B2C1", "Anna", NOW)
    await store.set_tag_name(anna.id, "04F19A7E", "Guest", NOW)
    await store.set_tag_name(bert.id, "04A3B2C1", "Bert's card", NOW)
    await store.set_tag_name(anna.id, "04F19A7E", "Grandma", NOW + timedelta(minutes=1))

    assert await store.tag_names(anna.id) == {"04A3B2C1": "Anna", "04F19A7E": "Grandma"}
    assert await store.tag_names(bert.id) == {"04A3B2C1": "Bert's card"}
    assert await store.remove_tag_name(anna.id, "04A3B2C1") is True
    assert await store.remove_tag_name(anna.id, "04A3B2C1") is False
    assert await store.tag_names(anna.id) == {"04F19A7E": "Grandma"}
