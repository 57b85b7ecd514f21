"""The money job: payouts and final quarters told once to the owner, the price per credit kept.

Pins down: the first look at an account records where it stands and announces nothing; `paid`
growing is told once to the owner's private chat (never to the family group), also when the bot
restarts on the same database file; a quarter turning final is told once; the account's own
price wins, else the public feed (off when ERE_PRICE_URL is empty); each account is asked at
most once per MONEY_CHECK_INTERVAL (spread over it), the feed at most once; a garbled or failing
`/ere-position` leaves the price and the mark as they were, is not retried before the interval
is over, and is logged once per outage; a 403 `required_scope` means no euros and no message.
Through the running bot: the "finished" message, the live card's final figures, /sessions and
the CSV give the credits' value at the stored price; the digest carries this year's euros.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Services, open_services
from bot.commands import Person
from bot.config import Settings
from bot.core.events import MonthlyDigest, YearMoney
from bot.core.money import CreditPrice
from bot.jobs.money import SLICES
from tests.clock import ManualClock
from tests.conftest import START, link_garage
from tests.database import fresh_database
from tests.fake_telegram import FakeBotAPI, UploadedFile
from tests.joulo_sim import JouloSimulator, SimFault
from tests.story import ANNA, FAMILY, World, bot_running

HOUR = 3600.0
ANNE = Person(id=ANNA.id, name="Anna", language="en")
POSITION: dict[str, Any] = {
    "compliance_year": 2026,
    "effective_fee_pct": 15.0,
    "indicative_price_per_ere": 0.35,
    "paid": {"ere": 8.0, "net_eur": 2.48, "price_per_ere": 0.31},
    "quarters": [{"quarter": "2026-Q1", "final": False, "ere": 8.0}],
}


def paid(eur: float, **more: Any) -> dict[str, Any]:
    """POSITION with `eur` paid out this year (and other fields replaced)."""
    return POSITION | {"paid": {"ere": 40.0, "net_eur": eur}} | more


def requests(sim: JouloSimulator, endpoint: str) -> int:
    """How many times the bot asked Joulo for `endpoint`."""
    return sum(1 for r in sim.requests if r.endpoint == endpoint)


async def owner_news(services: Services) -> list[tuple[int, str]]:
    """The money announcements waiting in the outbox: (chat, kind)."""
    return [
        (d.chat_id, d.event.kind)
        for d in await services.store.pending_deliveries()
        if d.event.kind in ("payout_received", "quarter_final")
    ]


@pytest.fixture
async def services(
    settings: Settings, clock: ManualClock, sim: JouloSimulator, migrated_database: Path
) -> AsyncIterator[Services]:
    """The bot's services with the hourly money job (ERE_PRICE_URL as the default)."""
    settings = settings.model_copy(update={"money_check_interval": HOUR})
    fresh_database(settings, migrated_database)
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as built:
        yield built


async def test_the_first_look_records_the_price_and_announces_nothing(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNE)
    sim.set_ere_position(token, POSITION)
    account = await services.store.account_for_owner(ANNA.id)
    assert account is not None

    recorded = await services.money.run()

    assert recorded == 0
    assert await owner_news(services) == []
    price = await services.store.credit_price(account.id)
    assert price == CreditPrice(pytest.approx(0.2975), "account", clock.now())  # type: ignore[arg-type]


async def test_a_payout_and_a_final_quarter_are_told_to_the_owner_once(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNE)
    sim.set_ere_position(token, POSITION)
    await services.money.run()
    final_q1 = [{"quarter": "2026-Q1", "final": True, "ere": 40.0, "price_per_ere": 0.33}]
    sim.set_ere_position(token, paid(12.48, quarters=final_q1))

    clock.advance(HOUR / 2)
    early = await services.money.run()
    clock.advance(HOUR / 2)
    told = await services.money.run()
    clock.advance(HOUR)
    again = await services.money.run()

    assert (early, told, again) == (0, 2, 0)
    assert await owner_news(services) == [
        (ANNA.id, "payout_received"),
        (ANNA.id, "quarter_final"),
    ]


