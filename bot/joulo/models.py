"""What the Joulo API returns, parsed leniently: optional fields may be missing, enums are open."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


def _aware(value: datetime | None) -> datetime | None:
    """Treat a naive timestamp as UTC (the API documents UTC) and normalise to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class _ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CurrentSession(_ApiModel):
    """The running session as `/chargers` reports it."""

    id: str
    started_at: datetime
    kwh_so_far: float = 0.0
    id_tag: str | None = None

    _utc = field_validator("started_at")(_aware)

    @field_validator("id_tag")
    @classmethod
    def _blank_tag_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class Charger(_ApiModel):
    """One charger on the account, live."""

    id: str
    nickname: str | None = None
    #: What one client's types call the charger's name (joulo-api.md, confidence L).
    api_name: str | None = Field(default=None, alias="name")
    connection_type: str | None = None
    status: str = "unknown"
    mid_certified: bool = False
    is_charging: bool = False
    current_session: CurrentSession | None = None
    latest_meter_wh: float | None = None
    meter_updated_at: datetime | None = None

    _utc = field_validator("meter_updated_at")(_aware)

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, value: object) -> object:
        return "unknown" if value is None else str(value).strip().lower()

    @property
    def name(self) -> str:
        """The user's nickname for the charger, else its `name`, else its id."""
        return (self.nickname or "").strip() or (self.api_name or "").strip() or self.id


class ChargerList(_ApiModel):
    """The chargers that parsed, plus the ids of entries that did not."""

    chargers: tuple[Charger, ...]
    malformed_ids: frozenset[str] = frozenset()


class _ChargersBody(_ApiModel):
    """A `/chargers` body in which every charger parses."""

    chargers: tuple[Charger, ...]


def chargers_at_once(raw: bytes) -> ChargerList | None:
    """A `/chargers` body read straight from its bytes, when every charger in it parses.

    None for anything else: then `parse_chargers` on the decoded JSON says which chargers are
    malformed, or what is wrong with the body. The common answer, all well, costs one pass of
    pydantic's JSON parser instead of `json.loads` and a validation per charger.
    """
    try:
        return ChargerList(chargers=_ChargersBody.model_validate_json(raw).chargers)
    except ValidationError:
        return None


def parse_chargers(body: Any) -> ChargerList:
    """Parse a `/chargers` body; one malformed charger does not hide the others.

    Raises ValueError when the body as a whole has the wrong shape.
    """
    if not isinstance(body, dict) or not isinstance(body.get("chargers"), list):
        raise ValueError("expected an object with a 'chargers' list")
    good: list[Charger] = []
    bad: set[str] = set()
    for raw in body["chargers"]:
        try:
            good.append(Charger.model_validate(raw))
        except ValidationError:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                bad.add(raw["id"])
    return ChargerList(chargers=tuple(good), malformed_ids=frozenset(bad))


class Session(_ApiModel):
    """One charging session from `/sessions`."""

    id: str
    charger_id: str
    charger_nickname: str | None = None
    started_at: datetime
    ended_at: datetime | None = None
    kwh: float = 0.0
    status: str = "unknown"
    ere_credits: float | None = None
    counts_for_ere: bool | None = None
    id_tag: str | None = None

    _utc = field_validator("started_at", "ended_at")(_aware)


class SessionPage(_ApiModel):
    """One page of `/sessions`."""

    sessions: tuple[Session, ...]
    limit: int | None = None
    offset: int | None = None


class MonthEnergy(_ApiModel):
    """Energy and credits for one calendar month."""

    month: str
    kwh: float = 0.0
    ere_credits: float | None = None
    sessions: int = 0
    kwh_all: float | None = None
    sessions_all: int | None = None

    @field_validator("month")
    @classmethod
    def _year_month(cls, value: str) -> str:
        key = value.strip()[:7]
        if len(key) != 7 or key[4] != "-":
            raise ValueError("month must look like YYYY-MM")
        return key


