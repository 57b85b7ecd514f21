"""Every query the bot runs finds its rows through an index, so the database scales with use.

Runs the store through a bot's life (link, subscribe, poll with events, send, a group lost and
one migrated, pruning, unlinking) with SQLite's trace on, and asks SQLite's query planner about
each statement: none may scan a whole table, except reading every account, which is the point.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta

from bot.app import Services
from bot.commands import Person, Place
from bot.outbox import lose_chat
from tests.clock import ManualClock
from tests.conftest import link_garage
from tests.joulo_sim import JouloSimulator

#: Statements that read every row of a table on purpose (the last two once per process: the
#: poller's memory, recalled at its first cycle).
WHOLE_TABLE_ON_PURPOSE = (
    "FROM accounts WHERE status = 'active'",
    "SELECT id, token_enc FROM",
    "SELECT account_id, state FROM charger_states",
    "SELECT account_id, data FROM pending_ends",
)


async def test_no_statement_scans_a_whole_table(
    services: Services, sim: JouloSimulator, clock: ManualClock
) -> None:
    statements: list[str] = []
    await services.store._db.set_trace_callback(statements.append)
    people = [Person(id=7001 + n, name=f"P{n}", language="en") for n in range(3)]
    tokens = [await link_garage(services, sim, person) for person in people]
    group = Place(id=-100, kind="group", title="Family")
    await services.answers.subscribe(people[0], group)
    await services.answers.subscribe(people[1], group)
    clock.advance(60)
    await services.poller.run_cycle()
    for token in tokens:
        sim.start_session(next(c["id"] for c in sim.chargers(token)))
    clock.advance(60)
    await services.poller.run_cycle()
    for delivery in await services.store.pending_deliveries():
        await services.store.mark_sent(delivery.id, 1, clock.now())
    for token in tokens:
        sim.finish_session(next(c["id"] for c in sim.chargers(token)))
    clock.advance(60)
    await services.poller.run_cycle()
    await services.store.migrate_chat(-100, -1000100, clock.now())
    await lose_chat(services.store, -1000100, "bot was kicked", clock.now())
    await services.answers.status(people[0], Place(id=people[0].id, kind="private"))
    await services.store.prune(clock.now() + timedelta(days=31))
    await services.answers.unlink(people[2])
    await services.store._db.set_trace_callback(None)

    scans: dict[str, list[str]] = {}
    with closing(sqlite3.connect(services.settings.database_path)) as db:
        for sql in dict.fromkeys(statements):
            head = sql.lstrip().split(None, 1)[0].upper()
            if head not in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
                continue
            if any(mark in " ".join(sql.split()) for mark in WHOLE_TABLE_ON_PURPOSE):
                continue
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
            full = [step for step in plan if step.startswith("SCAN") and "INDEX" not in step]
            if full:
                scans[" ".join(sql.split())[:160]] = full
    assert scans == {}, "\n".join(f"{plan}: {sql}" for sql, plan in scans.items())