async def test_a_payout_is_told_once_across_a_restart_and_never_to_the_family(
    fake_bot: FakeBotAPI, sim: JouloSimulator, clock: ManualClock, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"telegram_api_url": fake_bot.base_url, "money_check_interval": HOUR}
    )
    token = sim.add_account()
    sim.add_charger(token, "Garage")
    sim.set_ere_position(token, POSITION)

    async with bot_running(settings, clock, sim.transport()) as bot:
        fake_bot.private_message(ANNA, f"/link {token}")
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 1)
        fake_bot.add_bot_to_group(FAMILY, by=ANNA)
        fake_bot.group_message(FAMILY, ANNA, "/subscribe")
        await fake_bot.await_for(lambda api: len(api.messages_to(FAMILY.id)) == 2)
        await bot.services.money.run()  # the first look: silent
        sim.set_ere_position(token, paid(12.48))
        clock.advance(HOUR)
        assert await bot.services.money.run() == 1
        await bot.sender.drain()

    clock.advance(HOUR)
    async with bot_running(settings, clock, sim.transport()) as bot:
        assert await bot.services.money.run() == 0  # same `paid`: nothing new
        await bot.sender.drain()

    payouts = [m for m in fake_bot.messages_to(ANNA.id, plain=True) if m.startswith("💶")]
    assert payouts == ["💶 Joulo paid out €10.00 — €12.48 this year"]
    assert [m for m in fake_bot.messages_to(FAMILY.id, plain=True) if "💶" in m] == []


async def test_without_its_own_price_an_account_gets_the_feeds(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNE)
    sim.set_ere_position(token, {"compliance_year": 2026, "paid": {"net_eur": 0}})
    sim.feed_mid_eur = 0.31
    account = await services.store.account_for_owner(ANNA.id)
    assert account is not None

    await services.money.run()

    assert await services.store.credit_price(account.id) == CreditPrice(
        0.31, "feed", clock.now(), net_of_fee=False
    )
    assert requests(sim, "/ere-price") == 1


