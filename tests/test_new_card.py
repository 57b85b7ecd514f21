"""The card nobody named: when a session starts with a charge card the account has never seen,
and the account has named at least one card, the owner's "started" message says so, with the
command that names it; groups get the usual message. "Never seen" is what the store knows, so it
holds across restarts (and for cards in events recorded before the bot learnt this).
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot import store as store_module
from bot.config import Settings
from bot.core.events import SessionStarted
from bot.core.outgoing import outgoing
from bot.core.tags import mark_new_cards
from bot.store import Store
from tests.clock import ManualClock
from tests.fake_telegram import FakeBotAPI
from tests.joulo_sim import JouloSimulator
from tests.story import ANNA, FAMILY, World, bot_running, next_polls

HINT = "💳 A card you have not named yet. Name it: /tag 04FFEE11 …"


def start(session: str, tag: str) -> SessionStarted:
    """A "started" event on card `tag`."""
    at = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
    return SessionStarted(
        charger_id=session, charger_name="G", session_id=session, started_at=at, id_tag=tag
    )


async def _family(world: World, *, name_a_card: bool = True) -> None:
    """Anna links, names her own card (or not), and shares her account with the family."""
    await world.say(ANNA, ANNA, f"/link {world.token}")
    if name_a_card:
        assert (await world.say(ANNA, ANNA, "/tag 04A3B2C1 Anna")).startswith("💳 Card")
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    assert (await world.say(FAMILY, ANNA, "/subscribe")).startswith("🔔")


async def _session(world: World, tag: str) -> tuple[str, str]:
    """A session on the Garage with card `tag`: the "started" message Anna and the group got."""
    mine, theirs = (
        len(world.telegram.messages_to(ANNA.id)),
        len(world.telegram.messages_to(FAMILY.id)),
    )
    world.sim.start_session(world.garage, id_tag=tag, power_kw=7.2)
    await world.next_polls()
    await world.telegram.await_for(
        lambda api: (
            len(api.messages_to(ANNA.id)) > mine and len(api.messages_to(FAMILY.id)) > theirs
        )
    )
    private = world.telegram.messages_to(ANNA.id, plain=True)[-1]
    group = world.telegram.messages_to(FAMILY.id, plain=True)[-1]
    world.sim.finish_session(world.garage)
    await world.next_polls()
    return private, group


async def test_the_owner_is_asked_to_name_a_new_card_and_the_group_is_not(world: World) -> None:
    await _family(world)

    private, group = await _session(world, "04ffee11")

    assert private.startswith("🔌 Garage: charging started at 10:00 (tag 04ffee11)")
    assert private.endswith("\n" + HINT)
    assert group == "🔌 Garage: charging started at 10:00 (tag 04ffee11)"


async def test_the_hint_is_in_dutch_for_a_dutch_chat(world: World) -> None:
    await _family(world)
    await world.say(ANNA, ANNA, "/language nl")

    private, _ = await _session(world, "04FFEE11")

    assert private.endswith(
        "\n💳 Een pas die je nog geen naam gaf. Geef hem er een: /tag 04FFEE11 …"
    )


async def test_no_hint_while_the_account_has_named_no_card(world: World) -> None:
    await _family(world, name_a_card=False)

    private, _ = await _session(world, "04FFEE11")

    assert private == "🔌 Garage: charging started at 10:00 (tag 04FFEE11)"


async def test_no_hint_for_a_card_seen_before_or_named(world: World) -> None:
    await _family(world, name_a_card=False)
    await _session(world, "04FFEE11")  # seen before any card had a name
    await world.say(ANNA, ANNA, "/tag 04A3B2C1 Anna")

    seen, _ = await _session(world, "04ffee11")
    named, _ = await _session(world, "04a3b2c1")

    assert HINT not in seen
    assert seen.startswith("🔌 Garage: charging started at")
    assert named.startswith("🔌 Anna started charging at Garage")
    assert "💳" not in named


async def test_a_card_is_new_only_once_across_a_restart(
    fake_bot: FakeBotAPI, sim: JouloSimulator, clock: ManualClock, settings: Settings
) -> None:
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    settings = settings.model_copy(update={"telegram_api_url": fake_bot.base_url})
    transport = sim.transport()

    async def started(tag: str) -> str:
        sim.start_session(garage, id_tag=tag, power_kw=7.2)
        await next_polls(sim)
        await fake_bot.await_for(
            lambda api: "charging started" in api.messages_to(ANNA.id, plain=True)[-1]
        )
        text = fake_bot.messages_to(ANNA.id, plain=True)[-1]
        sim.finish_session(garage)
        await next_polls(sim)
        return text

    async with bot_running(settings, clock, transport) as bot:
        fake_bot.private_message(ANNA, f"/link {token}")
        fake_bot.private_message(ANNA, "/tag 04A3B2C1 Anna")
        await fake_bot.await_for(lambda api: len(api.messages_to(ANNA.id)) == 2)
        first = await started("04FFEE11")
        await bot.sender.drain()

    async with bot_running(settings, clock, transport):  # a new process on the same file
        again = await started("04FFEE11")

    assert first.endswith(HINT)
    assert again == "🔌 Garage: charging started at 10:00 (tag 04FFEE11)"


def test_a_card_twice_in_one_poll_is_new_once_and_nothing_is_new_without_names() -> None:
    items = [outgoing(start("s1", "04ffee11")), outgoing(start("s2", "04FFEE11 "))]

    marked = mark_new_cards(items, seen=set(), names={"04A3B2C1": "Anna"})
    unnamed = mark_new_cards(items, seen=set(), names={})
    known = mark_new_cards(items, seen={"04FFEE11"}, names={"04A3B2C1": "Anna"})

    assert [getattr(i.event, "new_card", None) for i in marked] == [True, False]
    assert [getattr(i.event, "new_card", None) for i in unnamed] == [False, False]
    assert [getattr(i.event, "new_card", None) for i in known] == [False, False]


async def test_the_owners_live_card_keeps_the_hint_while_it_is_redrawn(world: World) -> None:
    await _family(world)
    assert (await world.say(ANNA, ANNA, "/live on")).startswith("📟 Live card on")
    world.telegram.set_admin(FAMILY, ANNA)
    assert (await world.say(FAMILY, ANNA, "/live on")).startswith("📟 Live card on")

    world.sim.start_session(world.garage, id_tag="04FFEE11", power_kw=7.2)
    await world.next_polls()
    await world.telegram.await_for(
        lambda api: {e.chat_id for e in api.edits()} >= {ANNA.id, FAMILY.id}
    )

    [mine] = [e for e in world.telegram.edits() if e.chat_id == ANNA.id][-1:]
    [theirs] = [e for e in world.telegram.edits() if e.chat_id == FAMILY.id][-1:]
    assert "kWh" in mine.plain_text
    assert mine.plain_text.endswith("\n" + HINT)
    assert "💳" not in theirs.plain_text


async def test_cards_in_events_recorded_before_the_upgrade_count_as_seen(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    before = next(
        n for n, script in enumerate(store_module._MIGRATIONS) if "CREATE TABLE seen_tags" in script
    )
    at = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
    payload = start("s1", " 04ffee11").model_dump_json()
    with contextlib.closing(sqlite3.connect(path)) as db:
        for script in store_module._MIGRATIONS[:before]:
            db.executescript(script)
        db.execute(f"PRAGMA user_version={before}")
        db.execute(
            "INSERT INTO accounts (id, owner_id, owner_name, token_enc, fingerprint, linked_at) "
            "VALUES (1, 1, 'Anna', x'00', 'f', ?)",
            (at.isoformat(),),
        )
        db.execute(
            "INSERT INTO events (account_id, key, kind, payload, created_at) "
            "VALUES (1, 'start:s1:s1', 'session_started', ?, ?)",
            (payload, at.isoformat()),
        )
        db.commit()

    store = await Store.open(path)
    try:
        assert await store.seen_tags(1) == {"04FFEE11"}
    finally:
        await store.close()
