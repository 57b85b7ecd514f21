"""Joulo's answers are parsed leniently: what the API may leave out or add never breaks a poll.

Pins down: missing optional fields take defaults; a charger is called by its nickname, else
its `name`, else its id; `current_session` null or absent is no session; an empty RFID tag is
no tag; unknown statuses and extra fields are tolerated; naive timestamps are UTC and all
times end up in UTC; `YYYY-MM-01` months become `YYYY-MM`; one malformed charger does not
hide the others, and a body of the wrong shape is a ValueError. A `/chargers` body read at
once from its bytes (the poller's common case) parses exactly as its decoded JSON does, and
any body that is not all well is left to the lenient reading.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from bot.joulo.models import (
    Charger,
    Energy,
    MonthEnergy,
    Session,
    SessionPage,
    chargers_at_once,
    parse_chargers,
)


@pytest.fixture(autouse=True)
def _no_dotenv() -> None:
    """Overrides conftest's per-test env scrub and chdir: this pure code reads no settings."""


GARAGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
OPRIT = "b2c3d4e5-f6a7-8901-bcde-f12345678901"
SESSION = "f0e1d2c3-b4a5-6789-0abc-def123456789"

#: The example from joulo-api.md, verbatim.
EXAMPLE: dict[str, Any] = {
    "chargers": [
        {
            "id": GARAGE,
            "nickname": "Garage",
            "connection_type": "easee",
            "status": "online",
            "mid_certified": True,
            "is_charging": True,
            "current_session": {
                "id": SESSION,
                "started_at": "2026-04-09T08:15:00Z",
                "kwh_so_far": 12.45,
                "id_tag": "04A3B2C1",
            },
            "latest_meter_wh": 5432100,
            "meter_updated_at": "2026-04-09T10:30:00Z",
        },
        {
            "id": OPRIT,
            "nickname": "Oprit",
            "connection_type": "ocpp",
            "status": "offline",
            "mid_certified": False,
            "is_charging": False,
        },
    ]
}


def with_session(**session: Any) -> Charger:
    body = {"id": GARAGE, "is_charging": True, "current_session": {"id": SESSION, **session}}
    return Charger.model_validate(body)


# --- chargers ---------------------------------------------------------------------------


def test_the_documented_example_parses_completely() -> None:
    garage, oprit = parse_chargers(EXAMPLE).chargers

    assert garage.name == "Garage"
    assert (garage.status, garage.is_charging, garage.mid_certified) == ("online", True, True)
    assert garage.current_session is not None
    assert garage.current_session.id == SESSION
    assert garage.current_session.started_at == datetime(2026, 4, 9, 8, 15, tzinfo=UTC)
    assert garage.current_session.kwh_so_far == 12.45
    assert garage.current_session.id_tag == "04A3B2C1"
    assert garage.latest_meter_wh == 5432100
    assert garage.meter_updated_at == datetime(2026, 4, 9, 10, 30, tzinfo=UTC)
    assert (oprit.name, oprit.status, oprit.is_charging) == ("Oprit", "offline", False)
    assert oprit.current_session is None


def test_a_charger_with_only_an_id_gets_safe_defaults() -> None:
    bare = Charger.model_validate({"id": GARAGE})

    assert bare.name == GARAGE
    assert bare.status == "unknown"
    assert bare.is_charging is False
    assert bare.mid_certified is False
    assert bare.current_session is None
    assert bare.latest_meter_wh is None
    assert bare.meter_updated_at is None
    assert bare.connection_type is None


@pytest.mark.parametrize("body", [{"current_session": None}, {}])
def test_a_null_or_absent_current_session_is_no_session(body: dict[str, Any]) -> None:
    assert Charger.model_validate({"id": GARAGE, **body}).current_session is None


@pytest.mark.parametrize(("nickname", "name"), [(None, GARAGE), ("", GARAGE), ("   ", GARAGE)])
def test_a_charger_without_a_nickname_is_called_by_its_id(nickname: str | None, name: str) -> None:
    assert Charger.model_validate({"id": GARAGE, "nickname": nickname}).name == name


def test_a_nickname_is_trimmed() -> None:
    assert Charger.model_validate({"id": GARAGE, "nickname": "  Garage "}).name == "Garage"


@pytest.mark.parametrize("nickname", [None, "", "   "])
def test_a_charger_with_a_name_but_no_nickname_is_called_by_that_name(
    nickname: str | None,
) -> None:
    body = {"id": GARAGE, "name": " Garage ", "nickname": nickname}

    assert Charger.model_validate(body).name == "Garage"


def test_a_nickname_wins_over_a_name() -> None:
    body = {"id": GARAGE, "name": "EASEE-123", "nickname": "Garage"}

    assert Charger.model_validate(body).name == "Garage"


