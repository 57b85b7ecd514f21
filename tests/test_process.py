"""The real bot as a child process: stopping, health, and surviving SIGKILL.

Rules pinned down here, with `python -m bot` against the fake Bot API and the Joulo simulator
on loopback: SIGTERM ends the bot cleanly (exit 0, no traceback) within ten seconds; the
healthcheck is healthy only while poll cycles are recent and never creates a database; and a
bot that is killed at random moments and restarted loses no charging notification — each one
arrives once per chat, with at most one message per chat repeated per kill (the one in flight
to that chat when it landed: a chat's messages go one at a time), and a start is missing only
for a session that began and ended while the bot was down.

Every start runs `python -m bot`'s code in a process forked from an interpreter that has
loaded the bot's modules (tests/forkserver.py): a start, and a restart after a SIGKILL, waits for
the bot's own start, not for a second of imports.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.core.text.catalog import TEXTS
from tests.fake_telegram import BOT_TOKEN, FakeBotAPI
from tests.joulo_server import SimulatorServer
from tests.joulo_sim import JouloSimulator
from tests.processes import BotProcess, bot_environment, run_bot_command
from tests.story import ANNA, FAMILY

POLL_INTERVAL = 0.3
#: How long one start of the bot may take until its first poll (imports, Bot API handshake).
START_TIMEOUT = 30.0
SEED = 20260415
CHARGERS = ("Garage", "Carport")


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _plain(html_text: str) -> str:
    parser = _PlainText()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.parts).strip()


#: The note on a finish the bot learned of late (required when it never saw the session run).
WHILE_OFFLINE_NOTE = _plain(TEXTS["while_away"]["en"])


@dataclass
class Household:
    """Anna's Joulo account with two chargers, the fakes, and the bot process."""

    telegram: FakeBotAPI
    sim: JouloSimulator
    bot: BotProcess
    env: dict[str, str]
    workdir: Path
    token: str
    chargers: dict[str, str]  # nickname -> charger id

    def polls(self) -> int:
        """How many times anyone asked the simulator for the chargers."""
        return sum(1 for request in self.sim.requests if request.endpoint == "/chargers")

    def wait_for_polls(self, count: int, *, timeout: float = START_TIMEOUT) -> None:
        """Wait until the running bot has polled `count` more times."""
        target = self.polls() + count
        self.bot.eventually(
            lambda: self.polls() >= target, f"the bot polled {count} more time(s)", timeout=timeout
        )

    def messages(self, chat_id: int) -> list[str]:
        """What a chat received, as a person reads it."""
        return self.telegram.messages_to(chat_id, plain=True)

    def link(self) -> None:
        """Anna links her account in private; returns once a poll cycle completed after it."""
        self.telegram.private_message(ANNA, f"/link {self.token}")
        self.bot.eventually(
            lambda: any(m.startswith("✅ Linked!") for m in self.messages(ANNA.id)),
            "the bot answered /link with '✅ Linked!'",
            timeout=START_TIMEOUT,
        )
        self.wait_for_polls(2)  # the second request means the first cycle was recorded

    def subscribe_group(self) -> None:
        """Anna adds the bot to the family group and subscribes it."""
        self.telegram.add_bot_to_group(FAMILY, by=ANNA)
        self.telegram.group_message(FAMILY, ANNA, "/subscribe")
        self.bot.eventually(
            lambda: any(m.startswith("🔔 This group now gets") for m in self.messages(FAMILY.id)),
            "the group got the /subscribe confirmation",
        )


@pytest.fixture
def joulo() -> Iterator[SimulatorServer]:
    """The Joulo simulator on real time, served over loopback HTTP."""
    with SimulatorServer(JouloSimulator(SystemClock(), seed=7)) as server:
        yield server


@pytest.fixture
def household(fake_bot: FakeBotAPI, joulo: SimulatorServer, tmp_path: Path) -> Iterator[Household]:
    """Everything a process test needs; no bot process outlives the test."""
    sim = joulo.sim
    token = sim.add_account()
    chargers = {
        "Garage": sim.add_charger(token, "Garage", connection_type="easee", mid_certified=True),
        "Carport": sim.add_charger(token, "Carport", connection_type="ocpp", mid_certified=False),
    }
    env = bot_environment(
        telegram_url=fake_bot.base_url,
        joulo_url=joulo.base_url,
        database=tmp_path / "data" / "bot.sqlite3",
        poll_interval=POLL_INTERVAL,
    )
    bot = BotProcess(env, tmp_path)
    try:
        yield Household(fake_bot, sim, bot, env, tmp_path, token, chargers)
    finally:
        bot.stop()


