"""The approval policy, and the decisions people take on drafts.

A decision is bound to the content hash the person saw: if the draft changed since, the
ledger refuses it (StaleHash) rather than apply it to words nobody approved. The policy comes
from the campaign file: how many approvals a draft needs (default 1), who may approve (emails
or role names; everyone on the team when not given), and never the author of the post. A
rejection needs a reason; anyone on the team may comment on any draft.

The state machine is one table, ``TRANSITIONS`` (kept in ``scheduler.ledger.states``, which
enforces it on every write, and re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.draft import DraftKey
from scheduler.errors import UsageError
from scheduler.ledger.base import (
    ApprovalRule,
    Decision,
    DraftRecord,
    Ledger,
    PolicyError,
)
from scheduler.ledger.states import TRANSITIONS, State, allowed_actions, can, check

__all__ = [
    "TRANSITIONS",
    "Member",
    "Policy",
    "State",
    "allowed_actions",
    "approve",
    "awaiting",
    "can",
    "check",
    "comment",
    "next_step",
    "override",
    "reject",
    "unresolved_care_blocks",
]


@dataclass(frozen=True, slots=True)
class Member:
    email: str
    name: str = ""
    roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "email", self.email.strip().lower())


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may approve, how many approvals a draft needs, and who may pause publishing."""

    required: int = 1
    approvers: tuple[str, ...] | None = None  # emails or role names; None: the whole team
    team: tuple[Member, ...] = field(default_factory=tuple)
    # Who may pause and resume publishing on the review pages: emails or role names; None:
    # whoever may approve.
    pause_by: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.required < 1:
            raise UsageError(f"approval.required must be at least 1, not {self.required}")

    @classmethod
    def from_campaign(cls, campaign: Any) -> Policy:
        """Build from a ``scheduler.campaign`` Campaign (its ``approval`` and ``team``)."""
        approval = getattr(campaign, "approval", None)
        approvers = getattr(approval, "approvers", None)
        pause_by = getattr(campaign, "pause_by", None)
        return cls(
            pause_by=None if pause_by is None else tuple(pause_by),
            required=int(getattr(approval, "required", 1) or 1),
            approvers=None if approvers is None else tuple(approvers),
            team=tuple(
                Member(
                    email=str(m.email),
                    name=str(getattr(m, "name", "") or ""),
                    roles=tuple(getattr(m, "roles", ()) or ()),
                )
                for m in getattr(campaign, "team", ())
            ),
        )

    def member(self, email: str) -> Member | None:
        wanted = email.strip().lower()
        return next((m for m in self.team if m.email == wanted), None)

    def require_member(self, email: str, campaign: str = "this campaign") -> Member:
        found = self.member(email)
        if found is None:
            raise UsageError(
                f"{email} is not on the team of {campaign}",
                hint="act as a team member with --as EMAIL, or add yourself to the team",
            )
        return found

    def approver_emails(self) -> frozenset[str] | None:
        if self.approvers is None:
            return frozenset(m.email for m in self.team) if self.team else None
        names = {a.strip().lower() for a in self.approvers}
        return frozenset(
            m.email for m in self.team if m.email in names or names & {r.lower() for r in m.roles}
        ) | frozenset(n for n in names if "@" in n)

    def may_approve(self, email: str) -> bool:
        allowed = self.approver_emails()
        return allowed is None or email.strip().lower() in allowed

    def may_pause(self, email: str) -> bool:
        """May pause (and resume) publishing of the campaign on the review pages."""
        if self.pause_by is None:
            return self.may_approve(email)
        member = self.member(email)
        if member is None:
            return False
        names = {n.strip().lower() for n in self.pause_by}
        return member.email in names or bool(names & {r.lower() for r in member.roles})

    def rule(self) -> ApprovalRule:
        """What the ledger needs to count approvals under this policy."""
        return ApprovalRule(required=self.required, approvers=self.approver_emails())


# --- decisions ------------------------------------------------------------------------------


def approve(
    ledger: Ledger,
    key: DraftKey,
    actor: str,
    content_hash: str,
    *,
    policy: Policy,
    now: datetime,
    comment: str | None = None,
    care_blocks: Sequence[str] | None = None,
) -> DraftRecord:
    """Approve one draft. ``care_blocks`` are the care rules with a block finding on it under
    the campaign's care settings (the caller lints); when not given, the draft is linted
    under the default settings, which block on a subset of what any campaign blocks on."""
    member = policy.require_member(actor, key.campaign)
    record = ledger.get(key)
    if record.author and record.author.lower() == member.email:
        raise PolicyError(
            f"{key}: {member.email} wrote this post and cannot approve it",
            hint="ask another team member to approve it",
        )
    if not policy.may_approve(member.email):
        who = ", ".join(policy.approvers or ())
        raise PolicyError(
            f"{key}: {member.email} may not approve posts of {key.campaign}",
            hint=f"approvers are: {who}",
        )
    _refuse_care_blocks(ledger, record, care_blocks)
    return ledger.decide(
        key,
        kind="approve",
        actor=member.email,
        content_hash=content_hash,
        comment=comment,
        rule=policy.rule(),
        now=now,
    )


