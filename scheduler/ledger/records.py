"""The ledger's records: what a read returns and a claim carries (drafts, decisions,
events, attempts, pauses, bindings), plain frozen values with no database in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from scheduler.destination import Destination
from scheduler.draft import Draft, DraftKey, PartResult
from scheduler.ledger.states import State

# The scope of a pause over every campaign (a campaign id never looks like this).
ALL_CAMPAIGNS = "*"

DecisionKind = Literal["approve", "reject", "comment", "override"]


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
