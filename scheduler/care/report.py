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


def format_finding(f: Finding, also: Sequence[Finding] = ()) -> str:
    """Two or three lines: where and what, the words found, and the advice. ``also``: the
    same finding on the post's other accounts, named in the first line instead of repeated."""
    where = f.source or f"{f.campaign}/{f.post_id}"
    accounts = ", ".join(f"@{g.account} ({g.platform})" for g in (f, *also))
    head = f"{where}: {f.severity} {f.rule} [{f.post_id} {accounts}, {f.location}]"
    lines = [head]
    if f.excerpt:
        lines.append(f"    found: {f.excerpt!r}")
    lines.append(f"    {f.message}")
    if f.reason:
        lines.append(f"    (level set by the campaign: {f.reason})")
    return "\n".join(lines)


def _same_advice(f: Finding) -> tuple[object, ...]:
    """What a finding says, apart from which of the post's accounts it is for."""
    return (
        f.source,
        f.campaign,
        f.post_id,
        f.rule,
        f.severity,
        f.location,
        f.excerpt,
        f.message,
        f.reason,
    )


def group_accounts(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Findings that say the same about one post on several accounts, together, in the
    order their first member came (a week on three accounts would otherwise say it thrice)."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        groups.setdefault(_same_advice(f), []).append(f)
    return list(groups.values())


def summary(findings: Sequence[Finding]) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("block", "warn", "info")}
    drafts = len({(f.campaign, f.post_id, f.account) for f in findings})
    if not findings:
        return "care: no findings"
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    return f"care: {', '.join(parts)} in {drafts} draft{'s' if drafts != 1 else ''}"


def format_text(findings: Sequence[Finding]) -> str:
    ordered = sort_findings(findings)
    groups = group_accounts(ordered)
    blocks = [format_finding(group[0], group[1:]) for group in groups]
    total = summary(ordered)
    if len(groups) != len(ordered):
        total += f" ({len(groups)} as listed, each once for all its accounts)"
    return "\n".join([*blocks, total])


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.severity == s) for s in ("block", "warn", "info")}


def format_json(findings: Sequence[Finding]) -> str:
    ordered = sort_findings(findings)
    return json.dumps(
        {
            "findings": [f.to_json() for f in ordered],
            "counts": severity_counts(ordered),
        },
        ensure_ascii=False,
        indent=2,
    )