def reject(
    ledger: Ledger,
    key: DraftKey,
    actor: str,
    content_hash: str,
    *,
    reason: str,
    policy: Policy,
    now: datetime,
) -> DraftRecord:
    member = policy.require_member(actor, key.campaign)
    if not reason or not reason.strip():
        raise PolicyError(f"{key}: a rejection needs a reason", hint="say what must change")
    return ledger.decide(
        key,
        kind="reject",
        actor=member.email,
        content_hash=content_hash,
        comment=reason.strip(),
        rule=policy.rule(),
        now=now,
    )


def comment(
    ledger: Ledger,
    key: DraftKey,
    actor: str,
    content_hash: str,
    *,
    text: str,
    policy: Policy,
    now: datetime,
) -> DraftRecord:
    member = policy.require_member(actor, key.campaign)
    if not text or not text.strip():
        raise UsageError("an empty comment says nothing", hint="write the comment after -m")
    return ledger.decide(
        key,
        kind="comment",
        actor=member.email,
        content_hash=content_hash,
        comment=text.strip(),
        now=now,
    )


def override(
    ledger: Ledger,
    key: DraftKey,
    actor: str,
    content_hash: str,
    *,
    rule_id: str,
    reason: str,
    policy: Policy,
    now: datetime,
) -> DraftRecord:
    """Record a reasoned override of a blocking care finding, bound to this version.

    The post's author may not override a finding on their own post."""
    member = policy.require_member(actor, key.campaign)
    if not reason or not reason.strip():
        raise PolicyError(f"{key}: an override needs a reason", hint="say why with --reason")
    author = ledger.get(key).author
    if author and author.lower() == member.email:
        raise PolicyError(
            f"{key}: {member.email} wrote this post and cannot override its care findings",
            hint="ask another team member to review the wording and record the override",
        )
    return ledger.decide(
        key,
        kind="override",
        actor=member.email,
        content_hash=content_hash,
        comment=reason.strip(),
        rule_id=rule_id,
        now=now,
    )


def unresolved_care_blocks(ledger: Ledger, record: DraftRecord, blocks: Iterable[str]) -> list[str]:
    """The blocking care rules not overridden for this exact version by a non-author."""
    return sorted(set(blocks) - overridden_rules(record, ledger.approvals(record.key)))


def overridden_rules(record: DraftRecord, decisions: Iterable[Decision]) -> set[str]:
    """The care rules that standing overrides among ``decisions`` lift from this version: an
    override counts only for the exact version and only when someone other than the author
    recorded it."""
    author = (record.author or "").lower()
    return {
        d.rule
        for d in decisions
        if d.kind == "override"
        and d.rule
        and d.valid
        and d.key == record.key
        and d.content_hash == record.content_hash
        and d.actor.lower() != author
    }


def _refuse_care_blocks(
    ledger: Ledger, record: DraftRecord, care_blocks: Sequence[str] | None
) -> None:
    if care_blocks is None:
        from scheduler.care import block_rules

        care_blocks = block_rules(record.draft)
    unresolved = unresolved_care_blocks(ledger, record, care_blocks)
    if unresolved:
        key = record.key
        raise PolicyError(
            f"{key}: the care lint blocks approval ({', '.join(unresolved)})",
            hint=(
                "fix the wording (see `scheduler lint`), or have a team member other than the "
                f"author record `scheduler override PATH {key.post_id} --account {key.account} "
                "--rule RULE --reason WHY`"
            ),
        )


# --- what is next ---------------------------------------------------------------------------


def awaiting(records: Iterable[DraftRecord], actor: str, policy: Policy) -> list[DraftRecord]:
    """Drafts this person could approve now: in review, not theirs, not yet approved by them."""
    me = actor.strip().lower()
    if not policy.may_approve(me):
        return []
    return [
        r
        for r in records
        if can("approve", r.state)
        and r.state is State.DRAFT
        and (r.author or "").lower() != me
        and all(a.actor != me for a in r.approvals)
    ]


def _local(instant: datetime | None, timezone: str) -> str:
    if instant is None:
        return "-"
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return instant.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def counted(record: DraftRecord, rule: ApprovalRule) -> int:
    return sum(1 for a in record.approvals if rule.counts(a.actor, record.author))


def next_step(record: DraftRecord, rule: ApprovalRule, now: datetime | None = None) -> str:
    """One line telling a person what happens next to this draft, or what they must do."""
    tz = record.draft.timezone
    state = record.state
    post = f"{record.key.campaign} {record.key.post_id} --account {record.key.account}"
    if state is State.DRAFT:
        missing = rule.required - counted(record, rule)
        return f"needs {missing} more approval{'s' if missing != 1 else ''}"
    if state in (State.APPROVED, State.SCHEDULED):
        if now is not None and record.latest is not None and now > record.latest:
            return "its window has closed: the daemon will mark it missed"
        return f"publishes {_local(record.due, tz)}"
    if state is State.PUBLISHING:
        return f"publishing now ({record.lease_owner})"
    if state is State.PUBLISHED:
        url = record.parts_done[0].url if record.parts_done else ""
        return f"published {url}".strip()
    if state is State.REJECTED:
        return "rejected: edit the post and it returns to review"
    if state is State.RETRY_WAIT:
        return f"retries {_local(record.next_attempt, tz)} ({record.last_error or 'error'})"
    if state is State.OUTCOME_UNKNOWN:
        return f"may have gone out: check the account, then `scheduler resolve` {post}"
    if state is State.FAILED:
        return f"failed: {record.last_error or 'refused by the platform'}"
    if state is State.MISSED:
        return f"missed: {record.last_error or 'its window closed'}"
    return "cancelled: removed from the campaign files"
