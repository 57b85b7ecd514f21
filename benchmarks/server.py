"""The benchmark's far side, in a process of its own: the Joulo simulator and a fake Bot API.

Serves on loopback only, until stdin closes or SIGTERM:

- `/api/...`: the Joulo API for N accounts with 1-2 chargers each, answering after `latency`.
  Every account is its own `JouloSimulator`, so a request costs the same at 10 or 10,000
  accounts. Every `interval` the world moves on: some cars start or stop charging, a few
  chargers drop offline and come back.
- `/bot<token>/<method>`: just enough of the Telegram Bot API for the bot to start, poll for
  updates and send messages. `sendMessage` answers after `tg_latency` and enforces Telegram's
  overall limit of 30 messages per second: a bucket of 30 refilled at 30/s, the same as
  python-telegram-bot's limiter, plus one message of slack for the jitter of the round trip
  (a request that waited its turn can still arrive a millisecond early). Beyond it, 429.
- `/_bench/all_chargers?start=&count=`, `/_bench/stats`, `/_bench/reset`: for the benchmark;
  `/_bench/start_cars` and `/_bench/digest_day` for `--digest-day` (see `benchmarks.digest_day`).

The first line on stdout is `{"port": N}`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiohttp import web

from benchmarks.phases import FIRST_OWNER, token_of
from bot.clock import SystemClock
from bot.joulo.simulator import RFID_TAGS, JouloSimulator

#: Telegram's overall limit for a bot: messages per second.
TELEGRAM_RATE = 30.0
#: Messages the bucket may hold beyond one second's worth: slack for round-trip jitter.
JITTER_SLACK = 1.0
BOT_ID = 123456789


class ShiftedClock(SystemClock):
    """The real clock moved by a fixed offset (`--digest-day`: "the 1st, 08:56" for both sides)."""

    def __init__(self, offset: float) -> None:
        self._offset = timedelta(seconds=offset)

    def now(self) -> datetime:
        """The shifted time."""
        return datetime.now(UTC) + self._offset


@dataclass
class _Charger:
    sim: JouloSimulator
    id: str
    household: int = 0
    charging: bool = False
    offline: bool = False


@dataclass
class Stats:
    """What the far side saw since the last reset."""

    requests: dict[str, int] = field(default_factory=dict)
    last_chargers: dict[str, float] = field(default_factory=dict)
    min_gap: float | None = None
    max_gap: float = 0.0
    reset_at: float = field(default_factory=time.time)
    #: (chat id, when) of every start announcement (🔌) and every digest (📅) sent.
    announced: list[tuple[int, float]] = field(default_factory=list)
    digests: list[tuple[int, float]] = field(default_factory=list)
    #: (chat id, when) of every car started by `/_bench/start_cars`.
    started: list[tuple[int, float]] = field(default_factory=list)
    early: int = 0
    sent: int = 0
    refused_429: int = 0
    world_changes: int = 0


class World:
    """N simulated households and the fake Bot API's counters."""

    def __init__(
        self,
        accounts: int,
        *,
        seed: int,
        latency: float,
        tg_latency: float,
        interval: float,
        activity: float,
        clock_offset: float = 0.0,
    ) -> None:
        self.latency = latency
        self.tg_latency = tg_latency
        self.interval = interval
        self.activity = activity
        self.rng = random.Random(seed)
        self.sims: dict[str, JouloSimulator] = {}
        self.chargers: list[_Charger] = []
        self.stats = Stats()
        self._bucket = TELEGRAM_RATE
        self._bucket_at = time.monotonic()
        self._message_id = 0
        clock = ShiftedClock(clock_offset)
        for index in range(accounts):
            token = token_of(index)
            sim = JouloSimulator(clock, seed=seed + index)
            sim.add_account(token)
            names = ["Garage", "Driveway"][: 1 + (self.rng.random() < 0.3)]
            for name in names:
                charger = _Charger(sim, sim.add_charger(token, name), household=index)
                self.chargers.append(charger)
                roll = self.rng.random()
                if roll < 0.3:
                    self._start(charger)
                elif roll < 0.32:
                    self._offline(charger)
            self.sims[token] = sim

    def _start(self, charger: _Charger) -> None:
        tag = self.rng.choice((*RFID_TAGS, None))
        charger.sim.start_session(charger.id, id_tag=tag, power_kw=self.rng.uniform(3.7, 11.0))
        charger.charging = True

    def _offline(self, charger: _Charger) -> None:
        charger.sim.set_status(charger.id, "offline")
        charger.offline = True

    def step(self) -> None:
        """One interval of household life: sessions start and end, chargers drop and return."""
        changes = 0
        for charger in self.chargers:
            roll = self.rng.random()
            if charger.offline:
                if roll < 0.3:
                    charger.sim.set_status(charger.id, "online")
                    charger.offline = False
                    changes += 1
            elif roll < self.activity / 5:
                self._offline(charger)
                changes += 1
            elif roll < self.activity:
                if charger.charging:
                    charger.sim.finish_session(charger.id)
                    charger.charging = False
                else:
                    self._start(charger)
                changes += 1
        self.stats.world_changes += changes

    # ------------------------------------------------------------------ Joulo

    async def joulo(self, request: web.Request) -> web.Response:
        """Answer a Joulo API request after the configured latency."""
        await asyncio.sleep(self.latency)
        auth = request.headers.get("Authorization", "")
        token = auth.partition(" ")[2].strip()
        endpoint = "/" + request.match_info["endpoint"]
        stats = self.stats
        stats.requests[endpoint] = stats.requests.get(endpoint, 0) + 1
        if endpoint == "/chargers":
            now = time.monotonic()
            last = stats.last_chargers.get(token)
            if last is not None:
                gap = now - last
                stats.min_gap = gap if stats.min_gap is None else min(stats.min_gap, gap)
                stats.max_gap = max(stats.max_gap, gap)
                if gap < self.interval * 0.98:
                    stats.early += 1
            stats.last_chargers[token] = now
        sim = self.sims.get(token)
        if sim is None:
            return web.json_response({"error": "Invalid or missing token"}, status=401)
        answer = sim.handle(httpx.Request("GET", str(request.url), headers={"Authorization": auth}))
        return web.Response(
            body=answer.content, status=answer.status_code, content_type="application/json"
        )

    async def all_chargers(self, request: web.Request) -> web.Response:
        """Accounts' `/chargers` bodies, for seeding the bot's database: `count` from `start`.

        In slices, so the bot's process never holds 50,000 households' JSON at once (it would
        count in the bot's peak memory).
        """
        start = int(request.query.get("start", "0"))
        count = int(request.query.get("count", str(len(self.sims))))
        tokens = [token_of(index) for index in range(start, min(start + count, len(self.sims)))]
        return web.json_response(
            {token: {"chargers": self.sims[token].chargers(token)} for token in tokens}
        )

    # ------------------------------------------------------------------ Telegram

    def _take_send_slot(self) -> bool:
        now = time.monotonic()
        capacity = TELEGRAM_RATE + JITTER_SLACK
        self._bucket = min(capacity, self._bucket + (now - self._bucket_at) * TELEGRAM_RATE)
        self._bucket_at = now
        if self._bucket < 1.0:
            return False
        self._bucket -= 1.0
        return True

    async def telegram(self, request: web.Request) -> web.Response:
        """A minimal Bot API: getMe, getUpdates (empty), sendMessage; anything else is OK."""
        method = request.match_info["method"].lower()
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update(await request.post())
        if method == "getme":
            result: Any = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Bench",
                "username": "bench_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif method == "getupdates":
            await asyncio.sleep(min(float(params.get("timeout") or 0), 1.0))
            result = []
        elif method == "sendmessage":
            await asyncio.sleep(self.tg_latency)
            if not self._take_send_slot():
                self.stats.refused_429 += 1
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1},
                    },
                    status=429,
                )
            self.stats.sent += 1
            self._message_id += 1
            chat_id = int(params["chat_id"])
            text = str(params.get("text", ""))
            if text.startswith("🔌"):
                self.stats.announced.append((chat_id, time.time()))
            elif text.startswith("📅"):
                self.stats.digests.append((chat_id, time.time()))
            result = {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "text": str(params.get("text", "")),
            }
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    # ------------------------------------------------------------------ control

    async def stats_view(self, _: web.Request) -> web.Response:
        """Counters since the last reset."""
        stats = self.stats
        return web.json_response(
            {
                "requests": stats.requests,
                "accounts_polled": len(stats.last_chargers),
                "min_gap": stats.min_gap,
                "early": stats.early,
                "sent": stats.sent,
                "refused_429": stats.refused_429,
                "world_changes": stats.world_changes,
            }
        )

    async def start_cars(self, request: web.Request) -> web.Response:
        """Start charging at `count` households that are not charging yet (one car each)."""
        count = int(request.query.get("count", "1"))
        busy = {chat for chat, _ in self.stats.started}
        for charger in self.chargers:
            chat = FIRST_OWNER + charger.household
            if count == 0:
                break
            if charger.charging or charger.offline or chat in busy:
                continue
            self._start(charger)
            self.stats.started.append((chat, time.time()))
            busy.add(chat)
            count -= 1
        return web.json_response({"ok": True})

    async def digest_day(self, _: web.Request) -> web.Response:
        """What `--digest-day` measures, since the last reset."""
        stats = self.stats
        now = time.monotonic()
        waiting = max((now - last for last in stats.last_chargers.values()), default=0.0)
        starts = []
        for chat, at in stats.started:
            later = [when for c, when in stats.announced if c == chat and when >= at]
            starts.append({"chat": chat, "at": at, "announced": min(later, default=None)})
        per_chat: dict[int, int] = {}
        for chat, _ in stats.digests:
            per_chat[chat] = per_chat.get(chat, 0) + 1
        return web.json_response(
            {
                "reset_at": stats.reset_at,
                "starts": starts,
                "digests_per_chat": per_chat,
                "digests_sent": len(stats.digests),
                "last_digest_at": max((when for _, when in stats.digests), default=None),
                "max_gap": max(stats.max_gap, waiting),
                "refused_429": stats.refused_429,
            }
        )

    async def reset(self, _: web.Request) -> web.Response:
        """Start counting afresh (between the benchmark's phases); digests sent are kept."""
        digests = self.stats.digests
        self.stats = Stats()
        self.stats.digests = digests
        return web.json_response({"ok": True})


