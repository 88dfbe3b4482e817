"""The outcome of deciding on drafts (approve, reject, comment): for people, one line per
draft as it happens; with ``--json``, one document at the end, failure included."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.cli import jsonout
from scheduler.cli.common import print_error
from scheduler.errors import SchedulerError

if TYPE_CHECKING:
    from scheduler.draft import DraftKey
    from scheduler.ledger import DraftRecord


@dataclass(frozen=True, slots=True)
class Decided:
    post: str
    account: str
    outcome: str  # the verb ("approved", "rejected", "commented"), "already_approved", "refused"
    state: str | None  # the draft's state after, when known
    next: str | None
    message: str

    @classmethod
    def done(cls, after: DraftRecord, verb: str, actor: str, step: str) -> Decided:
        line = f"{after.key}: {verb}, recorded as {actor} -> {after.state.value}; {step}"
        return cls(after.key.post_id, after.key.account, verb, after.state.value, step, line)

    @classmethod
    def already(cls, record: DraftRecord, actor: str) -> Decided:
        line = f"{record.key}: already approved by you ({actor})"
        key = record.key
        return cls(key.post_id, key.account, "already_approved", record.state.value, None, line)

    @classmethod
    def refused(cls, key: DraftKey, why: str) -> Decided:
        return cls(key.post_id, key.account, "refused", None, None, f"{key}: NOT approved: {why}")

    def to_json(self) -> dict[str, object]:
        return {
            "post": self.post,
            "account": self.account,
            "outcome": self.outcome,
            "state": self.state,
            "next": self.next,
            "message": self.message,
        }


class Decisions:
    """Collects what was decided; prints each line at once unless the output is JSON."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.json = jsonout.wants_json(args)
        self.items: list[Decided] = []

    def add(self, item: Decided) -> None:
        self.items.append(item)
        if not self.json:
            print(item.message)

    def finish(self, campaign: str, actor: str | None, failure: SchedulerError | None) -> int:
        """Exit code 0, or 1 with the failure (raised for people, inside the JSON else)."""
        if not self.json:
            if failure is not None:
                raise failure
            return 0
        document: dict[str, object] = {
            "ok": failure is None,
            "campaign": campaign,
            "actor": actor,
            "results": [d.to_json() for d in self.items],
        }
        if failure is not None:
            document.update(jsonout.error(failure))
            print_error(failure)
        jsonout.emit(document)
        return 0 if failure is None else 1
