"""The composition root of the Telegram bot: over the services every front end shares
(`bot.services`), registers every handler and every job, runs and stops the bot."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    Defaults,
    Job,
    JobQueue,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import __name__ as package_name
from bot.clock import Clock
from bot.commands import TOKEN_PATTERN, menu
from bot.config import Settings
from bot.core.text.catalog import COMMAND_MENU
from bot.core.text.format import LANGUAGES, Language
from bot.crypto import KeyFileError
from bot.exits import ExitStatus
from bot.jobs.housekeeping import PRUNE_CHECK_SECONDS
from bot.jobs.money import job_period
from bot.listeners import Listeners, listen, open_listeners
from bot.logs import install_redaction
from bot.metrics import UNOBSERVED, Metrics, serving_metrics
from bot.outbox import Sender
from bot.services import Services, open_services
from bot.startup import Claimed, claim, file_problem
from bot.store import StoreError
from bot.tasks import cancel_and_wait
from bot.telegram.handlers import TelegramHandlers
from bot.telegram.send import ChatRateLimiter, TelegramMessenger
from bot.telegram.updates import PerChatUpdateProcessor

log = logging.getLogger(__name__)

#: Updates handled at once (each chat's in order): a slow Joulo answer holds up one chat only.
CONCURRENT_UPDATES = 32
#: How long shutdown waits for a running poll cycle (the whole stop must fit in 10 s).
SHUTDOWN_GRACE = 5.0
#: How long shutdown waits for the messages in flight to be sent and acknowledged.
SENDER_GRACE = 2.0
#: Seconds from start-up (Telegram's handshake done) to the first run of every job.
FIRST_RUN_AFTER: Final = 0.05
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
#: The cyclic garbage collector's first threshold: it runs once this many more objects were
#: made than freed (Python's default is 700). Nearly all of the bot's garbage is freed by
#: reference counting; at 700 the collector ran many times a second during a poll cycle and
#: moved the objects of the polls in flight into its oldest generation, whose collections then
#: walked every household's state: some 10 % of the bot's CPU at 10,000 households.
GC_THRESHOLD: Final = 10_000


def tune_gc() -> None:
    """Set the garbage collector up for a long-running bot; call once, when start-up is done.

    What start-up made (modules, classes, schemas) is frozen: no collection looks at it again.
    """
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def handler_table(h: TelegramHandlers) -> list[BaseHandler[Update, Any, Any]]:
    """Every update the bot reacts to, in the order they are tried."""
    has_token = filters.Regex(TOKEN_PATTERN) | filters.CaptionRegex(TOKEN_PATTERN)
    return [
        ChatMemberHandler(h.membership, ChatMemberHandler.MY_CHAT_MEMBER),
        # Before the commands: a token anywhere (even in "/link <token>") is handled with care.
        MessageHandler(has_token, h.pasted_token),
        # Every command, known or not: COMMANDS in bot/commands/table.py says which exist and where.
        MessageHandler(filters.COMMAND, h.command),
        MessageHandler(filters.StatusUpdate.MIGRATE, h.migrated),
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, h.chatter),
        CallbackQueryHandler(h.press),
    ]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CA bundle), made once per process.

    Each of PTB's two HTTP clients (requests, and getUpdates) would otherwise load the CA
    bundle anew, ~50 ms of CPU apiece, at every start of an Application.
    """
    return httpx.create_ssl_context()


