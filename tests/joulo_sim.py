"""The demo's Joulo simulator plus the controls only tests need.

`JouloSimulator` here is `bot.joulo.simulator.JouloSimulator` with: failures queued with
`inject_fault` that hit the next matching request(s) in FIFO order (5xx, HTML gateway pages,
garbage, wrong shapes, timeouts), tokens that can be revoked or rotated, a log of every request
it answered (`requests`), direct views of an account's sessions and energy, and a lock, so a
test may change the world while `tests/joulo_server.py` answers requests from its threads.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, Final, ParamSpec, TypeVar

import httpx

from bot.clock import Clock
from bot.joulo import simulator
from bot.joulo.simulator import SimulatorError, bearer_token, endpoint_of, error_response

FAULT_KINDS: Final = frozenset({"status", "html", "garbage", "wrong_shape", "timeout"})
_HTML_502: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    "</body>\r\n</html>\r\n"
)

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass(frozen=True)
class SimFault:
    """One injected failure, hitting the next `times` requests that match `path` and `token`.

    Kinds: "status" (HTTP `status` with a JSON `{"error": ...}` body), "html" (a 502 with an
    HTML gateway page), "garbage" (200 with a non-JSON, truncated body), "wrong_shape" (200
    with JSON of the wrong shape), "timeout" (`handle` raises `httpx.ReadTimeout`).
    `body` optionally overrides the default body: raw text for "html"/"garbage", a JSON-able
    value for "wrong_shape" and "status".
    """

    kind: str
    status: int = 500
    retry_after: int | None = None
    path: str | None = None
    token: str | None = None
    times: int = 1
    body: Any = None

    def __post_init__(self) -> None:
        """Reject unknown kinds and non-positive counts early."""
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {sorted(FAULT_KINDS)}")
        if self.times < 1:
            raise ValueError("times must be at least 1")


@dataclass(frozen=True)
class SimRequest:
    """One request the simulator saw, and the status it answered (None for a timeout)."""

    method: str
    endpoint: str
    params: dict[str, str]
    token: str | None
    status: int | None


@dataclass
class _PendingFault:
    fault: SimFault
    remaining: int


def _locked(
    method: Callable[Concatenate[Any, _P], _R], *, changes: bool = True
) -> Callable[Concatenate[JouloSimulator, _P], _R]:
    """The base class's `method`, run under the simulator's lock (and counted in `changes`)."""

    @functools.wraps(method)
    def run(self: JouloSimulator, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self.lock:
            if changes:
                self.changes += 1
            return method(self, *args, **kwargs)

    return run


class JouloSimulator(simulator.JouloSimulator):
    """The simulator with faults, token revocation and rotation, a request log and a lock."""

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        credits_delay: float = 0.0,
        distinct_history_ids: bool = False,
    ) -> None:
        super().__init__(
            clock, seed=seed, credits_delay=credits_delay, distinct_history_ids=distinct_history_ids
        )
        self.lock = threading.RLock()
        #: How many times a test changed what the simulator answers (a running bot's test
        #: ticker polls at once after a change instead of at its next idle tick).
        self.changes = 0
        self._faults: list[_PendingFault] = []
        self._requests: list[SimRequest] = []
        self._positions: dict[int, dict[str, Any]] = {}

    add_account = _locked(simulator.JouloSimulator.add_account)
    add_charger = _locked(simulator.JouloSimulator.add_charger)
    start_session = _locked(simulator.JouloSimulator.start_session)
    finish_session = _locked(simulator.JouloSimulator.finish_session)
    set_power = _locked(simulator.JouloSimulator.set_power)
    set_status = _locked(simulator.JouloSimulator.set_status)
    rename_charger = _locked(simulator.JouloSimulator.rename_charger)
    remove_charger = _locked(simulator.JouloSimulator.remove_charger)
    add_past_session = _locked(simulator.JouloSimulator.add_past_session)
    chargers = _locked(simulator.JouloSimulator.chargers, changes=False)

    # ----------------------------------------------------------------- tokens

    def revoke_token(self, token: str) -> None:
        """Make the token invalid: from now on it gets 401."""
        with self.lock:
            self.changes += 1
            account = self._account_of(token)
            if account.token == token:
                account.token = None

    def rotate_token(self, token: str) -> str:
        """Replace the account's token: the old one gets 401, the new one is returned."""
        with self.lock:
            self.changes += 1
            account = self._account_of(token)
            if account.token != token:
                raise SimulatorError("only the current token can be rotated")
            new_token = self._new_token()
            self._token_account[new_token] = account.id
            account.token = new_token
            return new_token

    # ----------------------------------------------------------------- money

    def set_ere_position(self, token: str, body: dict[str, Any] | None) -> None:
        """Make `/ere-position` answer `body` for the token's account (None: as computed)."""
        with self.lock:
            self.changes += 1
            account = self._account_of(token).id
            if body is None:
                self._positions.pop(account, None)
            else:
                self._positions[account] = body

    def _ere_position_payload(self, account: int) -> dict[str, Any]:
        """The answer set with `set_ere_position`, else the computed one."""
        return self._positions.get(account) or super()._ere_position_payload(account)

    # ----------------------------------------------------------------- views

    def sessions(self, token: str) -> list[dict[str, Any]]:
        """Return every session of the token's account as /sessions shows it, newest first."""
        with self.lock:
            now = self._clock.now()
            account = self._account_of(token).id
            return [self._session_json(s, now) for s in self._account_sessions(account)]

    def energy(self, token: str) -> dict[str, Any]:
        """Return what GET /energy would answer now for this token's account."""
        with self.lock:
            return self._energy_payload(self._account_of(token).id)

    @property
    def requests(self) -> list[SimRequest]:
        """Return a copy of every request seen so far, oldest first."""
        with self.lock:
            return list(self._requests)

    # ----------------------------------------------------------------- faults

    def inject_fault(self, fault: SimFault) -> None:
        """Queue a failure for the next matching request(s)."""
        with self.lock:
            self._faults.append(_PendingFault(fault, fault.times))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        with self.lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        """Return how many queued faults still have requests left to hit."""
        with self.lock:
            return len(self._faults)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer like the Joulo API, or as a queued fault says; a "timeout" raises ReadTimeout."""
        endpoint = endpoint_of(request.url.path)
        token = bearer_token(request.headers.get("authorization"))
        params = {key: request.url.params[key] for key in request.url.params}
        with self.lock:
            fault = self._take_fault(endpoint, token)
            if fault is not None and fault.kind == "timeout":
                self._requests.append(SimRequest(request.method, endpoint, params, token, None))
                raise httpx.ReadTimeout("simulated read timeout", request=request)
            if fault is not None:
                response = _fault_response(fault, endpoint)
            else:
                response = super().handle(request)
            self._requests.append(
                SimRequest(request.method, endpoint, params, token, response.status_code)
            )
            return response

    def _take_fault(self, endpoint: str, token: str | None) -> SimFault | None:
        """Consume and return the first queued fault matching this request, if any."""
        for index, pending in enumerate(self._faults):
            fault = pending.fault
            if fault.path is not None and endpoint_of(fault.path) != endpoint:
                continue
            if fault.token is not None and not self._same_account(fault.token, token):
                continue
            pending.remaining -= 1
            if pending.remaining <= 0:
                del self._faults[index]
            return fault
        return None

    def _same_account(self, wanted: str, token: str | None) -> bool:
        """Tell whether `token` is `wanted` or another (old or new) token of its account."""
        if token is None:
            return False
        if token == wanted:
            return True
        account = self._token_account.get(wanted)
        return account is not None and self._token_account.get(token) == account


def _fault_response(fault: SimFault, endpoint: str) -> httpx.Response:
    """Build the response an injected (non-timeout) fault produces."""
    if fault.kind == "html":
        text = fault.body if isinstance(fault.body, str) else _HTML_502
        return httpx.Response(502, text=text, headers={"Content-Type": "text/html; charset=utf-8"})
    if fault.kind == "garbage":
        key = endpoint.strip("/") or "data"
        text = fault.body if isinstance(fault.body, str) else f'{{"{key}": [{{"id": "3f2a'
        return httpx.Response(
            200, text=text, headers={"Content-Type": "application/json; charset=utf-8"}
        )
    if fault.kind == "wrong_shape":
        if fault.body is not None:
            return httpx.Response(200, json=fault.body)
        shapes: dict[str, Any] = {
            "/chargers": {"chargers": "nope"},
            "/sessions": {"sessions": "nope", "limit": 20, "offset": 0},
        }
        return httpx.Response(200, json=shapes.get(endpoint, ["nope"]))
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if fault.body is not None:
        return httpx.Response(fault.status, json=fault.body, headers=headers)
    return error_response(fault.status, **headers)
