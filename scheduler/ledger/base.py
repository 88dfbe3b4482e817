"""The ledger's interface and its errors (its record types are in ``ledger.records``).

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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from scheduler.destination import Destination
from scheduler.draft import Draft, DraftKey, PartResult
from scheduler.errors import LedgerError
from scheduler.ledger.records import (
    ALL_CAMPAIGNS,
    AccountPause,
    ApprovalRule,
    Attempt,
    Binding,
    BoundDestination,
    CampaignEvent,
    Claim,
    Decision,
    DecisionKind,
    DraftRecord,
    Event,
    Pause,
    Shift,
    SyncReport,
    Wait,
)
from scheduler.ledger.states import State, allowed_actions

if TYPE_CHECKING:
    from scheduler.ledger.health import Census
    from scheduler.progress import Progress

__all__ = [
    "ALL_CAMPAIGNS",
    "AccountPause",
    "ApprovalRule",
    "Attempt",
    "Binding",
    "BoundDestination",
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
    "Wait",
]

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

    def gate_with_campaign(
        self, account: str, campaign: str, *, now: datetime, since: Sequence[datetime] = ()
    ) -> tuple[AccountPause | None, tuple[int, ...], bool]: ...

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
