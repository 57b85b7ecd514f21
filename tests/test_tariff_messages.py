"""Each chat sees what a session cost at its own tariff, in the message it gets.

Pins down: one session, announced to Anna's private chat (€0.25 per kWh) and the family group
(€0.30), says "💶 Cost: …" at each chat's own tariff, in each chat's language; a chat without a
tariff gets no cost line; the late-credits edit of the "finished" message keeps the cost line;
the live card's end figures give the same cost. Through the real Application, the fake Bot API
and the simulator.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.events import MonthlyDigest, MonthTotals, SessionFinished, SessionStarted
from bot.core.text.notifications import live_card, render_event
from tests.fake_telegram import SentMessage
from tests.story import ANNA, FAMILY, World


def _finished(world: World, chat_id: int) -> SentMessage:
    (message,) = [
        m
        for m in world.telegram.sent()
        if m.chat_id == chat_id and m.plain_text.startswith("✅ Garage")
    ]
    return message


async def _family_with_tariffs(world: World, private: str, group: str) -> None:
    await world.say(ANNA, ANNA, f"/link {world.token}")
    world.telegram.set_admin(FAMILY, ANNA)
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.say(FAMILY, ANNA, "/subscribe")
    if private:
        assert (await world.say(ANNA, ANNA, f"/tariff {private}")).startswith("💶 Tariff set")
    if group:
        assert (await world.say(FAMILY, ANNA, f"/tariff {group}")).startswith("💶 Tar")


async def _one_session(world: World, hours: float = 1.0) -> None:
    """An 11 kW session of `hours` on the Garage charger, announced in both chats."""
    private, group = (
        len(world.telegram.messages_to(ANNA.id)),
        len(world.telegram.messages_to(FAMILY.id)),
    )
    world.clock.advance(60)
    world.sim.start_session(world.garage, power_kw=11.0)
    world.clock.advance(30)
    await world.messages(FAMILY.id, group + 1)
    world.clock.advance(int(hours * 3600))
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    await world.messages(ANNA.id, private + 2)
    await world.messages(FAMILY.id, group + 2)


async def test_one_session_costs_each_chat_its_own_tariff(world: World) -> None:
    await _family_with_tariffs(world, "0,25", "0.30")
    await world.say(FAMILY, ANNA, "/language nl")
    await _one_session(world)
    assert _finished(world, ANNA.id).plain_text == (
        "✅ Garage: charging finished\n"
        "11.09 kWh in 1 h · avg 11.0 kW\n"
        "💶 Cost: €2.77 (11.09 kWh × €0.25)\n"
        "ERE credits: 3.66"
    )
    assert _finished(world, FAMILY.id).plain_text == (
        "✅ Garage: klaar met laden\n"
        "11,09 kWh in 1 u · gem. 11,0 kW\n"
        "💶 Kosten: € 3,33 (11,09 kWh × € 0,30)\n"
        "ERE-credits: 3,66"
    )


async def test_a_chat_without_a_tariff_gets_no_cost_line(world: World) -> None:
    await _family_with_tariffs(world, "0,25", "")
    await _one_session(world)
    assert "💶 Cost: €2.77" in _finished(world, ANNA.id).plain_text
    assert "💶" not in _finished(world, FAMILY.id).plain_text


async def test_the_late_credits_edit_keeps_each_chats_cost_line(world: World) -> None:
    world.sim.credits_delay = 12 * 60  # Joulo computes the credits 12 minutes after the end
    await _family_with_tariffs(world, "0.25", "0.30")
    await _one_session(world)
    finished = {chat: _finished(world, chat) for chat in (ANNA.id, FAMILY.id)}
    assert "ERE credits" not in finished[ANNA.id].plain_text
    for _ in range(18):
        world.clock.advance(60)
        await world.next_polls()
    edits = {int(e.chat_id): e.plain_text for e in world.telegram.edits()}
    assert edits == {
        ANNA.id: finished[ANNA.id].plain_text + "\nERE credits: 3.66",
        FAMILY.id: finished[FAMILY.id].plain_text + "\nERE credits: 3.66",
    }
    assert "💶 Cost: €2.77 (11.09 kWh × €0.25)" in edits[ANNA.id]
    assert "💶 Cost: €3.33 (11.09 kWh × €0.30)" in edits[FAMILY.id]


START = datetime(2026, 4, 9, 18, 0, tzinfo=UTC)
STARTED = SessionStarted(charger_id="g", charger_name="Garage", session_id="s", started_at=START)
FINISHED = SessionFinished(
    charger_id="g",
    charger_name="Garage",
    session_id="s",
    started_at=START,
    ended_at=START + timedelta(hours=2),
    kwh=10.0,
    ere_credits=3.0,
)


def test_the_finished_message_gives_the_cost_at_the_tariff_it_is_rendered_for() -> None:
    now = FINISHED.ended_at
    at_25 = render_event(FINISHED, "en", UTC, now, {}, tariff=0.25)
    assert at_25.splitlines()[2] == "💶 Cost: €2.50 (10.00 kWh × €0.25)"
    at_nl = render_event(FINISHED, "nl", UTC, now, {}, tariff=0.27365)
    assert at_nl.splitlines()[2] == "💶 Kosten: € 2,74 (10,00 kWh × € 0,27365)"
    assert "💶" not in render_event(FINISHED, "en", UTC, now, {}, tariff=None)


def test_the_live_cards_end_figures_give_the_cost() -> None:
    card = live_card(
        STARTED, None, FINISHED, tag_names={}, lang="en", tz=UTC, now=START, tariff=0.30
    )
    assert "\n💶 Cost: €3.00 (10.00 kWh × €0.30)\n" in card
    plain = live_card(STARTED, None, FINISHED, tag_names={}, lang="en", tz=UTC, now=START)
    assert "💶" not in plain


def _digest(**extra: object) -> MonthlyDigest:
    values: dict[str, object] = {
        "month": "2026-03",
        "previous_month": "2026-02",
        "kwh": 150.0,
        "sessions": 6,
        "credits": 49.5,
        "previous_kwh": 100.0,
        "previous_sessions": 4,
        "previous_credits": 33.0,
        "owner": "Anna",
    }
    return MonthlyDigest.model_validate(values | extra)


MONTHS = (
    MonthTotals(month="2025-12", kwh=500.0, credits=165.0),  # last year: not in 2026's cost
    MonthTotals(month="2026-01", kwh=120.0, credits=39.6),
    MonthTotals(month="2026-02", kwh=100.0, credits=33.0),
    MonthTotals(month="2026-03", kwh=150.0, credits=49.5, kwh_all=164.6),
)


def test_the_digest_gives_the_months_and_the_years_cost_at_the_chats_tariff() -> None:
    now = datetime(2026, 4, 1, 7, 0, tzinfo=UTC)
    text = render_event(_digest(months=MONTHS), "en", UTC, now, {}, tariff=0.25)
    # all charging is paid for: March's 164.6 kWh (ERE part 150.0), and 120 + 100 + 164.6 in 2026
    assert text.splitlines()[-2] == (
        "💶 Charging cost €41.15 (164.6 kWh × €0.25) · €96.15 in 2026 so far"
    )
    assert text.splitlines()[-1] == "📊 /stats draws the chart"
    dutch = render_event(_digest(months=MONTHS), "nl", UTC, now, {}, tariff=0.30)
    assert dutch.splitlines()[-2] == (
        "💶 Laadkosten € 49,38 (164,6 kWh × € 0,30) · € 115,38 in 2026 tot nu"
    )
    assert "💶" not in render_event(_digest(months=MONTHS), "en", UTC, now, {})


def test_an_older_digest_without_its_months_gives_the_months_cost_alone() -> None:
    now = datetime(2026, 4, 1, 7, 0, tzinfo=UTC)
    text = render_event(_digest(), "en", UTC, now, {}, tariff=0.25)
    assert text.splitlines()[-2] == "💶 Charging cost €37.50 (150.0 kWh × €0.25)"
