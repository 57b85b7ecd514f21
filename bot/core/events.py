"""Everything worth telling people about, as immutable values stored as JSON by the store.

Each event class says who hears it (`audience`) and what makes it unique for an account
(`key`, built from `key_prefix` and `key_fields`): recording the same event twice is a no-op,
so replaying an observation can never notify twice. Events are only ever built by the pure
functions in `bot.core` and written by the store; nobody else invents them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, TypeAdapter

from bot.core.state import Value

#: "everyone": the owner's private chat and every group subscribed to the account;
#: "owner": the owner's private chat only (account trouble is nobody else's business).
Audience = Literal["everyone", "owner"]


class EventBase(Value):
    """What every event has: a kind, an audience and a key."""

    audience: ClassVar[Audience] = "everyone"
    #: The key is `key_prefix:field:field…`; these strings are stored, so never change them.
    key_prefix: ClassVar[str]
    key_fields: ClassVar[tuple[str, ...]]

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        parts = [self.key_prefix]
        for name in self.key_fields:
            value = getattr(self, name)
            parts.append(value.isoformat() if isinstance(value, datetime) else str(value))
        return ":".join(parts)


class SessionStarted(EventBase):
    """A car started charging."""

    key_prefix = "start"
    key_fields = ("charger_id", "session_id")

    kind: Literal["session_started"] = "session_started"
    charger_id: str
    charger_name: str
    session_id: str
    started_at: datetime
    id_tag: str | None = None
    while_away: bool = False
    #: Charged with a card the account had never seen and has not named, while it named
    #: others: the owner is asked to name it (see `bot.core.tags.mark_new_cards`).
    new_card: bool = False


class SessionFinished(EventBase):
    """A car stopped charging; `final` says the figures came from `/sessions`."""

    key_prefix = "finish"
    key_fields = ("charger_id", "session_id")

    kind: Literal["session_finished"] = "session_finished"
    charger_id: str
    charger_name: str
    session_id: str
    started_at: datetime
    ended_at: datetime
    kwh: float
    ere_credits: float | None = None
    id_tag: str | None = None
    final: bool = True
    while_away: bool = False


class SessionStalled(EventBase):
    """A running session whose energy has not grown for a while: the car stopped drawing power.

    Announced once per session (the key has no time in it), and only if it did not pick up
    again before the threshold.
    """

    key_prefix = "stalled"
    key_fields = ("charger_id", "session_id")

    kind: Literal["session_stalled"] = "session_stalled"
    charger_id: str
    charger_name: str
    session_id: str
    started_at: datetime
    #: When the energy reading last grew (or the session was first seen).
    since: datetime
    kwh: float
    #: The card that started it, so the notice names the person (None before it was stored).
    id_tag: str | None = None


class SessionCredited(EventBase):
    """Joulo filled in a finished session's ERE credits only after its end.

    Delivered as an edit of the chat's "finished" message, once, not as a new message.
    """

    key_prefix = "credited"
    key_fields = ("charger_id", "session_id")

    kind: Literal["session_credited"] = "session_credited"
    charger_id: str
    session_id: str
    #: The finished announcement as it should read now, credits included.
    finished: SessionFinished


class MonthTotals(Value):
    """One month's charging as `/energy` reported it, for the digest's chart."""

    month: str  # YYYY-MM
    kwh: float
    credits: float
    #: All charging, when Joulo tells it apart from the ERE part (its `kwh_all`), else None.
    kwh_all: float | None = None


class YearMoney(Value):
    """An account's ERE euros for one compliance year: paid out, and still to come.

    Net of Joulo's fee, as Joulo gives them (`bot.core.money.year_money`). `to_come_eur` is
    Joulo's forecast for the year less what it paid; when that cannot be told apart,
    `expected_eur` is the year's forecast as Joulo gives it.
    """

    year: int | None = None
    paid_eur: float | None = None
    to_come_eur: float | None = None
    expected_eur: float | None = None


class MonthlyDigest(EventBase):
    """Last month's charging compared with the month before, sent on the 1st."""

    key_prefix = "digest"
    key_fields = ("month",)

    kind: Literal["monthly_digest"] = "monthly_digest"
    #: `YYYY-MM` of the month summed up, and of the month before it.
    month: str
    previous_month: str
    kwh: float
    sessions: int
    credits: float
    previous_kwh: float
    previous_sessions: int
    previous_credits: float
    #: The twelve months up to `month`, for the chart (empty in digests stored before it).
    months: tuple[MonthTotals, ...] = ()
    #: This year's ERE euros as the money job last saw them (None: not known).
    money: YearMoney | None = None
    #: Whose charging it sums up: the account holder's name (empty in older digests).
    owner: str = ""


