"""/statement through the fake Bot API: a PDF document per account the chat may see (never an
account that is not subscribed there), with a short caption, made of exactly the month's finished
sessions; the credits' value at the account's stored price; a month without sessions is a
sentence, not an empty PDF; a bad or future month gets the usage, as /export does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.money import CreditPrice
from tests.fake_telegram import FakeUser, UploadedFile
from tests.pdf_text import pdf_pages, pdf_text
from tests.story import ANNA, FAMILY, World

BERT = FakeUser(id=5002, first_name="Bert", language_code="nl")
CARL = FakeUser(id=5003, first_name="Carl", language_code="en")


async def _link(world: World, user: FakeUser, token: str) -> None:
    reply = await world.answer(user, user, f"/link {token}")
    assert reply.plain_text.startswith("✅"), reply.plain_text


def _documents(world: World) -> list[UploadedFile]:
    files = [call.params["document"] for call in world.telegram.calls_to("sendDocument")]
    assert all(isinstance(file, UploadedFile) for file in files)
    return files


def _march(world: World) -> None:
    """Anna's March 2026 (Amsterdam time) and its edges."""
    add = world.sim.add_past_session
    add(
        world.garage,
        datetime(2026, 2, 28, 22, 50, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 50, tzinfo=UTC),
        1.0,
    )  # 23:50 on 28 Feb: February's
    add(
        world.garage,
        datetime(2026, 3, 2, 17, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 21, 0, tzinfo=UTC),
        30.0,
        id_tag="04A3B2C1",
    )
    add(
        world.driveway,
        datetime(2026, 3, 15, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 15, 14, 0, tzinfo=UTC),
        8.25,
    )
    add(
        world.garage,
        datetime(2026, 3, 31, 21, 59, tzinfo=UTC),
        datetime(2026, 4, 1, 1, 0, tzinfo=UTC),
        4.0,
    )  # 23:59 on 31 Mar: March's
    add(
        world.garage,
        datetime(2026, 3, 31, 22, 10, tzinfo=UTC),
        datetime(2026, 3, 31, 23, 0, tzinfo=UTC),
        5.0,
    )  # 00:10 on 1 Apr: April's


async def test_a_private_statement_is_a_pdf_of_last_months_sessions_with_their_value(
    world: World,
) -> None:
    await _link(world, ANNA, world.token)
    _march(world)
    await world.answer(ANNA, ANNA, "/tag 04A3B2C1 Anna's card")
    store = world.bot.services.store
    account = await store.account_for_owner(ANNA.id)
    assert account is not None
    price = CreditPrice(0.25, "account", world.clock.now() - timedelta(days=1))
    await store.record_money(
        account.id, link_seq=account.link_seq, checked_at=world.clock.now(), price=price, mark=None
    )

    sent = await world.answer(ANNA, ANNA, "/statement")

    assert sent.method == "sendDocument"
    assert sent.plain_text == "🧾 Charging statement March 2026, Anna: 3 sessions · 42.25 kWh"
    (document,) = _documents(world)
    assert document.filename == "joulo-statement-2026-03-anna.pdf"
    assert document.content_type == "application/pdf"
    pages = pdf_pages(document.data)
    assert len(pages) == 1
    text = pages[0]
    for expected in (
        "Charging statement March 2026",
        "Account holder Anna",
        "Chargers Driveway, Garage",
        "Period 1 March 2026 – 31 March 2026",
        "2 Mar 2026 Garage 18:00 22:00 30.00 yes 9.90 Anna's card (04A3B2C1)",
        "15 Mar 2026 Driveway 13:00 15:00 8.25 no —",
        "31 Mar 2026 Garage 23:59 03:00 +1 4.00 yes 1.32",
        "Sessions 3",
        "Energy charged 42.25 kWh",
        "of which MID/ERE-eligible 34.00 kWh",
        "ERE credits 11.22",
        "Value of the ERE credits (estimate) ≈ €2.81",
        "Estimate at €0.25 per credit: Joulo's indicative price for this account, after "
        "Joulo's fee, as of 14 April 2026.",
        "Made on 15 April 2026 at 10:00 (Europe/Amsterdam)",
    ):
        assert expected in text, expected
    assert "23:50" not in text
    assert "00:10" not in text
    assert "Cost at" not in text  # this chat set no tariff


