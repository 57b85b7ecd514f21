"""The services every front end shares, built once: the database, the Joulo client, the poller,
the answers to commands and the jobs. The bot (`bot.app`) puts Telegram in front of them, the
offline demo (`bot.demo`) the terminal, so the demo never loads python-telegram-bot."""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from bot.clock import Clock, SystemClock
from bot.commands import Answers
from bot.config import Settings
from bot.crypto import TokenCipher, TokenUndecryptable, check_key_file, load_or_create_key_file
from bot.jobs.digests import Digests
from bot.jobs.housekeeping import Housekeeping
from bot.jobs.money import Money
from bot.joulo.client import JouloClient
from bot.joulo.transport import JouloHttp
from bot.metrics import UNOBSERVED, Observer
from bot.poller import MAX_CONCURRENCY, MIN_CONCURRENCY, Poller
from bot.store import Store, StoreError

log = logging.getLogger(__name__)

USER_AGENT = "joulo-telegram-bot/0.1"
#: Connections to Joulo beyond the poller's: for commands and digests while a cycle runs.
SPARE_CONNECTIONS = 32
#: Open files kept for everything but Joulo's connections: SQLite, Telegram, logs, the loop.
RESERVED_FILES = 64


@dataclass
class Services:
    """Everything the bot's parts share, built once."""

    settings: Settings
    clock: Clock
    store: Store
    http: JouloHttp
    joulo: JouloClient
    cipher: TokenCipher
    answers: Answers
    poller: Poller
    housekeeping: Housekeeping
    digests: Digests
    wakeup: asyncio.Event
    money: Money
    observer: Observer = UNOBSERVED


def open_file_limit(wanted: int, soft: int, hard: int) -> int:
    """The soft open-file limit to run with: `wanted` if the hard limit allows, else the hard.

    Never lowers the current soft limit. Many systems start processes at a soft limit of 1,024,
    below what a poller with 1,000 polls in flight needs, with a much higher hard limit.
    """
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def joulo_connections(settings: Settings) -> int:
    """Connections to Joulo the open-file limit allows, raised first where it can be.

    Each poll in flight holds one; the poller's ceiling follows (`SPARE_CONNECTIONS` fewer).
    """
    wanted = max(MAX_CONCURRENCY, settings.poll_concurrency or 0) + SPARE_CONNECTIONS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = open_file_limit(wanted + RESERVED_FILES, soft, hard)
    if limit != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    if limit == resource.RLIM_INFINITY:
        return wanted
    allowed = max(limit - RESERVED_FILES, MIN_CONCURRENCY + SPARE_CONNECTIONS)
    if allowed < wanted:
        log.warning(
            "the open-file limit (%d) allows %d polls in flight, fewer than the %d wanted",
            limit,
            allowed - SPARE_CONNECTIONS,
            wanted - SPARE_CONNECTIONS,
        )
    return min(wanted, allowed)


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    joulo_transport: httpx.AsyncBaseTransport | None = None,
    observer: Observer = UNOBSERVED,
) -> AsyncIterator[Services]:
    """Open the database and the Joulo client; close both on exit.

    `observer` hears what the poller and the sender do (the metrics, when they are on).
    """
    clock = clock or SystemClock()
    # Every file is checked before any is made: no database beside a damaged key file, and no
    # key file beside a file that turns out not to be a database.
    if not settings.encryption_keys():
        check_key_file(settings.database_path.parent)
    store = await Store.open(settings.database_path)
    try:
        keys = settings.encryption_keys() or [
            load_or_create_key_file(settings.database_path.parent)
        ]
    except BaseException:
        await store.close()
        raise
    connections = joulo_connections(settings)
    http = (
        JouloHttp.over_aiohttp(max_connections=connections, user_agent=USER_AGENT)
        if joulo_transport is None
        else JouloHttp(joulo_transport, user_agent=USER_AGENT)  # tests: Joulo is a function
    )
    poller: Poller | None = None
    try:
        joulo = JouloClient(http, settings.joulo_base_url)
        cipher = TokenCipher(keys)
        await rotate_tokens(store, cipher)
        wakeup = asyncio.Event()
        poller = Poller(
            store=store,
            joulo=joulo,
            cipher=cipher,
            clock=clock,
            poll_interval=settings.poll_interval,
            offline_grace=settings.offline_grace,
            stall_after=settings.stall_after,
            after_cycle=wakeup.set,
            concurrency=(
                None
                if settings.poll_concurrency is None
                else min(settings.poll_concurrency, connections - SPARE_CONNECTIONS)
            ),
            max_concurrency=connections - SPARE_CONNECTIONS,
            observer=observer,
        )
        answers = Answers(
            store=store,
            readings=poller,
            on_linked=poller.linked,
            joulo=joulo,
            cipher=cipher,
            clock=clock,
            tz=settings.tz,
            poll_interval=settings.poll_interval,
            allowed_users=settings.allowed_users,
            on_events=wakeup.set,
        )
        housekeeping = Housekeeping(store=store, clock=clock, poller=poller)
        digests = Digests(
            store=store,
            joulo=joulo,
            cipher=cipher,
            clock=clock,
            tz=settings.tz,
            interval=settings.poll_interval,
            on_recorded=wakeup.set,
        )
        money = Money(
            store=store,
            joulo=joulo,
            cipher=cipher,
            clock=clock,
            interval=settings.money_check_interval,
            feed_url=settings.ere_price_feed,
            on_recorded=wakeup.set,
        )
        yield Services(
            settings,
            clock,
            store,
            http,
            joulo,
            cipher,
            answers,
            poller,
            housekeeping,
            digests,
            wakeup,
            money=money,
            observer=observer,
        )
    finally:
        await http.aclose()
        if poller is not None:
            try:
                await poller.flush()  # the quiet polls held back since the last cycle
            except StoreError as err:
                log.warning("could not write the last poll cycle's quiet polls: %s", err)
        await store.close()


async def rotate_tokens(store: Store, cipher: TokenCipher) -> int:
    """Re-encrypt stored tokens with the newest ENCRYPTION_KEY so older keys can be retired."""
    rotated = 0
    for account_id, blob in await store.encrypted_tokens():
        if cipher.is_current(blob):
            continue
        try:
            fresh = cipher.rotate(blob)
        except TokenUndecryptable:
            log.warning("account %s: no ENCRYPTION_KEY decrypts its token", account_id)
            continue
        rotated += await store.replace_token_ciphertext(account_id, blob, fresh)
    if rotated:
        log.info("re-encrypted %d token(s) with the newest ENCRYPTION_KEY", rotated)
    return rotated
