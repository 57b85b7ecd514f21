"""What the bot is doing, as Prometheus metrics: the observer its parts report to, and `/metrics`.

The poller, the sender and the poll's Joulo errors report through `Observer`, a few calls that
cost next to nothing: `UNOBSERVED` does nothing (metrics off), `Metrics` bumps a counter child
bound once at start-up. Labels are closed sets (an outcome, an error kind, an account status):
never a token, a chat id or a name.

The two gauges that live in the database (messages waiting in the outbox, accounts by status)
are read when Prometheus scrapes, at most once per `REFRESH_SECONDS`: two COUNT queries (the
outbox's through its partial index of pending rows, the accounts' a scan of one table: 30 ms
at 50,000 households) that run on aiosqlite's thread, never blocking the event loop. Read
per scrape rather than per poll cycle, they stay true when the poller is stuck, which is
exactly when an "outbox growing" alert must see them.

`/metrics` is served by aiohttp on the bot's own event loop: the handler can await the store,
no second thread shares the registry, and the socket is bound before anything is created
(a port in use is a start-up error, see `bot.listeners`).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal, Protocol

from bot.joulo.client import JouloError, JouloRateLimited, JouloRejected, JouloTokenRejected
from bot.store import Store, StoreError

# prometheus_client is loaded by `Metrics` only: a bot without METRICS_PORT, and the demo, go
# without its ~0.1 s of imports (its default registry collects the platform on import).
if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)

PollOutcome = Literal["ok", "failed", "backing_off", "error"]
SendOutcome = Literal["sent", "deferred", "rejected", "unreachable", "moved"]
JouloErrorKind = Literal["unavailable", "rate_limited", "token_rejected", "rejected"]
#: The statuses of `joulo_bot_accounts` (see `Store.operating_counts`).
ACCOUNT_STATUSES: Final = ("active", "failing", "token_rejected")

POLL_OUTCOMES: Final[tuple[PollOutcome, ...]] = ("ok", "failed", "backing_off", "error")
SEND_OUTCOMES: Final[tuple[SendOutcome, ...]] = (
    "sent",
    "deferred",
    "rejected",
    "unreachable",
    "moved",
)
JOULO_ERROR_KINDS: Final[tuple[JouloErrorKind, ...]] = (
    "unavailable",
    "rate_limited",
    "token_rejected",
    "rejected",
)
#: Seconds of one account's poll: 200 ms is a slow Joulo, 10 s the client's timeout.
POLL_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The database gauges are read at most this often, however often /metrics is scraped.
REFRESH_SECONDS: Final = 5.0


def joulo_error_kind(err: JouloError) -> JouloErrorKind:
    """The label of a Joulo error: its branch of the client's error tree."""
    if isinstance(err, JouloTokenRejected):
        return "token_rejected"
    if isinstance(err, JouloRejected):
        return "rejected"
    if isinstance(err, JouloRateLimited):
        return "rate_limited"
    return "unavailable"


class Observer(Protocol):
    """What the bot's parts report as they work; each call must cost next to nothing."""

    def polled(self, outcome: PollOutcome, seconds: float | None) -> None:
        """One account's poll ended (`seconds` is None when it was not tried: backing off)."""
        ...

    def joulo_failed(self, err: JouloError) -> None:
        """A poll's request to Joulo failed."""
        ...

    def cycle_finished(self, at: datetime) -> None:
        """A poll cycle completed."""
        ...

    def message(self, outcome: SendOutcome) -> None:
        """The sender tried to deliver one outbox message."""
        ...


class _Unobserved:
    """Metrics are off: every report is dropped."""

    def polled(self, outcome: PollOutcome, seconds: float | None) -> None:
        """Nothing to count."""

    def joulo_failed(self, err: JouloError) -> None:
        """Nothing to count."""

    def cycle_finished(self, at: datetime) -> None:
        """Nothing to count."""

    def message(self, outcome: SendOutcome) -> None:
        """Nothing to count."""


UNOBSERVED: Final[Observer] = _Unobserved()


