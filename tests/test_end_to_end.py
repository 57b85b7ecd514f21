"""End to end: the real python-telegram-bot Application, a fake Bot API and the Joulo simulator.

One family's story, start to finish — link in private, subscribe a group, a charging session
starts and finishes, a charger blips offline (silence) and then stays offline (alert) and comes
back — asserting every message each chat received: none missing, none doubled. The token is
deleted from the chat and appears neither in the database file nor in any log record.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.fake_telegram import BOT_TOKEN
from tests.story import ANNA, FAMILY, World


def _files_of(database: Path) -> bytes:
    return b"".join(
        path.read_bytes()
        for path in database.parent.iterdir()
        if path.name.startswith(database.name)
    )


async def test_a_family_hears_about_every_charging_event_exactly_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    telegram, sim, clock = world.telegram, world.sim, world.clock

    # Anna links her account by pasting the token in a private chat.
    telegram.private_message(ANNA, "/start")
    token_message = telegram.private_message(ANNA, f"my token: {world.token}")
    private = await world.messages(ANNA.id, 2)
    assert private[0].startswith("👋 Hi! I tell you and your family")
    assert private[1] == (
        "✅ Linked! I found 2 chargers:\n"
        "• Garage (easee, MID)\n"
        "• Driveway (ocpp)\n\n"
        "I'll message you when charging starts or finishes and when a charger goes offline. "
        "Add me to your family group and send /subscribe there to share the news."
    )
    assert (ANNA.id, token_message) in telegram.deleted

    # She adds the bot to the family group and subscribes it.
    telegram.add_bot_to_group(FAMILY, by=ANNA)
    telegram.group_message(FAMILY, ANNA, "/subscribe")
    group = await world.messages(FAMILY.id, 2)
    assert group[0].startswith("👋 Hi all! I report home charging from Joulo")
    assert group[1] == (
        "🔔 This group now gets the charging notifications of Anna's Joulo account. "
        "/status and /stats work here too."
    )

    # The car starts charging at 10:15 Amsterdam time.
    clock.advance(15 * 60)
    sim.start_session(world.garage, id_tag="04A3B2C1", power_kw=7.2)
    clock.advance(30)
    started = "🔌 Garage: charging started at 10:15 (tag 04A3B2C1)"
    assert (await world.messages(ANNA.id, 3))[2] == started
    assert (await world.messages(FAMILY.id, 3))[2] == started

    # /status in the group shows the running session.
    clock.advance(30 * 60)
    await world.next_polls()
    telegram.group_message(FAMILY, ANNA, "/status")
    status = (await world.messages(FAMILY.id, 4))[3]
    assert status == (
        "Driveway — 🟢 online, idle\n"
        "Garage — ⚡ charging\n"
        "   3.66 kWh · 30 min since 10:15 · ~7.2 kW (tag 04A3B2C1)\n"
        "Data from just now."
    )

    # It finishes after two hours: the final figures come from /sessions.
    clock.advance(90 * 60 - 30)
    sim.finish_session(world.garage)
    clock.advance(20)
    finished = (
        "✅ Garage: charging finished (tag 04A3B2C1)\n"
        "14.40 kWh in 2 h · avg 7.2 kW\n"
        "ERE credits: 4.75"
    )
    assert (await world.messages(ANNA.id, 4))[3] == finished
    assert (await world.messages(FAMILY.id, 5))[4] == finished

    # The driveway charger blips offline for two minutes: nobody is bothered.
    sim.set_status(world.driveway, "offline")
    clock.advance(60)
    await world.next_polls()
    clock.advance(60)
    await world.next_polls()
    sim.set_status(world.driveway, "online")
    clock.advance(60)
    await world.next_polls()

    # Then it really goes offline (first seen at 12:19) and comes back ten minutes later.
    sim.set_status(world.driveway, "offline")
    clock.advance(60)
    await world.next_polls()
    clock.advance(301)
    offline = "⚠️ Driveway is offline since 12:19 (status: offline)"
    assert (await world.messages(ANNA.id, 5))[4] == offline
    clock.advance(299)
    sim.set_status(world.driveway, "online")
    await world.next_polls()
    back = "🟢 Driveway is back online (away for 10 min)"
    assert (await world.messages(ANNA.id, 6))[5] == back

    # Several more polls change nothing: no message is ever repeated.
    clock.advance(60)
    await world.next_polls(4)  # and the outbox has sent whatever they produced
    assert telegram.messages_to(ANNA.id, plain=True) == [
        private[0],
        private[1],
        started,
        finished,
        offline,
        back,
    ]
    assert telegram.messages_to(FAMILY.id, plain=True) == [
        group[0],
        group[1],
        started,
        status,
        finished,
        offline,
        back,
    ]

    # The token is nowhere at rest and nowhere in the logs.
    assert world.token.encode() not in _files_of(world.settings.database_path)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records, "expected the bot to log something at DEBUG"
    assert world.token not in logged
    assert BOT_TOKEN not in logged
