"""The outbox sender's retry rules, with Telegram replaced by a scripted messenger.

A send that timed out may have arrived: it is tried at most three times, not in a loop. A chat
whose message must wait holds back its later messages (order per chat), while other chats go
on. Network trouble backs off; flood control waits exactly as long as Telegram said. What is
happening now goes out before a digest that can wait, however many digests are waiting. A
sender told to finish completes and acknowledges the message in flight: a restart sends it no
second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.app import Services
from bot.commands import Person, Place
from bot.outbox import WAITING_PER_DRAIN, Sender
from bot.telegram.delivery import DeliveryDeferred, DeliveryError
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.joulo_sim import JouloSimulator

ANNA = Person(id=7001, name="Anna", language="en")
FAMILY = Place(id=-100777, kind="supergroup", title="Family")


class ScriptedMessenger:
    """Answers each send with the next scripted outcome (None = accepted)."""

    def __init__(self, script: Callable[[int, int], DeliveryError | None]) -> None:
        self.script = script
        self.tries: list[tuple[int, str]] = []
        self.delivered: list[tuple[int, str]] = []

    async def send(
        self, chat_id: int, text: str, *, silent: bool = False, thread: int | None = None
    ) -> int | None:
        """Record the try; raise the scripted error or accept."""
        self.tries.append((chat_id, text))
        error = self.script(chat_id, len(self.tries))
        if error is not None:
            raise error
        self.delivered.append((chat_id, text))
        return len(self.tries)


async def _two_events(services: Services, sim: JouloSimulator, clock: ManualClock) -> None:
    """Anna and her family group get a start and then a finish."""
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    await services.answers.link(ANNA, token)
    await services.answers.subscribe(ANNA, FAMILY)
    sim.start_session(garage)
    clock.advance(60)
    await services.poller.run_cycle()
    clock.advance(600)
    sim.finish_session(garage)
    clock.advance(60)
    await services.poller.run_cycle()


def _sender(services: Services, messenger: ScriptedMessenger, clock: ManualClock) -> Sender:
    return Sender(
        store=services.store,
        readings=services.poller,
        messenger=messenger,
        clock=clock,
        tz=services.settings.tz,
        wakeup=asyncio.Event(),
    )


async def test_a_send_that_keeps_timing_out_is_given_up_after_three_tries(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await _two_events(services, sim, clock)
    timeout = DeliveryDeferred("timed out", 10, maybe_delivered=True)
    messenger = ScriptedMessenger(lambda chat, n: timeout if chat == ANNA.id else None)
    sender = _sender(services, messenger, clock)
    for _ in range(10):
        await sender.drain()
        clock.advance(3600)
    anna_tries = [text for chat, text in messenger.tries if chat == ANNA.id]
    assert len(anna_tries) == 6  # two messages, three tries each
    assert [chat for chat, _ in messenger.delivered] == [FAMILY.id, FAMILY.id]
    assert await services.store.pending_deliveries() == []


async def test_a_waiting_message_holds_back_its_chat_but_not_the_others(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await _two_events(services, sim, clock)
    down = DeliveryDeferred("network: connection refused", 10)
    failures = {"left": 2}

    def anna_unreachable_twice(chat: int, n: int) -> DeliveryError | None:
        if chat == ANNA.id and failures["left"]:
            failures["left"] -= 1
            return down
        return None

    messenger = ScriptedMessenger(anna_unreachable_twice)
    sender = _sender(services, messenger, clock)
    await sender.drain()
    assert [c for c, _ in messenger.delivered] == [FAMILY.id, FAMILY.id]  # Anna's both wait
    await sender.drain()
    assert len(messenger.tries) == 3  # not due yet: nothing tried for Anna
    clock.advance(10)
    await sender.drain()  # the second try fails too: now the wait doubles to 20 s
    assert len(messenger.tries) == 4
    clock.advance(10)
    await sender.drain()
    assert len(messenger.tries) == 4
    clock.advance(10)
    await sender.drain()
    anna = [t for c, t in messenger.delivered if c == ANNA.id]
    assert [t.split(":")[0] for t in anna] == ["🔌 <b>Garage</b>", "✅ <b>Garage</b>"]


async def test_flood_control_waits_exactly_as_told(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await _two_events(services, sim, clock)
    flood = DeliveryDeferred("flood control", 7, exact=True)
    messenger = ScriptedMessenger(lambda chat, n: flood if n <= 3 else None)
    sender = _sender(services, messenger, clock)
    await sender.drain()
    (first, *_) = await services.store.pending_deliveries()
    assert first.next_attempt_at == clock.now() + timedelta(seconds=7)


async def test_a_car_that_starts_charging_goes_out_before_the_digests_that_can_wait(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    nine = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)  # the 1st, 09:00 in Amsterdam
    clock.set(nine - timedelta(minutes=5))
    anna = await link_garage(services, sim, ANNA)
    for number in range(WAITING_PER_DRAIN + 5):
        await link_garage(services, sim, Person(id=8000 + number, name="P", language="en"))
    await services.poller.run_cycle()
    clock.set(nine)
    assert await services.digests.run() == WAITING_PER_DRAIN + 6  # every household's digest
    (garage,) = sim.chargers(anna)
    sim.start_session(garage["id"])
    clock.advance(10)
    await services.poller.run_cycle()  # Anna's start: recorded after all the digests
    messenger = ScriptedMessenger(lambda chat, n: None)
    wakeup = asyncio.Event()
    sender = Sender(
        store=services.store,
        readings=services.poller,
        messenger=messenger,
        clock=clock,
        tz=services.settings.tz,
        wakeup=wakeup,
    )

    await sender.drain()

    first, *digests = messenger.delivered
    assert first[0] == ANNA.id
    assert first[1].startswith("🔌")
    assert len(digests) == WAITING_PER_DRAIN  # the rest wait for the next drain…
    assert all(text.startswith("📅") for _, text in digests)
    assert wakeup.is_set()  # …which follows at once
    await sender.drain()
    assert len(messenger.delivered) == 1 + WAITING_PER_DRAIN + 6


class HeldMessenger(ScriptedMessenger):
    """Accepts every message, each only once `release` is set; `asked` is set meanwhile."""

    def __init__(self) -> None:
        super().__init__(lambda chat, n: None)
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def send(
        self, chat_id: int, text: str, *, silent: bool = False, thread: int | None = None
    ) -> int | None:
        """Wait for `release`, then accept."""
        self.asked.set()
        await self.release.wait()
        return await super().send(chat_id, text, silent=silent, thread=thread)


async def test_a_sender_told_to_finish_acknowledges_the_message_in_flight_and_sends_no_more(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await _two_events(services, sim, clock)  # a start and a finish, each to two chats
    messenger = HeldMessenger()
    wakeup = asyncio.Event()
    sender = Sender(
        store=services.store,
        readings=services.poller,
        messenger=messenger,
        clock=clock,
        tz=services.settings.tz,
        wakeup=wakeup,
    )
    running = asyncio.create_task(sender.run())
    wakeup.set()
    await asyncio.wait_for(messenger.asked.wait(), timeout=5)

    sender.finish()  # what shutdown does, while the messages are on their way
    messenger.release.set()
    await asyncio.wait_for(running, timeout=5)

    in_flight = len(messenger.delivered)
    assert 0 < in_flight < 4  # what was on its way went out; nothing new was started
    assert len(await services.store.pending_deliveries()) == 4 - in_flight  # and acknowledged
    after_restart = ScriptedMessenger(lambda chat, n: None)
    await _sender(services, after_restart, clock).drain()
    everything = messenger.delivered + after_restart.delivered
    assert len(everything) == len(set(everything)) == 4  # each message once