async def test_with_the_feed_turned_off_no_price_is_made_up(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> None:
    settings = settings.model_copy(update={"ere_price_url": None})
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as services:
        token = await link_garage(services, sim, ANNE)
        sim.set_ere_position(token, {"paid": {"net_eur": 0}})
        account = await services.store.account_for_owner(ANNA.id)
        assert account is not None

        await services.money.run()

        assert await services.store.credit_price(account.id) is None
    assert requests(sim, "/ere-price") == 0


async def test_each_account_is_asked_once_per_interval_spread_over_it(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    households = SLICES + 10  # more than one a run: each run's share shows the spreading
    for number in range(households):
        await link_garage(services, sim, Person(id=60_000 + number, name="P", language="en"))
    share = math.ceil(households / SLICES)

    asked = []
    for _ in range(SLICES):
        before = requests(sim, "/ere-position")
        await services.money.run(spread=True)
        asked.append(requests(sim, "/ere-position") - before)
        clock.advance(HOUR / SLICES)

    assert max(asked) == share
    assert sum(asked) == households  # every one once, none twice
    assert requests(sim, "/ere-price") == 1


async def test_garbage_keeps_the_last_price_is_not_retried_and_is_logged_once(
    services: Services, sim: JouloSimulator, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    token = await link_garage(services, sim, ANNE)
    sim.set_ere_position(token, POSITION)
    account = await services.store.account_for_owner(ANNA.id)
    assert account is not None
    await services.money.run()
    known = await services.store.credit_price(account.id)
    sim.inject_fault(SimFault("garbage", path="/ere-position", times=2))
    sim.inject_fault(SimFault("html", path="/ere-price"))
    sim.set_ere_position(token, paid(12.48))
    caplog.set_level(logging.INFO, logger="bot.jobs.money")

    for _ in range(4):  # an hour in 15-minute runs: only one look falls due
        clock.advance(HOUR / 4)
        await services.money.run()
    clock.advance(HOUR)
    await services.money.run()  # still garbage
    asked = requests(sim, "/ere-position")
    clock.advance(HOUR)
    told = await services.money.run()  # Joulo answers again, with the payout meanwhile

    assert asked == 3  # the first look, then one per hour
    assert await services.store.credit_price(account.id) is not None
    assert known is not None
    warnings = [r.getMessage() for r in caplog.records if "/ere-position" in r.getMessage()]
    assert len([w for w in warnings if "not available" in w]) == 1
    assert len([w for w in warnings if "answers again" in w]) == 1
    assert len([r for r in caplog.records if "price feed not available" in r.getMessage()]) == 1
    assert told == 1  # the payout seen once Joulo answers is told then, not lost


async def test_a_token_without_the_scope_gets_no_euros_and_no_message(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNE)
    sim.set_ere_position(token, POSITION)
    account = await services.store.account_for_owner(ANNA.id)
    assert account is not None
    await services.money.run()
    sim.inject_fault(
        SimFault(
            "status",
            status=403,
            path="/ere-position",
            body={"error": "Forbidden", "required_scope": "energy:read"},
        )
    )

    clock.advance(HOUR)
    recorded = await services.money.run()

    assert recorded == 0
    assert await services.store.credit_price(account.id) is None
    assert await owner_news(services) == []
    assert (await services.store.account(account.id)).status == "active"  # type: ignore[union-attr]


async def test_a_restart_between_two_looks_neither_repeats_nor_loses_a_payout(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> None:
    settings = settings.model_copy(update={"money_check_interval": HOUR})

    @contextlib.asynccontextmanager
    async def bot() -> AsyncIterator[Services]:
        async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as s:
            yield s

    async with bot() as services:
        token = await link_garage(services, sim, ANNE)
        sim.set_ere_position(token, POSITION)
        await services.money.run()
    sim.set_ere_position(token, paid(12.48))
    clock.advance(HOUR)
    async with bot() as services:
        first = await services.money.run()
    clock.advance(HOUR)
    async with bot() as services:
        second = await services.money.run()
        news = await owner_news(services)

    assert (first, second) == (1, 0)
    assert news == [(ANNA.id, "payout_received")]
    assert clock.now() - START == timedelta(hours=2)


async def test_the_finished_message_gives_euros_at_the_stored_price_in_each_chat(
    world: World,
) -> None:
    await world.say(ANNA, ANNA, f"/link {world.token}")
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.say(FAMILY, ANNA, "/subscribe")
    await world.bot.services.money.run()  # Joulo's 0.35 per credit less its 15% fee
    world.sim.start_session(world.garage, power_kw=11.0)
    world.clock.advance(60)
    await world.messages(FAMILY.id, 3)
    world.clock.advance(3600)
    world.sim.finish_session(world.garage)
    world.clock.advance(30)

    family = await world.messages(FAMILY.id, 4)
    private = await world.messages(ANNA.id, 3)

    assert family[-1].splitlines()[-1] == "ERE credits: 3.69 · ≈ €1.10"
    assert private[-1].splitlines()[-1] == "ERE credits: 3.69 · ≈ €1.10"


async def test_the_monthly_digest_carries_this_years_euros_as_last_seen(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNE)
    sim.set_ere_position(token, paid(12.48, ytd_expected_eur=20.0))
    await services.poller.run_cycle()  # the baseline
    await services.money.run()
    clock.set(datetime(2026, 5, 1, 7, 0, tzinfo=UTC))  # 09:00 on the 1st in Amsterdam

    await services.digests.run()

    (digest,) = [
        d.event
        for d in await services.store.pending_deliveries()
        if d.event.kind == "monthly_digest"
    ]
    assert isinstance(digest, MonthlyDigest)
    assert digest.money == YearMoney(year=2026, paid_eur=12.48, to_come_eur=7.52)


async def test_a_rejected_token_is_not_asked_again_before_the_interval_is_over(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await link_garage(services, sim, ANNE)
    sim.inject_fault(SimFault("status", status=401, path="/ere-position", times=5))

    for _ in range(4):
        await services.money.run()
        clock.advance(HOUR / 4 - 1)

    assert requests(sim, "/ere-position") == 1
    assert await owner_news(services) == []
    assert token


async def test_sessions_and_the_csv_give_the_value_at_the_stored_price(world: World) -> None:
    march = datetime(2026, 3, 20, 18, tzinfo=UTC)
    world.sim.add_past_session(world.garage, march, march + timedelta(hours=3), 30.0)
    await world.say(ANNA, ANNA, f"/link {world.token}")
    before = await world.say(ANNA, ANNA, "/sessions")
    await world.bot.services.money.run()  # €0.35 per credit less Joulo's 15% fee

    listed = await world.say(ANNA, ANNA, "/sessions")
    await world.say(ANNA, ANNA, "/export 2026-03")
    document = world.telegram.calls_to("sendDocument")[-1].params["document"]

    assert "9.90 ERE credits\n" in before + "\n"
    assert "30.00 kWh · 3 h · 9.90 ERE credits ≈ €2.95" in listed
    assert isinstance(document, UploadedFile)
    header, row = document.data.decode("utf-8-sig").splitlines()[:2]
    assert header.split(",")[5:7] == ["ERE credits", "Est. ERE value (EUR)"]
    assert row.split(",")[5:7] == ["9.90", "2.95"]


async def test_a_live_cards_final_figures_give_the_value_too(world: World) -> None:
    await world.say(ANNA, ANNA, f"/link {world.token}")
    await world.say(ANNA, ANNA, "/live on")
    await world.bot.services.money.run()
    world.sim.start_session(world.garage, power_kw=11.0)
    world.clock.advance(60)
    await world.messages(ANNA.id, 3)
    card = world.telegram.sent()[-1]
    world.clock.advance(3600)
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    await world.messages(ANNA.id, 4)
    await world.telegram.await_for(
        lambda api: "charged" in (api.message(ANNA.id, card.message_id) or {}).get("text", "")
    )

    final = world.telegram.message(ANNA.id, card.message_id)
    assert final is not None
    assert final["text"].splitlines()[-1] == "ERE credits: 3.69 · ≈ €1.10"
