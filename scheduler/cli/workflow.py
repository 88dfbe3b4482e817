"""The review workflow on the command line: who is acting, and deciding on drafts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from scheduler.cli.common import care_linter, print_care, settings_from
from scheduler.cli.jsonout import wants_json
from scheduler.cli.progress import progress
from scheduler.errors import SchedulerError, UsageError

if TYPE_CHECKING:
    from scheduler.care import Finding
    from scheduler.ledger import Decision, DraftRecord, SyncReport


class Workflow:
    """A campaign loaded from its files and synced into the ledger, ready for decisions."""

    def __init__(self, args: argparse.Namespace) -> None:
        from scheduler.approval import Policy
        from scheduler.campaign import load_campaign
        from scheduler.clock import SystemClock
        from scheduler.ledger import open_ledger
        from scheduler.render import render_campaign

        self.clock = SystemClock()
        self.campaign = load_campaign(args.path)
        drafts = render_campaign(self.campaign)
        self.policy = Policy.from_campaign(self.campaign)
        self.ledger = open_ledger(settings_from(args).ledger, clock=self.clock)
        with progress("syncing", enabled=not wants_json(args)) as bar:
            report = self.ledger.sync(
                self.campaign.id,
                drafts,
                now=self.clock.now(),
                rule=self.policy.rule(),
                progress=bar,
            )
        print_sync(report)

    def actor(self, args: argparse.Namespace) -> str:
        email = args.actor or git_email(self.campaign.root)
        if not email:
            raise UsageError(
                "who is acting? no --as EMAIL given and `git config user.email` is not set",
                hint="pass --as EMAIL (an email on the campaign's team)",
            )
        member = self.policy.require_member(email, self.campaign.id)
        return member.email

    def targets(self, args: argparse.Namespace) -> list[DraftRecord]:
        records = [r for r in self.ledger.list(self.campaign.id) if r.key.post_id == args.post]
        if not records:
            known = sorted({p.id for p in self.campaign.posts})
            raise UsageError(
                f"no post {args.post!r} in campaign {self.campaign.id}",
                hint=f"posts: {', '.join(known[:20])}" if known else None,
            )
        if args.account:
            chosen = [r for r in records if r.key.account == args.account]
            if not chosen:
                accounts = ", ".join(r.key.account for r in records)
                raise UsageError(
                    f"post {args.post!r} is not sent to account {args.account!r}",
                    hint=f"its accounts: {accounts}",
                )
            records = chosen
        return records

    def close(self) -> None:
        self.ledger.close()


def git_email(folder: object) -> str | None:
    import subprocess

    try:
        found = subprocess.run(
            ["git", "config", "user.email"],
            cwd=str(folder),
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def print_sync(report: SyncReport) -> None:
    parts = [
        f"{len(report.created)} new" if report.created else "",
        f"{len(report.changed)} changed (back to review)" if report.changed else "",
        f"{len(report.restored)} back in the files (to review)" if report.restored else "",
        f"{len(report.cancelled)} removed (cancelled)" if report.cancelled else "",
        f"{len(report.requeued)} recounted under a new policy" if report.requeued else "",
    ]
    said = [p for p in parts if p]
    if said:
        print(f"ledger: {', '.join(said)}", file=sys.stderr)
    for key in report.frozen:
        print(
            f"ledger: {key} changed in the files after it started going out; "
            "the ledger keeps the version being published",
            file=sys.stderr,
        )


def expected_hash(args: argparse.Namespace, record: DraftRecord) -> str:
    """The version the person decides on: --hash (what they reviewed) or the files now."""
    wanted = str(getattr(args, "hash", None) or "")
    if not wanted:
        return record.content_hash
    bare = record.content_hash.split(":", 1)[-1]
    if len(wanted) >= 6 and (bare.startswith(wanted) or record.content_hash == wanted):
        return record.content_hash
    return wanted  # the ledger refuses it as stale, saying what it is now


def decide_each(
    args: argparse.Namespace,
    verb: str,
    act: Callable[[Workflow, DraftRecord, str], DraftRecord],
) -> int:
    from scheduler.approval import next_step
    from scheduler.cli.decided import Decided, Decisions

    flow = Workflow(args)
    decisions = Decisions(args)
    actor: str | None = None
    failure: SchedulerError | None = None
    try:
        actor = flow.actor(args)
        for record in flow.targets(args):
            if verb == "approved" and any(a.actor == actor for a in record.approvals):
                decisions.add(Decided.already(record, actor))
                continue
            after = act(flow, record, actor)
            step = next_step(after, flow.policy.rule(), flow.clock.now())
            decisions.add(Decided.done(after, verb, actor, step))
    except SchedulerError as exc:
        # Decisions already recorded stay recorded: the JSON lists them beside the failure.
        if not decisions.json:
            raise
        failure = exc
    finally:
        flow.close()
    return decisions.finish(flow.campaign.id, actor, failure)


def care_blocks(flow: Workflow, record: DraftRecord) -> list[str]:
    """The care rules blocking approval of this draft under the campaign's settings."""
    from scheduler.care import block_rules

    return block_rules(record.draft, care_linter(flow.campaign))


def care_review(
    flow: Workflow, record: DraftRecord
) -> tuple[list[Finding], list[Decision], list[str]]:
    """A draft's care findings, the overrides recorded for this version, and the blocking
    rules still neither fixed nor overridden."""
    from scheduler.approval import unresolved_care_blocks

    findings = care_linter(flow.campaign).lint(record.draft)
    overrides = [
        d
        for d in flow.ledger.approvals(record.key)
        if d.kind == "override" and d.valid and d.content_hash == record.content_hash
    ]
    blocks = sorted({f.rule for f in findings if f.severity == "block"})
    return findings, overrides, unresolved_care_blocks(flow.ledger, record, blocks)


def print_care_review(flow: Workflow, record: DraftRecord, indent: str = "   ") -> None:
    """In review: the draft's care findings, and the overrides recorded for this version."""
    findings, overrides, unresolved = care_review(flow, record)
    print_care(findings, indent)
    for d in overrides:
        print(f"{indent}override of {d.rule} by {d.actor}: {d.comment}")
    if unresolved:
        print(f"{indent}cannot be approved until fixed or overridden: {', '.join(unresolved)}")
