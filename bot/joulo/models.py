"""What the Joulo API returns, parsed leniently: optional fields may be missing, enums are open."""

from __future__ import annotations

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


class EreMoney(_ApiModel):
    """An amount of ERE credits and what they are worth net of Joulo's fee."""

    ere: float | None = None
    net_eur: float | None = None
    price_per_ere: float | None = None


class ErePosition(_ApiModel):
    """The money side of ERE credits from `/ere-position`; only `paid` is real money.

    Every field is optional (the endpoint is undocumented); unknown fields are ignored.
    """

    compliance_year: int | None = None
    paid: EreMoney | None = None
    ytd_expected_eur: float | None = None
    total_expected_eur: float | None = None

    @field_validator("paid", mode="before")
    @classmethod
    def _object_or_none(cls, value: object) -> object:
        return value if isinstance(value, dict) else None

    @field_validator("compliance_year", "ytd_expected_eur", "total_expected_eur", mode="before")
    @classmethod
    def _number_or_none(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            float(value)
        except ValueError:
            return None
        return value
