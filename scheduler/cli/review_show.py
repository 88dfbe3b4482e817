"""``scheduler review``: the drafts awaiting a person's decision, for people or as JSON.

It records what it showed (scheduler.cli.shown), so that ``approve --shown`` approves exactly
those versions.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from scheduler.cli import jsonout
from scheduler.cli.common import counter, settings_from, shown_link
from scheduler.cli.shown import Shown, save_shown
from scheduler.cli.workflow import Workflow, care_review, print_care_review

if TYPE_CHECKING:
    from scheduler.ledger import DraftRecord


def cmd_review(args: argparse.Namespace) -> int:
    from scheduler.approval import awaiting

    flow = Workflow(args)
    try:
        actor = flow.actor(args)
        records = flow.ledger.list(flow.campaign.id)
        mine = awaiting(records, actor, flow.policy)
        save_shown(
            settings_from(args).data_dir,
            flow.campaign.id,
            actor,
            [Shown(r.key.post_id, r.key.account, r.content_hash) for r in mine],
            at=flow.clock.now(),
        )
        returned = [
            (r, rejection_reason(flow, r))
            for r in records
            if r.state.value == "rejected" and (r.author or "").lower() == actor
        ]
        if args.json:
            jsonout.emit(review_json(flow, args.path, actor, mine, returned))
        else:
            print_review(flow, args.path, actor, mine, returned)
    finally:
        flow.close()
    return 0


def rejection_reason(flow: Workflow, record: DraftRecord) -> str:
    return (
        next(
            (d.comment for d in reversed(flow.ledger.approvals(record.key)) if d.kind == "reject"),
            "",
        )
        or ""
    )


def print_review(
    flow: Workflow,
    path: str,
    actor: str,
    mine: list[DraftRecord],
    returned: list[tuple[DraftRecord, str]],
) -> None:
    from scheduler.approval import counted
    from scheduler.clock import local_time
    from scheduler.review import diff_since_approval, preview_lines, short_hash

    rule = flow.policy.rule()
    print(f"{len(mine)} draft{'s' if len(mine) != 1 else ''} awaiting {actor}")
    for record in mine:
        print()
        print(
            f"== {record.key.post_id} @ {record.key.account} ({record.draft.platform})  "
            f"{local_time(record.due, record.draft.timezone)}  "
            f"approvals {counted(record, rule)}/{rule.required}  "
            f"version {short_hash(record.content_hash)}"
        )
        if record.draft.destination is not None:
            print(f"   to {record.draft.destination.describe()}")
        if record.author:
            print(f"   by {record.author}")
        changed = diff_since_approval(flow.ledger, record)
        if changed is not None:
            previous, diff = changed
            print(f"   changed since {previous.actor} approved it ({previous.void_reason}):")
            for line in diff:
                print(f"   {line}")
        else:
            for line in preview_lines(record.draft):
                print(f"   {line}")
        print_care_review(flow, record)
        print(f"   -> {approve_command(path, record)}")
    for record, reason in returned:
        print(f"\nreturned to you: {record.key.post_id} @ {record.key.account}: {reason}")
    if mine:
        print(
            f"\napprove exactly the {len(mine)} version{'s' if len(mine) != 1 else ''} "
            f"shown above: scheduler approve {path} --shown"
        )


def approve_command(path: str, record: DraftRecord) -> str:
    from scheduler.review import short_hash

    return (
        f"scheduler approve {path} {record.key.post_id} "
        f"--account {record.key.account} --hash {short_hash(record.content_hash)}"
    )


def review_json(
    flow: Workflow,
    path: str,
    actor: str,
    mine: list[DraftRecord],
    returned: list[tuple[DraftRecord, str]],
) -> dict[str, object]:
    from scheduler.approval import counted
    from scheduler.review import diff_since_approval, short_hash

    rule = flow.policy.rule()
    awaiting = []
    for record in mine:
        findings, overrides, unresolved = care_review(flow, record)
        changed = diff_since_approval(flow.ledger, record)
        awaiting.append(
            {
                "post": record.key.post_id,
                "account": record.key.account,
                "platform": record.draft.platform,
                **jsonout.instant("due", record.due, record.draft.timezone),
                "author": record.author,
                "version": short_hash(record.content_hash),
                "content_hash": record.content_hash,
                "approvals": {
                    "count": counted(record, rule),
                    "required": rule.required,
                    "by": [a.actor for a in record.approvals],
                },
                "changed_since_approval": None
                if changed is None
                else {
                    "approved_by": changed[0].actor,
                    "reason": changed[0].void_reason,
                    "diff": changed[1],
                },
                "draft": jsonout.draft(
                    record.draft,
                    counter(flow.campaign, record.draft),
                    findings,
                    shown_link(flow.campaign, record.draft),
                ),
                "overrides": [
                    {"rule": d.rule, "by": d.actor, "reason": d.comment} for d in overrides
                ],
                "blocked_by": unresolved,
                "approve": approve_command(path, record),
            }
        )
    return {
        "campaign": flow.campaign.id,
        "timezone": flow.campaign.timezone,
        "actor": actor,
        "awaiting": awaiting,
        "returned": [
            {"post": r.key.post_id, "account": r.key.account, "reason": reason}
            for r, reason in returned
        ],
        "approve_shown": f"scheduler approve {path} --shown" if mine else None,
    }
