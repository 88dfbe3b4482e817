"""What happens as a draft's time comes and it cannot go out: a reminder ahead of an
unapproved draft's time and at it, the window closing (the draft becomes missed and a person
is told why), and an account's token running out.

A part of ``Daemon`` (``runner.py``), kept apart: the runner schedules these, they decide.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scheduler.accounts import EXPIRY_NOTICE
from scheduler.clock import Clock
from scheduler.daemon.base import DaemonOptions, Loaded
from scheduler.daemon.notices import unfinished
from scheduler.daemon.reconcile import UNAPPROVED, WAITING, Step
from scheduler.daemon.report import Reporter
from scheduler.daemon.tokens import TokenKeeper, expiry_notice
from scheduler.daemon.windows import finish_by, window_end
from scheduler.draft import DraftKey
from scheduler.errors import LedgerError, SchedulerError
from scheduler.notify.base import Notice


class Deadlines:
    """The daemon's reminders, closing of windows and token warnings."""

    if TYPE_CHECKING:  # what the Daemon provides
        ledger: Any
        clock: Clock
        options: DaemonOptions
        reporter: Reporter
        campaigns: dict[str, Loaded]
        expiry_of: Callable[[str], datetime | None] | None
        tokens: TokenKeeper | None
        last_due: dict[tuple[str, str], datetime]

        def _last_chance(self, record: Any) -> datetime: ...

        def _wake(self, key: DraftKey, outcome: str) -> None: ...

    def remind(self, key: DraftKey, *, at_due: bool) -> None:
        """An unapproved draft is due soon, or now: say so (it will not be published)."""
        now = self.clock.now()
        try:
            record = self.ledger.get(key)
        except LedgerError:
            return
        if str(record.state) not in UNAPPROVED:
            return
        seconds = max(0, round((record.due - now).total_seconds()))
        ahead = f"{seconds} s" if seconds < 120 else f"{round(seconds / 60)} min"
        summary = (
            "due now but not approved: it will not be published until it is approved"
            if at_due
            else f"due in {ahead} and not approved yet"
        )
        self.reporter.notice(
            Notice(
                kind="not_approved" if at_due else "not_approved_soon",
                draft=str(key),
                summary=summary,
                when=now,
                detail=f"state {record.state}; approve it with `scheduler approve`",
            ),
            once_key=f"{'due' if at_due else 'ahead'}:{record.content_hash}",
        )

    def renew_tokens(self) -> None:
        """Renew the tokens of the loaded campaigns' accounts that are due (see
        ``daemon.tokens``)."""
        if self.tokens is None:
            return
        specs = {
            n: s for loaded in list(self.campaigns.values()) for n, s in loaded.accounts.items()
        }
        self.tokens.renew_due(specs[name] for name in sorted(specs))

    def warn_expiring(self) -> None:
        """Tell a person, once per token, that an account's token runs out within
        EXPIRY_NOTICE (or has run out), and at once when posts of a campaign are due after
        a token that nobody renews runs out."""
        if self.expiry_of is None:
            return
        now = self.clock.now()
        for loaded in list(self.campaigns.values()):
            for name in sorted(loaded.accounts):
                try:
                    known = self.tokens.expiry(name) if self.tokens is not None else None
                    expires = known or self.expiry_of(name)
                except SchedulerError:
                    continue  # an unreadable date: ``accounts check`` says what is wrong
                if expires is None:
                    continue
                soon = expires - now <= EXPIRY_NOTICE
                kept = (
                    not soon
                    and self.tokens is not None
                    and self.tokens.renews(loaded.accounts[name])
                )
                last = None if kept else self.last_due.get((loaded.campaign_id, name))
                found = expiry_notice(f"{loaded.campaign_id}@{name}", name, expires, now, last)
                if found is not None:
                    self.reporter.notice(found[0], once_key=found[1])

    def _close(self, step: Step) -> None:
        """A window closed: an unpublished draft becomes missed, and a person is told.

        A thread with a part already public is left alone until its completion limit: it is
        being finished late (the claim condition, the plan and the worker agree on that).
        """
        now = self.clock.now()
        try:
            record = self.ledger.get(step.key)
        except LedgerError:
            return
        state = str(record.state)
        if step.action == "close_unapproved" and state not in UNAPPROVED:
            return
        if self.ledger.paused(step.key.campaign) is not None:
            # The person who resumes decides: missed, or moved by the pause's length.
            return
        if state not in WAITING | UNAPPROVED:
            return
        if now <= self._last_chance(record):
            return
        reason = step.reason
        detail = ""
        if record.parts_done:
            # Part of a thread is out and the rest could not follow: say what a reader sees.
            end = window_end(record.due, record.latest, self.options.max_lateness)
            finish = finish_by(
                record.due,
                record.latest,
                max_lateness=self.options.max_lateness,
                thread_completion=self.options.thread_completion,
            )
            reason, detail = unfinished(
                record.parts_done,
                total=len(record.draft.parts),
                end=end,
                finish=finish,
                zone=record.draft.timezone,
            )
            if state in UNAPPROVED:
                reason += f"; it was not approved again ({state})"
        try:
            self.ledger.mark_missed(step.key, reason=reason, now=now)
        except LedgerError as exc:
            self.reporter.event("ledger_error", "error", key=str(step.key), error=str(exc))
            return
        self.reporter.notice(
            Notice(kind="missed", draft=str(step.key), summary=reason, when=now, detail=detail)
        )
        self._wake(step.key, "missed")
