"""Commands of the review workflow: approve, reject, comment, override, status, resolve
(``review`` itself is in review_show)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Literal

from scheduler.cli.common import settings_from
from scheduler.cli.decided import Decided, Decisions
from scheduler.cli.progress import progress
from scheduler.cli.shown import Shown, load_shown
from scheduler.cli.workflow import (
    Workflow,
    care_blocks,
    decide_each,
    expected_hash,
)
from scheduler.errors import SchedulerError, UsageError

if TYPE_CHECKING:
    from scheduler.ledger import DraftRecord, Pause


def cmd_approve(args: argparse.Namespace) -> int:
    from scheduler import approval

    if args.shown:
        if args.hash:
            raise UsageError("give --shown or --hash, not both")
        return approve_shown(args)
    if not args.post:
        raise UsageError(
            "which post? give POST, or --shown to approve what your last review showed",
            hint="scheduler approve PATH POST, or scheduler approve PATH --shown",
        )

    def act(flow: Workflow, record: DraftRecord, actor: str) -> DraftRecord:
        return approval.approve(
            flow.ledger,
            record.key,
            actor,
            expected_hash(args, record),
            policy=flow.policy,
            now=flow.clock.now(),
            comment=args.comment,
            care_blocks=care_blocks(flow, record),
        )

    return decide_each(args, "approved", act)


def approve_shown(args: argparse.Namespace) -> int:
    """Approve exactly the versions the last ``review`` showed this person (optionally of one
    post or account): each bound to the hash shown, so a changed draft is refused."""
    from scheduler import approval
    from scheduler.approval import next_step
    from scheduler.draft import DraftKey
    from scheduler.ledger import NotFound, PolicyError, StaleHash, TransitionError

    flow = Workflow(args)
    decisions = Decisions(args)
    actor: str | None = None
    chosen: list[Shown] = []
    failure: SchedulerError | None = None
    try:
        actor = flow.actor(args)
        shown, at = load_shown(settings_from(args).data_dir, flow.campaign.id, actor)
        chosen = [
            s
            for s in shown
            if (not args.post or s.post_id == args.post)
            and (not args.account or s.account == args.account)
        ]
        if not chosen:
            raise UsageError(
                f"your last review ({at}) showed no draft"
                + (f" of post {args.post!r}" if args.post else "")
                + (f" for account {args.account!r}" if args.account else ""),
                hint="run `scheduler review PATH` to see what awaits you",
            )
        rule = flow.policy.rule()
        with progress("approving", total=len(chosen), enabled=not args.json) as bar:
            for item in chosen:
                key = DraftKey(flow.campaign.id, item.post_id, item.account)
                bar.note(f"{item.post_id} @ {item.account}")
                try:
                    record = flow.ledger.get(key)
                    if any(a.actor == actor for a in record.approvals):
                        decisions.add(Decided.already(record, actor))
                        continue
                    after = approval.approve(
                        flow.ledger,
                        key,
                        actor,
                        item.content_hash,
                        policy=flow.policy,
                        now=flow.clock.now(),
                        comment=args.comment,
                        care_blocks=care_blocks(flow, record),
                    )
                except (StaleHash, NotFound, PolicyError, TransitionError) as exc:
                    decisions.add(Decided.refused(key, exc.message))
                    continue
                finally:
                    bar.advance()
                step = next_step(after, rule, flow.clock.now())
                decisions.add(Decided.done(after, "approved", actor, step))
    except SchedulerError as exc:
        if not decisions.json:
            raise
        failure = exc
    finally:
        flow.close()
    refused = sum(1 for r in decisions.items if r.outcome == "refused")
    if refused and failure is None:
        failure = UsageError(
            f"{refused} of {len(chosen)} shown draft{'s' if len(chosen) != 1 else ''} "
            "could not be approved",
            hint="run `scheduler review PATH` again and decide on what the drafts say now",
        )
    return decisions.finish(flow.campaign.id, actor, failure)


def cmd_reject(args: argparse.Namespace) -> int:
    from scheduler import approval

    def act(flow: Workflow, record: DraftRecord, actor: str) -> DraftRecord:
        return approval.reject(
            flow.ledger,
            record.key,
            actor,
            expected_hash(args, record),
            reason=args.reason,
            policy=flow.policy,
            now=flow.clock.now(),
        )

    return decide_each(args, "rejected", act)


def cmd_comment(args: argparse.Namespace) -> int:
    from scheduler import approval

    def act(flow: Workflow, record: DraftRecord, actor: str) -> DraftRecord:
        return approval.comment(
            flow.ledger,
            record.key,
            actor,
            record.content_hash,
            text=args.text,
            policy=flow.policy,
            now=flow.clock.now(),
        )

    return decide_each(args, "commented", act)


def cmd_override(args: argparse.Namespace) -> int:
    from scheduler.approval import override

    flow = Workflow(args)
    try:
        actor = flow.actor(args)
        done = 0
        targets = flow.targets(args)
        for record in targets:
            blocks = care_blocks(flow, record)
            if args.rule not in blocks:
                print(
                    f"{record.key}: no blocking {args.rule} finding here "
                    f"({', '.join(blocks) or 'no blocking findings'}); nothing recorded"
                )
                continue
            override(
                flow.ledger,
                record.key,
                actor,
                expected_hash(args, record),
                rule_id=args.rule,
                reason=args.reason,
                policy=flow.policy,
                now=flow.clock.now(),
            )
            done += 1
            print(f"{record.key}: override of {args.rule} recorded as {actor}: {args.reason}")
    finally:
        flow.close()
    if not done:
        raise UsageError(
            f"post {args.post!r} has no blocking {args.rule} finding to override",
            hint="see `scheduler lint PATH` for the findings and their rule ids",
        )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from scheduler.clock import SystemClock
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.status import build, render
    from scheduler.ledger import open_ledger
    from scheduler.redact import redact
    from scheduler.review import status_rows, status_table

    clock = SystemClock()
    settings = settings_from(args)
    if args.path:
        flow = Workflow(args)
        ledger, campaigns = flow.ledger, [flow.campaign.id]
    else:
        ledger = open_ledger(settings.ledger, clock=clock)
        campaigns = ledger.campaigns()
    try:
        pauses = [p for p in ledger.pauses() if any(p.covers(c) for c in campaigns) or p.everything]
        rows = []
        records = []
        for campaign in campaigns:
            found = ledger.list(campaign)
            records += found
            rows += status_rows(found, ledger.rule, clock.now())
        account_pauses = ledger.account_pauses(now=clock.now())
        bound = {b.account: b for b in ledger.bound_destinations()}
        waits = {r.key: ledger.waits(r.key) for r in records if r.draft.after}
    finally:
        ledger.close()
    # What the daemon knows: in flight, retries with their next attempt, URLs, problems.
    options = DaemonOptions.from_env(settings.env)
    report = build(
        records,
        now=clock.now(),
        max_lateness=options.max_lateness,
        thread_completion=options.thread_completion,
        account_pauses=account_pauses,
        bound=bound,
        waits=waits,
    )
    if args.json:
        paused = [p.to_json() for p in pauses]
        # Error texts were redacted on their way into the ledger; once more on the way out.
        print(
            redact(
                json.dumps(
                    {"paused": paused, "drafts": rows, **report}, indent=2, ensure_ascii=False
                )
            )
        )
        return 0
    for line in pause_banner(pauses):
        print(line)
    if not rows:
        print("no drafts in the ledger yet: run `scheduler review PATH` or `scheduler run PATH`")
        return 0
    for campaign in campaigns:
        mine = [r for r in rows if r["campaign"] == campaign]
        if mine:
            print(f"campaign {campaign}")
            print(redact(status_table(mine)))
    print()
    for line in render(report):
        print(redact(line))
    return 0


def pause_banner(pauses: list[Pause]) -> list[str]:
    lines = []
    for pause in pauses:
        what = "EVERY CAMPAIGN" if pause.everything else f"campaign {pause.scope}"
        lines.append(
            f"PAUSED: {what} since {pause.since.isoformat(timespec='minutes')} "
            f"by {pause.actor}: {pause.reason}"
        )
        lines.append(
            "  nothing is sent until `scheduler resume "
            f"{'--all' if pause.everything else pause.scope} --missed|--shift`"
        )
    if lines:
        lines.append("")
    return lines


def cmd_resolve(args: argparse.Namespace) -> int:
    flow = Workflow(args)
    try:
        actor = flow.actor(args)
        records = flow.targets(args)
        unknown = [r for r in records if r.state.value == "outcome_unknown"]
        if not unknown:
            states = ", ".join(f"{r.key.account}: {r.state.value}" for r in records)
            raise UsageError(
                f"post {args.post!r} has no draft whose outcome is unknown ({states})",
                hint="`scheduler status` shows every draft's state",
            )
        outcome: Literal["published", "not_published", "give_up"] = (
            "published" if args.published else "not_published" if args.not_published else "give_up"
        )
        for record in unknown:
            key = record.key
            # The evidence first: what was tried, and what the platform said.
            print(f"{key}: outcome unknown")
            print(f"  last error: {record.last_error or '-'}")
            for attempt in flow.ledger.attempts(key):
                print(
                    f"  attempt {attempt.number} by {attempt.owner} at "
                    f"{attempt.started_at.isoformat(timespec='seconds')}: "
                    f"{attempt.outcome or 'no outcome recorded'}"
                    + (f" ({attempt.error_class})" if attempt.error_class else "")
                    + (f": {attempt.platform_message}" if attempt.platform_message else "")
                )
            for part in record.parts_done:
                print(f"  part {part.index + 1} is recorded as published: {part.url}")
            flow.ledger.resolve(
                key, actor=actor, outcome=outcome, url=args.published, now=flow.clock.now()
            )
            after = flow.ledger.get(key)
            note = {
                "published": "recorded as published",
                "not_published": "the daemon will publish it again (it was not out)",
                "give_up": "it will not be published",
            }[outcome]
            print(f"  resolved by {actor}: now {after.state.value}; {note}")
    finally:
        flow.close()
    return 0
