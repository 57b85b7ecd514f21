"""A chat's tariff: `/tariff` reads a price per kWh once, refuses what is not one, keeps it.

Pins down: `0.25`, `0,25` and `€ 0,25` are the same tariff; negative, zero, over €5, not a
number, too many decimals are each answered with what was wrong (in English and Dutch) and
nothing is saved; `/tariff` alone shows the current one or how to set one; in a group only an
admin sets or clears it; it survives a restart; menus and /help list it.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import Services, open_services
from bot.commands import Asked, Person, Place, menu
from bot.config import Settings
from bot.core.reply import Reply
from bot.core.tariff import BadTariff, cost, parse_tariff, tariff_decimals
from bot.core.text.catalog import COMMAND_MENU, TEXTS
from bot.core.text.format import plain_text
from tests.clock import ManualClock
from tests.joulo_sim import JouloSimulator

ANNA = Person(id=7001, name="Anna", language="en")
ANNA_NL = Person(id=7001, name="Anna", language="nl")
BERT = Person(id=7002, name="Bert", language="en")
HOME = Place(id=ANNA.id, kind="private")
FAMILY = Place(id=-100555, kind="supergroup", title="Family")


async def _yes() -> bool:
    return True


async def _tariff(
    services: Services, person: Person, place: Place, text: str = "", *, admin: bool = False
) -> str:
    asked = Asked(person, place, tuple(text.split()))
    if admin:
        asked = Asked(person, place, tuple(text.split()), is_admin=_yes)
    return plain_text((await services.answers.command("tariff", asked)).text)


async def _stored(services: Services, place: Place) -> float | None:
    chat = await services.store.chat(place.id)
    return None if chat is None else chat.tariff


@pytest.mark.parametrize(
    ("text", "tariff"),
    [
        ("0.25", 0.25),
        ("0,25", 0.25),
        ("€0.25", 0.25),
        ("€ 0,25", 0.25),
        (" 0,27365 ", 0.27365),
        ("1", 1.0),
        ("5", 5.0),
        ("5,00", 5.0),
    ],
)
def test_a_tariff_is_read_with_a_point_or_a_comma(text: str, tariff: float) -> None:
    assert parse_tariff(text) == tariff


@pytest.mark.parametrize("text", ["off", "OFF", "uit", "geen", "none"])
def test_off_clears_the_tariff(text: str) -> None:
    assert parse_tariff(text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("-0.25", "not_positive"),
        ("€-0,25", "not_positive"),
        ("- 0,25", "not_positive"),
        ("0", "not_positive"),
        ("0,00", "not_positive"),
        ("5.01", "too_high"),
        ("25", "too_high"),
        ("abc", "not_a_number"),
        ("0.25.1", "not_a_number"),
        ("1e3", "not_a_number"),
        ("nan", "not_a_number"),
        ("inf", "not_a_number"),
        (".5", "not_a_number"),
        ("0,25 0,30", "not_a_number"),
        ("0.123456", "too_many_decimals"),
    ],
)
def test_what_is_no_tariff_is_refused_with_its_reason(text: str, problem: str) -> None:
    with pytest.raises(BadTariff) as raised:
        parse_tariff(text)
    assert raised.value.problem == problem


def test_the_cost_is_kwh_times_the_tariff_and_a_tariff_shows_as_it_was_set() -> None:
    assert cost(10.0, 0.25) == 2.5
    assert cost(0.0, 0.30) == 0.0
    assert (tariff_decimals(0.25), tariff_decimals(0.3), tariff_decimals(0.27365)) == (2, 2, 5)


async def test_a_private_chat_sets_shows_and_clears_its_tariff(services: Services) -> None:
    assert await _tariff(services, ANNA, HOME) == (
        "💶 This chat has no tariff. Set your price per kWh with /tariff 0.25 (or /tariff 0,25): "
        "finished sessions, /stats, /export, /statement and the monthly digest then say what "
        "charging cost."
    )
    assert await _tariff(services, ANNA, HOME, "0,25") == (
        "💶 Tariff set: €0.25 per kWh. Finished sessions, /stats, /export, /statement and the "
        "monthly digest now say what charging cost in this chat."
    )
    assert await _stored(services, HOME) == 0.25
    assert await _tariff(services, ANNA, HOME) == (
        "💶 This chat's tariff: €0.25 per kWh. Change it with /tariff 0.30, clear it with "
        "/tariff off."
    )
    assert await _tariff(services, ANNA, HOME, "off") == (
        "💶 Tariff cleared: this chat no longer shows what charging cost."
    )
    assert await _stored(services, HOME) is None


async def test_in_dutch_the_tariff_reads_with_a_comma(services: Services) -> None:
    assert await _tariff(services, ANNA_NL, HOME, "€ 0.27365") == (
        "💶 Tarief ingesteld: € 0,27365 per kWh. Klaar-meldingen, /stats, /export, /statement "
        "en het maandoverzicht zeggen nu wat het laden in deze chat kostte."
    )
    assert await _tariff(services, ANNA_NL, HOME, "uit") == (
        "💶 Tarief gewist: deze chat laat niet meer zien wat het laden kostte."
    )


@pytest.mark.parametrize(
    ("person", "text", "reply"),
    [
        (
            ANNA,
            "-0.25",
            "A tariff is more than €0.00 per kWh; /tariff off clears it. Nothing was saved.",
        ),
        (
            ANNA_NL,
            "0",
            "Een tarief is meer dan € 0,00 per kWh; /tariff off wist het. Er is niets opgeslagen.",
        ),
        (
            ANNA,
            "25",
            "“25” is more than €5.00 per kWh, surely a typo. Send your price per kWh in euros, "
            "like /tariff 0.25. Nothing was saved.",
        ),
        (
            ANNA_NL,
            "7,5",
            "“7,5” is meer dan € 5,00 per kWh, vast een tikfout. Stuur je prijs per kWh in "
            "euro's, zoals /tariff 0,25. Er is niets opgeslagen.",
        ),
        (
            ANNA,
            "cheap",
            "“cheap” is not a price. Send your price per kWh in euros, like /tariff 0.25 or "
            "/tariff 0,25. Nothing was saved.",
        ),
        (
            ANNA_NL,
            "<b>gratis</b>",
            "“<b>gratis</b>” is geen prijs. Stuur je prijs per kWh in euro's, zoals "
            "/tariff 0,25 of /tariff 0.25. Er is niets opgeslagen.",
        ),
        (
            ANNA,
            "0.123456",
            "“0.123456” has too many decimals: at most 5, like /tariff 0.27365. Nothing was saved.",
        ),
        (
            ANNA_NL,
            "0,2500001",
            "“0,2500001” heeft te veel decimalen: hooguit 5, zoals /tariff 0,27365. "
            "Er is niets opgeslagen.",
        ),
    ],
)
async def test_bad_input_is_answered_with_what_was_wrong_and_nothing_is_saved(
    services: Services, person: Person, text: str, reply: str
) -> None:
    await _tariff(services, ANNA, HOME, "0.25")
    assert await _tariff(services, person, HOME, text) == reply
    assert await _stored(services, HOME) == 0.25


async def test_in_a_group_only_an_admin_sets_or_clears_the_tariff(services: Services) -> None:
    refused = "Only a group admin can change this chat's settings."
    assert await _tariff(services, BERT, FAMILY, "0.30") == refused
    assert await _stored(services, FAMILY) is None
    assert (await _tariff(services, ANNA, FAMILY, "0.30", admin=True)).startswith(
        "💶 Tariff set: €0.30 per kWh."
    )
    assert await _tariff(services, BERT, FAMILY, "off") == refused
    assert await _stored(services, FAMILY) == 0.30
    assert (await _tariff(services, BERT, FAMILY)).startswith("💶 This chat's tariff: €0.30")


async def test_the_tariff_survives_a_restart(
    settings: Settings, clock: ManualClock, sim: JouloSimulator
) -> None:
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as first:
        await _tariff(first, ANNA, HOME, "0,25")
    async with open_services(settings, clock=clock, joulo_transport=sim.transport()) as second:
        assert await _stored(second, HOME) == 0.25
        assert (await _tariff(second, ANNA, HOME)).startswith("💶 This chat's tariff: €0.25")


def test_the_menus_and_help_list_tariff_in_both_languages() -> None:
    assert "tariff" in menu("private")
    assert "tariff" in menu("group")
    assert set(COMMAND_MENU["tariff"]) == {"en", "nl"}
    assert "/tariff 0.25" in TEXTS["help"]["en"]
    assert "/tariff 0,25" in TEXTS["help"]["nl"]


@pytest.mark.parametrize("new_chat_known", [False, True])
async def test_the_tariff_follows_a_group_that_becomes_a_supergroup(
    services: Services, clock: ManualClock, new_chat_known: bool
) -> None:
    group, supergroup = Place(id=-555, kind="group", title="Family"), FAMILY
    await _tariff(services, ANNA, group, "0,30", admin=True)
    if new_chat_known:  # the supergroup spoke to the bot before the move was noticed
        await services.store.set_tariff(
            chat_id=supergroup.id,
            kind="supergroup",
            title="Family",
            language="en",
            tariff=None,
            now=clock.now(),
        )
    await services.store.migrate_chat(group.id, supergroup.id, clock.now())
    assert await _stored(services, supergroup) == 0.30
    assert await services.store.chat(group.id) is None


async def _link(services: Services, sim: JouloSimulator, person: Person, *names: str) -> str:
    token = sim.add_account()
    for name in names:
        sim.add_charger(token, name, mid_certified=name != "Shed")
    assert (await services.answers.link(person, token)).linked
    return token


def _history(sim: JouloSimulator, token: str) -> None:
    """Two sessions this month (April 2026), one last month, one in January."""
    garage = next(c["id"] for c in sim.chargers(token) if c.get("nickname") == "Garage")
    for start, hours, kwh in (
        (datetime(2026, 4, 2, 18, 0, tzinfo=UTC), 3, 22.4),
        (datetime(2026, 4, 10, 19, 0, tzinfo=UTC), 2, 12.6),
        (datetime(2026, 3, 20, 20, 0, tzinfo=UTC), 5, 38.0),
        (datetime(2026, 1, 5, 20, 0, tzinfo=UTC), 4, 1234.5),
    ):
        sim.add_past_session(garage, start, start + timedelta(hours=hours), kwh)


async def test_stats_gives_each_period_its_cost_at_the_chats_tariff(
    services: Services, sim: JouloSimulator
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token)
    without = plain_text((await services.answers.stats(ANNA, HOME)).text)
    await _tariff(services, ANNA, HOME, "0,25")
    await _tariff(services, ANNA, FAMILY, "0,30", admin=True)
    await services.answers.subscribe(ANNA, FAMILY)
    private = plain_text((await services.answers.stats(ANNA, HOME)).text)
    assert private.splitlines()[1:8:2] == [
        "This month (April 2026): 35.0 kWh · €8.75 · 2 sessions",
        "Last month (March 2026): 38.0 kWh · €9.50 · 1 session",
        "This year (2026): 1,307.5 kWh · €326.88 · 4 sessions",
        "Lifetime: 1,307.5 kWh · €326.88 · 4 sessions",
    ]
    assert "€ after kWh: what charging cost at this chat's tariff, €0.25 per kWh." in private
    assert "€ after kWh" not in without
    group = plain_text((await services.answers.stats(ANNA_NL, FAMILY)).text)
    assert "Deze maand (april 2026): 35,0 kWh · € 10,50 · 2 sessies" in group


def _csv(reply_content: bytes, lang: str) -> list[list[str]]:
    text = reply_content.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";" if lang == "nl" else ","))


async def test_export_has_a_cost_column_and_total_at_the_chats_tariff(
    services: Services, sim: JouloSimulator
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token)
    await _tariff(services, ANNA, HOME, "0,25")
    await _tariff(services, ANNA, FAMILY, "0,27365", admin=True)
    await services.answers.subscribe(ANNA, FAMILY)

    private = await services.answers.command("export", Asked(ANNA, HOME, ("2026-04",)))
    assert plain_text(private.text) == (
        "📄 Charging sessions, April 2026: 2 sessions · 35.0 kWh · €8.75 at €0.25 per kWh"
    )
    assert private.attachment is not None
    rows = _csv(private.attachment.content, "en")
    assert rows[0][3:5] == ["kWh", "Cost (EUR at 0.25/kWh)"]
    assert [row[3:5] for row in rows[1:]] == [["22.40", "5.60"], ["12.60", "3.15"]]

    group = await services.answers.command("export", Asked(ANNA_NL, FAMILY, ("2026",)))
    assert plain_text(group.text) == (
        "📄 Laadsessies, 2026: 4 sessies · 1.307,5 kWh · € 357,80 à € 0,27365 per kWh"
    )
    assert group.attachment is not None
    rows = _csv(group.attachment.content, "nl")
    assert rows[0][3:5] == ["kWh", "Kosten (EUR à 0,27365/kWh)"]
    costs = [row[4] for row in rows[1:]]
    assert costs == ["337,82", "10,40", "6,13", "3,45"]
    # the caption's total is the column's sum, cent for cent
    assert sum(float(c.replace(",", ".")) for c in costs) == pytest.approx(357.80)


async def test_export_without_a_tariff_has_no_cost_column(
    services: Services, sim: JouloSimulator
) -> None:
    token = await _link(services, sim, ANNA, "Garage")
    _history(sim, token)
    reply = await services.answers.command("export", Asked(ANNA, HOME, ("2026-04",)))
    assert plain_text(reply.text) == "📄 Charging sessions, April 2026: 2 sessions · 35.0 kWh"
    assert reply.attachment is not None
    assert "Cost" not in _csv(reply.attachment.content, "en")[0][4]


async def test_the_settings_menu_shows_the_chats_tariff(services: Services) -> None:
    before = plain_text((await services.answers.command("settings", Asked(ANNA, HOME))).text)
    assert "Tariff: none (/tariff 0.25 sets one)" in before.splitlines()
    await _tariff(services, ANNA_NL, HOME, "0,25")
    after = plain_text((await services.answers.command("settings", Asked(ANNA_NL, HOME))).text)
    assert "Tarief: € 0,25 per kWh (/tariff off wist het)" in after.splitlines()


async def test_the_settings_button_clears_the_tariff_and_only_an_admin_may_press_it(
    services: Services,
) -> None:
    def clear_button(reply: Reply) -> list[str]:
        return [b.text for row in reply.buttons for b in row if b.data == "set:tariff:off"]

    no_tariff = await services.answers.command("settings", Asked(ANNA, FAMILY))
    assert clear_button(no_tariff) == []  # nothing to clear
    await _tariff(services, ANNA, FAMILY, "0.30", admin=True)
    menu = await services.answers.command("settings", Asked(ANNA, FAMILY))
    assert clear_button(menu) == ["💶 Clear the tariff"]

    refused = await services.answers.press(Asked(BERT, FAMILY), "set:tariff:off")
    assert refused is not None
    assert refused.notice == "Only a group admin can change this chat's settings."
    assert clear_button(refused) == ["💶 Clear the tariff"]
    assert await _stored(services, FAMILY) == 0.30

    pressed = await services.answers.press(Asked(ANNA, FAMILY, is_admin=_yes), "set:tariff:off")
    assert pressed is not None
    assert await _stored(services, FAMILY) is None
    assert "Tariff: none (/tariff 0.25 sets one)" in plain_text(pressed.text).splitlines()
    assert clear_button(pressed) == []
    await _tariff(services, ANNA_NL, HOME, "0,25")
    dutch = await services.answers.command("settings", Asked(ANNA_NL, HOME))
    assert clear_button(dutch) == ["💶 Tarief wissen"]
