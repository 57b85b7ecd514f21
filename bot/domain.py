"""The bot's own vocabulary: what we remember about a charger, and what can happen to it.

These are plain immutable values. They are stored as JSON by the store and handed to the
pure functions in `diff` and `render`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Sample(_Value):
    """A cumulative energy reading (kWh) at a moment."""

    at: datetime
    kwh: float


class SessionState(_Value):
    """A charging session we have seen running."""

    id: str
    started_at: datetime
    kwh: float
    id_tag: str | None = None
    #: The last two distinct energy readings, oldest first, for the power estimate.
    samples: tuple[Sample, ...] = ()


class ChargerState(_Value):
    """Everything the bot remembers about one charger between polls."""

    charger_id: str
    name: str
    status: str
    online: bool
    is_charging: bool
    session: SessionState | None = None
    observed_at: datetime
    #: When the charger was first seen not online in the current episode, else None.
    offline_since: datetime | None = None
    offline_announced: bool = False


class PendingEnd(_Value):
    """A session that stopped; its final figures still have to be read from `/sessions`."""

    charger_id: str
    charger_name: str
    session_id: str
    started_at: datetime
    last_kwh: float
    id_tag: str | None = None
    observed_end_at: datetime
    while_away: bool = False


# --- Events: one per thing worth telling people about -------------------------------------


class SessionStarted(_Value):
    """A car started charging."""

    kind: Literal["session_started"] = "session_started"
    charger_id: str
    charger_name: str
    session_id: str
    started_at: datetime
    id_tag: str | None = None
    while_away: bool = False

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"start:{self.charger_id}:{self.session_id}"


class SessionFinished(_Value):
    """A car stopped charging; `final` says the figures came from `/sessions`."""

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

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"finish:{self.charger_id}:{self.session_id}"


class ChargerOffline(_Value):
    """A charger has reported a non-online status for longer than the grace period."""

    kind: Literal["charger_offline"] = "charger_offline"
    charger_id: str
    charger_name: str
    status: str
    since: datetime

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"offline:{self.charger_id}:{self.since.isoformat()}"


class ChargerOnline(_Value):
    """A charger that was announced offline is back."""

    kind: Literal["charger_online"] = "charger_online"
    charger_id: str
    charger_name: str
    offline_since: datetime
    back_at: datetime

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"online:{self.charger_id}:{self.offline_since.isoformat()}"


class TokenRejected(_Value):
    """Joulo no longer accepts the account's token; polling is paused. Owner only."""

    kind: Literal["token_rejected"] = "token_rejected"
    link_seq: int
    at: datetime
    #: "rejected" by Joulo, or "unreadable": no configured ENCRYPTION_KEY decrypts it.
    reason: Literal["rejected", "unreadable"] = "rejected"

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"token_rejected:{self.link_seq}"


class JouloUnreachable(_Value):
    """Joulo has failed for this account for a long while. Owner only."""

    kind: Literal["joulo_unreachable"] = "joulo_unreachable"
    since: datetime

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"unreachable:{self.since.isoformat()}"


class JouloRecovered(_Value):
    """Joulo answers again after an announced outage. Owner only."""

    kind: Literal["joulo_recovered"] = "joulo_recovered"
    since: datetime
    at: datetime

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"recovered:{self.since.isoformat()}"


class GroupLost(_Value):
    """The bot was removed from (or blocked in) a group that got this account's news. Owner only."""

    kind: Literal["group_lost"] = "group_lost"
    chat_id: int
    title: str | None = None
    at: datetime

    @property
    def key(self) -> str:
        """What makes this event unique for an account."""
        return f"group_lost:{self.chat_id}:{self.at.isoformat()}"


Event = Annotated[
    SessionStarted
    | SessionFinished
    | ChargerOffline
    | ChargerOnline
    | TokenRejected
    | JouloUnreachable
    | JouloRecovered
    | GroupLost,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

#: Event kinds that go to the account owner only, never to a group.
OWNER_ONLY_KINDS = frozenset(
    {"token_rejected", "joulo_unreachable", "joulo_recovered", "group_lost"}
)


def event_from_json(payload: str) -> Event:
    """Rebuild an event stored as JSON."""
    return EVENT_ADAPTER.validate_json(payload)


def event_to_json(event: Event) -> str:
    """Serialise an event for storage."""
    return event.model_dump_json()
