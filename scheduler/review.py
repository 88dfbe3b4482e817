"""The review workflow as people read it: previews, the diff since approval, status rows.

Used by the ``review`` and ``status`` commands. Status is a table of columns (``COLUMNS``):
each column is a name, a heading and a function of the record, so adding what the daemon
knows (retries, URLs) means adding a column, and ``--json`` follows by itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scheduler.approval import counted, next_step
from scheduler.clock import local_time
from scheduler.draft import Draft
from scheduler.ledger.base import ApprovalRule, Decision, DraftRecord, Ledger


def short_hash(content_hash: str | None) -> str:
    if not content_hash:
        return "-"
    return content_hash.split(":", 1)[-1][:10]


def preview_lines(draft: Draft) -> list[str]:
    """The draft as it would go out, one line per line of text, with what surrounds it."""
    lines = [f"when: {local_time(draft.due, draft.timezone)} ({draft.due.isoformat()})"]
    if draft.content_warning:
        lines.append(f"content warning: {draft.content_warning}")
    many = len(draft.parts) > 1
    for i, part in enumerate(draft.parts):
        if many:
            lines.append(f"--- part {i + 1} of {len(draft.parts)}")
        lines.extend(part.text.splitlines() or [""])
        for media in part.media:
            lines.append(f"[image {media.path}] alt: {media.alt}")
    if draft.link is not None:
        lines.append(f"link card: {draft.link.url}")
    if draft.labels:
        lines.append(f"labels: {', '.join(draft.labels)}")
    return lines


def last_approval(history: Sequence[Decision]) -> Decision | None:
    approvals = [d for d in history if d.kind == "approve"]
    return approvals[-1] if approvals else None


def diff_since_approval(ledger: Ledger, record: DraftRecord) -> tuple[Decision, list[str]] | None:
    """The last approval of an earlier version, and a unified diff from it to now."""
    previous = last_approval(ledger.approvals(record.key))
    if previous is None or previous.voided_at is None:
        return None
    old = ledger.version(record.key, previous.content_hash, at=previous.at)
    if old is None:
        return None
    diff = list(
        difflib.unified_diff(
            preview_lines(old),
            preview_lines(record.draft),
            fromfile=f"approved by {previous.actor} ({short_hash(previous.content_hash)})",
            tofile=f"now ({short_hash(record.content_hash)})",
            lineterm="",
        )
    )
    return previous, diff


# --- status ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str  # the JSON field
    heading: str  # the table heading; "" keeps the column out of the table
    value: Callable[[DraftRecord, ApprovalRule, datetime], Any]
    text: Callable[[Any], str] = str


COLUMNS: list[Column] = [
    Column("post", "post", lambda r, _rule, _now: r.key.post_id),
    Column("account", "account", lambda r, _rule, _now: r.key.account),
    Column("platform", "", lambda r, _rule, _now: r.draft.platform),
    Column("state", "state", lambda r, _rule, _now: r.state.value),
    Column(
        "approvals",
        "approvals",
        lambda r, rule, _now: {
            "count": counted(r, rule),
            "required": rule.required,
            "by": [a.actor for a in r.approvals],
        },
        lambda v: f"{v['count']}/{v['required']}",
    ),
    Column("due", "", lambda r, _rule, _now: r.due.isoformat()),
    Column("due_local", "due", lambda r, _rule, _now: local_time(r.due, r.draft.timezone)),
    Column("content_hash", "", lambda r, _rule, _now: r.content_hash),
    Column("approved", "", lambda r, _rule, _now: r.is_approved),
    Column("next", "next step", lambda r, rule, now: next_step(r, rule, now)),
]


def status_rows(
    records: Sequence[DraftRecord],
    rules: Callable[[str], ApprovalRule],
    now: datetime,
    columns: Sequence[Column] = COLUMNS,
) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        rule = rules(record.key.campaign)
        row: dict[str, Any] = {"campaign": record.key.campaign}
        for column in columns:
            row[column.name] = column.value(record, rule, now)
        rows.append(row)
    return rows


def status_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column] = COLUMNS) -> str:
    shown = [c for c in columns if c.heading]
    cells = [[c.heading for c in shown]] + [[c.text(row[c.name]) for c in shown] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(shown))]
    out = []
    for n, line in enumerate(cells):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