@pytest.mark.parametrize("name", [None, "", "  "])
def test_a_blank_name_and_no_nickname_fall_back_to_the_id(name: str | None) -> None:
    assert Charger.model_validate({"id": GARAGE, "name": name}).name == GARAGE


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("weird", "weird"),
        ("unavailable", "unavailable"),
        ("Online ", "online"),
        ("CHARGING", "charging"),
        (None, "unknown"),
    ],
)
def test_any_status_is_accepted_and_normalised(raw: str | None, status: str) -> None:
    assert Charger.model_validate({"id": GARAGE, "status": raw}).status == status


def test_extra_fields_are_ignored() -> None:
    charger = Charger.model_validate(
        {
            "id": GARAGE,
            "firmware": "1.2.3",
            "current_session": {
                "id": SESSION,
                "started_at": "2026-04-09T08:15:00Z",
                "phase_count": 3,
            },
        }
    )

    assert "firmware" not in charger.model_dump()
    assert charger.current_session is not None
    assert "phase_count" not in charger.current_session.model_dump()


@pytest.mark.parametrize("body", [{"id_tag": ""}, {"id_tag": "   "}, {"id_tag": None}, {}])
def test_an_empty_or_missing_rfid_tag_is_no_tag(body: dict[str, Any]) -> None:
    charger = with_session(started_at="2026-04-09T08:15:00Z", **body)

    assert charger.current_session is not None
    assert charger.current_session.id_tag is None


def test_a_session_without_kwh_so_far_counts_zero() -> None:
    charger = with_session(started_at="2026-04-09T08:15:00Z")

    assert charger.current_session is not None
    assert charger.current_session.kwh_so_far == 0.0


@pytest.mark.parametrize(
    "raw",
    ["2026-04-09T08:15:00", "2026-04-09T08:15:00Z", "2026-04-09T10:15:00+02:00"],
)
def test_timestamps_end_up_in_utc_and_naive_ones_are_taken_as_utc(raw: str) -> None:
    charger = Charger.model_validate(
        {
            "id": GARAGE,
            "is_charging": True,
            "current_session": {"id": SESSION, "started_at": raw},
            "meter_updated_at": raw,
        }
    )
    session = Session.model_validate(
        {"id": SESSION, "charger_id": GARAGE, "started_at": raw, "ended_at": raw}
    )

    expected = datetime(2026, 4, 9, 8, 15, tzinfo=UTC)
    assert charger.current_session is not None
    for moment in (
        charger.current_session.started_at,
        charger.meter_updated_at,
        session.started_at,
        session.ended_at,
    ):
        assert moment == expected
        assert moment is not None
        assert moment.tzinfo == UTC


# --- parse_chargers ---------------------------------------------------------------------


def test_one_malformed_charger_does_not_hide_the_others() -> None:
    body = {
        "chargers": [
            EXAMPLE["chargers"][0],
            {"id": "bad-flag", "is_charging": "maybe"},
            {"id": "bad-session", "is_charging": True, "current_session": {"id": "s"}},
            {"nickname": "no id at all", "is_charging": "maybe"},
            "not even an object",
            EXAMPLE["chargers"][1],
        ]
    }

    parsed = parse_chargers(body)

    assert [c.id for c in parsed.chargers] == [GARAGE, OPRIT]
    assert parsed.malformed_ids == {"bad-flag", "bad-session"}


def test_an_account_without_chargers_parses_to_an_empty_list() -> None:
    parsed = parse_chargers({"chargers": []})

    assert parsed.chargers == ()
    assert parsed.malformed_ids == frozenset()


@pytest.mark.parametrize(
    "body",
    [
        [],
        [EXAMPLE["chargers"][0]],
        {"chargers": "nope"},
        {"chargers": None},
        {"chargers": {"id": GARAGE}},
        {},
        None,
        "chargers",
    ],
)
def test_a_body_of_the_wrong_shape_is_a_value_error(body: Any) -> None:
    with pytest.raises(ValueError, match="chargers"):
        parse_chargers(body)


ODD_BUT_FINE: list[dict[str, Any]] = [
    {"id": GARAGE, "status": None, "nickname": "  Garage "},
    {"id": GARAGE, "status": " Charging ", "is_charging": "true", "name": "Box"},
    {"id": GARAGE, "latest_meter_wh": "5432100", "meter_updated_at": "2026-04-09T10:30:00"},
    {"id": GARAGE, "meter_updated_at": "2026-04-09T12:30:00+02:00", "unknown": [1, {"a": 2}]},
    {
        "id": GARAGE,
        "is_charging": True,
        "current_session": {"id": SESSION, "started_at": "2026-04-09T08:15:00", "id_tag": " "},
    },
    {
        "id": GARAGE,
        "is_charging": True,
        "current_session": {"id": SESSION, "started_at": 1775722500, "kwh_so_far": "1.5"},
    },
]


