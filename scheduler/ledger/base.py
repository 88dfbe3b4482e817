"""The ledger's interface, its record types and its errors.

The ledger is the single source of truth: drafts keyed by (campaign, post id, account) with
their content hash, payload, due instant and state; decisions bound to a hash; an
append-only event row for every state change; one row per publish attempt. The daemon works
through the claim API (claim, renew, record_part, finish, retry_later, give_up, release);
people through decisions (``scheduler.approval``) and ``resolve``.

    LedgerError
    ├── LedgerUnavailable    cannot connect / locked too long           retryable
    ├── MigrationError       schema older or newer than this release
    ├── NotFound             no such campaign, post or draft
    ├── TransitionError      a state change the state machine forbids
    ├── StaleHash            decided on a hash that is no longer current
    ├── PolicyError          approval policy refuses the actor
    ├── PauseError           pausing what is paused, resuming what is not
    └── LeaseLost            another worker owns the claim now
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from scheduler.destination import Destination
from scheduler.draft import Draft, DraftKey, PartResult
from scheduler.errors import LedgerError
from scheduler.ledger.states import State, allowed_actions

if TYPE_CHECKING:
    from scheduler.ledger.health import Census
    from scheduler.progress import Progress

__all__ = [
    "ALL_CAMPAIGNS",
    "ApprovalRule",
    "Attempt",
    "CampaignEvent",
    "Claim",
    "Decision",
    "DecisionKind",
    "DraftRecord",
    "Event",
    "LeaseLost",
    "Ledger",
    "LedgerError",
    "LedgerUnavailable",
    "MigrationError",
    "NotFound",
    "Pause",
    "PauseError",
    "PolicyError",
    "Shift",
    "StaleHash",
    "State",
    "SyncReport",
    "TransitionError",
]

# The scope of a pause over every campaign (a campaign id never looks like this).
ALL_CAMPAIGNS = "*"

DecisionKind = Literal["approve", "reject", "comment", "override"]
ResolveOutcome = Literal["published", "not_published", "give_up"]


# --- errors ---------------------------------------------------------------------------------


class LedgerUnavailable(LedgerError):
    retryable = True


class MigrationError(LedgerError):
    pass


class NotFound(LedgerError):
    pass


class TransitionError(LedgerError):
    def __init__(
        self, key: DraftKey | str, state: State, action: str, target: State | None = None
    ) -> None:
        allowed = allowed_actions(state)
        where = f" to {target.value}" if target is not None else ""
        super().__init__(
            f"{key}: cannot {action}{where} a draft that is {state.value}",
            hint=f"from {state.value} the allowed actions are: {', '.join(allowed) or 'none'}",
        )
        self.key = key
        self.state = state
        self.action = action
        self.allowed = allowed


class StaleHash(LedgerError):
    pass


class PolicyError(LedgerError):
    pass


class LeaseLost(LedgerError):
    pass


class PauseError(LedgerError):
    pass


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    """The campaign's approval policy reduced to what the ledger needs to count approvals.

    ``approvers`` holds the emails allowed to approve (roles already resolved by
    ``scheduler.approval``), or None when any team member may. The author of a draft never
    counts, whatever the rule says.
    """

    required: int = 1
    approvers: frozenset[str] | None = None

    def counts(self, actor: str, author: str | None) -> bool:
        if author is not None and actor.lower() == author.lower():
            return False
        return self.approvers is None or actor.lower() in self.approvers

    def to_json(self) -> dict[str, Any]:
        return {
            "required": self.required,
            "approvers": None if self.approvers is None else sorted(self.approvers),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApprovalRule:
        approvers = data.get("approvers")
        return cls(
            required=int(data.get("required", 1)),
            approvers=None if approvers is None else frozenset(a.lower() for a in approvers),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    key: DraftKey
    actor: str
    kind: DecisionKind
    content_hash: str
    at: datetime
    comment: str | None = None
    rule: str | None = None  # the care rule of an override
    voided_at: datetime | None = None  # set when an edit or time change voided it
    void_reason: str | None = None
    id: int = 0

    @property
    def valid(self) -> bool:
        return self.voided_at is None


@dataclass(frozen=True, slots=True)
class Event:
    key: DraftKey
    at: datetime
    action: str
    from_state: State | None
    to_state: State | None
    actor: str | None = None
    content_hash: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: int = 0


@dataclass(frozen=True, slots=True)
class Attempt:
    key: DraftKey
    number: int
    owner: str
    started_at: datetime
    content_hash: str
    ended_at: datetime | None = None
    outcome: str | None = None  # published|retry|failed|missed|outcome_unknown|released|...
    error_class: str | None = None
    platform_message: str | None = None


@dataclass(frozen=True, slots=True)
class DraftRecord:
    key: DraftKey
    draft: Draft
    content_hash: str
    due: datetime
    latest: datetime | None
    state: State
    approved_hash: str | None
    approvals: tuple[Decision, ...]  # current, valid approvals of the current hash
    next_attempt: datetime | None
    attempts: int
    lease_owner: str | None
    lease_until: datetime | None
    parts_done: tuple[PartResult, ...]
    last_error: str | None
    updated_at: datetime

    @property
    def author(self) -> str | None:
        return self.draft.author

    @property
    def is_approved(self) -> bool:
        """The current content is the approved content."""
        return self.approved_hash is not None and self.approved_hash == self.content_hash


WAIT_NEEDS_PERSON = frozenset(
    {State.FAILED, State.MISSED, State.OUTCOME_UNKNOWN, State.CANCELLED, State.REJECTED}
)


@dataclass(frozen=True, slots=True)
class Wait:
    """A draft another one waits on (``after:``): its state (None when the ledger does not
    hold it) and, once published, the address of its first part."""

    key: DraftKey
    state: State | None
    url: str | None = None

    @property
    def over(self) -> bool:
        return self.state is State.PUBLISHED

    @property
    def needs_person(self) -> bool:
        """It will not be published without a person (so neither will what waits on it)."""
        return self.state is None or self.state in WAIT_NEEDS_PERSON


@dataclass(frozen=True, slots=True)
class AccountPause:
    """An account that must not be called until ``until`` (a platform's reset, a quota)."""

    account: str
    until: datetime
    reason: str
    source: str  # rate_limited | headers | quota | auth
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """A lease on one draft, held by one worker, for one publish attempt."""

    key: DraftKey
    owner: str
    token: str  # unique to this claim; a later claim by anyone replaces it
    draft: Draft
    content_hash: str
    attempt: int  # 1 for the first attempt
    claimed_at: datetime
    lease_until: datetime
    parts_done: tuple[PartResult, ...] = ()
    # The previous holder's lease expired mid-publish: reconcile before posting again.
    takeover: bool = False
    previous_state: State = State.APPROVED


@dataclass(frozen=True, slots=True)
class BoundDestination:
    """The destination an account's credential is bound to, and who bound it when."""

    account: str
    destination: Destination
    at: datetime
    by: str  # an operator, or "first use"


@dataclass(frozen=True, slots=True)
class Binding:
    """An account's wanted destination against the one its credential is bound to."""

    account: str
    wanted: Destination
    bound: BoundDestination | None
    recorded: bool  # this call recorded the first use

    @property
    def held(self) -> bool:
        """The campaign points the account somewhere its credential is not bound to."""
        if self.bound is None or self.wanted.host is None:
            return False
        b = self.bound.destination
        return (b.platform, b.host) != (self.wanted.platform, self.wanted.host)

    def reason(self) -> str:
        """Why the account is held, for people (``status``, ``check``, notices)."""
        assert self.bound is not None
        return (
            f"account {self.account} is held: the campaign now sends it to "
            f"{self.wanted.describe()}, but its credential is bound to "
            f"{self.bound.destination.describe()}; nothing is sent until an operator "
            "confirms the new host"
        )

    def command(self, campaign_path: str = "CAMPAIGN") -> str:
        return f"scheduler accounts confirm {campaign_path} {self.account}"


@dataclass(frozen=True, slots=True)
class SyncReport:
    campaign: str
    created: tuple[DraftKey, ...] = ()
    changed: tuple[DraftKey, ...] = ()  # hash or due time changed: approvals voided
    restored: tuple[DraftKey, ...] = ()  # cancelled earlier, back in the files
    cancelled: tuple[DraftKey, ...] = ()  # removed from the files
    # Changes the ledger refused to apply: the stored version may already be out.
    frozen: tuple[DraftKey, ...] = ()
    requeued: tuple[DraftKey, ...] = ()  # approval state changed by a new policy
    unchanged: int = 0

    @property
    def touched(self) -> int:
        return (
            len(self.created)
            + len(self.changed)
            + len(self.restored)
            + len(self.cancelled)
            + len(self.requeued)
        )


@dataclass(frozen=True, slots=True)
class Pause:
    """A pause of publishing in force (or, in the history, one that was): nothing of
    ``scope`` (a campaign id, or ALL_CAMPAIGNS) is claimed while it lasts."""

    scope: str
    since: datetime
    actor: str
    reason: str

    @property
    def everything(self) -> bool:
        return self.scope == ALL_CAMPAIGNS

    def covers(self, campaign: str) -> bool:
        return self.everything or self.scope == campaign

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": "all" if self.everything else self.scope,
            "since": self.since.isoformat(),
            "by": self.actor,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class CampaignEvent:
    """One line of the append-only history of pausing and resuming."""

    scope: str
    at: datetime
    action: str  # pause | resume
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)
    id: int = 0


