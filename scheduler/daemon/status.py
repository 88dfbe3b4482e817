"""What ``scheduler status`` shows: upcoming, in flight, waiting to retry, published, problems,
and posts whose window closed without them going out (a past week nobody ran),
and the accounts paused by a platform's rate limit or a quota.

Built from ledger records only (the ledger is the truth), as plain data for ``--json`` and as
lines for people, with times in the campaign's timezone and in UTC. A started thread whose
window has closed is shown as being finished late (with the time it must be finished by),
not as missed: the daemon is still working on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from scheduler.clock import local_time
from scheduler.daemon.notices import published_parts
from scheduler.daemon.reconcile import UNAPPROVED, WAITING
from scheduler.daemon.windows import THREAD_COMPLETION, finish_by, finishing_late, window_end
from scheduler.draft import DraftKey
from scheduler.ledger.base import Binding, BoundDestination, Wait

GROUPS = (
    "problems",
    "in_flight",
    "waiting_to_retry",
    "upcoming",
    "closed",
    "published",
    "other",
)

# States in which a held account's draft is kept from going out.
HOLDABLE = frozenset({"draft", "approved", "scheduled", "retry_wait", "changed"})


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def entry(
    record: Any, *, now: datetime, max_lateness: float, thread_completion: float = THREAD_COMPLETION
) -> dict[str, Any]:
    draft = record.draft
    state = str(record.state)
    parts = [{"index": p.index, "url": p.url, "remote_id": p.remote_id} for p in record.parts_done]
    item: dict[str, Any] = {
        "key": str(record.key),
        "campaign": record.key.campaign,
        "post": record.key.post_id,
        "account": record.key.account,
        "platform": draft.platform,
        "state": state,
        "due": _iso(record.due),
        "due_local": local_time(record.due, draft.timezone),
        "latest": _iso(window_end(record.due, record.latest, max_lateness)),
        "approved": record.approved_hash is not None
        and record.approved_hash == record.content_hash,
        "attempts": record.attempts,
        "next_attempt": _iso(record.next_attempt),
        "next_attempt_local": local_time(record.next_attempt, draft.timezone)
        if record.next_attempt
        else None,
        "lease_owner": record.lease_owner,
        "lease_until": _iso(record.lease_until),
        "parts": len(draft.parts),
        "parts_done": parts,
        "url": parts[0]["url"] if parts else None,
        "last_error": record.last_error,
        "problem": None,
        # A started, unfinished thread may be finished until this time, even after "latest".
        "finish_by": None,
        "late": None,
    }
    item["problem"] = problem_of(record, state, now=now, max_lateness=max_lateness)
    end = window_end(record.due, record.latest, max_lateness)
    finish = finish_by(
        record.due, record.latest, max_lateness=max_lateness, thread_completion=thread_completion
    )
    if parts and len(parts) < len(draft.parts) and state not in ("published", "cancelled"):
        item["finish_by"] = _iso(finish)
    if state in WAITING | {"publishing"} and finishing_late(
        record, now=now, max_lateness=max_lateness
    ):
        item["late"] = (
            f"finishing a started thread late: {len(parts)} of {len(draft.parts)} parts are "
            f"out, its window closed at {local_time(end, draft.timezone)}, the rest goes out "
            f"by {local_time(finish, draft.timezone)} at the latest"
        )
    return item


def problem_of(record: Any, state: str, *, now: datetime, max_lateness: float) -> str | None:
    error = record.last_error or ""
    # A thread cut off part way: which parts readers can see.
    out = ""
    if record.parts_done and len(record.parts_done) < len(record.draft.parts):
        out = f"; {published_parts(record.parts_done)}"
    if state == "failed":
        if "reconnect" in error:
            return f"needs reconnecting: {error}"
        return f"failed: {error or 'the platform refused it'}{out}"
    if state == "missed":
        return f"missed: {error or 'its window closed before it could be published'}{out}"
    if state == "outcome_unknown":
        return (
            f"outcome unknown: {error or 'it may or may not have gone out'}; check the account, "
            "then run `scheduler resolve`"
        )
    if state == "retry_wait" and "reconnect" in error:
        return f"needs reconnecting: {error}"
    if state in UNAPPROVED and record.due <= now:
        end = window_end(record.due, record.latest, max_lateness)
        if now <= end:
            return f"due but not approved ({state}): it will not be published until approved"
    if state == "rejected":
        return "rejected: waiting for a change to the campaign files"
    return None


def window_closed(item: dict[str, Any], *, now: datetime) -> bool:
    """Never sent and its window is over: a past week nobody ran, not an upcoming post.
    (A retry keeps its own heading, with its error and next attempt.)"""
    return (
        item["state"] in (WAITING - {"retry_wait"}) | UNAPPROVED
        and not item["parts_done"]
        and item["latest"] is not None
        and datetime.fromisoformat(item["latest"]) < now
    )


def group_of(item: dict[str, Any], *, now: datetime) -> str:
    state = item["state"]
    if window_closed(item, now=now):
        return "closed"
    if item["problem"] and state != "retry_wait":
        return "problems"
    if state == "publishing":
        return "in_flight"
    if state == "retry_wait":
        return "waiting_to_retry"
    if state == "published":
        return "published"
    if state in ("approved", "scheduled", "draft"):
        return "upcoming"
    return "other"


def waiting_on(item: dict[str, Any], record: Any, waits: Iterable[Wait]) -> None:
    """What a draft not yet out waits on; a problem when that needs a person first."""
    item["waiting_on"] = []
    if str(record.state) not in WAITING | UNAPPROVED:
        return
    pending = [w for w in waits if not w.over]
    item["waiting_on"] = [
        {"key": str(w.key), "state": None if w.state is None else str(w.state), "url": w.url}
        for w in pending
    ]
    stuck = [w for w in pending if w.needs_person]
    if stuck and not item["problem"]:
        named = ", ".join(f"{w.key} ({w.state or 'not in the ledger'})" for w in stuck)
        item["problem"] = (
            f"waiting on {named}: it goes out only once that is published; settle that first "
            "(`scheduler resolve`, or a fix and a new approval)"
        )


def holding(record: Any, bound: Mapping[str, BoundDestination]) -> Binding | None:
    """The binding that holds this draft's account, if its destination is not the bound one."""
    destination = getattr(record.draft, "destination", None)
    if destination is None or str(record.state) not in HOLDABLE:
        return None
    binding = Binding(record.key.account, destination, bound.get(record.key.account), False)
    return binding if binding.held else None


