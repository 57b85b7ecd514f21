"""The Joulo simulator answers like joulo-api.md says the real API does.

Pins down: Bearer-only auth (missing, wrong, ?token=, revoked, rotated all get 401), the
/chargers, /sessions, /energy and /ere-position shapes, session figures that follow the
injected clock only, credits that stay null for `credits_delay`, /sessions ids that differ
from /chargers' with `distinct_history_ids`, paging and filters, every injected fault kind, a
crash-free deterministic autopilot, and the loopback HTTP server.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.joulo.simulator import SimulatorError
from tests.clock import ManualClock
from tests.joulo_server import SimulatorServer
from tests.joulo_sim import JouloSimulator, SimFault, SimRequest

BASE = "https://api.joulo.nl/functions/v1/api"
START = datetime(2026, 4, 9, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> JouloSimulator:
    return JouloSimulator(clock, seed=7)


@pytest.fixture
def token(sim: JouloSimulator) -> str:
    return sim.add_account()


@pytest.fixture
def client(sim: JouloSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sim.transport(), base_url=BASE) as http:
        yield http


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(client: httpx.Client, token: str, path: str, **params: str | int) -> httpx.Response:
    return client.get(path, headers=auth(token), params=params)


# ----------------------------------------------------------------------------- auth


def test_a_generated_token_looks_like_a_personal_token_and_follows_the_seed(clock):
    first = JouloSimulator(clock, seed=3).add_account()
    again = JouloSimulator(clock, seed=3).add_account()
    other = JouloSimulator(clock, seed=4).add_account()
    assert re.fullmatch(r"joulo_[A-Za-z0-9]{32}", first)
    assert first == again
    assert first != other


def test_charger_ids_are_uuids_that_follow_the_seed(clock):
    ids = []
    for _ in range(2):
        sim = JouloSimulator(clock, seed=3)
        ids.append(sim.add_charger(sim.add_account(), "Garage"))
    assert ids[0] == ids[1]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", ids[0]
    )


def test_a_request_without_a_token_is_refused(client, token):
    response = client.get("/chargers")
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid or missing token"}


@pytest.mark.parametrize(
    "header", ["Bearer joulo_wrong", "joulo_wrong", "Bearer ", "Basic abc"], ids=repr
)
def test_an_unknown_or_malformed_token_is_refused(client, token, header):
    assert client.get("/chargers", headers={"Authorization": header}).status_code == 401


def test_a_token_in_the_query_string_is_refused_even_when_it_is_valid(client, token):
    assert client.get("/chargers", params={"token": token}).status_code == 401
    both = client.get("/chargers", params={"token": token}, headers=auth(token))
    assert both.status_code == 401


def test_a_revoked_token_is_refused_from_then_on(sim, client, token):
    assert get(client, token, "/chargers").status_code == 200
    sim.revoke_token(token)
    assert get(client, token, "/chargers").status_code == 401


def test_rotating_a_token_kills_the_old_one_and_keeps_the_account(sim, client, token):
    charger = sim.add_charger(token, "Garage")
    new = sim.rotate_token(token)
    assert new != token
    assert get(client, token, "/chargers").status_code == 401
    answer = get(client, new, "/chargers")
    assert [c["id"] for c in answer.json()["chargers"]] == [charger]


def test_an_unknown_path_is_404_and_a_wrong_method_is_405(client, token):
    missing = get(client, token, "/me")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not found"}
    assert client.post("/chargers", headers=auth(token), json={}).status_code == 405


def test_any_base_path_ending_in_api_works(sim, token):
    with httpx.Client(transport=sim.transport(), base_url="http://x/api") as other:
        assert other.get("/energy/", headers=auth(token)).status_code == 200


# ----------------------------------------------------------------------------- chargers


def test_an_idle_charger_has_null_current_session_and_a_missing_nickname_is_omitted(
    sim, client, token
):
    garage = sim.add_charger(token, "Garage", meter_wh=5_432_100.0)
    bare = sim.add_charger(
        token, None, connection_type="ocpp", mid_certified=False, status="offline"
    )
    chargers = get(client, token, "/chargers").json()["chargers"]
    assert chargers == [
        {
            "id": garage,
            "nickname": "Garage",
            "connection_type": "easee",
            "status": "online",
            "mid_certified": True,
            "is_charging": False,
            "current_session": None,
            "latest_meter_wh": 5_432_100,
            "meter_updated_at": "2026-04-09T08:00:00Z",
        },
        {
            "id": bare,
            "connection_type": "ocpp",
            "status": "offline",
            "mid_certified": False,
            "is_charging": False,
            "current_session": None,
            "latest_meter_wh": 1_000_000,
            "meter_updated_at": "2026-04-09T08:00:00Z",
        },
    ]
    assert sim.chargers(token) == chargers


def test_an_account_without_chargers_gets_an_empty_list(client, token):
    assert get(client, token, "/chargers").json() == {"chargers": []}


def test_each_account_sees_only_its_own_chargers_and_sessions(sim, client, token):
    other = sim.add_account()
    mine = sim.add_charger(token, "Mine")
    theirs = sim.add_charger(other, "Theirs")
    sim.start_session(theirs)
    assert [c["id"] for c in get(client, token, "/chargers").json()["chargers"]] == [mine]
    assert get(client, token, "/sessions").json()["sessions"] == []


def test_a_running_session_grows_with_the_clock(sim, clock, client, token):
    charger = sim.add_charger(token, "Garage", meter_wh=1_000_000.0)
    session = sim.start_session(charger, id_tag="04A3B2C1", power_kw=7.4)
    clock.advance(1800)
    (item,) = get(client, token, "/chargers").json()["chargers"]
    assert item["is_charging"] is True
    assert item["status"] == "online"
    assert item["current_session"] == {
        "id": session,
        "started_at": "2026-04-09T08:00:00Z",
        "kwh_so_far": 3.7,
        "id_tag": "04A3B2C1",
    }
    assert item["latest_meter_wh"] == 1_003_700
    assert item["meter_updated_at"] == "2026-04-09T08:30:00Z"
    clock.advance(1800)
    (item,) = sim.chargers(token)
    assert item["current_session"]["kwh_so_far"] == 7.4
    (listed,) = get(client, token, "/sessions").json()["sessions"]
    assert listed["id"] == session
    assert listed["status"] == "charging"
    assert listed["ended_at"] is None
    assert listed["kwh"] == 7.4
    assert listed["ere_credits"] is None


def test_a_session_without_a_tag_omits_id_tag(sim, clock, token):
    charger = sim.add_charger(token, "Garage")
    sim.start_session(charger)
    assert "id_tag" not in sim.chargers(token)[0]["current_session"]
    assert "id_tag" not in sim.sessions(token)[0]


def test_a_charging_charger_keeps_the_status_it_was_given(sim, token):
    charger = sim.add_charger(token, "Garage")
    sim.start_session(charger)
    sim.set_status(charger, "unavailable")
    (item,) = sim.chargers(token)
    assert (item["status"], item["is_charging"]) == ("unavailable", True)


def test_starting_twice_or_finishing_an_idle_charger_is_an_error(sim, token):
    charger = sim.add_charger(token, "Garage")
    with pytest.raises(SimulatorError):
        sim.finish_session(charger)
    sim.start_session(charger)
    with pytest.raises(SimulatorError):
        sim.start_session(charger)
    with pytest.raises(SimulatorError):
        sim.start_session("no-such-charger")


def test_renaming_and_removing_show_on_chargers_and_history_keeps_the_session(sim, clock, token):
    charger = sim.add_charger(token, "Garage")
    sim.rename_charger(charger, "Oprit")
    assert sim.chargers(token)[0]["nickname"] == "Oprit"
    sim.rename_charger(charger, None)
    assert "nickname" not in sim.chargers(token)[0]
    sim.start_session(charger, power_kw=4.0)
    clock.advance(3600)
    sim.remove_charger(charger)
    assert sim.chargers(token) == []
    (session,) = sim.sessions(token)
    assert (session["status"], session["kwh"]) == ("completed", 4.0)


# ----------------------------------------------------------------------------- sessions


def test_finishing_a_session_fixes_kwh_and_credits(sim, clock, client, token):
    mid = sim.add_charger(token, "Garage")
    plain = sim.add_charger(token, "Oprit", mid_certified=False)
    first = sim.start_session(mid, power_kw=11.0)
    second = sim.start_session(plain, power_kw=3.7)
    clock.advance(2 * 3600 + 15 * 60)
    sim.finish_session(mid)
    sim.finish_session(plain)
    clock.advance(3600)
    sessions = {s["id"]: s for s in get(client, token, "/sessions").json()["sessions"]}
    assert sessions[first] == {
        "id": first,
        "charger_id": mid,
        "charger_nickname": "Garage",
        "started_at": "2026-04-09T08:00:00Z",
        "ended_at": "2026-04-09T10:15:00Z",
        "kwh": 24.75,
        "status": "completed",
        "ere_credits": round(24.75 * 0.33, 2),
        "counts_for_ere": True,
    }
    assert sessions[second]["kwh"] == 8.33
    assert sessions[second]["ere_credits"] is None
    assert sessions[second]["counts_for_ere"] is False
    (item, _) = sim.chargers(token)
    assert item["latest_meter_wh"] == 1_024_750
    assert item["current_session"] is None


def test_credits_stay_null_for_the_credits_delay_after_the_end(clock, client):
    sim = JouloSimulator(clock, credits_delay=300)
    token = sim.add_account()
    charger = sim.add_charger(token, "Garage")
    sim.start_session(charger, power_kw=6.0)
    clock.advance(3600)
    sim.finish_session(charger)

    def credits() -> object:
        with httpx.Client(transport=sim.transport(), base_url=BASE) as http:
            return get(http, token, "/sessions").json()["sessions"][0]["ere_credits"]

    assert credits() is None
    clock.advance(299)
    assert credits() is None
    clock.advance(1)
    assert credits() == 1.98


def test_by_default_sessions_shows_the_id_that_chargers_showed(sim, token):
    garage = sim.add_charger(token, "Garage")
    live = sim.start_session(garage)
    (item,) = sim.chargers(token)
    assert item["current_session"]["id"] == live
    sim.finish_session(garage)
    assert [s["id"] for s in sim.sessions(token)] == [live]


def test_distinct_history_ids_give_sessions_ids_of_their_own_that_stay_put(clock):
    sim = JouloSimulator(clock, distinct_history_ids=True)
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    oprit = sim.add_charger(token, "Oprit")
    first = sim.start_session(garage)
    second = sim.start_session(oprit)
    clock.advance(600)
    live = {c["id"]: c["current_session"]["id"] for c in sim.chargers(token)}
    assert live == {garage: first, oprit: second}

    running = {s["charger_id"]: s["id"] for s in sim.sessions(token)}
    sim.finish_session(garage)
    clock.advance(600)
    ended = {s["charger_id"]: s["id"] for s in sim.sessions(token)}

    assert running == ended
    assert not set(ended.values()) & {first, second}
    assert len(set(ended.values())) == 2
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", ended[garage]
    )


def test_a_past_session_is_returned_under_the_id_sessions_shows(clock):
    sim = JouloSimulator(clock, distinct_history_ids=True)
    token = sim.add_account()
    garage = sim.add_charger(token, "Garage")
    past = sim.add_past_session(garage, START - timedelta(hours=3), START - timedelta(hours=1), 9.0)
    assert [s["id"] for s in sim.sessions(token)] == [past]


def test_a_session_of_zero_kwh_earns_no_credits(sim, token):
    charger = sim.add_charger(token, "Garage")
    sim.start_session(charger)
    sim.finish_session(charger)
    (session,) = sim.sessions(token)
    assert (session["kwh"], session["ere_credits"]) == (0.0, None)


def _history(sim: JouloSimulator, token: str) -> tuple[str, str, list[str]]:
    """Two chargers, five past sessions one day apart (newest last in the returned ids)."""
    garage = sim.add_charger(token, "Garage")
    drive = sim.add_charger(token, "Oprit")
    ids = []
    for day in range(5):
        start = datetime(2026, 4, 1, 18, 0, tzinfo=UTC) + timedelta(days=day)
        charger = garage if day % 2 == 0 else drive
        ids.append(sim.add_past_session(charger, start, start + timedelta(hours=2), 10.0 + day))
    return garage, drive, ids


def test_sessions_are_newest_first_and_page_by_offset(sim, client, token):
    _, _, ids = _history(sim, token)
    first = get(client, token, "/sessions", limit=2).json()
    assert (first["limit"], first["offset"]) == (2, 0)
    assert [s["id"] for s in first["sessions"]] == [ids[4], ids[3]]
    second = get(client, token, "/sessions", limit=2, offset=2).json()
    assert [s["id"] for s in second["sessions"]] == [ids[2], ids[1]]
    last = get(client, token, "/sessions", limit=2, offset=4).json()
    assert [s["id"] for s in last["sessions"]] == [ids[0]]
    default = get(client, token, "/sessions").json()
    assert (default["limit"], default["offset"], len(default["sessions"])) == (20, 0, 5)


def test_sessions_filter_on_charger_and_an_inclusive_start_window(sim, client, token):
    garage, _, ids = _history(sim, token)
    only_garage = get(client, token, "/sessions", charger_id=garage).json()["sessions"]
    assert [s["id"] for s in only_garage] == [ids[4], ids[2], ids[0]]
    window = get(
        client, token, "/sessions", **{"from": "2026-04-02T18:00:00Z", "to": "2026-04-04T18:00:00Z"}
    ).json()["sessions"]
    assert [s["id"] for s in window] == [ids[3], ids[2], ids[1]]
    both = get(
        client, token, "/sessions", charger_id=garage, **{"from": "2026-04-03T18:00:00+00:00"}
    ).json()["sessions"]
    assert [s["id"] for s in both] == [ids[4], ids[2]]
    assert get(client, token, "/sessions", charger_id="nope").json()["sessions"] == []


@pytest.mark.parametrize(
    "params",
    [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"offset": "-1"}, {"from": "yesterday"}],
    ids=repr,
)
def test_sessions_reject_bad_query_parameters_with_400(client, token, params):
    response = get(client, token, "/sessions", **params)
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)


def test_sessions_accept_the_limit_bounds(client, token):
    for limit in (1, 100):
        assert get(client, token, "/sessions", limit=limit).json()["limit"] == limit


def test_a_past_session_must_be_timezone_aware_and_not_end_before_it_starts(sim, token):
    charger = sim.add_charger(token, "Garage")
    naive = datetime(2026, 4, 1, 8, 0)  # noqa: DTZ001
    with pytest.raises(SimulatorError):
        sim.add_past_session(charger, naive, naive + timedelta(hours=1), 5.0)
    with pytest.raises(SimulatorError):
        sim.add_past_session(charger, START, START - timedelta(hours=1), 5.0)


# ----------------------------------------------------------------------------- energy


def test_energy_groups_completed_sessions_by_utc_month_newest_first(sim, clock, client, token):
    mid = sim.add_charger(token, "Garage")
    plain = sim.add_charger(token, "Oprit", mid_certified=False)
    march_night = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    sim.add_past_session(mid, march_night, march_night + timedelta(hours=3), 20.0)
    sim.add_past_session(
        mid, datetime(2026, 1, 5, 9, 0, tzinfo=UTC), START - timedelta(days=80), 10
    )
    sim.add_past_session(plain, datetime(2026, 4, 2, 9, 0, tzinfo=UTC), START, 5.5)
    sim.add_past_session(mid, datetime(2026, 4, 3, 9, 0, tzinfo=UTC), START, 12.0)
    sim.start_session(mid)  # running: not counted
    clock.advance(3600)
    assert get(client, token, "/energy").json() == {
        "total_kwh": 42.0,
        "total_ere_credits": 13.86,
        "total_sessions": 3,
        "total_kwh_all": 47.5,
        "total_sessions_all": 4,
        "months": [
            {
                "month": "2026-04",
                "kwh": 12.0,
                "ere_credits": 3.96,
                "sessions": 1,
                "kwh_all": 17.5,
                "sessions_all": 2,
            },
            {
                "month": "2026-03",
                "kwh": 20.0,
                "ere_credits": 6.6,
                "sessions": 1,
                "kwh_all": 20.0,
                "sessions_all": 1,
            },
            {
                "month": "2026-01",
                "kwh": 10.0,
                "ere_credits": 3.3,
                "sessions": 1,
                "kwh_all": 10.0,
                "sessions_all": 1,
            },
        ],
    }


def test_energy_of_a_new_account_is_all_zero(sim, token):
    assert sim.energy(token) == {
        "total_kwh": 0.0,
        "total_ere_credits": 0.0,
        "total_sessions": 0,
        "total_kwh_all": 0.0,
        "total_sessions_all": 0,
        "months": [],
    }


def test_ere_position_has_the_documented_fields(sim, client, token):
    charger = sim.add_charger(token, "Garage")
    sim.add_past_session(charger, START - timedelta(days=60), START - timedelta(days=60), 30.0)
    sim.add_past_session(charger, START - timedelta(days=2), START - timedelta(days=2), 10.0)
    body = get(client, token, "/ere-position").json()
    assert body["compliance_year"] == 2026
    assert body["paid"]["ere"] == 9.9
    assert body["unsold"]["ere"] == 3.3
    assert [q["quarter"] for q in body["quarters"]] == ["2026-Q2", "2026-Q1"]
    assert [q["final"] for q in body["quarters"]] == [False, True]
    for key in ("effective_fee_pct", "indicative_price_per_ere", "payable", "reserved"):
        assert key in body
    assert 0.2 <= body["indicative_price_per_ere"] <= 0.5


# ----------------------------------------------------------------------------- faults


@pytest.mark.parametrize("status", [500, 502, 503, 401, 403, 404])
def test_a_status_fault_answers_that_status_with_a_json_error(sim, client, token, status):
    sim.inject_fault(SimFault("status", status=status))
    response = get(client, token, "/chargers")
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)
    assert get(client, token, "/chargers").status_code == 200


def test_a_429_fault_carries_retry_after(sim, client, token):
    sim.inject_fault(SimFault("status", status=429, retry_after=42))
    response = get(client, token, "/energy")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"


def test_an_html_fault_is_a_502_gateway_page(sim, client, token):
    sim.inject_fault(SimFault("html"))
    response = get(client, token, "/chargers")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text


def test_a_garbage_fault_is_a_200_whose_body_is_not_json(sim, client, token):
    sim.inject_fault(SimFault("garbage"))
    response = get(client, token, "/chargers")
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        response.json()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/chargers", {"chargers": "nope"}),
        ("/sessions", {"sessions": "nope", "limit": 20, "offset": 0}),
        ("/energy", ["nope"]),
    ],
)
def test_a_wrong_shape_fault_is_json_of_the_wrong_shape(sim, client, token, path, expected):
    sim.inject_fault(SimFault("wrong_shape"))
    response = get(client, token, path)
    assert (response.status_code, response.json()) == (200, expected)


def test_a_fault_body_can_be_chosen(sim, client, token):
    sim.inject_fault(SimFault("wrong_shape", body={"chargers": [{"id": 5}]}))
    assert get(client, token, "/chargers").json() == {"chargers": [{"id": 5}]}


def test_a_timeout_fault_raises_read_timeout(sim, client, token):
    sim.inject_fault(SimFault("timeout"))
    with pytest.raises(httpx.ReadTimeout):
        get(client, token, "/chargers")
    assert sim.requests[-1].status is None
    assert get(client, token, "/chargers").status_code == 200


async def test_the_transport_serves_an_async_client_too(sim, token):
    sim.add_charger(token, "Garage")
    sim.inject_fault(SimFault("timeout"))
    async with httpx.AsyncClient(transport=sim.transport(), base_url=BASE) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/chargers", headers=auth(token))
        response = await http.get("/chargers", headers=auth(token))
    assert len(response.json()["chargers"]) == 1


def test_faults_match_path_and_account_and_are_used_up_in_order(sim, client, token):
    other = sim.add_account()
    sim.inject_fault(SimFault("status", status=503, path="/energy", times=2))
    sim.inject_fault(SimFault("status", status=500, token=other))
    sim.inject_fault(SimFault("status", status=502))
    assert get(client, token, "/energy").status_code == 503
    assert get(client, other, "/chargers").status_code == 500
    assert get(client, token, "/chargers").status_code == 502
    assert get(client, other, "/energy").status_code == 503
    assert sim.pending_faults == 0
    assert get(client, token, "/energy").status_code == 200


def test_a_token_fault_follows_the_account_through_a_rotation(sim, client, token):
    sim.inject_fault(SimFault("status", status=503, token=token))
    new = sim.rotate_token(token)
    assert get(client, new, "/chargers").status_code == 503


def test_a_fault_with_an_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="unknown fault kind"):
        SimFault("explode")
    with pytest.raises(ValueError, match="times"):
        SimFault("status", times=0)


def test_every_request_is_recorded_with_endpoint_params_token_and_status(sim, client, token):
    get(client, token, "/sessions", limit=5)
    client.get("/chargers")
    assert sim.requests == [
        SimRequest("GET", "/sessions", {"limit": "5"}, token, 200),
        SimRequest("GET", "/chargers", {}, None, 401),
    ]


# ----------------------------------------------------------------------------- autopilot


def _run_autopilot(seed: int, days: float) -> tuple[JouloSimulator, str, dict[str, int]]:
    clock = ManualClock(START)
    sim = JouloSimulator(clock, seed=seed)
    token = sim.add_account()
    for name in ("Garage", "Oprit", "Schuur"):
        sim.add_charger(token, name)
    rng = random.Random(seed)
    seen = {"starts": 0, "ends": 0, "offline": 0}
    before = {c["id"]: c for c in sim.chargers(token)}
    for _ in range(int(days * 24 * 12)):
        clock.advance(300)
        sim.autopilot(rng)
        now = {c["id"]: c for c in sim.chargers(token)}
        for cid, charger in now.items():
            was = before[cid]
            seen["starts"] += charger["is_charging"] and not was["is_charging"]
            seen["ends"] += was["is_charging"] and not charger["is_charging"]
            seen["offline"] += charger["status"] == "offline" and was["status"] != "offline"
        before = now
    return sim, token, seen


def test_the_autopilot_over_two_days_starts_ends_and_drops_chargers_offline():
    sim, token, seen = _run_autopilot(seed=11, days=2)
    assert seen["starts"] >= 3
    assert seen["ends"] >= 3
    assert seen["offline"] >= 2
    sessions = sim.sessions(token)
    completed = [s for s in sessions if s["status"] == "completed"]
    assert completed
    for session in completed:
        started = datetime.fromisoformat(session["started_at"])
        ended = datetime.fromisoformat(session["ended_at"])
        assert timedelta(minutes=25) <= ended - started <= timedelta(hours=5)
        assert session["kwh"] > 0
        assert session.get("id_tag") in {None, "04A3B2C1", "04F19A7E", "0488C3D2", "04D2E611"}
    assert all(c["status"] in {"online", "offline"} for c in sim.chargers(token))


def test_the_autopilot_is_deterministic_for_a_seed():
    first = _run_autopilot(seed=5, days=0.5)
    second = _run_autopilot(seed=5, days=0.5)
    assert first[2] == second[2]
    assert first[0].sessions(first[1]) == second[0].sessions(second[1])


def test_the_autopilot_leaves_a_charger_set_offline_by_hand_alone(sim, clock, token):
    charger = sim.add_charger(token, "Garage", status="unavailable")
    rng = random.Random(1)
    for _ in range(200):
        clock.advance(600)
        sim.autopilot(rng)
    assert sim.chargers(token)[0]["status"] == "unavailable"
    assert sim.sessions(token) == []
    sim.remove_charger(charger)
    sim.autopilot(rng)


# ----------------------------------------------------------------------------- server


def test_the_server_answers_over_real_loopback_http(sim, clock, token):
    charger = sim.add_charger(token, "Garage")
    sim.start_session(charger, id_tag="04A3B2C1")
    clock.advance(600)
    with SimulatorServer(sim) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/functions/v1/api", server.base_url)
        with httpx.Client(base_url=server.base_url, timeout=5) as http:
            chargers = http.get("/chargers", headers=auth(token))
            sessions = http.get("/sessions", headers=auth(token), params={"limit": 1})
            refused = http.get("/chargers")
            sim.inject_fault(SimFault("status", status=429, retry_after=7))
            limited = http.get("/energy", headers=auth(token))
    assert chargers.status_code == 200
    assert chargers.json() == {"chargers": sim.chargers(token)}
    assert sessions.json()["sessions"][0]["kwh"] == 1.23
    assert refused.status_code == 401
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert sim.requests[1] == SimRequest("GET", "/sessions", {"limit": "1"}, token, 200)


def test_a_timeout_fault_on_the_server_leaves_the_client_without_an_answer(sim, token):
    sim.inject_fault(SimFault("timeout"))
    with SimulatorServer(sim, timeout_delay=10) as server:
        with httpx.Client(base_url=server.base_url, timeout=0.2) as http:
            with pytest.raises(httpx.ReadTimeout):
                http.get("/chargers", headers=auth(token))
            assert http.get("/chargers", headers=auth(token)).status_code == 200
        server.timeout_delay = 0.05
        sim.inject_fault(SimFault("timeout"))
        with (
            httpx.Client(base_url=server.base_url, timeout=2) as http,
            pytest.raises(httpx.RemoteProtocolError),
        ):
            http.get("/chargers", headers=auth(token))
