"""Every text about a session names the person, wherever the charge card has a name.

Pins down: once a card is named, the start message, the live card's redraws and its final
figures, the "finished" message, its late-credits edit, the "seems to have stopped" notice and
`/status` all say "Anna" (not the card's id), as `/sessions` does. Through the real
Application, the fake Bot API and the simulator; the pure renderers must be given the names
(a required argument).
"""

from __future__ import annotations

from tests.fake_telegram import SentMessage
from tests.story import ANNA, World


def _sent(world: World, starts: str) -> SentMessage:
    (message,) = [
        m for m in world.telegram.sent() if m.chat_id == ANNA.id and m.plain_text.startswith(starts)
    ]
    return message


async def test_the_person_stays_named_through_card_edits_late_credits_and_status(
    world: World,
) -> None:
    world.sim.credits_delay = 12 * 60  # Joulo computes the credits 12 minutes after the end
    await world.say(ANNA, ANNA, f"/link {world.token}")
    await world.say(ANNA, ANNA, "/tag 04A3B2C1 Anna")
    assert (await world.say(ANNA, ANNA, "/live on")).startswith("📟 Live card on")

    world.clock.advance(60)
    world.sim.start_session(world.garage, id_tag="04A3B2C1", power_kw=11.0)
    world.clock.advance(30)
    card = await _wait_for(world, "🔌 Anna started charging at Garage")
    await world.telegram.await_for(lambda api: len(api.edits()) >= 1)  # the card, drawn at once
    for _ in range(6):
        world.clock.advance(60)
        await world.next_polls()
    redrawn = [e for e in world.telegram.edits() if e.message_id == card.message_id]
    assert redrawn
    assert all(e.plain_text.startswith("🔌 Anna started charging at Garage") for e in redrawn)
    assert "04A3B2C1" not in redrawn[-1].plain_text

    status = await world.say(ANNA, ANNA, "/status")
    assert "👤 Anna" in status
    assert "04A3B2C1" not in status

    world.clock.advance(3600)
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    finished = await _wait_for(world, "✅ Anna finished charging at Garage")
    await world.next_polls()
    final_card = world.telegram.message(ANNA.id, card.message_id)
    assert final_card is not None
    assert "Anna" in final_card["text"]

    for _ in range(17):  # the look 17 minutes after the end finds the credits
        world.clock.advance(60)
        await world.next_polls()
    credited = [e for e in world.telegram.edits() if e.message_id == finished.message_id]
    assert len(credited) == 1
    assert credited[0].plain_text.startswith("✅ Anna finished charging at Garage")
    assert "ERE credits" in credited[0].plain_text


async def test_a_stalled_session_names_the_person_whose_card_started_it(world: World) -> None:
    await world.say(ANNA, ANNA, f"/link {world.token}")
    await world.say(ANNA, ANNA, "/tag 04A3B2C1 Anna")
    world.clock.advance(60)
    world.sim.start_session(world.garage, id_tag="04A3B2C1", power_kw=7.2)
    world.clock.advance(30)
    await _wait_for(world, "🔌 Anna started charging at Garage")
    world.clock.advance(600)
    await world.next_polls()
    world.sim.set_power(world.garage, 0.0)
    world.clock.advance(31 * 60)
    await world.next_polls()

    stalled = await _wait_for(world, "⏸ Garage")
    assert stalled.plain_text.startswith("⏸ Garage · 👤 Anna: charging seems to have stopped")
    assert "04A3B2C1" not in stalled.plain_text


async def _wait_for(world: World, starts: str) -> SentMessage:
    await world.telegram.await_for(
        lambda api: any(
            m.chat_id == ANNA.id and m.plain_text.startswith(starts) for m in api.sent()
        )
    )
    return _sent(world, starts)