def build(
    records: Iterable[Any],
    *,
    now: datetime,
    max_lateness: float,
    thread_completion: float = THREAD_COMPLETION,
    account_pauses: Iterable[Any] = (),
    bound: Mapping[str, BoundDestination] | None = None,
    waits: Mapping[DraftKey, Iterable[Wait]] | None = None,
) -> dict[str, Any]:
    """The report. ``account_pauses`` are the ledger's AccountPause rows in force (a
    platform's rate limit or a quota; a person's pause of a campaign is shown apart); with
    ``bound`` (the ledger's bound destinations) held accounts show too; with ``waits`` (the
    ledger's ``waits`` of drafts that say ``after:``) what each waits on."""
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
    held: dict[str, dict[str, Any]] = {}
    records = list(records)
    accounts = {record.key.account for record in records}
    paused = [
        {
            "account": p.account,
            "until": _iso(p.until),
            "reason": p.reason,
            "source": p.source,
        }
        for p in account_pauses
        # A held account is listed with its remedy among the held ones.
        if p.account in accounts and p.until > now and p.source != "held"
    ]
    for record in records:
        item = entry(
            record, now=now, max_lateness=max_lateness, thread_completion=thread_completion
        )
        waiting_on(item, record, (waits or {}).get(record.key, ()))
        binding = holding(record, bound or {})
        if binding is not None:
            item["held"] = binding.reason()
            if str(record.state) != "retry_wait":
                item["problem"] = f"held: {binding.reason()}; run `{binding.command()}`"
            held.setdefault(
                binding.account,
                {
                    "account": binding.account,
                    "wanted": binding.wanted.to_data(),
                    "bound": binding.bound.destination.to_data() if binding.bound else None,
                    "reason": binding.reason(),
                    "command": binding.command(),
                },
            )
        groups[group_of(item, now=now)].append(item)
    for items in groups.values():
        items.sort(key=lambda i: (i["due"] or "", i["key"]))
    counts = {g: len(v) for g, v in groups.items()}
    return {
        "now": now.isoformat(),
        "counts": counts,
        **groups,
        "held_accounts": [held[a] for a in sorted(held)],
        "paused_accounts": paused,
    }