class ChargerOffline(EventBase):
    """A charger has reported a non-online status for longer than the grace period."""

    key_prefix = "offline"
    key_fields = ("charger_id", "since")

    kind: Literal["charger_offline"] = "charger_offline"
    charger_id: str
    charger_name: str
    status: str
    since: datetime


class ChargerOnline(EventBase):
    """A charger that was announced offline is back."""

    key_prefix = "online"
    key_fields = ("charger_id", "offline_since")

    kind: Literal["charger_online"] = "charger_online"
    charger_id: str
    charger_name: str
    offline_since: datetime
    back_at: datetime


class TokenRejected(EventBase):
    """Joulo no longer accepts the account's token; polling is paused."""

    audience = "owner"
    key_prefix = "token_rejected"
    key_fields = ("link_seq",)

    kind: Literal["token_rejected"] = "token_rejected"
    link_seq: int
    at: datetime
    #: "rejected" by Joulo, or "unreadable": no configured ENCRYPTION_KEY decrypts it.
    reason: Literal["rejected", "unreadable"] = "rejected"


class JouloUnreachable(EventBase):
    """Joulo has failed for this account for a long while."""

    audience = "owner"
    key_prefix = "unreachable"
    key_fields = ("since",)

    kind: Literal["joulo_unreachable"] = "joulo_unreachable"
    since: datetime


class JouloRecovered(EventBase):
    """Joulo answers again after an announced outage."""

    audience = "owner"
    key_prefix = "recovered"
    key_fields = ("since",)

    kind: Literal["joulo_recovered"] = "joulo_recovered"
    since: datetime
    at: datetime


class GroupLost(EventBase):
    """The bot was removed from (or blocked in) a group that got this account's news."""

    audience = "owner"
    key_prefix = "group_lost"
    key_fields = ("chat_id", "at")

    kind: Literal["group_lost"] = "group_lost"
    chat_id: int
    title: str | None = None
    at: datetime


class PayoutReceived(EventBase):
    """Joulo paid out more for the account's ERE credits: `paid` grew."""

    audience = "owner"
    key_prefix = "payout"
    key_fields = ("year", "total_eur")

    kind: Literal["payout_received"] = "payout_received"
    #: Joulo's compliance year the payout counts towards (None when Joulo did not say).
    year: int | None = None
    #: How much more was paid since the last look, and the year's total now (net, EUR).
    added_eur: float
    total_eur: float
    at: datetime


class QuarterFinal(EventBase):
    """A quarter's price per ERE credit became final."""

    audience = "owner"
    key_prefix = "quarter_final"
    key_fields = ("quarter",)

    kind: Literal["quarter_final"] = "quarter_final"
    #: As Joulo names it, e.g. `2026-Q1`.
    quarter: str
    price_per_ere: float
    #: The account's credits in that quarter and what they earned net, when Joulo says.
    ere: float | None = None
    net_eur: float | None = None
    at: datetime


Event = Annotated[
    SessionStarted
    | SessionFinished
    | SessionStalled
    | SessionCredited
    | MonthlyDigest
    | ChargerOffline
    | ChargerOnline
    | TokenRejected
    | JouloUnreachable
    | JouloRecovered
    | GroupLost
    | PayoutReceived
    | QuarterFinal,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_from_json(payload: str) -> Event:
    """Rebuild an event stored as JSON."""
    return EVENT_ADAPTER.validate_json(payload)


def event_to_json(event: Event) -> str:
    """Serialise an event for storage."""
    return event.model_dump_json()
