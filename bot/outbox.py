"""Drains the outbox: render each waiting event for its chat, send it, then mark it sent.

Rendering happens at send time, with the account's current names for its charge cards, so a
card renamed before a message goes out is already shown with its new name. A monthly digest is
text only: its chart costs ~0.4 s of CPU holding the GIL (minutes for a thousand households on
the 1st), so it is drawn by /stats when someone asks.

Delivery is at-least-once: a row is marked sent only after the messenger returned, so a crash
between the two may repeat that one message, and nothing is ever lost. Messages to one chat go
out in order: when one has to wait, the later ones for that chat wait behind it.

A `Messenger` fails with the `DeliveryError` tree of `bot.telegram.delivery` (`bot.telegram.send`
maps Telegram's errors to it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta, tzinfo
from typing import Final, Protocol

from bot.clock import Clock
from bot.core.events import (
    MonthlyDigest,
    SessionCredited,
    SessionFinished,
    SessionStarted,
)
from bot.core.money import CreditPrice
from bot.core.notices import group_lost_notices
from bot.core.outgoing import outgoing
from bot.core.policy import chat_language, decide
from bot.core.state import ChargerState
from bot.core.text.catalog import t
from bot.core.text.format import Language, as_lang
from bot.core.text.notifications import live_card, render_event
from bot.metrics import UNOBSERVED, Observer
from bot.poller import ChargerReadings
from bot.store import Account, Chat, Delivery, LiveCard, Store
from bot.telegram.delivery import (
    NETWORK_RETRY_SECONDS,
    ChatMoved,
    ChatUnreachable,
    DeliveryDeferred,
    DeliveryError,
    MessageRejected,
    PinRefused,
    TopicGone,
)

log = logging.getLogger(__name__)

#: How often the outbox is checked even without a wake-up (for postponed messages).
IDLE_CHECK_SECONDS: Final = 5.0
#: A message whose sending timed out (it may have arrived) is given up after this many tries.
MAX_UNCERTAIN_ATTEMPTS: Final = 3
#: Longest wait between retries while Telegram is unreachable.
MAX_RETRY_DELAY: Final = 600.0
#: Live session cards in one chat are edited at most this often (Telegram allows ~20 a minute
#: per group for sends and edits together; one a minute leaves room for everything else).
#: A card's one final edit, when its session ended, is not held back by this.
CARD_EDIT_INTERVAL: Final = timedelta(seconds=60)
#: A card whose session vanished without a "finished" (the charger was removed) stops here.
CARD_GIVE_UP: Final = timedelta(days=2)
#: Notifications that show ERE credits, and so their value at the account's price per credit.
VALUED: Final = (SessionFinished, SessionCredited, MonthlyDigest)
#: Kinds of notification that can wait: they go out after everything else that is due.
CAN_WAIT: Final = frozenset({"monthly_digest"})
#: Of those, at most this many go out per drain (a second of Telegram's 30 messages a second):
#: a car that starts charging meanwhile waits for a second of digests, not for all of them.
WAITING_PER_DRAIN: Final = 30
#: Topics tried for one message before it waits (each found gone sends it to the chat's next).
_TOPIC_ATTEMPTS: Final = 3
#: Chats sent to at the same time. Telegram's limits are kept by the rate limiter underneath;
#: this only keeps the Bot API's round trip from capping the rate (one chat at a time: 1/RTT).
SEND_CONCURRENCY: Final = 8


class Messenger(Protocol):
    """Something that can put a text in front of a chat (Telegram, or the demo's terminal)."""

    async def send(
        self, chat_id: int, text: str, *, silent: bool = False, thread: int | None = None
    ) -> int | None:
        """Send HTML `text` (without a sound if `silent`; into forum topic `thread` if given);
        return its id, or raise DeliveryError."""
        ...

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """Replace a sent message's text; an unchanged text is not an error. Or DeliveryError."""
        ...

    async def pin(self, chat_id: int, message_id: int) -> None:
        """Pin a sent message without a notification, or raise DeliveryError (PinRefused)."""
        ...

    async def unpin(self, chat_id: int, message_id: int) -> None:
        """Unpin a message the bot pinned, or raise DeliveryError."""
        ...


async def lose_chat(store: Store, chat_id: int, reason: str, now: datetime) -> list[Account]:
    """Stop writing to a chat for good; the owners of its subscriptions are told (durably)."""
    chat = await store.chat(chat_id)
    owners = {account.id: account.owner_id for account in await store.subscribed_accounts(chat_id)}
    notices = group_lost_notices(chat_id, chat.title if chat else None, owners, now)
    return await store.deactivate_chat(
        chat_id, reason, now, {aid: outgoing(notice) for aid, notice in notices.items()}
    )


class Sender:
    """Sends waiting outbox rows; `wake()` makes it look right away."""

    def __init__(
        self,
        *,
        store: Store,
        readings: ChargerReadings,
        messenger: Messenger,
        clock: Clock,
        tz: tzinfo,
        wakeup: asyncio.Event,
        observer: Observer = UNOBSERVED,
    ) -> None:
        self._store = store
        self._observer = observer
        self._readings = readings
        self._messenger = messenger
        self._clock = clock
        self._tz = tz
        self._wakeup = wakeup
        self._drain_lock = asyncio.Lock()
        #: Chats whose live cards Telegram's flood control paused, and until when.
        self._cards_paused: dict[int, datetime] = {}
        self._finishing = False

    def wake(self) -> None:
        """Ask for a drain as soon as possible."""
        self._wakeup.set()

    def finish(self) -> None:
        """Start no new send: `run` returns once the sends in flight are done and acknowledged.

        Cancelling a send instead may cancel it after Telegram took the message and before it
        was marked sent, and the next start would send it again.
        """
        self._finishing = True
        self._wakeup.set()

    async def run(self) -> None:
        """Drain whenever woken (or every few seconds) until cancelled or `finish()`ed."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_CHECK_SECONDS):
                    await self._wakeup.wait()
            self._wakeup.clear()
            if self._finishing:
                return
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the sender alive; the row stays pending
                log.exception("unexpected error while sending the outbox")

    async def drain(self) -> int:
        """Send every message that is due, then redraw live cards; returns how many were sent."""
        async with self._drain_lock:
            sent = await self._drain()
            if not self._finishing:
                await self._refresh_cards()
            return sent

    async def _drain(self) -> int:
        """Send what is due: chats side by side, each chat's messages in order.

        What is happening now (a start, a finish, a charger offline) goes before what can wait
        (the digests), and only WAITING_PER_DRAIN of those per drain: the next drain follows at
        once, and takes whatever became urgent meanwhile first.
        """
        now = self._clock.now()
        pending = await self._store.pending_deliveries(last=CAN_WAIT)
        urgent = [d for d in pending if d.event.kind not in CAN_WAIT]
        waiting = [
            d
            for d in pending
            if d.event.kind in CAN_WAIT and (d.next_attempt_at is None or d.next_attempt_at <= now)
        ]
        if len(waiting) > WAITING_PER_DRAIN:
            waiting = waiting[:WAITING_PER_DRAIN]
            self.wake()  # the rest in the next drain
        by_chat: dict[int, list[Delivery]] = {}
        for delivery in [*urgent, *waiting]:
            by_chat.setdefault(delivery.chat_id, []).append(delivery)
        queue = list(by_chat.values())
        queue.reverse()  # pop() from the end: the chat with the oldest message goes first
        tag_names: dict[int, dict[str, str]] = {}  # per account, read once per drain
        prices: dict[int, CreditPrice | None] = {}  # likewise
        sent = 0

        async def worker() -> None:
            nonlocal sent
            while queue and not self._finishing:
                count = await self._send_chat(queue.pop(), tag_names, prices)
                sent += count  # not `sent += await ...`: that reads `sent` before the await

        async with asyncio.TaskGroup() as group:
            for _ in range(min(SEND_CONCURRENCY, len(queue))):
                group.create_task(worker())
        return sent

    async def _send_chat(
        self,
        deliveries: list[Delivery],
        tag_names: dict[int, dict[str, str]],
        prices: dict[int, CreditPrice | None],
    ) -> int:
        """Send one chat's messages in order until one has to wait; returns how many were sent.

        They go to the chat's forum topic, if it has one. When Telegram says that topic is gone
        (deleted or closed), the chat's topic is forgotten, the message goes to the chat itself
        (a forum's General) instead, and the chat is told so once, after that message.
        """
        sent = 0
        thread = deliveries[0].thread_id if deliveries else None
        owes_notice = bool(deliveries) and deliveries[0].thread_notice
        may_pin = bool(deliveries) and not deliveries[0].pin_refused
        for delivery in deliveries:
            if self._finishing:
                return sent
            now = self._clock.now()
            if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
                return sent
            # The one place where a chat's settings decide a notification's fate (see policy).
            decision = decide(
                delivery.event,
                delivery.settings,
                private=delivery.kind == "private",
                now=now,
                tz=self._tz,
            )
            if decision.action == "drop":
                log.debug("chat %s: not sending %s: %s", delivery.chat_id, delivery.id, decision)
                await self._store.mark_dropped(delivery.id, decision.reason)
                continue
            edit_of: int | None = None
            if isinstance(delivery.event, SessionCredited):
                edit_of = await self._store.sent_message_id(
                    delivery.account_id, delivery.event.finished.key, delivery.chat_id
                )
                if edit_of is None:  # this chat never got the "finished" (dropped, muted…)
                    log.debug("chat %s: no finished message to add credits to", delivery.chat_id)
                    await self._store.mark_dropped(delivery.id, "no finished message to edit")
                    continue
            lang = chat_language(delivery.settings.language, as_lang(delivery.language))
            if delivery.account_id not in tag_names:
                tag_names[delivery.account_id] = await self._store.tag_names(delivery.account_id)
            names = tag_names[delivery.account_id]
            price = None
            if isinstance(delivery.event, VALUED):  # what shows ERE credits, with their value
                if delivery.account_id not in prices:
                    prices[delivery.account_id] = await self._store.credit_price(
                        delivery.account_id
                    )
                price = prices[delivery.account_id]
            text = render_event(
                delivery.event,
                lang,
                self._tz,
                now,
                names,
                price=price,
                tariff=delivery.tariff,
                owner=delivery.kind == "private",  # the account owner's chat
            )
            try:
                message_id, thread, gone = await self._deliver_in_thread(
                    delivery, text, edit_of, silent=decision.action == "silent", thread=thread
                )
                owes_notice = owes_notice or gone
            except DeliveryDeferred as err:
                self._observer.message("deferred")
                await self._deferred(delivery.id, delivery.chat_id, delivery.attempts, err)
                return sent
            except ChatMoved as err:
                self._observer.message("moved")
                log.info("chat %s moved to %s; following it", delivery.chat_id, err.new_chat_id)
                await self._store.migrate_chat(delivery.chat_id, err.new_chat_id, now)
                self.wake()
                return sent
            except ChatUnreachable as err:
                self._observer.message("unreachable")
                log.warning(
                    "chat %s is unreachable (%s); no more messages go there", delivery.chat_id, err
                )
                await lose_chat(self._store, delivery.chat_id, str(err), now)
                self.wake()  # owners of a lost group have a notice waiting
                return sent
            except MessageRejected as err:
                self._observer.message("rejected")
                log.error(
                    "chat %s: message %s (%s) rejected: %s",
                    delivery.chat_id,
                    delivery.id,
                    delivery.event.kind,
                    err,
                )
                await self._store.mark_dropped(delivery.id, str(err))
            else:
                card = isinstance(delivery.event, SessionStarted) and delivery.settings.live
                await self._store.mark_sent(delivery.id, message_id, self._clock.now(), card=card)
                self._observer.message("sent")
                sent += 1
                if card and message_id is not None and delivery.settings.pin and may_pin:
                    may_pin = await self._pin_card(delivery, message_id, lang, thread)
                if owes_notice:
                    owes_notice = not await self._tell_thread_gone(delivery.chat_id, lang)
        return sent

    async def _pin_card(
        self, delivery: Delivery, message_id: int, lang: Language, thread: int | None
    ) -> bool:
        """Pin a live card that just went out; False once Telegram refused the right to pin
        (the bot does not try again in that chat until /pin is used there)."""
        try:
            await self._messenger.pin(delivery.chat_id, message_id)
        except PinRefused as err:
            log.info("chat %s: may not pin the live card: %s", delivery.chat_id, err)
            chat = await self._store.pin_refused(delivery.chat_id)
            if chat is not None:  # the first refusal: whoever switched pinning on hears why
                await self._tell_pin_refused(chat, lang, thread)
            return False
        except DeliveryError as err:  # the card is out; it just is not pinned this time
            log.info("chat %s: could not pin the live card: %s", delivery.chat_id, err)
            return True
        await self._store.card_pinned(delivery.id, pinned=True)
        return True

    async def _tell_pin_refused(self, chat: Chat, lang: Language, thread: int | None) -> None:
        """Tell who switched pinning on (privately if they ever talked to the bot, else the
        group) which right the bot needs."""
        text = t(lang, "pin_refused", group=chat.title or "")
        if chat.pin_by is not None:
            try:
                await self._messenger.send(chat.pin_by, text)
            except DeliveryError as err:
                log.info("could not tell user %s in private: %s", chat.pin_by, err)
            else:
                return
        try:
            await self._messenger.send(chat.id, text, thread=thread)
        except DeliveryError as err:
            log.info("chat %s: could not say why the card is not pinned: %s", chat.id, err)

    async def _unpin(self, card: LiveCard) -> None:
        """Unpin a card the bot pinned, as its session is over (a failure is only logged)."""
        if not card.pinned:
            return
        try:
            await self._messenger.unpin(card.chat_id, card.message_id)
        except DeliveryError as err:
            log.info(
                "chat %s: could not unpin live card %s: %s", card.chat_id, card.message_id, err
            )
        await self._store.card_pinned(card.delivery_id, pinned=False)

    async def _tell_thread_gone(self, chat_id: int, lang: Language) -> bool:
        """Tell a chat its notifications come to General now; False: not now (tried again
        after its next notification)."""
        try:
            await self._messenger.send(chat_id, t(lang, "thread_gone"))
        except DeliveryError as err:
            log.info("chat %s: could not say its topic is gone: %s", chat_id, err)
            return False
        await self._store.thread_notice_sent(chat_id)
        return True

    async def _deliver_in_thread(
        self,
        delivery: Delivery,
        text: str,
        edit_of: int | None,
        *,
        silent: bool,
        thread: int | None,
    ) -> tuple[int | None, int | None, bool]:
        """`_deliver` into forum topic `thread`, or where the chat's notifications go once
        Telegram said that topic is gone. Returns the message id, the topic it went to, and
        whether a topic was found gone (the chat is owed word of it)."""
        gone = False
        for _ in range(_TOPIC_ATTEMPTS):
            try:
                message_id = await self._deliver(
                    delivery, text, edit_of, silent=silent, thread=thread
                )
            except TopicGone as err:
                if thread is None:  # not about a topic of ours: Telegram refused the message
                    raise MessageRejected(str(err)) from err
                log.info("chat %s: topic %s is gone (%s)", delivery.chat_id, thread, err)
                await self._store.thread_gone(delivery.chat_id, thread)
                chat = await self._store.chat(delivery.chat_id)
                thread = chat.thread_id if chat is not None else None
                gone = True
                continue
            return message_id, thread, gone
        raise DeliveryDeferred("forum topics keep vanishing", NETWORK_RETRY_SECONDS)

    async def _deliver(
        self,
        delivery: Delivery,
        text: str,
        edit_of: int | None,
        *,
        silent: bool,
        thread: int | None,
    ) -> int | None:
        """Send the message (into forum topic `thread`), or edit message `edit_of` (late
        credits; a message stays in its topic)."""
        if edit_of is not None:
            await self._messenger.edit(delivery.chat_id, edit_of, text)
            return edit_of
        return await self._messenger.send(delivery.chat_id, text, silent=silent, thread=thread)

    async def _refresh_cards(self) -> None:
        """Redraw live session cards: at most once per `CARD_EDIT_INTERVAL` per chat.

        A card's final edit (its session has finished) is not throttled: it goes out with the
        "finished" message. It is one edit per card, which Telegram's limits (and the group
        budget in `bot.telegram.send`) allow; the edits that keep a card current wait.

        A failed edit: a 429 pauses that chat's cards for as long as Telegram asks (other chats'
        cards go on); a chat that is gone is lost as when a send finds it (its owners are told);
        a card whose message was deleted or can no longer be edited is closed.
        """
        edited: set[int] = set()
        tag_names: dict[int, dict[str, str]] = {}  # per account, read once per refresh
        prices: dict[int, CreditPrice | None] = {}  # likewise
        for card in await self._store.live_cards():
            paused = self._cards_paused.get(card.chat_id)
            if paused is not None:
                if self._clock.now() < paused:
                    continue
                del self._cards_paused[card.chat_id]
            chargers = await self._readings.charger_states(card.account_id, card.link_seq)
            state = chargers.get(card.started.charger_id)  # None: the account lost the charger
            now = self._clock.now()
            throttled = card.chat_id in edited or (
                card.chat_edited_at is not None and now - card.chat_edited_at < CARD_EDIT_INTERVAL
            )
            if throttled and card.finished is None:
                continue
            if card.finished is None and not self._card_running(card, state):
                if now - card.started.started_at > CARD_GIVE_UP:
                    await self._unpin(card)
                    await self._store.card_edited(card.delivery_id, now, closed=True)
                continue
            if not card.settings.live or card.settings.muted(now):
                if card.finished is not None:  # switched off meanwhile: leave it as it is
                    await self._unpin(card)
                    await self._store.card_edited(card.delivery_id, now, closed=True)
                continue
            if card.account_id not in tag_names:
                tag_names[card.account_id] = await self._store.tag_names(card.account_id)
            if card.finished is not None and card.account_id not in prices:
                prices[card.account_id] = await self._store.credit_price(card.account_id)
            text = live_card(
                card.started,
                state,
                card.finished,
                tag_names=tag_names[card.account_id],
                lang=chat_language(card.settings.language, as_lang(card.language)),
                tz=self._tz,
                now=now,
                price=prices.get(card.account_id),
                tariff=card.tariff,
                owner=card.kind == "private",  # the account owner's chat
            )
            try:
                await self._messenger.edit(card.chat_id, card.message_id, text)
            except DeliveryDeferred as err:
                log.info("chat %s: card edit deferred: %s", card.chat_id, err)
                if not err.exact:
                    return  # Telegram cannot be reached: try all cards again next drain
                # Flood control for this chat alone: its cards wait as told, the others go on.
                self._cards_paused[card.chat_id] = now + timedelta(seconds=err.retry_after)
                continue
            except ChatMoved as err:
                log.info("chat %s moved to %s; following it", card.chat_id, err.new_chat_id)
                await self._store.migrate_chat(card.chat_id, err.new_chat_id, now)
                continue
            except ChatUnreachable as err:  # as when a send finds it gone: the owners are told
                log.warning(
                    "chat %s is unreachable (%s); no more messages go there", card.chat_id, err
                )
                await lose_chat(self._store, card.chat_id, str(err), now)
                self.wake()
                continue
            except DeliveryError as err:  # the message is gone or too old to edit
                log.info("chat %s: live card %s closed: %s", card.chat_id, card.message_id, err)
                await self._store.card_edited(card.delivery_id, now, closed=True)
                continue
            edited.add(card.chat_id)
            if card.finished is not None:  # the session is over: its card comes down
                await self._unpin(card)
            await self._store.card_edited(card.delivery_id, now, closed=card.finished is not None)

    @staticmethod
    def _card_running(card: LiveCard, state: ChargerState | None) -> bool:
        session = state.session if state is not None else None
        return session is not None and session.id == card.started.session_id

    async def _deferred(
        self, delivery_id: int, chat_id: int, attempts: int, err: DeliveryDeferred
    ) -> None:
        if err.maybe_delivered and attempts + 1 >= MAX_UNCERTAIN_ATTEMPTS:
            log.error(
                "chat %s: giving up on message %s after %d uncertain attempts (%s)",
                chat_id,
                delivery_id,
                attempts + 1,
                err,
            )
            await self._store.mark_dropped(delivery_id, f"uncertain: {err}")
            return
        delay = err.retry_after
        if not err.exact:
            delay = max(delay, min(delay * 2**attempts, MAX_RETRY_DELAY))
        await self._store.postpone(
            delivery_id, self._clock.now() + timedelta(seconds=delay), str(err)
        )
        log.info("chat %s: message %s postponed %.0f s: %s", chat_id, delivery_id, delay, err)