@dataclass(frozen=True, slots=True)
class Shift:
    """A resume moves a draft: from the due time it has to ``due`` (and its window end with it)."""

    key: DraftKey
    old_due: datetime
    due: datetime
    latest: datetime | None
    note: str | None = None  # what a person should check (a clock change, posts too close)


# --- the interface --------------------------------------------------------------------------


Lease = timedelta | float


class Ledger(Protocol):
    url: str

    def sync(
        self,
        campaign_id: str,
        drafts: Sequence[Draft],
        *,
        now: datetime,
        rule: ApprovalRule | None = None,
        progress: Progress | None = None,
    ) -> SyncReport: ...

    def get(self, key: DraftKey) -> DraftRecord: ...

    def list(
        self, campaign: str | None = None, states: Iterable[State | str] | None = None
    ) -> list[DraftRecord]: ...

    def campaigns(self) -> builtins.list[str]: ...

    def rule(self, campaign: str) -> ApprovalRule: ...

    def events(self, key: DraftKey) -> builtins.list[Event]: ...

    def approvals(self, key: DraftKey) -> builtins.list[Decision]: ...

    def overrides(self, campaign: str) -> builtins.list[Decision]: ...

    def version(
        self, key: DraftKey, content_hash: str, *, at: datetime | None = None
    ) -> Draft | None: ...

    def attempts(self, key: DraftKey) -> builtins.list[Attempt]: ...

    def decide(
        self,
        key: DraftKey,
        *,
        kind: DecisionKind,
        actor: str,
        content_hash: str,
        now: datetime,
        comment: str | None = None,
        rule_id: str | None = None,
        rule: ApprovalRule | None = None,
    ) -> DraftRecord: ...

    def claim(
        self,
        key: DraftKey,
        *,
        owner: str,
        now: datetime,
        lease: Lease,
        thread_completion: Lease = 0.0,
    ) -> Claim | None: ...

    def claim_due(
        self,
        *,
        owner: str,
        now: datetime,
        lease: Lease,
        limit: int = 10,
        campaigns: Sequence[str] | None = None,
        thread_completion: Lease = 0.0,
    ) -> builtins.list[Claim]: ...

    def renew(self, claim: Claim, *, now: datetime, lease: Lease) -> Claim: ...

    def record_part(self, claim: Claim, part: PartResult, *, now: datetime) -> Claim: ...

    def record_staged(self, claim: Claim, index: int, staged_id: str, *, now: datetime) -> None: ...

    def staged(self, key: DraftKey, content_hash: str) -> dict[int, str]: ...

    def finish(self, claim: Claim, *, now: datetime, part: PartResult | None = None) -> None:
        """Published. With ``part``, the last part is recorded in the same transaction (stored
        even when the lease is lost or parts are missing, which then raise as ever)."""
        ...

    def retry_later(
        self, claim: Claim, *, next_attempt: datetime, error: BaseException | str, now: datetime
    ) -> None: ...

    def give_up(
        self, claim: Claim, *, state: State | str, reason: BaseException | str, now: datetime
    ) -> None: ...

    def defer(self, claim: Claim, *, until: datetime, reason: str, now: datetime) -> None: ...

    def release(self, claim: Claim, *, now: datetime) -> None: ...

    def resolve(
        self,
        key: DraftKey,
        *,
        actor: str,
        outcome: ResolveOutcome,
        url: str | None = None,
        now: datetime,
    ) -> DraftRecord: ...

    def mark_missed(self, key: DraftKey, *, reason: str, now: datetime) -> None: ...

    def bound_destination(self, account: str) -> BoundDestination | None: ...

    def bound_destinations(self) -> builtins.list[BoundDestination]: ...

    def bind_destination(
        self, account: str, destination: Destination, *, now: datetime
    ) -> Binding: ...

    def confirm_destination(
        self, account: str, destination: Destination, *, actor: str, now: datetime
    ) -> BoundDestination | None: ...
    def pause(self, scope: str, *, actor: str, reason: str, now: datetime) -> Pause: ...

    def pauses(self) -> builtins.list[Pause]: ...

    def paused(self, campaign: str) -> Pause | None: ...

    def pause_history(self, scope: str | None = None) -> builtins.list[CampaignEvent]: ...

    def resume(
        self,
        scope: str,
        *,
        actor: str,
        now: datetime,
        choice: str,
        missed: Sequence[tuple[DraftKey, str]] = (),
        shifts: Sequence[Shift] = (),
    ) -> Pause: ...

    def pause_account(
        self, account: str, *, until: datetime, reason: str, source: str, now: datetime
    ) -> AccountPause: ...

    def account_pause(self, account: str, *, now: datetime) -> AccountPause | None: ...

    def account_pauses(self, *, now: datetime) -> builtins.list[AccountPause]: ...

    def account_gate(
        self, account: str, *, now: datetime, since: Sequence[datetime] = ()
    ) -> tuple[AccountPause | None, tuple[int, ...]]: ...

    def published_parts(
        self, account: str, *, since: datetime
    ) -> builtins.list[tuple[datetime, int]]: ...

    def count_published(self, account: str, *, since: datetime) -> int: ...

    def waits(self, key: DraftKey) -> builtins.list[Wait]: ...

    def dependants(self, key: DraftKey) -> builtins.list[DraftKey]: ...

    def ping(self) -> None:
        """Return when the database answers; LedgerUnavailable otherwise (health checks)."""
        ...

    def census(self, *, now: datetime) -> Census:
        """Drafts per state and how many are due and waiting (metrics; one small query)."""
        ...

    def close(self) -> None: ...
