"""A deterministic, embedded fake of the Joulo API, for the offline demo and the benchmark.

`JouloSimulator` keeps accounts, chargers and sessions in memory and answers HTTP requests
the way joulo-api.md describes (`handle`, or `transport()` for an httpx client). Every time
comes from the injected `Clock`; ids and tokens come from a seeded RNG, so a run is
reproducible. `credits_delay` holds back a finished session's credits the way Joulo does; with
`distinct_history_ids`, `/sessions` gives every session an id other than the
`current_session.id` that `/chargers` showed: no public source says the two are the same.

What only tests need (injected failures, revoked and rotated tokens, a log of requests, a lock
for the loopback server's threads) is added by `tests/joulo_sim.py`.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

from bot.clock import Clock

__all__ = ["JouloSimulator", "SimulatorError", "bearer_token", "endpoint_of", "error_response"]


ENDPOINTS: Final = ("/chargers", "/sessions", "/energy", "/ere-position")
#: Joulo's public ERE price feed (`https://joulo.nl/api/ere-price`): answered without a token.
FEED_ENDPOINT: Final = "/ere-price"
CREDITS_PER_KWH: Final = 0.33
RFID_TAGS: Final = ("04A3B2C1", "04F19A7E", "0488C3D2", "04D2E611")
ERE_PRICE_EUR: Final = 0.35
ERE_FEE_PCT: Final = 15.0

_TOKEN_ALPHABET: Final = string.ascii_letters + string.digits
_ERROR_TEXT: Final = {
    400: "Bad request",
    401: "Invalid or missing token",
    403: "Forbidden: token lacks the required scope",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}
#: Namespace of the `/sessions` ids derived from live session ids (`distinct_history_ids`).
_HISTORY_IDS: Final = uuid.UUID("6f1d0c52-3b7e-4a49-9c1e-5d2f7a8b9c0d")
_MINUTE: Final = 60.0
_HOUR: Final = 3600.0


class SimulatorError(Exception):
    """A simulator method was misused (unknown id, session already running, ...)."""


@dataclass
class _Account:
    id: int
    token: str | None


@dataclass
class _Charger:
    id: str
    account: int
    nickname: str | None
    connection_type: str
    mid_certified: bool
    status: str
    meter_wh: float
    delivered_kwh: float = 0.0
    active: _Session | None = None
    removed: bool = False


@dataclass
class _Session:
    id: str
    seq: int
    charger: _Charger
    started_at: datetime
    id_tag: str | None
    counts_for_ere: bool
    power_kw: float = 0.0
    ended_at: datetime | None = None
    final_kwh: float | None = None
    credits: float | None = None
    #: Energy drawn before the last power change, and when that change happened.
    kwh_before: float = 0.0
    power_since: datetime | None = None

    def kwh(self, now: datetime) -> float:
        """Energy so far (unrounded) while active; the final figure once ended."""
        if self.final_kwh is not None:
            return self.final_kwh
        since = self.power_since or self.started_at
        hours = max(0.0, (now - since).total_seconds()) / _HOUR
        return self.kwh_before + self.power_kw * hours


@dataclass
class _AutoPlan:
    next_start: datetime | None = None
    finish_at: datetime | None = None
    outage_at: datetime | None = None
    back_at: datetime | None = None


def _iso(moment: datetime) -> str:
    """Format a time the way the API does: UTC, seconds precision, Z suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _whole_seconds(moment: datetime) -> datetime:
    """Return an aware UTC time truncated to whole seconds (what the API can show)."""
    if moment.tzinfo is None:
        raise SimulatorError("times must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def _credits_for(kwh: float, mid_certified: bool) -> float | None:
    """Return the ERE credits a finished session earns, None when it earns none."""
    if not mid_certified or kwh <= 0:
        return None
    return round(kwh * CREDITS_PER_KWH, 2)


def endpoint_of(path: str) -> str:
    """Map a request path to its endpoint: the part after the last `/api` segment."""
    segments = [part for part in path.split("/") if part]
    if "api" in segments:
        last = len(segments) - 1 - segments[::-1].index("api")
        segments = segments[last + 1 :]
    return "/" + "/".join(segments)


def bearer_token(header: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header, else None."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _parse_time(raw: str) -> datetime:
    """Parse an ISO 8601 query time; naive times are taken as UTC."""
    moment = datetime.fromisoformat(raw.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def error_response(status: int, message: str | None = None, **headers: str) -> httpx.Response:
    """Build a JSON error response the way the API does."""
    text = message or _ERROR_TEXT.get(status, "Error")
    return httpx.Response(status, json={"error": text}, headers=headers)


class _BadRequest(Exception):
    """A query parameter was invalid; becomes a 400."""


class JouloSimulator:
    """An in-memory Joulo API: accounts, chargers, sessions (no faults: those are
    tests/joulo_sim.py's); all times from `clock`."""

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        credits_delay: float = 0.0,
        distinct_history_ids: bool = False,
    ) -> None:
        self._clock = clock
        self._rng = random.Random(seed)
        self.credits_delay = credits_delay
        #: When set, `/sessions` shows each session under an id of its own (derived, stable),
        #: not the `current_session.id` of `/chargers`. Takes effect at once for every session.
        self.distinct_history_ids = distinct_history_ids
        self._accounts: list[_Account] = []
        self._token_account: dict[str, int] = {}
        self._chargers: dict[str, _Charger] = {}
        self._sessions: list[_Session] = []
        self._plans: dict[str, _AutoPlan] = {}
        #: The public feed's mid price per credit this week (before Joulo's fee).
        self.feed_mid_eur = ERE_PRICE_EUR

    # ----------------------------------------------------------------- world setup

    def add_account(self, token: str | None = None) -> str:
        """Create an account and return its token (generated from the seed when None)."""
        if token is None:
            token = self._new_token()
        if token in self._token_account:
            raise SimulatorError("token already in use")
        account = _Account(id=len(self._accounts), token=token)
        self._accounts.append(account)
        self._token_account[token] = account.id
        return token

    def add_charger(
        self,
        token: str,
        nickname: str | None,
        *,
        connection_type: str = "easee",
        mid_certified: bool = True,
        status: str = "online",
        charger_id: str | None = None,
        meter_wh: float = 1_000_000.0,
    ) -> str:
        """Link a charger to the token's account and return its id."""
        account = self._account_of(token)
        new_id = charger_id if charger_id is not None else self._new_uuid()
        if new_id in self._chargers:
            raise SimulatorError(f"charger {new_id} already exists")
        self._chargers[new_id] = _Charger(
            id=new_id,
            account=account.id,
            nickname=nickname,
            connection_type=connection_type,
            mid_certified=mid_certified,
            status=status,
            meter_wh=meter_wh,
        )
        return new_id

    def start_session(
        self, charger_id: str, *, id_tag: str | None = None, power_kw: float = 7.4
    ) -> str:
        """Begin charging now and return the new session's id as `/chargers` shows it."""
        charger = self._charger(charger_id)
        if charger.active is not None:
            raise SimulatorError(f"charger {charger_id} is already charging")
        session = _Session(
            id=self._new_uuid(),
            seq=len(self._sessions),
            charger=charger,
            started_at=_whole_seconds(self._clock.now()),
            id_tag=id_tag,
            counts_for_ere=charger.mid_certified,
            power_kw=power_kw,
        )
        self._sessions.append(session)
        charger.active = session
        return session.id

    def finish_session(self, charger_id: str) -> None:
        """End the charger's running session now, fixing its kWh and credits."""
        charger = self._charger(charger_id)
        session = charger.active
        if session is None:
            raise SimulatorError(f"charger {charger_id} is not charging")
        ended_at = max(session.started_at, _whole_seconds(self._clock.now()))
        kwh = round(session.kwh(ended_at), 2)
        session.ended_at = ended_at
        session.final_kwh = kwh
        session.credits = _credits_for(kwh, session.counts_for_ere)
        charger.delivered_kwh += kwh
        charger.active = None

    def set_power(self, charger_id: str, power_kw: float) -> None:
        """Change the running session's power from now on (0: the car stops drawing energy)."""
        session = self._charger(charger_id).active
        if session is None:
            raise SimulatorError(f"charger {charger_id} is not charging")
        now = self._clock.now()
        session.kwh_before = session.kwh(now)
        session.power_since = now
        session.power_kw = power_kw

    def set_status(self, charger_id: str, status: str) -> None:
        """Set the charger's reported status (any string: online, offline, unavailable...)."""
        self._charger(charger_id).status = status

    def rename_charger(self, charger_id: str, nickname: str | None) -> None:
        """Change (or remove, with None) the charger's nickname."""
        self._charger(charger_id).nickname = nickname

    def remove_charger(self, charger_id: str) -> None:
        """Unlink a charger (a running session is finished first); its history stays."""
        charger = self._charger(charger_id)
        if charger.active is not None:
            self.finish_session(charger_id)
        charger.removed = True
        self._plans.pop(charger_id, None)

    def add_past_session(
        self,
        charger_id: str,
        started_at: datetime,
        ended_at: datetime,
        kwh: float,
        *,
        id_tag: str | None = None,
    ) -> str:
        """Inject a completed session into the history and return its id as `/sessions` shows it."""
        charger = self._charger(charger_id)
        start, end = _whole_seconds(started_at), _whole_seconds(ended_at)
        if end < start:
            raise SimulatorError("a session cannot end before it starts")
        final = round(kwh, 2)
        session = _Session(
            id=self._new_uuid(),
            seq=len(self._sessions),
            charger=charger,
            started_at=start,
            id_tag=id_tag,
            counts_for_ere=charger.mid_certified,
            ended_at=end,
            final_kwh=final,
            credits=_credits_for(final, charger.mid_certified),
        )
        self._sessions.append(session)
        return self._history_id(session)

    # ----------------------------------------------------------------- demo autopilot

    def autopilot(self, rng: random.Random) -> None:
        """Advance the world one random tick for the demo, deciding on elapsed time only.

        Each charger follows a plan of due times: plug in after an idle spell, stop after
        30 min to 4 h, and now and then drop offline (a blip of a few minutes, or an outage
        of up to 3 h when idle) and come back. Chargers whose status someone else set to
        anything but "online" are left alone.
        """
        now = self._clock.now()
        for charger in list(self._chargers.values()):
            if charger.removed:
                continue
            plan = self._plans.get(charger.id)
            if plan is None:
                plan = _AutoPlan(
                    next_start=now + timedelta(seconds=rng.uniform(0, 90 * _MINUTE)),
                    outage_at=now + timedelta(seconds=rng.uniform(4 * _HOUR, 30 * _HOUR)),
                )
                self._plans[charger.id] = plan
            self._autopilot_step(charger, plan, now, rng)

    def _autopilot_step(
        self, charger: _Charger, plan: _AutoPlan, now: datetime, rng: random.Random
    ) -> None:
        """Take at most one autopilot action for one charger."""
        if plan.back_at is not None:
            if charger.status == "offline" and now < plan.back_at:
                return
            if charger.status == "offline":
                charger.status = "online"
            plan.back_at = None
            plan.outage_at = now + timedelta(seconds=rng.uniform(4 * _HOUR, 30 * _HOUR))
            return
        if charger.status != "online":
            return
        if plan.outage_at is None:
            plan.outage_at = now + timedelta(seconds=rng.uniform(4 * _HOUR, 30 * _HOUR))
        if now >= plan.outage_at:
            short = charger.active is not None or rng.random() < 0.6
            down = rng.uniform(1, 5) * _MINUTE if short else rng.uniform(20, 180) * _MINUTE
            charger.status = "offline"
            plan.back_at = now + timedelta(seconds=down)
            plan.outage_at = None
            return
        if charger.active is not None:
            if plan.finish_at is None:
                length = timedelta(seconds=rng.uniform(30 * _MINUTE, 4 * _HOUR))
                plan.finish_at = max(now, charger.active.started_at + length)
            if now >= plan.finish_at:
                self.finish_session(charger.id)
                plan.finish_at = None
                plan.next_start = now + timedelta(seconds=rng.uniform(15 * _MINUTE, 6 * _HOUR))
            return
        plan.finish_at = None
        if plan.next_start is None:
            plan.next_start = now + timedelta(seconds=rng.uniform(15 * _MINUTE, 6 * _HOUR))
        if now >= plan.next_start:
            tag = rng.choice((*RFID_TAGS, None))
            power = round(rng.uniform(3.7, 11.0), 1)
            self.start_session(charger.id, id_tag=tag, power_kw=power)
            plan.next_start = None
            plan.finish_at = now + timedelta(seconds=rng.uniform(30 * _MINUTE, 4 * _HOUR))

    # ----------------------------------------------------------------- HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request like the Joulo API."""
        params = {key: request.url.params[key] for key in request.url.params}
        token = bearer_token(request.headers.get("authorization"))
        return self._route(request.method, endpoint_of(request.url.path), params, token, request)

    def transport(self) -> httpx.MockTransport:
        """Return an httpx transport (sync and async) backed by `handle`."""
        return httpx.MockTransport(self.handle)

    def chargers(self, token: str) -> list[dict[str, Any]]:
        """Return what GET /chargers would answer now for this token's account."""
        return self._chargers_payload(self._account_of(token).id)

    def _route(
        self,
        method: str,
        endpoint: str,
        params: dict[str, str],
        token: str | None,
        request: httpx.Request,
    ) -> httpx.Response:
        """Dispatch a request with no fault: 404/405, then auth, then the endpoint."""
        handlers: dict[str, Callable[[int, dict[str, str]], dict[str, Any]]] = {
            "/chargers": lambda account, _: {"chargers": self._chargers_payload(account)},
            "/sessions": self._sessions_payload,
            "/energy": lambda account, _: self._energy_payload(account),
            "/ere-position": lambda account, _: self._ere_position_payload(account),
        }
        if endpoint == FEED_ENDPOINT:
            if method != "GET":
                return error_response(405, Allow="GET")
            week = self._clock.now().isocalendar().week
            return httpx.Response(200, json={"mid_eur": self.feed_mid_eur, "week_number": week})
        handler = handlers.get(endpoint)
        if handler is None:
            return error_response(404)
        if method != "GET":
            return error_response(405, Allow="GET")
        if "token" in request.url.params or token is None:
            return error_response(401)
        account = self._token_account.get(token)
        if account is None or self._accounts[account].token != token:
            return error_response(401)
        try:
            return httpx.Response(200, json=handler(account, params))
        except _BadRequest as err:
            return error_response(400, str(err))

    # ----------------------------------------------------------------- payloads

    def _chargers_payload(self, account: int) -> list[dict[str, Any]]:
        """Build the `chargers` list for one account."""
        now = self._clock.now()
        result: list[dict[str, Any]] = []
        for charger in self._chargers.values():
            if charger.account != account or charger.removed:
                continue
            item: dict[str, Any] = {"id": charger.id}
            if charger.nickname is not None:
                item["nickname"] = charger.nickname
            active = charger.active
            running_kwh = active.kwh(now) if active is not None else 0.0
            current: dict[str, Any] | None = None
            if active is not None:
                current = {
                    "id": active.id,
                    "started_at": _iso(active.started_at),
                    "kwh_so_far": round(running_kwh, 2),
                }
                if active.id_tag is not None:
                    current["id_tag"] = active.id_tag
            item.update(
                connection_type=charger.connection_type,
                status=charger.status,
                mid_certified=charger.mid_certified,
                is_charging=active is not None,
                current_session=current,
                latest_meter_wh=round(
                    charger.meter_wh + (charger.delivered_kwh + running_kwh) * 1000
                ),
                meter_updated_at=_iso(now),
            )
            result.append(item)
        return result

    def _account_sessions(self, account: int) -> list[_Session]:
        """Return the account's sessions newest first (ties: the later-created first)."""
        mine = [s for s in self._sessions if s.charger.account == account]
        return sorted(mine, key=lambda s: (s.started_at, s.seq), reverse=True)

    def _visible_credits(self, session: _Session, now: datetime) -> float | None:
        """Return the credits /sessions shows now: null while active and during the delay."""
        if session.ended_at is None:
            return None
        if now < session.ended_at + timedelta(seconds=self.credits_delay):
            return None
        return session.credits

    def _session_json(self, session: _Session, now: datetime) -> dict[str, Any]:
        """Render one session as /sessions shows it."""
        item: dict[str, Any] = {
            "id": self._history_id(session),
            "charger_id": session.charger.id,
            "charger_nickname": session.charger.nickname,
            "started_at": _iso(session.started_at),
            "ended_at": _iso(session.ended_at) if session.ended_at is not None else None,
            "kwh": round(session.kwh(now), 2),
            "status": "charging" if session.ended_at is None else "completed",
            "ere_credits": self._visible_credits(session, now),
            "counts_for_ere": session.counts_for_ere,
        }
        if session.id_tag is not None:
            item["id_tag"] = session.id_tag
        return item

    def _history_id(self, session: _Session) -> str:
        """Return the session's id as `/sessions` shows it (see `distinct_history_ids`)."""
        if not self.distinct_history_ids:
            return session.id
        return str(uuid.uuid5(_HISTORY_IDS, session.id))

    def _sessions_payload(self, account: int, params: dict[str, str]) -> dict[str, Any]:
        """Build the /sessions answer, validating the query (raises _BadRequest)."""
        limit = self._int_param(params, "limit", 20, 1, 100)
        offset = self._int_param(params, "offset", 0, 0, None)
        start = self._time_param(params, "from")
        end = self._time_param(params, "to")
        charger_id = params.get("charger_id")
        now = self._clock.now()
        picked = [
            s
            for s in self._account_sessions(account)
            if (charger_id is None or s.charger.id == charger_id)
            and (start is None or s.started_at >= start)
            and (end is None or s.started_at <= end)
        ]
        page = picked[offset : offset + limit]
        return {
            "sessions": [self._session_json(s, now) for s in page],
            "limit": limit,
            "offset": offset,
        }

    @staticmethod
    def _int_param(
        params: dict[str, str], name: str, default: int, low: int, high: int | None
    ) -> int:
        """Read an integer query parameter within [low, high]."""
        raw = params.get(name)
        if raw is None:
            return default
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        try:
            value = int(raw)
        except ValueError:
            raise _BadRequest(f"{name} must be an integer {bounds}") from None
        if value < low or (high is not None and value > high):
            raise _BadRequest(f"{name} must be an integer {bounds}")
        return value

    @staticmethod
    def _time_param(params: dict[str, str], name: str) -> datetime | None:
        """Read an ISO 8601 query time."""
        raw = params.get(name)
        if raw is None:
            return None
        try:
            return _parse_time(raw)
        except ValueError:
            raise _BadRequest(f"{name} must be an ISO 8601 time") from None

    def _energy_payload(self, account: int) -> dict[str, Any]:
        """Build the /energy answer from the account's completed sessions."""
        now = self._clock.now()
        months: dict[str, dict[str, float]] = {}
        totals = {"kwh": 0.0, "credits": 0.0, "sessions": 0.0, "kwh_all": 0.0, "all": 0.0}
        for session in self._account_sessions(account):
            if session.ended_at is None:
                continue
            kwh = session.kwh(now)
            month = months.setdefault(
                session.started_at.strftime("%Y-%m"),
                {"kwh": 0.0, "credits": 0.0, "sessions": 0.0, "kwh_all": 0.0, "all": 0.0},
            )
            for bucket in (totals, month):
                bucket["kwh_all"] += kwh
                bucket["all"] += 1
                if session.counts_for_ere:
                    bucket["kwh"] += kwh
                    bucket["sessions"] += 1
                    bucket["credits"] += self._visible_credits(session, now) or 0.0
        return {
            "total_kwh": round(totals["kwh"], 2),
            "total_ere_credits": round(totals["credits"], 2),
            "total_sessions": int(totals["sessions"]),
            "total_kwh_all": round(totals["kwh_all"], 2),
            "total_sessions_all": int(totals["all"]),
            "months": [
                {
                    "month": key,
                    "kwh": round(month["kwh"], 2),
                    "ere_credits": round(month["credits"], 2),
                    "sessions": int(month["sessions"]),
                    "kwh_all": round(month["kwh_all"], 2),
                    "sessions_all": int(month["all"]),
                }
                for key, month in sorted(months.items(), reverse=True)
            ],
        }

    def _ere_position_payload(self, account: int) -> dict[str, Any]:
        """Build a plausible /ere-position answer: past quarters paid, this one unsold."""
        now = self._clock.now().astimezone(UTC)
        this_quarter = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
        net_price = ERE_PRICE_EUR * (1 - ERE_FEE_PCT / 100)
        quarters: dict[str, float] = {}
        pending = ytd = 0.0
        for session in self._account_sessions(account):
            if session.ended_at is None or not session.counts_for_ere:
                continue
            credits = self._visible_credits(session, now)
            if credits is None:
                pending += _credits_for(session.kwh(now), True) or 0.0
                continue
            started = session.started_at
            key = f"{started.year}-Q{(started.month - 1) // 3 + 1}"
            quarters[key] = quarters.get(key, 0.0) + credits
            if started.year == now.year:
                ytd += credits
        # Paid: this compliance year's quarters before the running one (Joulo sells quarterly).
        paid = sum(
            ere
            for key, ere in quarters.items()
            if key < this_quarter and key.startswith(f"{now.year}-")
        )
        unsold = sum(ere for key, ere in quarters.items() if key >= this_quarter)

        def money(ere: float) -> dict[str, float]:
            return {
                "ere": round(ere, 2),
                "net_eur": round(ere * net_price, 2),
                "price_per_ere": ERE_PRICE_EUR,
            }

        return {
            "compliance_year": now.year,
            "effective_fee_pct": ERE_FEE_PCT,
            "indicative_price_per_ere": ERE_PRICE_EUR,
            "realized_avg_price": ERE_PRICE_EUR if paid > 0 else None,
            "paid": money(paid),
            "payable": money(0.0),
            "reserved": money(0.0),
            "unsold": {
                "ere": round(unsold, 2),
                "ytd_ere": round(ytd, 2),
                "future_ere": 0.0,
                "forecast_net_eur": round(unsold * net_price, 2),
            },
            "pending_ere": round(pending, 2),
            "ytd_expected_eur": round(ytd * net_price, 2),
            "total_expected_eur": round((paid + unsold + pending) * net_price, 2),
            "quarters": [
                {
                    "quarter": key,
                    "final": key < this_quarter,
                    "ere": round(ere, 2),
                    "net_eur": round(ere * net_price, 2),
                    "price_per_ere": ERE_PRICE_EUR if key < this_quarter else None,
                }
                for key, ere in sorted(quarters.items(), reverse=True)
            ],
        }

    # ----------------------------------------------------------------- helpers

    def _new_uuid(self) -> str:
        """Return a UUID4 string drawn from the seeded RNG."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _new_token(self) -> str:
        """Return a fresh `joulo_` + 32 letters/digits token drawn from the seeded RNG."""
        while True:
            token = "joulo_" + "".join(self._rng.choice(_TOKEN_ALPHABET) for _ in range(32))
            if token not in self._token_account:
                return token

    def _account_of(self, token: str) -> _Account:
        """Return the account a token (current or former) belongs to."""
        account = self._token_account.get(token)
        if account is None:
            raise SimulatorError("unknown token")
        return self._accounts[account]

    def _charger(self, charger_id: str) -> _Charger:
        """Return a linked charger or raise."""
        charger = self._chargers.get(charger_id)
        if charger is None or charger.removed:
            raise SimulatorError(f"unknown charger {charger_id}")
        return charger


# --------------------------------------------------------------------- loopback server
