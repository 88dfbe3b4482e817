"""What the pages show of the ledger, and the decisions they record through
``scheduler.approval`` (the same policy as the command line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from scheduler import approval, descriptors
from scheduler.approval import Policy
from scheduler.care import CarePolicy, Linter, block_rules
from scheduler.care.report import sort_findings
from scheduler.descriptors import Descriptor
from scheduler.draft import Draft, DraftKey
from scheduler.ledger.base import Decision, DraftRecord, Ledger, PolicyError
from scheduler.web.marks import CareMark, Summaries, Summary, from_summary
from scheduler.web.preview import DiffLine, DraftView, diff, draft_view
from scheduler.web.workspace import Loaded

VERBS = {
    "approve": "approved",
    "reject": "asked for changes",
    "comment": "commented",
    "override": "overrode the care finding",
}


@dataclass(frozen=True, slots=True)
class ShownFinding:
    rule: str
    severity: str
    message: str
    location: str
    excerpt: str


@dataclass(frozen=True, slots=True)
class ShownApproval:
    name: str
    email: str
    at: datetime
    comment: str | None


@dataclass(frozen=True, slots=True)
class ShownDecision:
    kind: str
    verb: str
    name: str
    at: datetime
    comment: str | None
    voided: bool
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Panel:
    """One draft of a post, with everything its review needs."""

    view: DraftView
    state: str
    required: int
    approvals: tuple[ShownApproval, ...]
    decisions: tuple[ShownDecision, ...]
    diff: tuple[DiffLine, ...]
    approved_before: bool
    may_approve: bool
    may_reject: bool
    why_not: str | None
    care: tuple[ShownFinding, ...] = ()
    unresolved: tuple[str, ...] = ()  # blocking care rules not yet overridden for this version
    may_override: bool = False


def policy_of(loaded: Loaded) -> Policy:
    return Policy.from_campaign(loaded.campaign)


def rules_of(loaded: Loaded, draft: Draft) -> Descriptor:
    """The account's platform (or the one a sandbox stands in for), with its limit."""
    account = loaded.campaign.accounts.get(draft.account)
    if account is None:  # removed from the campaign since: its draft is still shown
        return descriptors.find(draft.platform) or descriptors.stand_in()
    rules: Descriptor = account.rules
    return rules


def view_of(loaded: Loaded, draft: Draft) -> DraftView:
    return draft_view(draft, rules_of(loaded, draft))


