"""A chat's tariff: `/tariff` reads a price per kWh once, refuses what is not one, keeps it.

Pins down: `0.25`, `0,25` and `€ 0,25` are the same tariff; negative, zero, over €5, not a
number, too many decimals are each answered with what was wrong (in English and Dutch) and
nothing is saved; `/tariff` alone shows the current one or how to set one; in a group only an
admin sets or clears it; it survives a restart; menus and /help list it.
"""

from __future__ import annotations

import pytest

from bot.app import Services, open_services
from bot.commands import Asked, Person, Place, menu
from bot.config import Settings
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
        "finished sessions, /stats, /export and the monthly digest then say what charging cost."
    )
    assert await _tariff(services, ANNA, HOME, "0,25") == (
        "💶 Tariff set: €0.25 per kWh. Finished sessions, /stats, /export and the monthly digest "
        "now say what charging cost in this chat."
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
        "💶 Tarief ingesteld: € 0,27365 per kWh. Klaar-meldingen, /stats, /export en het "
        "maandoverzicht zeggen nu wat het laden in deze chat kostte."
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
