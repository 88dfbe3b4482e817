"""Deciding what the ledger's state means for the daemon: windows, catch-up, reconciliation.

* Window: a draft may go out from its due time until ``Draft.latest`` (or due + the default
  maximum lateness); after that it is missed. A thread with a part already public is
  finished late instead, up to the thread completion limit (see ``windows``).
* Catch-up after downtime: due drafts still inside their window (or started threads inside
  their completion limit) go out oldest first; the rest become missed and are reported.
* Drafts due but not approved are never published; they are reported ahead of time, at the
  due time, and become missed when their window closes.
* A claim whose previous attempt may have reached the platform (a lease that expired while
  publishing, or an OutcomeUnknown) is reconciled with ``Publisher.find`` before any new
  attempt, over everything since the first attempt: only a found part or a proof of absence
  lets it go on; "cannot tell" is looked at again later, then waits for a person as
  outcome_unknown.
* A 429 pauses every request to the account until the platform's reset (``gate``).

``plan`` is a pure function of the ledger's records and the time, so the rules are tested
as tables; the runner turns its answer into timers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scheduler.daemon.windows import THREAD_COMPLETION, finish_by, window_end
from scheduler.draft import DraftKey
from scheduler.platforms.base import Absent, Found, Lookup

# Ledger states, as their string values (the ledger's State is a StrEnum).
WAITING = frozenset({"approved", "scheduled", "retry_wait"})
UNAPPROVED = frozenset({"draft", "rejected"})

FINISHING_LATE = "finishing a started thread late"


@dataclass(frozen=True, slots=True)
class Step:
    """Something the daemon should do for one draft, at a time."""

    at: datetime
    action: str  # publish | catch_up | missed | remind | not_approved | close_unapproved | report
    key: DraftKey
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    catch_up: tuple[Step, ...]  # due now, inside the window: oldest first
    missed: tuple[Step, ...]  # window closed while nobody published them
    timers: tuple[Step, ...]  # future steps, soonest first
    problems: tuple[Step, ...]  # already waiting for a person (outcome_unknown)


def plan(
    records: Iterable[Any],
    *,
    now: datetime,
    max_lateness: float,
    remind_ahead: float,
    thread_completion: float = THREAD_COMPLETION,
) -> Plan:
    """What to do for each draft, from ledger records (anything shaped like DraftRecord)."""
    catch_up: list[tuple[datetime, Step]] = []
    missed: list[Step] = []
    timers: list[Step] = []
    problems: list[Step] = []
    for rec in records:
        state = str(rec.state)
        key: DraftKey = rec.key
        end = window_end(rec.due, rec.latest, max_lateness)
        # Part of the thread is public: leaving it unfinished would strand its readers.
        started = bool(rec.parts_done)
        last = (
            finish_by(
                rec.due, rec.latest, max_lateness=max_lateness, thread_completion=thread_completion
            )
            if started
            else end
        )
        if state in WAITING:
            when = rec.due
            if state == "retry_wait" and rec.next_attempt is not None:
                when = max(rec.next_attempt, rec.due)
            if when <= now:
                if now <= end:
                    catch_up.append((rec.due, Step(now, "catch_up", key)))
                elif now <= last:
                    catch_up.append((rec.due, Step(now, "catch_up", key, FINISHING_LATE)))
                else:
                    missed.append(Step(now, "missed", key, _closed(end)))
            else:
                timers.append(Step(when, "publish", key))
        elif state == "publishing":
            # Another daemon holds it, or one that died did: look again when its lease ends.
            until = rec.lease_until or now
            if until <= now:
                catch_up.append((rec.due, Step(now, "catch_up", key, "lease expired")))
            else:
                timers.append(Step(until, "publish", key, "lease ends"))
        elif state in UNAPPROVED:
            # A started thread sent back to review (a new approval policy) may still be
            # approved again and finished, until its completion limit.
            end = last
            if now > end:
                missed.append(Step(now, "close_unapproved", key, _closed(end, approved=False)))
                continue
            ahead = rec.due - timedelta(seconds=remind_ahead)
            if rec.due > now:
                timers.append(Step(max(ahead, now), "remind", key))
                timers.append(Step(rec.due, "not_approved", key))
            else:
                timers.append(Step(now, "not_approved", key))
            timers.append(Step(end, "close_unapproved", key, _closed(end, approved=False)))
        elif state == "outcome_unknown":
            problems.append(Step(now, "report", key, rec.last_error or "outcome unknown"))
    catch_up.sort(key=lambda pair: (pair[0], str(pair[1].key)))
    timers.sort(key=lambda s: (s.at, str(s.key)))
    return Plan(
        catch_up=tuple(step for _, step in catch_up),
        missed=tuple(missed),
        timers=tuple(timers),
        problems=tuple(problems),
    )


def _closed(end: datetime, *, approved: bool = True) -> str:
    when = end.isoformat(timespec="seconds")
    if approved:
        return f"its window closed at {when} before it could be published"
    return f"it was not approved before its window closed at {when}; it was not published"


# --- reconciliation -------------------------------------------------------------------------


def needs_reconcile(claim: Any, attempts: Sequence[Any], events: Sequence[Any]) -> bool:
    """True when an earlier attempt may have reached the platform without being recorded.

    That is: the previous holder's lease expired while publishing (``takeover``), or the
    previous attempt ended with an unknown outcome, or it never ended (a crash). A person who
    resolved the draft as not published has settled the question.
    """
    if getattr(claim, "takeover", False):
        return True
    if claim.attempt <= 1:
        return False
    for event in reversed(events):
        action = str(getattr(event, "action", ""))
        if action in ("claim", "comment", "renew"):
            continue  # this claim itself, or nothing that settles anything
        if action == "resolve":
            return False
        break
    previous = [a for a in attempts if a.number < claim.attempt]
    if not previous:
        return False
    last = max(previous, key=lambda a: a.number)
    outcome = str(last.outcome or "")
    # A lease that expired mid-publish is as unsettled as an unknown outcome: its holder may
    # have posted (the taker may have been deferred by a pause before it could look).
    if last.ended_at is None or outcome in ("", "outcome_unknown", "lease_expired"):
        return True
    return str(last.error_class or "") == "OutcomeUnknown"


def first_attempt(attempts: Sequence[Any], content_hash: str, *, default: datetime) -> datetime:
    """When the earliest attempt at this content began: a lookup covers from there to now.
    Not the due time: after downtime, a post due days ago was first tried only now."""
    starts = [a.started_at for a in attempts if a.content_hash == content_hash]
    return min(starts) if starts else default


def described(answer: Lookup) -> dict[str, Any]:
    """A lookup's answer for the log, with its evidence (what was covered, or why not)."""
    if isinstance(answer, Found):
        return {"found": True, "answer": "found", "url": answer.part.url, "evidence": ""}
    if isinstance(answer, Absent):
        return {"found": False, "answer": "absent", "url": "", "evidence": answer.coverage.how}
    return {"found": False, "answer": "cannot_tell", "url": "", "evidence": answer.reason}
