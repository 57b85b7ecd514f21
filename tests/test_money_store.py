"""The store keeps each account's price per credit and what it last saw of the payouts.

Pins down: `credit_price` answers what the money job last recorded (None: no euros), also after
the database is reopened; a payout is recorded with its outbox row for the owner alone, and
once, also across a reopen; a look recorded for an account re-linked meanwhile is dropped;
linking another Joulo account forgets the old one's money; unlinking deletes it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.core.events import PayoutReceived
from bot.core.money import CreditPrice, MoneyMark
from bot.core.outgoing import outgoing
from bot.crypto import TokenCipher, token_fingerprint
from bot.store import Account, Store

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
OWNER = 1001
GROUP = -100500
TOKEN = "joulo_Q7wE9rT1yU3iO5pA7sD9fG1hJ3kL5zX7"
OTHER_TOKEN = "joulo_M2nB4vC6xZ8lK0jH2gF4dS6aP8oI0uY2"
PRICE = CreditPrice(0.2975, "account", NOW)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test database lives."""
    return tmp_path / "bot.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    """A real store on a fresh SQLite file, closed after the test."""
    opened = await Store.open(db_path)
    yield opened
    await opened.close()


CIPHER = TokenCipher([Fernet.generate_key().decode()])


async def link(store: Store, token: str = TOKEN) -> Account:
    """Link `token` for OWNER as the bot does."""
    result = await store.link_account(
        owner_id=OWNER,
        owner_name="Anna",
        language="en",
        token_enc=CIPHER.encrypt(token),
        fingerprint=token_fingerprint(token),
        now=NOW,
    )
    return result.account


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the database file directly."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return list(db.execute(sql).fetchall())


async def test_an_account_never_looked_at_has_no_price(store: Store) -> None:
    account = await link(store)

    assert await store.credit_price(account.id) is None
    assert await store.credit_prices([account.id, 99]) == {}


async def test_the_recorded_price_is_what_renderers_read_also_after_a_restart(
    db_path: Path,
) -> None:
    store = await Store.open(db_path)
    account = await link(store)
    await store.record_money(
        account.id, link_seq=account.link_seq, checked_at=NOW, price=PRICE, mark=MoneyMark()
    )
    await store.close()

    reopened = await Store.open(db_path)
    try:
        assert await reopened.credit_price(account.id) == PRICE
        assert await reopened.credit_prices([account.id]) == {account.id: PRICE}
        assert await reopened.money_checks() == {account.id: (NOW, MoneyMark())}
    finally:
        await reopened.close()


async def test_a_look_without_a_mark_keeps_the_stored_one_and_no_price_clears_it(
    store: Store,
) -> None:
    account = await link(store)
    mark = MoneyMark(year=2026, paid_eur=2.48)
    await store.record_money(
        account.id, link_seq=account.link_seq, checked_at=NOW, price=PRICE, mark=mark
    )
    later = NOW + timedelta(hours=1)

    await store.record_money(
        account.id, link_seq=account.link_seq, checked_at=later, price=None, mark=None
    )

    assert await store.credit_price(account.id) is None
    assert await store.money_checks() == {account.id: (later, mark)}


async def test_a_payout_is_recorded_once_for_the_owner_alone_across_a_restart(
    db_path: Path,
) -> None:
    store = await Store.open(db_path)
    account = await link(store)
    await store.subscribe(
        chat_id=GROUP,
        kind="supergroup",
        title="Family",
        language="en",
        account_id=account.id,
        by_user=OWNER,
        now=NOW,
    )
    payout = outgoing(PayoutReceived(year=2026, added_eur=10.0, total_eur=12.48, at=NOW))
    created = await store.record_money(
        account.id,
        link_seq=account.link_seq,
        checked_at=NOW,
        price=PRICE,
        mark=MoneyMark(year=2026, paid_eur=12.48),
        events=[payout],
    )
    await store.close()
    reopened = await Store.open(db_path)
    try:
        again = await reopened.record_money(
            account.id,
            link_seq=account.link_seq,
            checked_at=NOW,
            price=PRICE,
            mark=None,
            events=[payout],
        )
        deliveries = await reopened.pending_deliveries()
    finally:
        await reopened.close()

    assert (created, again) == (1, 0)
    assert [(d.chat_id, d.event) for d in deliveries] == [(OWNER, payout.event)]


async def test_a_look_at_an_account_relinked_meanwhile_is_dropped(store: Store) -> None:
    account = await link(store)
    await link(store)  # the same account, linked again: a new link_seq

    created = await store.record_money(
        account.id, link_seq=account.link_seq, checked_at=NOW, price=PRICE, mark=MoneyMark()
    )

    assert created == 0
    assert await store.credit_price(account.id) is None


async def test_linking_another_joulo_account_forgets_the_old_ones_money(store: Store) -> None:
    account = await link(store)
    await store.record_money(
        account.id, link_seq=account.link_seq, checked_at=NOW, price=PRICE, mark=MoneyMark()
    )

    other = await link(store, OTHER_TOKEN)

    assert other.id == account.id
    assert await store.credit_price(account.id) is None
    assert await store.money_checks() == {}


async def test_unlinking_deletes_the_accounts_money(store: Store, db_path: Path) -> None:
    account = await link(store)
    await store.record_money(
        account.id, link_seq=account.link_seq, checked_at=NOW, price=PRICE, mark=MoneyMark()
    )

    await store.unlink_account(OWNER)

    assert rows(db_path, "SELECT * FROM money") == []
