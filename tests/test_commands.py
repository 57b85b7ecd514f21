"""/status and /stats read exactly what a person would want to know, in their language.

The answers are chat-agnostic (the Telegram handlers and the demo print the same text); they
run here on the real store and Joulo client against the simulator.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import Services
from bot.clock import ManualClock
from bot.commands import Asked, Person, Place, menu
from bot.joulo.simulator import JouloSimulator, SimFault

ANNA = Person(id=7001, name="Anna", language="en")
ANNA_NL = Person(id=7001, name="Anna", language="nl")
BERT = Person(id=7002, name="Bert", language="en")
HOME = Place(id=ANNA.id, kind="private")
FAMILY = Place(id=-100555, kind="supergroup", title="Family")


async def _link(services: Services, sim: JouloSimulator, person: Person, *names: str) -> str:
    token = sim.add_account()
    for name in names:
        sim.add_charger(token, name, mid_certified=name != "Shed")
    assert (await services.answers.link(person, token)).linked
    return token


def _history(sim: JouloSimulator, token: str, clock: ManualClock) -> None:
    """Two sessions this month (April 2026), one last month, one in January."""
    garage = next(c["id"] for c in sim.chargers(token) if c.get("nickname") == "Garage")
    for start, hours, kwh in (
        (datetime(2026, 4, 2, 18, 0, tzinfo=UTC), 3, 22.4),
        (datetime(2026, 4, 10, 19, 0, tzinfo=UTC), 2, 12.6),
        (datetime(2026, 3, 20, 20, 0, tzinfo=UTC), 5, 38.0),
        (datetime(2026, 1, 5, 20, 0, tzinfo=UTC), 4, 1234.5),
    ):
        sim.add_past_session(garage, start, start + timedelta(hours=hours), kwh)
    assert clock.now().month == 4


async def test_stats_shows_this_month_last_month_and_lifetime(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token, clock)
    reply = await services.answers.stats(ANNA, HOME)
    assert reply.text == (
        "📊 <b>Charging</b>\n"
        "<b>This month (April 2026)</b>: 35.0 kWh · 2 sessions · 11.55 ERE credits\n"
        "<b>Last month (March 2026)</b>: 38.0 kWh · 1 session · 12.54 ERE credits\n"
        "<b>Lifetime</b>: 1,307.5 kWh · 4 sessions · 431.47 ERE credits\n"
        "<i>kWh and credits count MID-metered (ERE) charging.</i>"
    )


async def test_stats_speaks_dutch_numbers_to_a_dutch_speaker(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA_NL, "Garage")
    _history(sim, token, clock)
    reply = await services.answers.stats(ANNA_NL, HOME)
    assert "<b>Deze maand (april 2026)</b>: 35,0 kWh · 2 sessies · 11,55 ERE-credits" in reply.text
    assert "<b>Totaal</b>: 1.307,5 kWh · 4 sessies · 431,47 ERE-credits" in reply.text


async def test_a_month_without_charging_shows_zeros(
    services: Services, sim: JouloSimulator
) -> None:
    await _link(services, sim, ANNA, "Garage")
    reply = await services.answers.stats(ANNA, HOME)
    assert "<b>Last month (March 2026)</b>: 0.0 kWh · 0 sessions · 0.00 ERE credits" in reply.text


async def test_stats_is_cached_for_a_few_minutes_and_says_so_when_joulo_fails(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await _link(services, sim, ANNA, "Garage")
    first = await services.answers.stats(ANNA, HOME)
    sim.inject_fault(SimFault(kind="status", status=502, path="/energy"))
    assert await services.answers.stats(ANNA, HOME) == first  # cached: Joulo not asked
    clock.advance(6 * 60)
    failed = await services.answers.stats(ANNA, HOME)
    assert failed.text == (
        "📊 <b>Charging</b>\n⏳ Joulo didn't answer just now; please try /stats again in a minute."
    )


async def test_status_in_a_group_names_each_accounts_owner(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await _link(services, sim, ANNA, "Garage")
    await _link(services, sim, BERT, "Carport", "Shed")
    for person in (ANNA, BERT):
        await services.answers.subscribe(person, FAMILY)
    clock.advance(150)
    reply = await services.answers.status(ANNA, FAMILY)
    assert reply.text == (
        "<b>Anna</b>\n<b>Garage</b> — 🟢 online, idle\n<i>Data from 2 min ago.</i>\n\n"
        "<b>Bert</b>\n<b>Carport</b> — 🟢 online, idle\n<b>Shed</b> — 🟢 online, idle\n"
        "<i>Data from 2 min ago.</i>"
    )


async def test_status_shows_an_offline_charger_and_a_charger_name_is_escaped(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = sim.add_account()
    sim.add_charger(token, "<Oprit & co>", status="offline")
    await services.answers.link(ANNA, token)
    reply = await services.answers.status(ANNA, HOME)
    assert reply.text == (
        "<b>&lt;Oprit &amp; co&gt;</b> — 🔴 offline since 10:00 (offline)\n"
        "<i>Data from just now.</i>"
    )


async def test_every_command_obeys_where_it_may_be_used_and_whether_it_takes_arguments(
    services: Services,
) -> None:
    answers = services.answers
    in_group = Asked(ANNA, FAMILY)
    at_home = Asked(ANNA, HOME)
    assert "private chat" in (await answers.command("unlink", in_group)).text
    assert "is for a group" in (await answers.command("subscribe", at_home)).text
    extra = await answers.command("status", Asked(ANNA, HOME, ("now",)))
    assert extra.text == "/status takes no arguments. /help lists what I can do."
    assert "don't know that command" in (await answers.command("frobnicate", at_home)).text
    assert (await answers.command("help", at_home)).text.startswith("<b>What I can do</b>")


def test_the_menus_list_each_command_where_it_can_be_used() -> None:
    chat = ("settings", "mute", "unmute", "quiet", "live", "language")
    assert menu("private") == ("start", "link", "unlink", "status", "stats", *chat, "help")
    assert menu("group") == ("subscribe", "unsubscribe", "status", "stats", *chat, "help")