class Metrics:
    """The bot's metrics in a registry of its own (never prometheus_client's global one)."""

    def __init__(
        self, registry: CollectorRegistry, *, refresh_every: float = REFRESH_SECONDS
    ) -> None:
        from prometheus_client import Counter, Gauge, Histogram  # only when metrics are on

        self.registry = registry
        self._refresh_every = refresh_every
        polls = Counter(
            "joulo_bot_polls",
            "Polls of one account, by outcome (backing_off: not tried, the account waits).",
            ["outcome"],
            registry=registry,
        )
        self._polls = {outcome: polls.labels(outcome) for outcome in POLL_OUTCOMES}
        self._poll_seconds = Histogram(
            "joulo_bot_poll_seconds",
            "Seconds one account's poll took (Joulo's answer, the diff and any write).",
            buckets=POLL_BUCKETS,
            registry=registry,
        )
        errors = Counter(
            "joulo_bot_joulo_errors",
            "Failed Joulo requests of the poller, by kind.",
            ["kind"],
            registry=registry,
        )
        self._errors = {kind: errors.labels(kind) for kind in JOULO_ERROR_KINDS}
        sent = Counter(
            "joulo_bot_messages_sent",
            "Outbox messages the sender tried to deliver, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self._sent = {outcome: sent.labels(outcome) for outcome in SEND_OUTCOMES}
        self._last_cycle = Gauge(
            "joulo_bot_last_cycle_timestamp_seconds",
            "When the last poll cycle completed (Unix time; 0 before the first).",
            registry=registry,
        )
        self._pending = Gauge(
            "joulo_bot_outbox_pending",
            "Messages waiting in the outbox to be sent.",
            registry=registry,
        )
        accounts = Gauge(
            "joulo_bot_accounts",
            "Linked accounts by status (failing: active, but Joulo fails for it).",
            ["status"],
            registry=registry,
        )
        self._accounts = {status: accounts.labels(status) for status in ACCOUNT_STATUSES}
        self._refreshed_at: float | None = None

    def polled(self, outcome: PollOutcome, seconds: float | None) -> None:
        """Count the poll and, if it was tried, how long it took."""
        self._polls[outcome].inc()
        if seconds is not None:
            self._poll_seconds.observe(seconds)

    def joulo_failed(self, err: JouloError) -> None:
        """Count the error by its kind."""
        self._errors[joulo_error_kind(err)].inc()

    def cycle_finished(self, at: datetime) -> None:
        """Remember when."""
        self._last_cycle.set(at.timestamp())

    def message(self, outcome: SendOutcome) -> None:
        """Count the attempt by its outcome."""
        self._sent[outcome].inc()

    async def refresh(self, store: Store) -> None:
        """Read the database gauges, unless they were read less than `refresh_every` s ago."""
        now = time.monotonic()
        if self._refreshed_at is not None and now - self._refreshed_at < self._refresh_every:
            return
        self._refreshed_at = now
        counts = await store.operating_counts()
        self._pending.set(counts.outbox_pending)
        for status, child in self._accounts.items():
            child.set(counts.accounts.get(status, 0))

    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format."""
        from prometheus_client.exposition import generate_latest

        return generate_latest(self.registry)


@asynccontextmanager
async def serving_metrics(
    metrics: Metrics, store: Store, sock: socket.socket
) -> AsyncIterator[None]:
    """Serve `GET /metrics` on the bound `sock` until the block ends."""
    from aiohttp import web  # only when metrics are served: the demo goes without aiohttp
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    async def scrape(_: web.Request) -> web.Response:
        try:
            await metrics.refresh(store)
        except StoreError:  # a scrape must not fail for the gauges: the counters still count
            log.exception("could not read the outbox and account counts for /metrics")
        response = web.Response(body=metrics.exposition())
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        response.charset = "utf-8"
        return response

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        host, port = sock.getsockname()[:2]
        log.info("metrics at http://%s:%d/metrics", host, port)
        yield
    finally:
        await runner.cleanup()
