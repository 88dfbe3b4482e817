"""Which requests reached a paused account, and how they had passed the gate.

The daemons of ``bench.reliability`` run under ``bench.probed``: each request that passes
the account gate carries when its check began and ended, and each pause a daemon stores is
logged with when its write began and committed. A request that reached an account while a
stored pause was in force is then in flight (its check ended before the write began), raced
the write (the database ordered the two), or a hole: its check began after the pause was
committed, or it never passed the gate.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from bench.probed import HEADER

# The figure earlier runs reported: requests that reached a server more than this long after
# a daemon stored a pause. The probe now says for each whether it passed the gate before the
# pause was stored (in flight) or after (a hole), whatever its delay.
IN_FLIGHT = 0.1


def account_name(i: int) -> str:
    """The campaign's name for the account on the ``i``-th fake server."""
    return f"masto{i}"


def stored_pause_report(fakes: list[Any], seconds: float, folder: Path) -> dict[str, Any]:
    """Requests that reached an account while a pause of it was stored in the ledger, across
    every daemon, each classified by when it passed the gate (``bench.probed``); requests
    after a reset was announced but before any daemon had stored it; and how much of the
    run each account spent under an announced reset, as a share."""
    pauses = _stored_pauses(folder)
    gate: Counter[str] = Counter()
    slowest = {"gate_to_arrival": 0.0, "pause_to_arrival": 0.0}
    examples: list[dict[str, Any]] = []
    during = before_written = 0
    for i, fake in enumerate(fakes):
        spans = pauses.get(account_name(i), [])
        with fake.lock:
            arrivals, notes = list(fake.arrivals), list(fake.announced)
            requests = list(fake.requests)
        for a, request in zip(arrivals, requests, strict=True):
            verdict = _classify(a.at, request.headers.get(HEADER.lower()), spans)
            if verdict is None:
                if any(n.at < a.at < n.reset for n in notes):
                    before_written += 1
                continue
            kind, pause, checked = verdict
            gate[kind] += 1
            late = any(w + IN_FLIGHT < a.at < until for _, w, until in spans)
            during += int(late)
            if kind in ("in_flight", "raced_the_write") and checked is not None:
                slowest["gate_to_arrival"] = max(slowest["gate_to_arrival"], a.at - checked[1])
                slowest["pause_to_arrival"] = max(slowest["pause_to_arrival"], a.at - pause[1])
            if kind in ("after_the_pause_was_stored", "no_gate_check") or (
                late and len(examples) < 10
            ):
                examples.append(
                    {
                        "account": account_name(i),
                        "kind": kind,
                        "request": f"{a.method} {a.path}",
                        "arrived_after_the_pause_was_stored": round(a.at - pause[1], 3),
                        "gate_check_after_the_pause_was_stored": (
                            None if checked is None else round(checked[0] - pause[1], 3)
                        ),
                    }
                )
    paused = 0.0
    for fake in fakes:
        end = 0.0
        for note in sorted(fake.announced, key=lambda n: n.at):
            start = max(note.at, end)
            if note.reset > start:
                paused += note.reset - start
                end = note.reset
    return {
        "resets_announced": sum(len(f.announced) for f in fakes),
        "pauses_written": sum(len(spans) for spans in pauses.values()),
        "requests_during_resets": during,
        "sent_before_the_pause_was_written": before_written,
        "paused_share": round(paused / max(len(fakes) * seconds, 1e-9), 3),
        "gate": {
            **{k: gate.get(k, 0) for k in KINDS},
            "slowest_seconds": {k: round(v, 3) for k, v in slowest.items()},
            "examples": examples,
        },
    }


# How each request that reached an account while a pause was stored had passed the gate:
KINDS = (
    "in_flight",  # its check ended before the pause's write began
    "raced_the_write",  # its check overlapped the write: the database ordered the two
    "after_the_pause_was_stored",  # its check began once the pause was committed: a hole
    "no_gate_check",  # it carried no probe header: it never passed the gate
)
Span = tuple[float, float, float]  # (write began, write committed, the pause's end)


def _stored_pauses(folder: Path) -> dict[str, list[Span]]:
    """Every pause the daemons stored, per account, from the probe's lines."""
    pauses: dict[str, list[Span]] = {}
    for log in folder.glob("daemon-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if '"gate_probe": "pause_stored"' not in line:
                continue
            try:
                note = json.loads(line)
                span = (float(note["began"]), float(note["stored"]), float(note["until"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by SIGKILL
            pauses.setdefault(str(note["account"]), []).append(span)
    return pauses


def _classify(
    arrived: float, header: str | None, spans: list[Span]
) -> tuple[str, Span, tuple[float, float] | None] | None:
    """None for a request that passed the gate while no stored pause was in force (or
    arrived outside every pause); else how it passed, against which pause, and its check."""
    checked: tuple[float, float] | None = None
    if header:
        began, _, ended = header.partition(",")
        checked = (float(began), float(ended))
    if checked is None:
        inside = [span for span in spans if span[1] < arrived < span[2]]
        return ("no_gate_check", inside[0], None) if inside else None
    # A check that began after a write committed and ended before that pause's end passed
    # a gate that should have refused it, whenever the request arrived.
    for span in spans:
        if checked[0] >= span[1] and checked[1] < span[2]:
            return "after_the_pause_was_stored", span, checked
    inside = [span for span in spans if span[1] < arrived < span[2]]
    if not inside:
        return None
    span = max(inside, key=lambda sp: sp[1])
    if checked[1] <= span[0]:
        return "in_flight", span, checked
    return "raced_the_write", span, checked