@pytest.mark.parametrize(
    "body",
    [
        EXAMPLE,
        {"chargers": []},
        {"chargers": ODD_BUT_FINE, "next": None},
        *({"chargers": [charger]} for charger in ODD_BUT_FINE),
    ],
)
def test_a_body_read_at_once_parses_as_its_decoded_json_does(body: dict[str, Any]) -> None:
    assert chargers_at_once(json.dumps(body).encode()) == parse_chargers(body)


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"chargers": [EXAMPLE["chargers"][0], {"id": "bad", "is_charging": "maybe"}]}),
        json.dumps({"chargers": [EXAMPLE["chargers"][0], "not even an object"]}),
        json.dumps({"chargers": "nope"}),
        json.dumps([EXAMPLE["chargers"][0]]),
        '{"chargers": [',
        "",
    ],
)
def test_a_body_that_is_not_all_well_is_left_to_the_lenient_reading(raw: str) -> None:
    assert chargers_at_once(raw.encode()) is None


# --- sessions ---------------------------------------------------------------------------


def test_an_active_session_has_no_end_and_no_credits_yet() -> None:
    page = SessionPage.model_validate(
        {
            "sessions": [
                {
                    "id": SESSION,
                    "charger_id": GARAGE,
                    "charger_nickname": "Garage",
                    "started_at": "2026-04-09T08:15:00Z",
                    "ended_at": None,
                    "kwh": 3.2,
                    "status": "active",
                    "ere_credits": None,
                }
            ],
            "limit": 20,
            "offset": 0,
        }
    )

    (session,) = page.sessions
    assert (session.ended_at, session.ere_credits, session.kwh) == (None, None, 3.2)
    assert session.status == "active"


def test_a_session_with_only_the_required_fields_gets_safe_defaults() -> None:
    session = Session.model_validate(
        {"id": SESSION, "charger_id": GARAGE, "started_at": "2026-04-09T08:15:00Z"}
    )

    assert (session.kwh, session.ere_credits, session.ended_at) == (0.0, None, None)
    assert (session.status, session.id_tag, session.counts_for_ere) == ("unknown", None, None)


def test_an_unknown_session_status_and_extra_fields_are_tolerated() -> None:
    session = Session.model_validate(
        {
            "id": SESSION,
            "charger_id": GARAGE,
            "started_at": "2026-04-09T08:15:00Z",
            "ended_at": "2026-04-09T10:20:00Z",
            "kwh": 12.45,
            "status": "stopped",
            "ere_credits": 4.15,
            "counts_for_ere": True,
            "id_tag": "04A3B2C1",
            "cost_eur": 3.1,
        }
    )

    assert (session.status, session.ere_credits, session.counts_for_ere) == ("stopped", 4.15, True)
    assert "cost_eur" not in session.model_dump()


# --- energy -----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["2026-04-01", "2026-04", " 2026-04-01T00:00:00Z"])
def test_a_month_is_keyed_by_its_first_seven_characters(raw: str) -> None:
    assert MonthEnergy.model_validate({"month": raw}).month == "2026-04"


@pytest.mark.parametrize("raw", ["April", "2026/04", "26-4"])
def test_a_month_that_is_not_year_dash_month_is_rejected(raw: str) -> None:
    with pytest.raises(ValidationError):
        MonthEnergy.model_validate({"month": raw})


def test_the_documented_energy_example_parses_and_months_are_found_by_key() -> None:
    energy = Energy.model_validate(
        {
            "total_kwh": 2847.52,
            "total_ere_credits": 947.21,
            "total_sessions": 186,
            "total_kwh_all": 3102.18,
            "total_sessions_all": 203,
            "months": [
                {
                    "month": "2026-04-01",
                    "kwh": 124.3,
                    "ere_credits": 41.36,
                    "sessions": 8,
                    "kwh_all": 130.1,
                    "sessions_all": 9,
                }
            ],
        }
    )

    april = energy.month("2026-04")
    assert april is not None
    assert (april.kwh, april.ere_credits, april.sessions, april.kwh_all) == (124.3, 41.36, 8, 130.1)
    assert energy.month("2026-03") is None
    assert (energy.total_kwh, energy.total_sessions_all) == (2847.52, 203)


def test_an_energy_answer_with_nothing_in_it_is_all_zeros() -> None:
    energy = Energy.model_validate({})

    assert (energy.total_kwh, energy.total_sessions, energy.months) == (0.0, 0, ())
    assert energy.total_ere_credits is None