class Energy(_ApiModel):
    """Lifetime totals and per-month figures from `/energy`."""

    total_kwh: float = 0.0
    total_ere_credits: float | None = None
    total_sessions: int = 0
    total_kwh_all: float | None = None
    total_sessions_all: int | None = None
    months: tuple[MonthEnergy, ...] = ()

    def month(self, key: str) -> MonthEnergy | None:
        """The figures for month `YYYY-MM`, or None when the API has no row for it."""
        return next((m for m in self.months if m.month == key), None)


def _number(value: object) -> object:
    """A number as the API may send it (also as text), or None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return value if math.isfinite(number) else None


def _object(value: object) -> object:
    """A JSON object, or None for anything else (so one odd field hides only itself)."""
    return value if isinstance(value, dict) else None


class EreMoney(_ApiModel):
    """An amount of ERE credits and what they are worth net of Joulo's fee."""

    ere: float | None = None
    net_eur: float | None = None
    price_per_ere: float | None = None

    _numbers = field_validator("ere", "net_eur", "price_per_ere", mode="before")(_number)


class EreQuarter(_ApiModel):
    """One quarter of the compliance year: its credits and, once `final`, their price."""

    quarter: str
    final: bool = False
    status: str | None = None
    ere: float | None = None
    price_per_ere: float | None = None
    net_eur: float | None = None
    realized_net_eur: float | None = None

    _numbers = field_validator(
        "ere", "price_per_ere", "net_eur", "realized_net_eur", mode="before"
    )(_number)

    @field_validator("quarter", mode="before")
    @classmethod
    def _quarter_text(cls, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("a quarter needs a name such as 2026-Q2")
        return value.strip()[:16]

    @field_validator("final", mode="before")
    @classmethod
    def _final_flag(cls, value: object) -> object:
        return value if isinstance(value, bool) else False

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) and value.strip() else None

    @property
    def is_final(self) -> bool:
        """Whether Joulo says this quarter's price is settled (`final`, or status "final")."""
        return self.final or self.status == "final"

    @property
    def net_per_credit(self) -> float | None:
        """What one credit of this quarter earned after Joulo's fee, when Joulo says."""
        if self.net_eur is not None and self.ere:
            return self.net_eur / self.ere
        return None


class ErePosition(_ApiModel):
    """The money side of ERE credits from `/ere-position`; only `paid` is real money.

    Every field is optional (the endpoint is undocumented); unknown fields are ignored, and a
    field of the wrong type reads as missing (None), never as an error for the whole answer.
    """

    compliance_year: int | None = None
    effective_fee_pct: float | None = None
    indicative_price_per_ere: float | None = None
    realized_avg_price: float | None = None
    paid: EreMoney | None = None
    payable: EreMoney | None = None
    reserved: EreMoney | None = None
    ytd_expected_eur: float | None = None
    total_expected_eur: float | None = None
    quarters: tuple[EreQuarter, ...] = ()

    _objects = field_validator("paid", "payable", "reserved", mode="before")(_object)
    _numbers = field_validator(
        "effective_fee_pct",
        "indicative_price_per_ere",
        "realized_avg_price",
        "ytd_expected_eur",
        "total_expected_eur",
        mode="before",
    )(_number)

    @field_validator("compliance_year", mode="before")
    @classmethod
    def _year(cls, value: object) -> object:
        number = _number(value)
        if number is None:
            return None
        year = float(number)  # type: ignore[arg-type]
        return int(year) if year.is_integer() else None

    @field_validator("quarters", mode="before")
    @classmethod
    def _readable_quarters(cls, value: object) -> object:
        if not isinstance(value, list):
            return ()
        readable = []
        for raw in value:
            try:
                readable.append(EreQuarter.model_validate(raw))
            except ValidationError:
                continue  # one odd quarter hides only itself
        return tuple(readable)


class ErePrice(_ApiModel):
    """Joulo's public ERE price feed: the market's mid price per credit this week, before fee."""

    mid_eur: float
    week_number: int | None = None

    @field_validator("mid_eur", mode="before")
    @classmethod
    def _price(cls, value: object) -> object:
        number = _number(value)
        if number is None or float(number) <= 0:  # type: ignore[arg-type]
            raise ValueError("mid_eur must be a positive number")
        return number

    @field_validator("week_number", mode="before")
    @classmethod
    def _week(cls, value: object) -> object:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