def test_a_running_bot_is_healthy_and_sigterm_stops_it_cleanly(
    household: Household, tmp_path: Path
) -> None:
    """Docker's view: `healthcheck` passes while cycles run; SIGTERM exits 0 without a trace.

    When the heartbeat is too old the check fails: that rule runs in-process with an injected
    time (tests/test_health.py), since waiting here for three poll intervals proves nothing more.
    """
    bot, env = household.bot, household.env
    bot.start()
    household.link()

    # A loaded machine may delay one cycle, so allow a second look.
    attempts = [run_bot_command(env, tmp_path, "healthcheck")]
    while attempts[-1].returncode != 0 and len(attempts) < 3:
        household.wait_for_polls(1)
        attempts.append(run_bot_command(env, tmp_path, "healthcheck"))
    outputs = [(r.returncode, r.stdout, r.stderr) for r in attempts]
    assert attempts[-1].returncode == 0, f"{outputs}\n{bot.log_tail()}"
    assert attempts[-1].stdout.startswith("healthy"), f"{outputs}\n{bot.log_tail()}"

    code = bot.terminate(timeout=10)

    assert code == 0, f"exit code after SIGTERM: {code} (None: still running)\n{bot.log_tail()}"
    assert "Traceback" not in bot.run_stderr(), bot.log_tail(120)


# --------------------------------------------------------------------------------------------
# SIGKILL at random moments


@dataclass
class PlannedSession:
    """One charging session of the schedule, and what actually happened to it."""

    tag: str
    charger: str
    start_at: float  # seconds after the schedule began
    finish_at: float
    started: float | None = None
    finished: float | None = None
    polls_at_start: int = 0
    polls_at_finish: int = 0


class ScheduleClock:
    """Seconds of the schedule: real time, except that it stands still while the bot starts.

    A start (the Bot API handshake, the database, the first poll) takes a fraction of a second
    on a quiet machine and seconds on a busy one. Were the schedule to run on meanwhile, a busy
    machine would play most sessions while the bot is down and kill it after they are over,
    proving far less.
    """

    def __init__(self) -> None:
        self._origin = time.monotonic()
        self._stopped_at: float | None = None

    def now(self) -> float:
        """Seconds of the schedule so far."""
        real = self._stopped_at if self._stopped_at is not None else time.monotonic()
        return real - self._origin

    def stop(self) -> None:
        """Stand still (a run of the bot is starting)."""
        self._stopped_at = time.monotonic()

    def go(self) -> float:
        """Move on from where it stood; returns how many real seconds it stood still."""
        assert self._stopped_at is not None
        stood = time.monotonic() - self._stopped_at
        self._origin += stood
        self._stopped_at = None
        return stood


@dataclass
class Life:
    """One run of the bot process, in seconds of the schedule (start-ups not counted)."""

    number: int
    started: float
    up: float | None = None
    killed: float | None = None
    start_took: float | None = None  # real seconds from the start to its first poll

    def describe(self) -> str:
        """`#3 4.1→up 4.1 (after 1.3 s)→killed 5.4`."""

        def at(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f}"

        took = f" (after {self.start_took:.1f} s)" if self.start_took is not None else ""
        return f"#{self.number} {at(self.started)}→up {at(self.up)}{took}→killed {at(self.killed)}"


@dataclass
class Seen:
    """Where a session's messages appear in one chat (indexes into its messages)."""

    starts: list[int] = field(default_factory=list)
    finishes: list[int] = field(default_factory=list)
    chargers: set[str] = field(default_factory=set)
    offline_note: bool = False

    def describe(self) -> str:
        """`S1 F1 offline`: how many starts and finishes, and whether the note was there."""
        note = " offline" if self.offline_note else ""
        return f"S{len(self.starts)} F{len(self.finishes)}{note}"


START_LINE = re.compile(r"🔌 (?P<charger>.+?): charging started at .+ \(tag (?P<tag>TAG\d+)\)")
FINISH_LINE = re.compile(r"✅ (?P<charger>.+?): charging finished \(tag (?P<tag>TAG\d+)\)")


def plan_sessions(rng: random.Random) -> list[PlannedSession]:
    """Four sessions over the two chargers: 0.6-1 s of charging, 0.2-0.5 s idle in between.

    A session lasts at least two poll intervals, so a running bot always sees it. The schedule
    is over in about 2.5 s (it stands still while the bot starts): long enough for two kills
    (a run lives 0.3-1.5 s) and often more.
    """
    drafts: list[tuple[float, float, str]] = []
    for charger, count in zip(CHARGERS, (2, 2), strict=True):
        at = rng.uniform(0.3, 0.6)
        for _ in range(count):
            length = rng.uniform(2 * POLL_INTERVAL, 1.0)
            drafts.append((at, at + length, charger))
            at += length + rng.uniform(0.2, 0.5)
    drafts.sort()
    return [
        PlannedSession(f"TAG{number}", charger, start, finish)
        for number, (start, finish, charger) in enumerate(drafts, start=1)
    ]