def build_application(
    services: Services,
    *,
    telegram_transport: httpx.AsyncBaseTransport | None = None,
    scheduled: bool = True,
    rate_limiter: ChatRateLimiter | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot Application with every handler registered.

    `telegram_transport`: how PTB's HTTP clients reach the Bot API (default: the network), as
    `joulo_transport` is for Joulo. Without `scheduled` it has no job queue (nothing would be
    put on it: a test drives the jobs by hand). `rate_limiter` paces the requests (default:
    Telegram's budgets).
    """
    settings = services.settings
    assert settings.telegram_bot_token is not None  # noqa: S101  (checked by load_settings)
    http: dict[str, Any] = {"verify": tls_context()}
    if telegram_transport is not None:
        http["transport"] = telegram_transport
    application: Application[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        # PTB's own pool sizes (256 for requests, 1 for getUpdates) and timeouts.
        .request(HTTPXRequest(connection_pool_size=256, httpx_kwargs=http))
        .get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs=http))
        .job_queue(JobQueue() if scheduled else None)
        .rate_limiter(rate_limiter or ChatRateLimiter())  # a 429 pauses one chat, not all
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .build()
    )
    handlers = TelegramHandlers(
        answers=services.answers, default_language=settings.default_language
    )
    application.add_handlers(handler_table(handlers))
    application.add_error_handler(handlers.error)
    return application


async def register_commands(
    application: Application[Any, Any, Any, Any, Any, Any], default: Language
) -> None:
    """Publish the command menu for private chats and groups, in English and Dutch."""

    def entries(names: tuple[str, ...], lang: Language) -> list[BotCommand]:
        return [BotCommand(name, COMMAND_MENU[name][lang]) for name in names]

    bot = application.bot
    # One after another on one kept-alive connection: sent side by side they cost seven
    # connections (and TLS handshakes) to save a few round trips once per start.
    for names, scope in (
        (menu("private"), BotCommandScopeAllPrivateChats()),
        (menu("group"), BotCommandScopeAllGroupChats()),
    ):
        await bot.set_my_commands(entries(names, default), scope=scope)
        for lang in LANGUAGES:
            await bot.set_my_commands(entries(names, lang), scope=scope, language_code=lang)
    await bot.set_my_commands(entries(menu("private"), default), scope=BotCommandScopeDefault())


def schedule_jobs(job_queue: JobQueue[Any], services: Services) -> list[Job[Any]]:
    """Every schedule, each a job of its own: none waits for another (see `bot.jobs`)."""
    interval = services.settings.poll_interval
    # Right away: Telegram's handshake is done by now, and a restarted bot should catch up on
    # what happened while it was down at once, not a second later. Not 0: APScheduler skips a
    # first run whose time has passed when the job is added (to one interval later).
    first = min(FIRST_RUN_AFTER, interval)

    async def poll(_: ContextTypes.DEFAULT_TYPE) -> None:
        await services.poller.run_cycle(spread=True)  # wakes the sender when done

    async def heartbeat(_: ContextTypes.DEFAULT_TYPE) -> None:
        await services.housekeeping.heartbeat()

    async def prune(_: ContextTypes.DEFAULT_TYPE) -> None:
        await services.housekeeping.prune()

    async def digests(_: ContextTypes.DEFAULT_TYPE) -> None:
        await services.digests.run(spread=True)  # wakes the sender for each digest

    async def money(_: ContextTypes.DEFAULT_TYPE) -> None:
        await services.money.run(spread=True)  # wakes the sender for each announcement

    money_every = job_period(services.settings.money_check_interval)

    return [
        job_queue.run_repeating(poll, interval=interval, first=first, name="poll"),
        job_queue.run_repeating(heartbeat, interval=interval, first=first, name="heartbeat"),
        job_queue.run_repeating(prune, interval=PRUNE_CHECK_SECONDS, first=first, name="prune"),
        job_queue.run_repeating(digests, interval=interval, first=first, name="digests"),
        job_queue.run_repeating(money, interval=money_every, first=first, name="money"),
    ]


async def receive_updates(
    application: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    webhook: socket.socket | None,
) -> None:
    """Take updates by webhook when WEBHOOK_URL is set, else by long polling.

    The webhook is registered with WEBHOOK_SECRET, and PTB's server (on the bound `webhook`
    socket) answers 403 to a request without it, before anything reads the update. Long
    polling deletes any webhook first (PTB does so on every start): one left by an earlier
    webhook run would make Telegram refuse getUpdates.
    """
    updater = application.updater
    assert updater is not None  # noqa: S101
    if settings.webhook_url is None:
        await updater.start_polling(allowed_updates=list(ALLOWED_UPDATES))
        log.info("receiving updates by long polling")
        return
    assert webhook is not None  # noqa: S101  (bound by `running`)
    assert settings.webhook_secret is not None  # noqa: S101  (checked by load_settings)
    await updater.start_webhook(
        url_path=settings.webhook_path,
        webhook_url=str(settings.webhook_url),
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=list(ALLOWED_UPDATES),
        # PTB's `unix` takes any bound socket (it is handed to tornado's add_socket): the port
        # was bound at start-up, before anything was made (see bot.listeners).
        unix=webhook,
    )
    host, port = webhook.getsockname()[:2]
    log.info(
        "receiving updates by webhook at %s (listening on %s:%d, path %s)",
        settings.webhook_url,
        host,
        port,
        settings.webhook_path,
    )


@dataclass
class RunningBot:
    """The parts of a running bot that tests (and shutdown) reach for."""

    services: Services
    application: Application[Any, Any, Any, Any, Any, Any]
    sender: Sender


@asynccontextmanager
async def running(
    services: Services,
    *,
    scheduled: bool = True,
    shutdown_grace: float = SHUTDOWN_GRACE,
    webhook: socket.socket | None = None,
    telegram_transport: httpx.AsyncBaseTransport | None = None,
    menus: bool = True,
) -> AsyncIterator[RunningBot]:
    """Telegram updates, the scheduled jobs and the outbox sender, stopped in order on exit.

    Without `scheduled` no job is put on the job queue (a test drives them by hand); without
    `menus` the command menus are not published (seven requests, for a test not about them). Updates
    come by webhook on the bound `webhook` socket when WEBHOOK_URL is set (bound here from the
    settings if not given), else by long polling. `telegram_transport` is how PTB reaches the
    Bot API (see `build_application`).
    Log records are redacted from here on: no bot token or Joulo token reaches a log line.

    Shutdown first stops taking updates and starting jobs, abandons a running digest batch
    (what it recorded stays recorded), gives a running poll cycle `shutdown_grace` seconds
    before abandoning it, and only then stops the Application (whose job queue would otherwise
    wait for them without any limit, e.g. on a hung request).
    """
    settings = services.settings
    assert settings.telegram_bot_token is not None  # noqa: S101  (checked by load_settings)
    install_redaction(settings.secrets())
    own_socket = None
    if settings.webhook_url is not None and webhook is None:
        webhook = own_socket = listen(
            settings.webhook_listen,
            settings.webhook_port,
            setting="WEBHOOK_PORT",
            address_setting="WEBHOOK_LISTEN",
        )
    application = build_application(
        services, telegram_transport=telegram_transport, scheduled=scheduled
    )
    sender = Sender(
        store=services.store,
        readings=services.poller,
        messenger=TelegramMessenger(application.bot),
        clock=services.clock,
        tz=settings.tz,
        wakeup=services.wakeup,
        observer=services.observer,
    )

    async with application:
        if menus:
            await register_commands(application, settings.default_language)
        await application.start()
        assert application.updater is not None  # noqa: S101
        sender_task: asyncio.Task[None] | None = None
        jobs: list[Job[Any]] = []
        try:
            await receive_updates(application, settings, webhook)
            if scheduled:
                assert application.job_queue is not None  # noqa: S101
                jobs = schedule_jobs(application.job_queue, services)
            sender_task = asyncio.create_task(sender.run(), name="outbox-sender")
            services.wakeup.set()  # send whatever a previous run left in the outbox
            log.info("bot @%s is running", application.bot.username)
            yield RunningBot(services, application, sender)
        finally:
            log.info("shutting down")
            if application.updater.running:
                await application.updater.stop()
            for job in jobs:
                job.schedule_removal()  # nothing new starts
            await services.digests.stop()
            await services.money.stop()
            if not await services.poller.stop(shutdown_grace):
                log.warning("abandoned the poll cycle in progress (it is safe to redo)")
            await application.stop()  # the jobs have nothing left to wait for
            if sender_task is not None:
                sender.finish()  # the sends in flight complete and are acknowledged
                await asyncio.wait({sender_task}, timeout=SENDER_GRACE)
                await cancel_and_wait(sender_task)
            if own_socket is not None:
                own_socket.close()


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    clock: Clock | None = None,
    joulo_transport: httpx.AsyncBaseTransport | None = None,
    shutdown_grace: float = SHUTDOWN_GRACE,
    listeners: Listeners | None = None,
) -> None:
    """Run the bot until `stop` is set.

    The `listeners` (bound from the settings if not given) are closed when it returns.
    """
    listeners = listeners or open_listeners(settings)
    # The metrics' registry is the bot's own: nothing else registers in it.
    metrics = None
    if listeners.metrics is not None:
        from prometheus_client import CollectorRegistry  # only when metrics are on

        metrics = Metrics(CollectorRegistry())
    try:
        async with AsyncExitStack() as stack:
            services = await stack.enter_async_context(
                open_services(
                    settings,
                    clock=clock,
                    joulo_transport=joulo_transport,
                    observer=metrics or UNOBSERVED,
                )
            )
            if metrics is not None and listeners.metrics is not None:
                await stack.enter_async_context(
                    serving_metrics(metrics, services.store, listeners.metrics)
                )
            await stack.enter_async_context(
                running(services, shutdown_grace=shutdown_grace, webhook=listeners.webhook)
            )
            await stop.wait()
    finally:
        listeners.close()


def run(settings: Settings, claimed: Claimed | None = None) -> int:
    """Run the bot in the foreground until SIGINT or SIGTERM; returns the exit code.

    `claimed`: the ports and the lock, when the caller has claimed them already (the command
    line does, before it imports this module).
    """
    if claimed is None:
        outcome = claim(settings)
        if isinstance(outcome, int):
            return outcome
        claimed = outcome
    listeners, lock = claimed.listeners, claimed.lock

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            with lock:
                await serve(settings, stop, listeners=listeners)
        except InvalidToken:
            log.error("Telegram rejected TELEGRAM_BOT_TOKEN; check the token from @BotFather")
            return ExitStatus.CANNOT_WORK
        except BadRequest as err:  # PTB's subclass of NetworkError, yet Telegram's own answer
            log.error("Telegram error at start-up: %s", err)
            return ExitStatus.FAILED
        except NetworkError as err:
            log.error("cannot reach the Telegram Bot API at start-up: %s", err)
            return ExitStatus.FAILED
        except TelegramError as err:
            log.error("Telegram error at start-up: %s", err)
            return ExitStatus.FAILED
        except (StoreError, KeyFileError) as err:  # found when the database or key is opened
            status = file_problem(settings, err)
            assert status is not None  # noqa: S101  (every kind caught is one)
            return status
        finally:
            listeners.close()  # serve() closes them too; not when it failed before
        return ExitStatus.OK

    log.info("%s starting (database %s)", package_name, settings.database_path)
    tune_gc()
    return asyncio.run(main())
