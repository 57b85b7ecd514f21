"""ERE credits Joulo fills in only after a session's end reach the "finished" message late.

Pins down: the "finished" message goes out at once without credits; a few polls later (asked
at most every five minutes per account) the same message is edited once to show them, in
every chat that got it, and never again; once nothing is awaited, polls make no `/sessions`
request. Through the real Application, the fake Bot API and the simulator's `credits_delay`.
And the pure rule: a session announced with its last measured figures gets the record's final
ones with its credits; one that does not count for ERE, or ended a day ago, is given up.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.credits import Awaited, check_due, credit_news
from bot.core.events import SessionFinished
from bot.joulo.models import Session
from tests.fake_telegram import SentMessage
from tests.story import ANNA, FAMILY, World


def _sessions_requests(world: World) -> int:
    return sum(1 for r in world.sim.requests if r.endpoint == "/sessions")


def _finished(world: World, chat_id: int) -> SentMessage:
    (message,) = [
        m
        for m in world.telegram.sent()
        if m.chat_id == chat_id and m.plain_text.startswith("✅ Garage: charging finished")
    ]
    return message


async def test_late_credits_edit_each_chats_finished_message_once(world: World) -> None:
    world.sim.credits_delay = 12 * 60  # Joulo computes the credits 12 minutes after the end
    await world.say(ANNA, ANNA, f"/link {world.token}")
    world.telegram.add_bot_to_group(FAMILY, by=ANNA)
    await world.messages(FAMILY.id, 1)
    await world.say(FAMILY, ANNA, "/subscribe")
    world.clock.advance(60)
    world.sim.start_session(world.garage, power_kw=11.0)
    world.clock.advance(30)
    await world.messages(FAMILY.id, 3)
    world.clock.advance(3600)
    world.sim.finish_session(world.garage)
    world.clock.advance(30)
    await world.messages(ANNA.id, 3)
    await world.messages(FAMILY.id, 4)
    await world.next_polls()
    finished = {chat: _finished(world, chat) for chat in (ANNA.id, FAMILY.id)}
    assert all("ERE credits" not in m.plain_text for m in finished.values())
    assert world.telegram.edits() == []

    for _ in range(4):  # 4 minutes after the end: not asked again yet
        world.clock.advance(60)
        await world.next_polls()
    assert world.telegram.edits() == []
    for _ in range(8):
        world.clock.advance(60)
        await world.next_polls()
    assert world.telegram.edits() == []  # Joulo had no credits at the 5- and 10-minute looks

    world.clock.advance(5 * 60)  # the next look (17 minutes after the end) finds them
    await world.next_polls(3)
    edits = world.telegram.edits()
    assert sorted((e.chat_id, e.message_id) for e in edits) == sorted(
        (chat, m.message_id) for chat, m in finished.items()
    )
    for edit in edits:  # 11.09 kWh on a MID charger
        assert edit.plain_text == finished[int(edit.chat_id)].plain_text + "\nERE credits: 3.66"

    requests = _sessions_requests(world)
    for _ in range(6):  # nothing awaited any more: no more edits, no more /sessions
        world.clock.advance(5 * 60)
        await world.next_polls()
    assert len(world.telegram.edits()) == 2
    assert _sessions_requests(world) == requests


END = datetime(2026, 4, 9, 11, 0, tzinfo=UTC)


def _awaited(session_id: str, *, final: bool = True, ended: datetime = END) -> Awaited:
    finished = SessionFinished(
        charger_id="garage",
        charger_name="Garage",
        session_id=session_id,
        started_at=ended - timedelta(hours=1),
        ended_at=ended,
        kwh=10.0,
        final=final,
    )
    return Awaited(finished, checked_at=ended)


def _record(session_id: str, credits: float | None, *, counts: bool | None = True) -> Session:
    return Session(
        id=session_id,
        charger_id="garage",
        started_at=END - timedelta(hours=1, seconds=30),
        ended_at=END,
        kwh=10.5,
        ere_credits=credits,
        counts_for_ere=counts,
    )


def test_credits_are_asked_for_at_most_every_five_minutes() -> None:
    assert not check_due([_awaited("a")], END + timedelta(minutes=4, seconds=59))
    assert check_due([_awaited("a")], END + timedelta(minutes=5))


def test_last_measured_figures_become_final_with_the_credits() -> None:
    news = credit_news([_awaited("live-id", final=False)], [_record("other-id", 3.5)], now=END)

    (credited,) = news.credited
    assert credited.finished.key == "finish:garage:live-id"  # edits the message that was sent
    assert (credited.finished.kwh, credited.finished.ere_credits) == (10.5, 3.5)
    assert credited.finished.final
    assert news.settled == ["finish:garage:live-id"]


def test_sessions_without_credits_to_come_are_given_up() -> None:
    no_ere = _awaited("a")
    old = _awaited("b", ended=END - timedelta(days=1))
    waiting = _awaited("c")
    records = [_record("a", None, counts=False), _record("c", None)]

    news = credit_news([no_ere, old, waiting], records, now=END)

    assert news.credited == []
    assert news.settled == ["finish:garage:a", "finish:garage:b"]
    assert credit_news([old], None, now=END).settled == ["finish:garage:b"]