def run_schedule_under_fire(
    household: Household, sessions: list[PlannedSession], rng: random.Random, clock: ScheduleClock
) -> list[Life]:
    """Play the sessions on time while SIGKILLing and restarting the (running, polled) bot.

    A run is killed 0.3-1.5 s after its first poll and restarted at once or after 0.3-1.2 s;
    the schedule stands still while a run starts. After the last session
    action the run in progress still dies at its own random moment, and the bot is left dead.
    """
    sim, bot = household.sim, household.bot
    actions = sorted(
        [(s.start_at, 0, s) for s in sessions] + [(s.finish_at, 1, s) for s in sessions],
        key=lambda action: (action[0], action[1]),
    )

    lives = [Life(bot.runs, started=0.0, up=0.0)]
    phase, kill_at, restart_at, polls_before = "up", rng.uniform(0.3, 1.5), 0.0, 0
    started_at = 0.0  # real time, for START_TIMEOUT
    while actions or phase != "down":
        now = clock.now()
        while actions and actions[0][0] <= now:
            _, kind, session = actions.pop(0)
            charger_id = household.chargers[session.charger]
            if kind == 0:
                sim.start_session(charger_id, id_tag=session.tag)
                session.started, session.polls_at_start = clock.now(), household.polls()
            else:
                sim.finish_session(charger_id)
                session.finished, session.polls_at_finish = clock.now(), household.polls()
        if phase == "down":
            if actions and now >= restart_at:
                polls_before = household.polls()
                clock.stop()
                started_at = time.monotonic()
                bot.start()
                lives.append(Life(bot.runs, started=clock.now()))
                phase = "starting"
        elif not bot.running:
            raise AssertionError(
                f"run {bot.runs} of the bot exited on its own with code {bot.exit_code}\n"
                f"{bot.log_tail()}"
            )
        elif phase == "starting":
            if household.polls() > polls_before:
                lives[-1].start_took = clock.go()
                lives[-1].up = now
                kill_at = now + rng.uniform(0.3, 1.5)
                phase = "up"
            elif time.monotonic() - started_at > START_TIMEOUT:
                raise AssertionError(
                    f"run {bot.runs} did not poll within {START_TIMEOUT:g} s\n{bot.log_tail()}"
                )
        elif now >= kill_at:
            bot.kill()
            lives[-1].killed = clock.now()
            pause = 0.0 if rng.random() < 0.5 else rng.uniform(0.3, 1.2)
            restart_at = clock.now() + pause
            phase = "down"
        time.sleep(0.02)
    return lives


def examine_chat(
    name: str, messages: list[str], sessions: list[PlannedSession], kills: int
) -> tuple[dict[str, Seen], list[str]]:
    """Find each session's announcements in one chat's messages; return them and the problems.

    Each of the `kills` may have landed while a message to this chat was accepted by Telegram
    but not yet marked sent: that message, and only that one, goes out again after the restart.
    """
    seen = {session.tag: Seen() for session in sessions}
    problems = []
    for index, text in enumerate(messages):
        first_line = text.splitlines()[0] if text else ""
        match = START_LINE.fullmatch(first_line) or FINISH_LINE.fullmatch(first_line)
        if match is None or match["tag"] not in seen:
            problems.append(f"{name}: unexpected message {text!r}")
            continue
        entry = seen[match["tag"]]
        entry.chargers.add(match["charger"])
        if first_line.startswith("🔌"):
            entry.starts.append(index)
        else:
            entry.finishes.append(index)
            entry.offline_note = entry.offline_note or WHILE_OFFLINE_NOTE in text
    repeated = 0
    for session in sessions:
        entry = seen[session.tag]
        repeated += max(0, len(entry.starts) - 1) + max(0, len(entry.finishes) - 1)
        if entry.chargers - {session.charger}:
            problems.append(f"{name}: {session.tag} announced for {sorted(entry.chargers)}")
        if not entry.finishes:
            problems.append(f"{name}: {session.tag} ({session.charger}) finish never announced")
        elif not entry.starts and not entry.offline_note:
            problems.append(
                f"{name}: {session.tag} start missing, and its finish does not say "
                f"{WHILE_OFFLINE_NOTE!r}"
            )
        if entry.starts and entry.finishes and entry.finishes[0] < entry.starts[0]:
            problems.append(f"{name}: {session.tag} finish announced before its start")
    if repeated > kills:
        problems.append(
            f"{name}: {repeated} repeated messages after {kills} kill(s); at most one per kill"
        )
    return seen, problems


