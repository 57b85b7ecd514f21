"""The Bot API's round trip does not cap how fast notifications go out; each chat's stay in order.

A burst of notifications to many chats is sent to several chats at once (Telegram's limits are
kept by the rate limiter underneath), never more than `SEND_CONCURRENCY`, and the messages to
one chat still arrive in the order they were created.
"""

from __future__ import annotations

import asyncio

from bot.app import Services
from bot.commands import Person, Place
from bot.outbox import SEND_CONCURRENCY, Sender
from tests.clock import ManualClock
from tests.joulo_sim import JouloSimulator

FAMILY = Place(id=-100777, kind="supergroup", title="Family")


class SlowMessenger:
    """Telegram with a 20 ms round trip, counting sends in flight."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.delivered: list[tuple[int, str]] = []

    async def send(
        self, chat_id: int, text: str, *, silent: bool = False, thread: int | None = None
    ) -> int | None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.02)
        finally:
            self.in_flight -= 1
        self.delivered.append((chat_id, text))
        return len(self.delivered)

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        await asyncio.sleep(0.02)


async def test_many_chats_are_sent_to_at_once_and_each_chat_in_order(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    chargers = []
    for number in range(20):
        person = Person(id=8000 + number, name=f"P{number}", language="en")
        token = sim.add_account()
        chargers.append(sim.add_charger(token, "Garage"))
        assert (await services.answers.link(person, token)).linked
        if number == 0:
            await services.answers.subscribe(person, FAMILY)
    for charger in chargers:
        sim.start_session(charger)
    clock.advance(60)
    await services.poller.run_cycle()
    clock.advance(600)
    sim.finish_session(chargers[0])
    clock.advance(60)
    await services.poller.run_cycle()  # the first household: started, then finished

    messenger = SlowMessenger()
    sender = Sender(
        store=services.store,
        readings=services.poller,
        messenger=messenger,
        clock=clock,
        tz=services.settings.tz,
        wakeup=asyncio.Event(),
    )
    assert await sender.drain() == 23  # 20 starts, 1 finish, both again in the group
    assert 1 < messenger.most_in_flight <= SEND_CONCURRENCY
    for chat in (8000, FAMILY.id):
        texts = [text for chat_id, text in messenger.delivered if chat_id == chat]
        assert len(texts) == 2
        assert "started" in texts[0]
        assert "finished" in texts[1]
    assert await services.store.pending_deliveries() == []
