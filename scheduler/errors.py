"""The exception tree. Everything the scheduler raises on purpose is a SchedulerError.

Foreign errors (YAML, Jinja2, SQLAlchemy, requests, tweepy, SMTP) are caught at the boundary
of the module that calls the foreign library and re-raised as one of these, chained with
``from`` so the original stays in tracebacks and debug logs. The CLI prints a SchedulerError
as one line and exits 1; anything else is a bug (traceback, exit 3).

Each error knows whether repeating the same operation later may succeed (``retryable``).

    SchedulerError
    ├── UsageError               bad command-line input, unknown team member, bad option value
    ├── ConfigError              settings, secrets file, missing or unreadable credentials
    │   └── DestinationHeld      an account points at a host its credential is not bound to
    ├── CampaignError            campaign files: carries every Problem found (file:line:col)
    ├── LedgerError              the store (scheduler.ledger.base)
    │   ├── LedgerUnavailable    cannot connect / locked too long           retryable
    │   ├── MigrationError       schema older or newer than this release
    │   ├── NotFound             no such campaign, post or draft
    │   ├── TransitionError      a state change the state machine forbids
    │   ├── StaleHash            decided on a hash that is no longer current
    │   ├── PolicyError          approval policy refuses the actor
    │   └── LeaseLost            another worker owns the claim now
    ├── PublishError             a platform call (scheduler.platforms.base)
    │   ├── RateLimited          wait until retry_after                    retryable
    │   ├── Transient            5xx, timeouts before sending, overload      retryable
    │   ├── OutcomeUnknown       the request may have been applied: reconcile before retrying
    │   └── Permanent            the platform refused this post
    │       ├── AuthFailed       credentials rejected: a person must reconnect the account
    │       ├── Invalid          validation: too long, bad media, bad reply target
    │       ├── Duplicate        the platform says it already has this content
    │       └── Forbidden        not permitted for this account
    └── NotifyError              a notifier (webhook, SMTP) could not deliver  retryable
"""

from __future__ import annotations

from collections.abc import Sequence

from scheduler.redact import redact


class SchedulerError(Exception):
    """Root of every error the scheduler raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # Scrubbed as it is made: servers echo credentials back in the answers quoted here.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = None if hint is None else redact(hint)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(SchedulerError):
    """The command line asked for something that cannot be done as asked."""


class ConfigError(SchedulerError):
    """Settings or credentials are missing, malformed or unsafe."""


class DestinationHeld(ConfigError):
    """An account points somewhere its credential is not bound to: nothing is sent there
    until an operator confirms the new host (``scheduler accounts confirm``)."""

    def __init__(self, message: str, *, account: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.account = account


class CampaignError(SchedulerError):
    """One or more problems in campaign files.

    ``problems`` holds objects with a ``__str__`` of the form ``path:line:col: where: message``;
    the campaign package defines them. The message is the first problem and a count.
    """

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems: list[object] = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid campaign"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more > 0 else ""
        super().__init__(first + suffix)


class LedgerError(SchedulerError):
    """Base of the ledger's errors; see scheduler.ledger.base."""


class PublishError(SchedulerError):
    """Base of the platform errors; see scheduler.platforms.base."""


class NotifyError(SchedulerError):
    """A notification could not be delivered."""

    retryable = True