async def test_a_group_gets_one_pdf_per_subscribed_account_and_no_other(world: World) -> None:
    await _link(world, ANNA, world.token)
    _march(world)
    bert_token = world.sim.add_account()
    bert_garage = world.sim.add_charger(bert_token, "Carport", mid_certified=True)
    start = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    world.sim.add_past_session(bert_garage, start, start + timedelta(hours=2), 12.5)
    await _link(world, BERT, bert_token)
    carl_token = world.sim.add_account()
    carl_charger = world.sim.add_charger(carl_token, "Carl's barn")
    world.sim.add_past_session(carl_charger, start, start + timedelta(hours=2), 99.0)
    await _link(world, CARL, carl_token)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.answer(FAMILY, ANNA, "/subscribe")
    await world.answer(FAMILY, BERT, "/subscribe")
    world.telegram.set_admin(FAMILY, ANNA)
    assert (await world.answer(FAMILY, ANNA, "/language nl")).plain_text.startswith("🌐")

    before = len(world.telegram.messages_to(FAMILY.id))
    world.telegram.group_message(FAMILY, CARL, "/statement 2026-03")
    await world.messages(FAMILY.id, before + 2)

    captions = world.telegram.messages_to(FAMILY.id, plain=True)[before:]
    assert sorted(captions) == [
        "🧾 Laadoverzicht maart 2026, Anna: 3 sessies · 42,25 kWh",
        "🧾 Laadoverzicht maart 2026, Bert: 1 sessie · 12,50 kWh",
    ]
    by_name = {file.filename: pdf_text(file.data) for file in _documents(world)}
    assert set(by_name) == {
        "joulo-statement-2026-03-anna.pdf",
        "joulo-statement-2026-03-bert.pdf",
    }
    anna = by_name["joulo-statement-2026-03-anna.pdf"]
    bert = by_name["joulo-statement-2026-03-bert.pdf"]
    assert "Accounthouder Anna" in anna
    assert "Geladen energie 42,25 kWh" in anna
    assert "Carport" not in anna
    assert "Accounthouder Bert" in bert
    assert "10-3-2026 Carport 19:00 21:00 12,50 ja" in bert
    assert "Garage" not in bert
    assert all("Carl" not in text and "99,00" not in text for text in by_name.values())


async def test_a_month_without_sessions_is_a_sentence_and_no_pdf(world: World) -> None:
    await _link(world, ANNA, world.token)
    _march(world)
    reply = await world.answer(ANNA, ANNA, "/statement 2025-06")
    assert reply.method == "sendMessage"
    assert reply.plain_text == (
        "🧾 No finished charging sessions of Anna in June 2025, so there is no statement to send."
    )
    dutch = await world.answer(ANNA, ANNA, "/language nl")
    assert dutch.plain_text.startswith("🌐")
    reply = await world.answer(ANNA, ANNA, "/statement 1999-12")
    assert reply.plain_text == (
        "🧾 Geen afgeronde laadsessies van Anna in december 1999, dus er is geen overzicht "
        "om te sturen."
    )
    assert world.telegram.calls_to("sendDocument") == []


async def test_a_bad_or_future_month_gets_the_usage_as_export_does(world: World) -> None:
    await _link(world, ANNA, world.token)
    _march(world)
    for argument in ("2026-05", "2026-13", "2026", "next month"):
        reply = await world.answer(ANNA, ANNA, f"/statement {argument}")
        assert reply.plain_text == (
            "Use /statement (last month) or /statement 2026-10 (a month); not a month that "
            "has yet to begin."
        ), argument
    assert world.telegram.calls_to("sendDocument") == []


@pytest.mark.menus
async def test_help_and_the_menus_name_statement_in_both_languages(world: World) -> None:
    english = await world.say(ANNA, ANNA, "/help")
    assert (
        "/statement [YYYY-MM] — a PDF of a month's charging to hand to your employer "
        "(default: last month)"
    ) in english
    dutch = await world.say(BERT, BERT, "/help")
    assert (
        "/statement [JJJJ-MM] — een pdf van een maand laden voor je werkgever "
        "(standaard: vorige maand)"
    ) in dutch
    menus = world.telegram.commands
    for scope in ("all_private_chats", "all_group_chats"):
        english_menu = {c["command"]: c["description"] for c in menus[(scope, "en")]}
        dutch_menu = {c["command"]: c["description"] for c in menus[(scope, "nl")]}
        assert english_menu["statement"] == "PDF of a month's charging, for your employer"
        assert dutch_menu["statement"] == "Pdf van een maand laden, voor je werkgever"


async def test_each_chat_gets_the_cost_at_its_own_tariff(world: World) -> None:
    await _link(world, ANNA, world.token)
    _march(world)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.answer(FAMILY, ANNA, "/subscribe")
    world.telegram.set_admin(FAMILY, ANNA)
    assert (await world.answer(ANNA, ANNA, "/tariff 0,25")).plain_text.startswith("💶")
    assert (await world.answer(FAMILY, ANNA, "/tariff 0.30")).plain_text.startswith("💶")

    private = await world.answer(ANNA, ANNA, "/statement 2026-03")
    group = await world.answer(FAMILY, ANNA, "/statement 2026-03")

    assert private.plain_text == (
        "🧾 Charging statement March 2026, Anna: 3 sessions · 42.25 kWh · €10.56"
    )
    assert group.plain_text == (
        "🧾 Charging statement March 2026, Anna: 3 sessions · 42.25 kWh · €12.68"
    )
    at_home, in_group = (pdf_text(file.data) for file in _documents(world))
    assert "Cost at €0.25 per kWh €10.56" in at_home
    assert "Cost at €0.30 per kWh €12.68" in in_group