class Review:
    """The ledger as the review pages see it."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._linters: dict[str, tuple[object, CarePolicy, Linter]] = {}
        self._summaries = Summaries()

    def linter(self, loaded: Loaded) -> Linter:
        """The care lint under this campaign's care settings.

        One Linter per campaign serves the post pages and decisions: it remembers what it
        found for each distinct content it was asked about. An edit of the campaign files
        keeps it unless the care settings themselves changed. (The calendar's marks of every
        draft are kept in brief instead, see ``Summaries``.)
        """
        cached = self._linters.get(loaded.id)
        if cached is not None and cached[0] is loaded.campaign:
            return cached[2]
        policy = CarePolicy.from_settings(loaded.campaign.care)
        linter = cached[2] if cached is not None and cached[1] == policy else Linter(policy)
        self._linters[loaded.id] = (loaded.campaign, policy, linter)
        return linter

    def warm(self, loaded: Loaded) -> None:
        """Lint every draft of the campaign now (at server start), so that the first
        calendar does not wait for thousands of drafts to be linted."""
        self.marks(loaded, self.records(loaded.id))

    def care_blocks(self, loaded: Loaded, draft: Draft) -> list[str]:
        return block_rules(draft, self.linter(loaded))

    def marks(self, loaded: Loaded, records: list[DraftRecord]) -> dict[DraftKey, CareMark]:
        """The care mark of every record: each version linted once, and one read of the
        campaign's overrides when some draft has a blocking finding."""
        found = self._summaries.of(loaded.id, self.linter(loaded).policy, records)
        overrides: dict[DraftKey, list[Decision]] = {}
        if any(blocks for blocks, _ in found.values()):
            for decision in self.ledger.overrides(loaded.id):
                overrides.setdefault(decision.key, []).append(decision)
        # Most drafts share a handful of marks (none, the same warning): one object each.
        shared: dict[Summary, CareMark] = {}
        marks: dict[DraftKey, CareMark] = {}
        for r in records:
            summary = found[r.key]
            decisions = overrides.get(r.key)
            if summary[0] and decisions:
                marks[r.key] = from_summary(summary, approval.overridden_rules(r, decisions))
                continue
            mark = shared.get(summary)
            if mark is None:
                mark = shared[summary] = from_summary(summary)
            marks[r.key] = mark
        return marks

    def mark(self, loaded: Loaded, record: DraftRecord) -> CareMark:
        found = self._summaries.of(loaded.id, self.linter(loaded).policy, [record])[record.key]
        decisions = self.ledger.approvals(record.key) if found[0] else []
        return from_summary(found, approval.overridden_rules(record, decisions))

    def records(self, campaign: str) -> list[DraftRecord]:
        return self.ledger.list(campaign=campaign)

    def record(self, key: DraftKey) -> DraftRecord:
        return self.ledger.get(key)

    def awaiting(self, loaded: Loaded, records: list[DraftRecord], email: str) -> int:
        return len(approval.awaiting(records, email, policy_of(loaded)))

    def panel(self, loaded: Loaded, record: DraftRecord, email: str) -> Panel:
        tz = ZoneInfo(loaded.campaign.timezone)
        policy = policy_of(loaded)
        decisions = self.ledger.approvals(record.key)
        previous = self.last_approved(record, decisions)
        may, why = approval_allowed(policy, record, email)
        findings = sort_findings(self.linter(loaded).lint(record.draft))
        blocks = sorted({f.rule for f in findings if f.severity == "block"})
        unresolved = approval.unresolved_care_blocks(self.ledger, record, blocks)
        mine = (record.author or "").lower() == email.strip().lower()
        if may and unresolved:
            may, why = False, "Approval waits for the blocking care finding above."
        state = str(record.state)
        return Panel(
            view=view_of(loaded, record.draft),
            state=state,
            required=policy.required,
            approvals=tuple(
                ShownApproval(loaded.member_name(d.actor), d.actor, d.at.astimezone(tz), d.comment)
                for d in record.approvals
            ),
            decisions=tuple(
                ShownDecision(
                    kind=d.kind,
                    verb=VERBS.get(d.kind, d.kind),
                    name=loaded.member_name(d.actor),
                    at=d.at.astimezone(tz),
                    comment=d.comment,
                    voided=d.content_hash != record.content_hash,
                    rule=d.rule,
                )
                for d in decisions
                if d.kind != "approve" or d.comment or not d.valid
            ),
            diff=diff(previous, record.draft) if previous is not None else (),
            approved_before=previous is not None,
            may_approve=may and approval.can("approve", record.state),
            may_reject=approval.can("reject", record.state),
            why_not=why,
            care=tuple(
                ShownFinding(f.rule, f.severity, f.message, f.location, f.excerpt) for f in findings
            ),
            unresolved=tuple(unresolved),
            may_override=bool(unresolved) and not mine and approval.can("override", record.state),
        )

    def last_approved(self, record: DraftRecord, decisions: list[Decision]) -> Draft | None:
        """The draft as it stood at its most recent approval, when that was another version."""
        approvals = [d for d in decisions if d.kind == "approve"]
        if not approvals:
            return None
        last = approvals[-1]
        if last.content_hash == record.content_hash:
            return record.draft  # approved as it stands (or rejected since): nothing changed
        return self.ledger.version(record.key, last.content_hash, at=last.at)

    # --- decisions, through the same policy as the command line -------------------------

    def approve(
        self,
        loaded: Loaded,
        key: DraftKey,
        actor: str,
        content_hash: str,
        comment: str | None,
        now: datetime,
    ) -> DraftRecord:
        draft = self.ledger.get(key).draft
        return approval.approve(
            self.ledger,
            key,
            actor,
            content_hash,
            policy=policy_of(loaded),
            now=now,
            comment=comment,
            care_blocks=self.care_blocks(loaded, draft),
        )

    def override(
        self,
        loaded: Loaded,
        key: DraftKey,
        actor: str,
        content_hash: str,
        rule_id: str,
        reason: str,
        now: datetime,
    ) -> DraftRecord:
        blocks = self.care_blocks(loaded, self.ledger.get(key).draft)
        if rule_id not in blocks:
            found = ", ".join(blocks) or "none"
            raise PolicyError(
                f"{key}: no blocking care finding {rule_id!r} on this draft (blocking: {found})",
                hint="reload the page to see the findings as they stand",
            )
        return approval.override(
            self.ledger,
            key,
            actor,
            content_hash,
            rule_id=rule_id,
            reason=reason,
            policy=policy_of(loaded),
            now=now,
        )

    def reject(
        self,
        loaded: Loaded,
        key: DraftKey,
        actor: str,
        content_hash: str,
        reason: str,
        now: datetime,
    ) -> DraftRecord:
        return approval.reject(
            self.ledger, key, actor, content_hash, reason=reason, policy=policy_of(loaded), now=now
        )

    def comment(
        self,
        loaded: Loaded,
        key: DraftKey,
        actor: str,
        content_hash: str,
        text: str,
        now: datetime,
    ) -> DraftRecord:
        return approval.comment(
            self.ledger, key, actor, content_hash, text=text, policy=policy_of(loaded), now=now
        )


def approval_allowed(policy: Policy, record: DraftRecord, email: str) -> tuple[bool, str | None]:
    """Whether to offer the approve button; scheduler.approval enforces the policy either way."""
    me = email.strip().lower()
    if (record.author or "").lower() == me:
        return False, "You wrote this post, so another team member approves it."
    if not policy.may_approve(me):
        return False, (
            "The campaign's approval policy does not list you as an approver; "
            "you can still comment or ask for changes."
        )
    if any(a.actor.lower() == me for a in record.approvals):
        return False, "You have approved this version."
    return True, None