async def _serve(args: argparse.Namespace) -> None:
    world = World(
        args.accounts,
        seed=args.seed,
        latency=args.latency / 1000,
        tg_latency=args.tg_latency / 1000,
        interval=args.interval,
        activity=args.activity,
        clock_offset=args.clock_offset,
    )
    app = web.Application()
    app.router.add_get("/api/{endpoint:.*}", world.joulo)
    app.router.add_route("*", "/bot{token}/{method}", world.telegram)
    app.router.add_get("/_bench/all_chargers", world.all_chargers)
    app.router.add_get("/_bench/stats", world.stats_view)
    app.router.add_post("/_bench/reset", world.reset)
    app.router.add_post("/_bench/start_cars", world.start_cars)
    app.router.add_get("/_bench/digest_day", world.digest_day)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    server = site._server
    assert server is not None  # noqa: S101
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.read(1) else None)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=args.interval)
            except TimeoutError:
                world.step()
    finally:
        await runner.cleanup()


def main() -> None:
    """Parse the arguments and serve until told to stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--interval", type=float, required=True)
    parser.add_argument("--latency", type=float, default=50.0, help="Joulo latency, ms")
    parser.add_argument("--tg-latency", type=float, default=50.0, help="Bot API latency, ms")
    parser.add_argument("--activity", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--clock-offset", type=float, default=0.0, help="seconds the simulated clock is ahead"
    )
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
