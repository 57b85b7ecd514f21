"""The Joulo client speaks Bearer-only HTTP and maps every failure onto the bot's error tree.

Pins down, against the Joulo simulator: parsed /chargers, /sessions (paged until a short page,
with charger_id, from and to; one page by offset and limit), /energy and /ere-position (every
field optional); `Authorization: Bearer <token>` and never a `token`
query parameter; 401/403 → JouloTokenRejected, 429 → JouloRateLimited with Retry-After,
5xx/HTML/garbage/wrong shape/timeout → JouloUnavailable (both transient), any other 4xx →
JouloRejected (permanent, not a token problem); and how a pasted token is cleaned up.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.joulo.client import (
    SESSIONS_PAGE_LIMIT,
    JouloClient,
    JouloError,
    JouloRateLimited,
    JouloRejected,
    JouloScopeMissing,
    JouloTokenRejected,
    JouloTransientError,
    JouloUnavailable,
    normalize_token,
)
from bot.joulo.transport import JouloHttp
from tests.joulo_sim import JouloSimulator, SimFault

BASE = "https://api.joulo.nl/functions/v1/api"

Call = Callable[[JouloClient, str], Awaitable[object]]
ENDPOINTS: dict[str, Call] = {
    "/chargers": lambda joulo, token: joulo.chargers(token),
    "/sessions": lambda joulo, token: joulo.sessions(token),
    "/energy": lambda joulo, token: joulo.energy(token),
    "/ere-position": lambda joulo, token: joulo.ere_position(token),
}


@pytest.fixture
async def joulo(sim: JouloSimulator) -> AsyncIterator[JouloClient]:
    """The real client on an httpx client whose transport is the simulator."""
    http = JouloHttp(sim.transport(), user_agent="test")
    yield JouloClient(http, BASE)
    await http.aclose()


@pytest.fixture
def token(sim: JouloSimulator) -> str:
    """A valid token of a fresh simulated account."""
    return sim.add_account()


# --- happy paths ----------------------------------------------------------------------------


async def test_chargers_are_parsed_with_their_live_session(joulo, sim, clock, token):
    garage = sim.add_charger(token, "Garage", connection_type="easee", mid_certified=True)
    driveway = sim.add_charger(
        token, None, connection_type="ocpp", mid_certified=False, status="offline"
    )
    session_id = sim.start_session(garage, id_tag="04A3B2C1", power_kw=7.4)
    started_at = clock.now()
    clock.advance(3600)

    found = await joulo.chargers(token)

    by_id = {c.id: c for c in found.chargers}
    assert set(by_id) == {garage, driveway}
    assert found.malformed_ids == frozenset()
    charging = by_id[garage]
    assert (charging.name, charging.connection_type, charging.status) == (
        "Garage",
        "easee",
        "online",
    )
    assert charging.mid_certified is True
    assert charging.is_charging is True
    assert charging.current_session is not None
    assert charging.current_session.id == session_id
    assert charging.current_session.started_at == started_at
    assert charging.current_session.kwh_so_far == pytest.approx(7.4)
    assert charging.current_session.id_tag == "04A3B2C1"
    assert charging.latest_meter_wh == pytest.approx(1_000_000 + 7_400)
    idle = by_id[driveway]
    assert idle.name == driveway  # no nickname: the id stands in
    assert (idle.status, idle.is_charging, idle.current_session) == ("offline", False, None)


async def test_an_account_without_chargers_gives_an_empty_list(joulo, token):
    found = await joulo.chargers(token)

    assert found.chargers == ()


async def test_every_request_sends_the_token_as_a_bearer_header_and_never_in_the_url(
    sim: JouloSimulator, token: str
):
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return sim.handle(request)

    sim.add_charger(token, "Garage")
    async with contextlib.aclosing(
        JouloHttp(httpx.MockTransport(recording), user_agent="test")
    ) as http:
        joulo = JouloClient(http, BASE)
        await joulo.chargers(token)
        await joulo.sessions(token, since=datetime(2026, 1, 1, tzinfo=UTC))
        await joulo.energy(token)

    assert [r.url.path.rsplit("/", 1)[-1] for r in seen] == ["chargers", "sessions", "energy"]
    assert all(r.headers["Authorization"] == f"Bearer {token}" for r in seen)
    assert all(token not in str(r.url) for r in seen)
    assert all("token" not in r.params for r in sim.requests)
    assert [r.status for r in sim.requests] == [200, 200, 200]


async def test_sessions_are_paged_until_a_short_page(joulo, sim, token):
    charger = sim.add_charger(token, "Garage")
    first = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)
    for day in range(130):
        start = first + timedelta(hours=12 * day)
        sim.add_past_session(charger, start, start + timedelta(hours=2), kwh=10 + day / 100)

    sessions = await joulo.sessions(token)

    assert len(sessions) == 130
    assert len({s.id for s in sessions}) == 130
    assert [s.started_at for s in sessions] == sorted(
        (s.started_at for s in sessions), reverse=True
    )
    pages = [r.params for r in sim.requests if r.endpoint == "/sessions"]
    assert [(p["limit"], p["offset"]) for p in pages] == [
        (str(SESSIONS_PAGE_LIMIT), "0"),
        (str(SESSIONS_PAGE_LIMIT), str(SESSIONS_PAGE_LIMIT)),
    ]


async def test_a_full_last_page_is_followed_by_one_empty_page(joulo, sim, token):
    charger = sim.add_charger(token, "Garage")
    first = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)
    for day in range(SESSIONS_PAGE_LIMIT):
        start = first + timedelta(days=day)
        sim.add_past_session(charger, start, start + timedelta(hours=1), kwh=5)

    sessions = await joulo.sessions(token)

    assert len(sessions) == SESSIONS_PAGE_LIMIT
    assert [r.params["offset"] for r in sim.requests] == ["0", str(SESSIONS_PAGE_LIMIT)]


async def test_a_server_that_never_sends_a_short_page_is_not_paged_forever(joulo, sim, token):
    charger = sim.add_charger(token, "Garage")
    first = datetime(2025, 1, 1, 18, 0, tzinfo=UTC)
    for day in range(3 * SESSIONS_PAGE_LIMIT):
        start = first + timedelta(hours=12 * day)
        sim.add_past_session(charger, start, start + timedelta(hours=1), kwh=5)

    sessions = await joulo.sessions(token, max_pages=2)

    assert len(sessions) == 2 * SESSIONS_PAGE_LIMIT
    assert len(sim.requests) == 2


async def test_sessions_can_be_narrowed_to_one_charger_and_a_start_time(joulo, sim, token):
    garage = sim.add_charger(token, "Garage")
    driveway = sim.add_charger(token, "Oprit")
    since = datetime(2026, 4, 10, 8, 0, tzinfo=UTC)
    early = sim.add_past_session(garage, since - timedelta(hours=5), since - timedelta(hours=1), 4)
    at_start = sim.add_past_session(garage, since, since + timedelta(hours=1), 6.5)
    later = sim.add_past_session(
        garage, since + timedelta(days=1), since + timedelta(days=1, hours=2), 9
    )
    sim.add_past_session(driveway, since + timedelta(hours=3), since + timedelta(hours=4), 2)

    sessions = await joulo.sessions(token, charger_id=garage, since=since)

    assert [s.id for s in sessions] == [later, at_start]
    assert early not in {s.id for s in sessions}
    assert sessions[1].kwh == 6.5
    assert sessions[1].ended_at == since + timedelta(hours=1)
    assert sessions[1].charger_id == garage
    (request,) = sim.requests
    assert request.params["charger_id"] == garage
    assert request.params["from"] == "2026-04-10T08:00:00Z"


async def test_energy_totals_and_months_are_parsed_newest_month_first(joulo, sim, token):
    mid = sim.add_charger(token, "Garage", mid_certified=True)
    plain = sim.add_charger(token, "Oprit", mid_certified=False)
    march = datetime(2026, 3, 20, 18, 0, tzinfo=UTC)
    april = datetime(2026, 4, 2, 18, 0, tzinfo=UTC)
    sim.add_past_session(mid, march, march + timedelta(hours=3), 20.0)
    sim.add_past_session(mid, april, april + timedelta(hours=3), 30.0)
    sim.add_past_session(plain, april, april + timedelta(hours=1), 5.0)

    energy = await joulo.energy(token)

    assert energy.total_kwh == pytest.approx(50.0)
    assert energy.total_kwh_all == pytest.approx(55.0)
    assert energy.total_sessions == 2
    assert energy.total_sessions_all == 3
    assert energy.total_ere_credits == pytest.approx(round(20 * 0.33, 2) + round(30 * 0.33, 2))
    assert [m.month for m in energy.months] == ["2026-04", "2026-03"]
    april_figures = energy.month("2026-04")
    assert april_figures is not None
    assert (april_figures.kwh, april_figures.sessions, april_figures.sessions_all) == (30.0, 1, 2)
    assert energy.month("2026-02") is None


async def test_one_page_of_sessions_is_asked_for_by_offset_limit_and_period(joulo, sim, token):
    garage = sim.add_charger(token, "Garage")
    first = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    ids = [
        sim.add_past_session(
            garage, first + timedelta(days=d), first + timedelta(days=d, hours=1), d
        )
        for d in range(8)
    ]
    newest_first = ids[::-1]

    page = await joulo.session_page(token, offset=2, limit=3)
    bounded = await joulo.session_page(
        token, since=first + timedelta(days=2), until=first + timedelta(days=4)
    )

    assert [s.id for s in page.sessions] == newest_first[2:5]
    assert (page.offset, page.limit) == (2, 3)
    assert [s.id for s in bounded.sessions] == [ids[4], ids[3], ids[2]]
    assert sim.requests[0].params == {"limit": "3", "offset": "2"}
    assert sim.requests[1].params["from"] == "2026-04-03T08:00:00Z"
    assert sim.requests[1].params["to"] == "2026-04-05T08:00:00Z"


async def test_the_ere_position_gives_what_was_paid_and_what_is_expected(joulo, sim, clock, token):
    garage = sim.add_charger(token, "Garage", mid_certified=True)
    january = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)
    sim.add_past_session(garage, january, january + timedelta(hours=4), 40.0)

    position = await joulo.ere_position(token)

    assert position.compliance_year == 2026
    assert position.paid is not None
    assert position.paid.net_eur == pytest.approx(round(13.2 * 0.35 * 0.85, 2))
    assert position.ytd_expected_eur == pytest.approx(round(13.2 * 0.35 * 0.85, 2))


async def test_a_malformed_charger_is_named_and_the_others_still_arrive(joulo, sim, token):
    good = {"id": "c-good", "nickname": "Garage", "status": "online"}
    bad = {"id": "c-bad", "is_charging": "maybe"}
    sim.inject_fault(SimFault("wrong_shape", path="/chargers", body={"chargers": [good, bad]}))

    found = await joulo.chargers(token)

    assert [c.name for c in found.chargers] == ["Garage"]
    assert found.malformed_ids == {"c-bad"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"paid": None, "ytd_expected_eur": None},
        {"paid": "soon", "ytd_expected_eur": "n/a", "quarters": "?"},
        {"paid": {"ere": 3}, "unknown": [1, 2]},
    ],
)
async def test_an_ere_position_without_euros_parses_and_has_no_money(joulo, sim, token, body):
    sim.inject_fault(SimFault("wrong_shape", body=body))

    position = await joulo.ere_position(token)

    assert position.paid is None or position.paid.net_eur is None
    assert position.ytd_expected_eur is None


# --- the server said no --------------------------------------------------------------------------


async def test_a_revoked_token_is_rejected(joulo, sim, token):
    sim.revoke_token(token)

    with pytest.raises(JouloTokenRejected) as caught:
        await joulo.chargers(token)

    assert caught.value.status == 401
    assert not isinstance(caught.value, JouloTransientError)


async def test_an_unknown_token_is_rejected(joulo):
    with pytest.raises(JouloTokenRejected):
        await joulo.chargers("joulo_" + "x" * 32)


async def test_a_rotated_token_is_rejected_and_the_new_one_works(joulo, sim, token):
    sim.add_charger(token, "Garage")
    new_token = sim.rotate_token(token)

    with pytest.raises(JouloTokenRejected):
        await joulo.chargers(token)
    assert len((await joulo.chargers(new_token)).chargers) == 1


async def test_a_token_without_scope_counts_as_rejected(joulo, sim, token):
    sim.inject_fault(SimFault("status", status=403))

    with pytest.raises(JouloTokenRejected) as caught:
        await joulo.chargers(token)

    assert caught.value.status == 403


@pytest.mark.parametrize("status", [400, 404, 405, 409])
async def test_other_client_errors_are_rejections_but_not_token_problems(joulo, sim, token, status):
    sim.inject_fault(SimFault("status", status=status, body={"error": "the server said no"}))

    with pytest.raises(JouloRejected) as caught:
        await joulo.chargers(token)

    assert not isinstance(caught.value, JouloTokenRejected)
    assert not isinstance(caught.value, JouloTransientError)
    assert caught.value.status == status
    assert "the server said no" in str(caught.value)


async def test_rate_limiting_carries_the_retry_after_seconds(joulo, sim, token):
    sim.inject_fault(SimFault("status", status=429, retry_after=120))

    with pytest.raises(JouloRateLimited) as caught:
        await joulo.chargers(token)

    assert caught.value.retry_after == 120
    assert isinstance(caught.value, JouloTransientError)


async def test_rate_limiting_without_retry_after_still_waits(joulo, sim, token):
    sim.inject_fault(SimFault("status", status=429))

    with pytest.raises(JouloRateLimited) as caught:
        await joulo.chargers(token)

    assert caught.value.retry_after >= 1


# --- transient failures ----------------------------------------------------------------

TRANSIENT_FAULTS = {
    "500": SimFault("status", status=500),
    "502": SimFault("status", status=502),
    "503": SimFault("status", status=503),
    "html": SimFault("html"),
    "garbage": SimFault("garbage"),
    "wrong_shape": SimFault("wrong_shape"),
    "wrong_shape_list": SimFault("wrong_shape", body=[1, 2, 3]),
    "timeout": SimFault("timeout"),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("fault", list(TRANSIENT_FAULTS))
async def test_server_trouble_is_reported_as_unavailable(joulo, sim, token, endpoint, fault):
    sim.add_charger(token, "Garage")
    sim.inject_fault(TRANSIENT_FAULTS[fault])

    with pytest.raises(JouloUnavailable) as caught:
        await ENDPOINTS[endpoint](joulo, token)

    assert isinstance(caught.value, JouloTransientError)
    assert sim.pending_faults == 0
    assert [r.endpoint for r in sim.requests] == [endpoint]


async def test_the_next_request_after_a_failure_succeeds(joulo, sim, token):
    sim.add_charger(token, "Garage")
    sim.inject_fault(SimFault("html"))

    with pytest.raises(JouloUnavailable):
        await joulo.chargers(token)
    found = await joulo.chargers(token)

    assert [c.name for c in found.chargers] == ["Garage"]


async def test_a_connection_failure_is_reported_as_unavailable(token):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with contextlib.aclosing(
        JouloHttp(httpx.MockTransport(refuse), user_agent="test")
    ) as http:
        with pytest.raises(JouloUnavailable) as caught:
            await JouloClient(http, BASE).chargers(token)

    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_every_client_error_is_a_joulo_error(joulo, sim, token):
    sim.inject_fault(SimFault("status", status=418))

    with pytest.raises(JouloError):
        await joulo.energy(token)


# --- pasted tokens ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    [
        "joulo_abcDEF1234567890abcdef12345678",
        "  joulo_abcDEF1234567890abcdef12345678\n",
        "Bearer joulo_abcDEF1234567890abcdef12345678",
        "bearer   joulo_abcDEF1234567890abcdef12345678 ",
        " BEARER joulo_abcDEF1234567890abcdef12345678",
    ],
)
def test_a_pasted_token_loses_spaces_and_a_leading_bearer(pasted):
    assert normalize_token(pasted) == "joulo_abcDEF1234567890abcdef12345678"


async def test_sessions_from_an_offset_ask_only_for_the_count_wanted(joulo, sim, token):
    charger = sim.add_charger(token, "Garage")
    first = datetime(2025, 1, 1, 18, 0, tzinfo=UTC)
    ids = [
        sim.add_past_session(
            charger, first + timedelta(days=d), first + timedelta(days=d, hours=1), 5
        )
        for d in range(250)
    ]
    newest_first = ids[::-1]

    sessions = await joulo.sessions(token, offset=95, count=110)
    past_the_end = await joulo.sessions(token, offset=245, count=11)

    assert [s.id for s in sessions] == newest_first[95:205]
    assert [s.id for s in past_the_end] == newest_first[245:]
    pages = [(r.params["offset"], r.params["limit"]) for r in sim.requests]
    assert pages == [("95", "100"), ("195", "10"), ("245", "11")]


# --- money: the scope of /ere-position and the public ERE price feed ----------------------------

FEED = "https://joulo.nl/api/ere-price"


async def test_a_403_naming_a_scope_says_which_scope_is_missing(joulo, sim, token):
    body = {"error": "Forbidden", "required_scope": "energy:read"}
    sim.inject_fault(SimFault("status", status=403, path="/ere-position", body=body))

    with pytest.raises(JouloScopeMissing) as caught:
        await joulo.ere_position(token)

    assert caught.value.scope == "energy:read"
    assert isinstance(caught.value, JouloTokenRejected)  # elsewhere: as any rejected token


async def test_the_price_feed_is_read_without_a_token(joulo, sim):
    sim.feed_mid_eur = 0.31

    price = await joulo.ere_price(FEED)

    assert price.mid_eur == 0.31
    assert sim.requests[-1].token is None


@pytest.mark.parametrize("kind", ["garbage", "html", "timeout"])
async def test_a_broken_price_feed_is_unavailable(joulo, sim, kind):
    sim.inject_fault(SimFault(kind, path="/ere-price"))

    with pytest.raises(JouloUnavailable):
        await joulo.ere_price(FEED)


@pytest.mark.parametrize("body", [{}, {"mid_eur": "cheap"}, {"mid_eur": -1}, {"mid_eur": None}])
async def test_a_price_feed_without_a_price_is_unavailable(joulo, sim, body):
    sim.inject_fault(SimFault("wrong_shape", path="/ere-price", body=body))

    with pytest.raises(JouloUnavailable):
        await joulo.ere_price(FEED)