def render(report: dict[str, Any]) -> list[str]:
    """The report as lines for a terminal."""
    lines: list[str] = []
    if report.get("held_accounts"):
        lines.append(f"Held accounts ({len(report['held_accounts'])})")
        for item in report["held_accounts"]:
            lines.append(f"  {item['reason']}")
            lines.append(f"    if that host is right, run `{item['command']}`")
    titles = {
        "problems": "Problems (a person must act)",
        "in_flight": "In flight",
        "waiting_to_retry": "Waiting to retry",
        "upcoming": "Upcoming",
        "closed": "Window closed, never sent",
        "published": "Published",
        "other": "Other",
    }
    for group in GROUPS:
        items = report[group]
        if not items:
            continue
        lines.append(f"{titles[group]} ({len(items)})")
        for item in items:
            lines.append("  " + _line(group, item))
    paused = report.get("paused_accounts") or []
    if paused:
        lines.append(f"Paused accounts ({len(paused)}): nothing is sent to them until then")
        for p in paused:
            lines.append(f"  {p['account']}  until {p['until']}: {p['reason']} ({p['source']})")
    counts = report["counts"]
    lines.append(
        f"{counts['published']} published, {counts['upcoming']} upcoming, "
        f"{counts['closed']} closed unsent, "
        f"{counts['in_flight']} in flight, {counts['waiting_to_retry']} waiting to retry, "
        f"{counts['problems']} problem{'s' if counts['problems'] != 1 else ''}"
    )
    return lines


def _line(group: str, item: dict[str, Any]) -> str:
    head = f"{item['key']}  {item['due_local']}"
    if group == "problems":
        return f"{head}  {item['problem']}"
    late = f"; {item['late']}" if item.get("late") else ""
    if group == "in_flight":
        done = len(item["parts_done"])
        return (
            f"{head}  publishing by {item['lease_owner']} "
            f"(part {done}/{item['parts']} done, lease until {item['lease_until']}){late}"
        )
    if group == "waiting_to_retry":
        why = f": {item['last_error']}" if item["last_error"] else ""
        note = f"  {item['problem']}" if item["problem"] else ""
        return (
            f"{head}  attempt {item['attempts']} failed{why}; next attempt "
            f"{item['next_attempt_local'] or 'as soon as possible'}{late}{note}"
        )
    if group == "published":
        urls = " ".join(p["url"] for p in item["parts_done"]) or "(no address recorded)"
        return f"{head}  {urls}"
    if group == "closed":
        approval = "approved" if item["approved"] else f"not approved ({item['state']})"
        return f"{head}  window closed at {item['latest']}; {approval}, never published"
    if group == "upcoming":
        approval = "approved" if item["approved"] else "NOT APPROVED"
        after = ", ".join(w["key"] for w in item.get("waiting_on") or ())
        waiting = f"; waits on {after}" if after else ""
        return f"{head}  {approval}{waiting}{late}"
    return f"{head}  {item['state']}{late}"
