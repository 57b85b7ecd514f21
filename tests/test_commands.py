"""/status and /stats read exactly what a person would want to know, in their language.

/stats claims the MID/ERE split only when Joulo sends the `*_all` fields; its money side shows
Joulo's own euros; /energy and /ere-position are asked at most once per 10 minutes per account;
when no chart can be drawn the figures still come.

The answers are chat-agnostic (the Telegram handlers and the demo print the same text); they
run here on the real store and Joulo client against the simulator.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import Services
from bot.commands import Asked, Person, Place, menu
from bot.core.text.format import caption_length, fits_caption
from tests.clock import ManualClock
from tests.joulo_sim import JouloSimulator, SimFault

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


async def test_stats_shows_this_month_last_month_this_year_lifetime_and_the_money(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token, clock)
    reply = await services.answers.stats(ANNA, HOME)
    assert reply.text == (
        "📊 <b>Charging</b>\n"
        "<b>This month (April 2026)</b>: 35.0 kWh · 2 sessions\n"
        "   ERE: 35.0 kWh · 11.55 credits\n"
        "<b>Last month (March 2026)</b>: 38.0 kWh · 1 session\n"
        "   ERE: 38.0 kWh · 12.54 credits\n"
        "<b>This year (2026)</b>: 1,307.5 kWh · 4 sessions\n"
        "   ERE: 1,307.5 kWh · 431.47 credits\n"
        "<b>Lifetime</b>: 1,307.5 kWh · 4 sessions\n"
        "   ERE: 1,307.5 kWh · 431.47 credits\n"
        "💶 ERE in euros, 2026: €124.93 paid out · €3.43 still to come "
        "<i>(Joulo's forecast)</i>\n"
        "<i>ERE: the MID-metered part, which earns ERE credits.</i>"
    )


async def test_stats_separates_all_charging_from_the_ere_part_when_joulo_does(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA, "Garage", "Shed")
    shed = next(c["id"] for c in sim.chargers(token) if c.get("nickname") == "Shed")
    start = datetime(2026, 4, 3, 18, 0, tzinfo=UTC)
    sim.add_past_session(shed, start, start + timedelta(hours=2), 8.0)
    _history(sim, token, clock)
    reply = await services.answers.stats(ANNA, HOME)
    assert (
        "<b>This month (April 2026)</b>: 43.0 kWh · 3 sessions\n   ERE: 35.0 kWh · 11.55 credits"
    ) in reply.text


async def test_without_the_all_fields_stats_makes_no_mid_claim(
    services: Services, sim: JouloSimulator
) -> None:
    """Issue 6, defect 6: "kWh and credits count MID-metered (ERE) charging" was claimed even
    when Joulo's answer could not tell."""
    await _link(services, sim, ANNA, "Garage")
    plain = {
        "total_kwh": 120.0,
        "total_ere_credits": 39.6,
        "total_sessions": 5,
        "months": [{"month": "2026-04-01", "kwh": 20.0, "ere_credits": 6.6, "sessions": 1}],
    }
    sim.inject_fault(SimFault(kind="wrong_shape", path="/energy", body=plain))
    reply = await services.answers.stats(ANNA, HOME)
    assert "MID" not in reply.text
    assert "<b>This month (April 2026)</b>: 20.0 kWh · 1 session · 6.60 ERE credits" in reply.text
    assert "<b>Lifetime</b>: 120.0 kWh · 5 sessions · 39.60 ERE credits" in reply.text


async def test_stats_speaks_dutch_numbers_to_a_dutch_speaker(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA_NL, "Garage")
    _history(sim, token, clock)
    reply = await services.answers.stats(ANNA_NL, HOME)
    assert "<b>Deze maand (april 2026)</b>: 35,0 kWh · 2 sessies\n" in reply.text
    assert "<b>Totaal</b>: 1.307,5 kWh · 4 sessies\n   ERE: 1.307,5 kWh · 431,47 credits" in (
        reply.text
    )
    assert "💶 ERE in euro's, 2026: € 124,93 uitbetaald · € 3,43 nog te komen" in reply.text
    assert "<i>(prognose van Joulo)</i>" in reply.text


async def test_a_month_without_charging_shows_zeros(
    services: Services, sim: JouloSimulator
) -> None:
    await _link(services, sim, ANNA, "Garage")
    reply = await services.answers.stats(ANNA, HOME)
    assert "<b>Last month (March 2026)</b>: 0.0 kWh · 0 sessions\n   ERE: 0.0 kWh" in reply.text


