"""Telling a person: the Notice every notifier sends, the Notifier protocol, and its error.

A notifier that cannot deliver raises NotifyError (retryable); the daemon logs it and goes on.
A notice never carries secrets: it is built from ledger facts (key, state, reason, URL), and
every text in it passes the one redaction as it is made, since reasons quote servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from scheduler.errors import NotifyError
from scheduler.redact import redact

__all__ = ["FanOut", "Notice", "Notifier", "NotifyError"]

# Notice kinds, worst first.
KINDS = (
    "paused",
    "failed",
    "needs_reconnect",
    "destination_held",
    "outcome_unknown",
    "missed",
    "finished_late",
    "not_approved",
    "not_approved_soon",
    "published",
    "published_incomplete",
    "resumed",
    "token_expiring",
)


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # one of KINDS
    draft: str  # "campaign/post@account"
    summary: str  # one line a person can act on
    when: datetime
    detail: str = ""  # the platform's words, the evidence, what to do next
    url: str = ""
    local_time: str = ""  # the due time in the campaign's zone, when known
    fields: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("summary", "detail", "url"):
            object.__setattr__(self, name, redact(getattr(self, name)))
        object.__setattr__(self, "fields", {k: redact(v) for k, v in self.fields.items()})

    def title(self) -> str:
        label = {
            "failed": "FAILED",
            "needs_reconnect": "NEEDS RECONNECTING",
            "destination_held": "ACCOUNT HELD",
            "outcome_unknown": "OUTCOME UNKNOWN",
            "missed": "MISSED",
            "finished_late": "FINISHED LATE",
            "not_approved": "NOT APPROVED",
            "not_approved_soon": "NOT APPROVED YET",
            "published": "published",
            "published_incomplete": "PUBLISHED, BUT",
            "paused": "PUBLISHING PAUSED",
            "resumed": "publishing resumed",
            "token_expiring": "TOKEN RUNS OUT",
        }.get(self.kind, self.kind)
        return f"[campaign scheduler] {label}: {self.draft}"

    def text(self) -> str:
        lines = [self.title(), self.summary]
        if self.local_time:
            lines.append(f"due: {self.local_time}")
        if self.url:
            lines.append(f"url: {self.url}")
        if self.detail:
            lines.append(self.detail)
        return "\n".join(lines)


class Notifier(Protocol):
    name: str

    def send(self, notice: Notice) -> None:
        """Deliver ``notice`` or raise NotifyError."""
        ...


class FanOut:
    """Sends each notice to every notifier; one failing does not stop the others."""

    name = "fan-out"

    def __init__(self, notifiers: list[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def send(self, notice: Notice) -> None:
        problems: list[str] = []
        for notifier in self.notifiers:
            try:
                notifier.send(notice)
            except NotifyError as exc:
                problems.append(f"{notifier.name}: {exc.message}")
        if problems:
            raise NotifyError("; ".join(problems))
