"""One reading of a charger's state, whoever asks: `/status` and the live card agree.

Pins down: what the poller last saw of a charger, also a poll it holds back and has not
written yet, is what `/status` shows and what a live card is redrawn with; a failed poll
changes neither (the last known state stands). `/status` once answered "⚡ charging" without
kWh while the live card in the same chat showed 4.50 kWh: two readers, two readings. And
`/link` writes no charger state of its own: the chargers it read are the poller's first poll of
the account, its silent baseline, so `/status` shows them at once.
"""

from __future__ import annotations

import asyncio

from bot.app import Services
from bot.commands import Person, Place
from bot.core.policy import ChatSettings
from bot.outbox import Sender
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.joulo_sim import JouloSimulator, SimFault

ANNA = Person(id=7001, name="Anna", language="en")
HOME = Place(id=ANNA.id, kind="private")


class Chat:
    """A messenger that keeps the last text of each message it sent or edited."""

    def __init__(self) -> None:
        self.texts: dict[int, str] = {}

    async def send(
        self, chat_id: int, text: str, *, silent: bool = False, thread: int | None = None
    ) -> int | None:
        """Deliver a message; its id is its number."""
        self.texts[len(self.texts) + 1] = text
        return len(self.texts)

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """Replace a message's text."""
        self.texts[message_id] = text


async def test_status_and_the_live_card_show_the_last_poll_also_after_a_failed_one(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNA)
    await services.store.save_chat_settings(
        chat_id=ANNA.id,
        kind="private",
        title=None,
        language="en",
        settings=ChatSettings(live=True),
        now=clock.now(),
    )
    garage = next(c["id"] for c in sim.chargers(token))
    sim.start_session(garage, power_kw=11.0)
    clock.advance(60)
    await services.poller.run_cycle()  # the start: announced, the card goes live
    chat = Chat()
    sender = Sender(
        store=services.store,
        readings=services.poller,
        messenger=chat,
        clock=clock,
        tz=services.settings.tz,
        wakeup=asyncio.Event(),
    )
    await sender.drain()
    account = await services.store.account_for_owner(ANNA.id)
    assert account is not None

    clock.advance(600)
    await services.poller.poll_account(account)  # the kWh moved on: held back, not written
    sim.inject_fault(SimFault(kind="status", status=503, path="/chargers"))
    clock.advance(60)
    assert await services.poller.poll_account(account) == -1  # Joulo fails: nothing changes
    await sender.drain()

    status = (await services.answers.status(ANNA, HOME)).text
    (card,) = chat.texts.values()
    assert "2.02 kWh" in status
    assert "2.02 kWh" in card


async def test_status_right_after_link_shows_the_chargers_and_a_running_car_is_not_announced(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    sim.add_charger(token, "Driveway")
    sim.start_session(garage, power_kw=11.0)
    clock.advance(600)
    polls_before = sum(1 for r in sim.requests if r.endpoint == "/chargers")

    assert (await services.answers.link(ANNA, token)).linked
    status = (await services.answers.status(ANNA, HOME)).text  # no poll cycle in between

    assert "Garage</b> — ⚡ charging" in status
    assert "Driveway</b> — 🟢 online, idle" in status
    assert "Data from just now" in status
    assert sum(1 for r in sim.requests if r.endpoint == "/chargers") == polls_before + 1
    clock.advance(60)
    report = await services.poller.run_cycle()
    assert report is not None
    assert report.events == 0  # the car charging at /link is the baseline, not news
    assert await services.store.pending_deliveries() == []