def summary(
    sessions: list[PlannedSession], seen: dict[str, dict[str, Seen]], lives: list[Life]
) -> str:
    """A compact table: each session's timing, polls during it, and what each chat got."""
    lines = ["tag    charger  started finished polls | " + " | ".join(seen)]
    for s in sessions:
        polls = s.polls_at_finish - s.polls_at_start
        timing = f"{s.started or 0:7.1f} {s.finished or 0:8.1f} {polls:5d}"
        chats = " | ".join(f"{seen[chat][s.tag].describe():<13}" for chat in seen)
        lines.append(f"{s.tag:<6} {s.charger:<8} {timing} | {chats}")
    lines.append("bot runs: " + ", ".join(life.describe() for life in lives))
    return "\n".join(lines)


def error_lines(bot: BotProcess, limit: int = 15) -> str:
    """The ERROR lines and traceback headers the bot logged over all runs."""
    if not bot.stderr_path.exists():
        return ""
    text = bot.stderr_path.read_text(encoding="utf-8", errors="replace")
    found = [line for line in text.splitlines() if " ERROR " in line or "Traceback" in line]
    return "\n".join(found[:limit])


def test_sigkill_at_random_moments_loses_no_notification(household: Household) -> None:
    """What the kills cover: at least two runs of a linked, polling bot (the first one and
    each restart once it has polled) are SIGKILLed at a random moment 0.3-1.5 s after they came
    up, that is anywhere in a poll cycle (0.3 s), its store transaction or a send of the outbox;
    sessions start and end while the bot is up, while it is down, and across a kill; and a last
    run after the final kill must deliver what is still owed and repeat nothing but, per chat
    and kill, the one message in flight at that kill. The seeds fix the schedule and the
    pauses, not the moments: where a kill lands in the bot's work differs from run to run.
    """
    rng = random.Random(SEED)
    sessions = plan_sessions(random.Random(SEED + 1))
    bot = household.bot

    bot.start()
    household.link()
    household.subscribe_group()
    household.wait_for_polls(2)
    chats = {"private": ANNA.id, "group": FAMILY.id}
    before = {name: len(household.messages(chat)) for name, chat in chats.items()}

    clock = ScheduleClock()
    lives = run_schedule_under_fire(household, sessions, rng, clock)

    # One last start, running until every finish reached both chats, then a few more polls.
    bot.start()
    lives.append(Life(bot.runs, started=clock.now()))
    tags = {session.tag for session in sessions}

    def all_finishes_arrived() -> bool:
        for chat in chats.values():
            finished = {
                match["tag"]
                for text in household.messages(chat)
                if (match := FINISH_LINE.match(text)) is not None
            }
            if not tags <= finished:
                return False
        return True

    problems = []
    try:
        bot.eventually(all_finishes_arrived, "every finish reached both chats", timeout=30)
        household.wait_for_polls(3, timeout=10)
    except AssertionError as err:
        problems.append(str(err).splitlines()[0])
    code = bot.terminate(timeout=10)
    if code != 0:
        problems.append(f"the last run ended with code {code} after SIGTERM (None: still running)")

    seen = {}
    kills = sum(1 for life in lives if life.killed is not None)
    for name, chat in chats.items():
        messages = household.messages(chat)[before[name] :]
        seen[name], found = examine_chat(name, messages, sessions, kills)
        problems += found

    # Every run at DEBUG, httpx's request lines included: no secret in any log line or at rest.
    logs = bot.stderr_path.read_text(encoding="utf-8", errors="replace")
    database = household.workdir / "data" / "bot.sqlite3"
    at_rest = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    if household.token in logs or BOT_TOKEN in logs:
        problems.append("a token appears in the bot's log")
    if "HTTP Request: POST" not in logs:
        problems.append("expected httpx's request lines in the DEBUG log")
    if household.token.encode() in at_rest:
        problems.append("the Joulo token is stored in plain text")

    table = summary(sessions, seen, lives)
    print(table)  # shown by pytest on failure (or with -rP)
    assert not problems, (
        "\n".join(problems)
        + "\n\n"
        + table
        + f"\n\nerrors logged:\n{error_lines(bot) or '(none)'}\n\n"
        + bot.log_tail(40)
    )