async def test_stats_comes_with_a_chart_and_period_buttons(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token, clock)
    reply = await services.answers.stats(ANNA, HOME)
    assert reply.attachment is not None
    assert reply.attachment.kind == "photo"
    assert reply.attachment.content.startswith(b"\x89PNG")
    assert [[(b.text, b.data) for b in row] for row in reply.buttons] == [
        [("• 12 months •", "stats:12m"), ("All time", "stats:all")]
    ]
    pressed = await services.answers.press(Asked(ANNA, HOME), "stats:all")
    assert pressed is not None
    assert [b.text for b in pressed.buttons[0]] == ["12 months", "• All time •"]
    assert pressed.text == reply.text


async def test_stats_without_a_chart_still_sends_the_figures(
    services: Services, sim: JouloSimulator, clock: ManualClock, monkeypatch
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token, clock)

    def broken(*_: object) -> bytes:
        raise RuntimeError("no fonts on this machine")

    monkeypatch.setattr("bot.commands.status.draw_chart", broken)
    reply = await services.answers.stats(ANNA, HOME)
    assert reply.attachment is None
    assert reply.buttons == ()
    assert reply.text.startswith("📊 <b>Charging</b>\n<b>This month (April 2026)</b>: 35.0 kWh")


async def test_stats_is_cached_for_ten_minutes_and_says_so_when_joulo_fails(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    await _link(services, sim, ANNA, "Garage")
    first = await services.answers.stats(ANNA, HOME)
    sim.inject_fault(SimFault(kind="status", status=502, path="/energy"))
    clock.advance(9 * 60)
    assert (await services.answers.stats(ANNA, HOME)).text == first.text  # cached
    clock.advance(2 * 60)
    failed = await services.answers.stats(ANNA, HOME)
    assert failed.text == (
        "📊 <b>Charging</b>\n⏳ Joulo didn't answer just now; please try /stats again in a minute."
    )
    assert failed.attachment is None


async def test_ten_stats_in_a_row_ask_joulo_once_for_energy_and_once_for_the_money(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token, clock)
    for number in range(10):
        period = "stats:all" if number % 2 else "stats:12m"
        if number < 5:
            await services.answers.stats(ANNA, HOME)
        else:
            await services.answers.press(Asked(ANNA, HOME), period)
        clock.advance(30)
    endpoints = [r.endpoint for r in sim.requests]
    assert endpoints.count("/energy") == 1
    assert endpoints.count("/ere-position") == 1


async def test_without_an_ere_position_stats_shows_no_money(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token, clock)
    sim.inject_fault(SimFault(kind="status", status=404, path="/ere-position"))
    reply = await services.answers.stats(ANNA, HOME)
    assert "💶" not in reply.text
    assert "<b>Lifetime</b>: 1,307.5 kWh" in reply.text


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
    assert "is for a group" in (await answers.command("unsubscribe", at_home)).text
    extra = await answers.command("status", Asked(ANNA, HOME, ("now",)))
    assert extra.text == "/status takes no arguments. /help lists what I can do."
    assert "don't know that command" in (await answers.command("frobnicate", at_home)).text
    assert (await answers.command("help", at_home)).text.startswith("<b>What I can do</b>")


def test_the_menus_list_each_command_where_it_can_be_used() -> None:
    chat = ("settings", "mute", "unmute", "quiet", "live", "pin", "language", "tariff")
    assert menu("private") == (
        *("start", "link", "unlink", "invite", "status", "stats", "sessions", "export"),
        *("statement", "tag"),
        *chat,
        "help",
    )
    assert menu("group") == (
        *("subscribe", "unsubscribe", "status", "stats", "sessions", "export", "statement"),
        *chat,
        "help",
    )


def test_a_caption_is_measured_as_telegram_counts_it() -> None:
    assert caption_length("<b>a &amp; b</b>") == 5
    assert caption_length("📊 <i>x</i>") == 4  # the emoji is two UTF-16 code units
    # 1,024 units is the limit, counted without markup and with entities as one character.
    assert fits_caption("<b>" + "⚡" * 1023 + "</b>&lt;")  # ⚡ is one unit
    assert not fits_caption("<b>" + "⚡" * 1024 + "</b>&lt;")
    assert fits_caption("<i>" + "📊" * 512 + "</i>")  # 📊 is two
    assert not fits_caption("📊" * 512 + "&amp;")
