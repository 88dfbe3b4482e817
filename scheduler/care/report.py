"""Showing findings to people (one block per finding) and to programs (JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from scheduler.care.base import SEVERITY_ORDER, Finding


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first within a draft; drafts in the order they came."""
    order: dict[tuple[str, str, str], int] = {}
    items = list(findings)
    for f in items:
        order.setdefault((f.campaign, f.post_id, f.account), len(order))
    return sorted(
        items,
        key=lambda f: (
            order[(f.campaign, f.post_id, f.account)],
            -SEVERITY_ORDER[f.severity],
            f.part if f.part is not None else -1,
            f.media if f.media is not None else -1,
            f.start if f.start is not None else -1,
        ),
    )


def format_finding(f: Finding) -> str:
    """Two or three lines: where and what, the words found, and the advice."""
    where = f.source or f"{f.campaign}/{f.post_id}"
    head = f"{where}: {f.severity} {f.rule} [{f.post_id} @{f.account} ({f.platform}), {f.location}]"
    lines = [head]
    if f.excerpt:
        lines.append(f"    found: {f.excerpt!r}")
    lines.append(f"    {f.message}")
    if f.reason:
        lines.append(f"    (level set by the campaign: {f.reason})")
    return "\n".join(lines)


def summary(findings: Sequence[Finding]) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("block", "warn", "info")}
    drafts = len({(f.campaign, f.post_id, f.account) for f in findings})
    if not findings:
        return "care: no findings"
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    return f"care: {', '.join(parts)} in {drafts} draft{'s' if drafts != 1 else ''}"


def format_text(findings: Sequence[Finding]) -> str:
    ordered = sort_findings(findings)
    blocks = [format_finding(f) for f in ordered]
    return "\n".join([*blocks, summary(ordered)])


def format_json(findings: Sequence[Finding]) -> str:
    ordered = sort_findings(findings)
    return json.dumps(
        {
            "findings": [f.to_json() for f in ordered],
            "counts": {
                s: sum(1 for f in ordered if f.severity == s) for s in ("block", "warn", "info")
            },
        },
        ensure_ascii=False,
        indent=2,
    )
