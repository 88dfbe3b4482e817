"""Commands over a campaign's accounts: check their credentials, confirm where they go.

A credential goes only to the host bound to its account in the ledger. ``accounts check``
records that host on an account's first use (nothing bound yet) and refuses to contact any
other; ``accounts confirm`` is how an operator moves an account to the host its campaign now
names. ``check`` reports accounts held that way (read-only: it never binds).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scheduler.cli import jsonout
from scheduler.cli.common import open_ledger, settings_from
from scheduler.errors import SchedulerError, UsageError

if TYPE_CHECKING:
    from scheduler.accounts import AccountSpec
    from scheduler.campaign.model import Campaign
    from scheduler.ledger import Binding, Ledger
    from scheduler.platforms.base import PlatformContext
    from scheduler.settings import Settings


def cmd_accounts_check(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.media.config import public_media
    from scheduler.platforms.base import PlatformContext

    campaign = load_campaign(args.path)
    settings = settings_from(args)
    clock = SystemClock()
    credentials = CredentialStore(settings.env, settings.secrets_file)
    context = PlatformContext(
        clock=clock,
        credentials=credentials,
        state_dir=settings.data_dir / "state",
        outbox=settings.outbox,
        timeout=args.timeout,
        x_api_base=settings.x_api_base,
        public_media=public_media(settings.env, credentials, timeout=args.timeout),
    )
    ledger = open_ledger(settings, clock)
    checked: list[dict[str, object]] = []
    media = MediaCheck(context)
    try:
        for name, account in sorted(campaign.accounts.items()):
            checked.append(check_one(args, ledger, context, name, account.spec(name), media))
    finally:
        ledger.close()
    total = len(campaign.accounts)
    problems = sum(1 for c in checked if c["status"] != "ok")
    if args.json:
        jsonout.emit(
            {
                "ok": not problems,
                "campaign": campaign.id,
                "accounts": checked,
                "counts": {"ok": total - problems, "problems": problems},
            }
        )
    elif problems:
        print(f"{problems} of {total} account{'s' if total != 1 else ''} need attention")
    else:
        print(f"all {total} account{'s' if total != 1 else ''} ready")
    return 1 if problems else 0


def check_one(
    args: argparse.Namespace,
    ledger: Ledger,
    context: PlatformContext,
    name: str,
    spec: AccountSpec,
    media: MediaCheck | None = None,
) -> dict[str, object]:
    """Check one account, printing its lines unless ``--json``; its row for the document."""
    from scheduler.descriptors import destination_of
    from scheduler.platforms import build_publisher

    label = f"{name} ({spec.platform})"
    row: dict[str, object] = {
        "account": name,
        "platform": spec.platform,
        "status": "ok",
        "handle": None,
        "remote_id": None,
        "url": None,
        "message": None,
        "hint": None,
        "notes": [],
    }
    notes: list[str] = []
    say = (lambda line: None) if args.json else print
    publisher = None
    try:
        publisher = build_publisher(spec, context)
        # Bound (or recorded, on first use) before anything is sent.
        binding = ledger.bind_destination(name, destination_of(spec), now=context.clock.now())
        if binding.held:
            hint = f"if that host is right, run `{confirm(args, name)}`"
            say(f"{'HELD':<11} {label}: {binding.reason()}")
            say(f"{'':<11} hint: {hint}")
            return {**row, "status": "held", "message": binding.reason(), "hint": hint}
        if binding.recorded:
            notes.append(f"first use: bound to {binding.wanted.describe()}")
        info = publisher.verify()
        if media is not None:
            notes += media.notes(spec)
    except SchedulerError as exc:
        verdict, words = account_problem(exc)
        say(f"{verdict:<11} {label}: {words}")
        if exc.hint:
            say(f"{'':<11} hint: {exc.hint}")
        for note in notes:
            say(f"{'':<11} {note}")
        return {
            **row,
            "status": verdict.lower(),
            "message": words,
            "hint": exc.hint,
            "notes": notes,
        }
    finally:
        if publisher is not None:
            publisher.close()
    who = f"@{info.handle}" if info.handle else info.remote_id
    verdict, expiry = token_expiry(info.expires_at, context.clock.now())
    renew = "make a new token and store it with its expires_at" if verdict != "ok" else None
    line = f"{verdict:<11} {label}: {who}" + (f" {info.url}" if info.url else "")
    say(line + (f"; {expiry}" if expiry else ""))
    if renew:
        say(f"{'':<11} hint: {renew}")
    for note in notes:
        say(f"{'':<11} {note}")
    for warning in info.warnings:
        say(f"{'warning':<11} {label}: {warning}")
    return {
        **row,
        "status": verdict.lower(),
        "message": expiry or None,
        "hint": renew,
        "handle": info.handle,
        "remote_id": info.remote_id,
        "url": info.url or None,
        "notes": [*notes, *(f"warning: {w}" for w in info.warnings)],
    }


class MediaCheck:
    """The public media host, tried once per run for the accounts whose platform fetches
    images from a URL (``Descriptor.media_by_url``); its error is each such account's."""

    def __init__(self, context: PlatformContext) -> None:
        self.context = context
        self._said: str | SchedulerError | None = None

    def notes(self, spec: AccountSpec) -> list[str]:
        from scheduler import descriptors
        from scheduler.media.probe import probe

        if not descriptors.get(spec.platform).media_by_url:
            return []
        media = self.context.public_media
        if media is None:
            return [
                "posts with images need a public media host: set SCHEDULER_MEDIA_HOST "
                "(README: Public media for Instagram and Threads)"
            ]
        if self._said is None:
            try:
                self._said = probe(media, account=spec.name)
            except SchedulerError as exc:
                self._said = exc
        if isinstance(self._said, SchedulerError):
            raise self._said
        return [self._said]


def token_expiry(expires_at: datetime | None, now: datetime) -> tuple[str, str]:
    """(verdict, words) for a token's known expiry: EXPIRING within EXPIRY_NOTICE of it,
    EXPIRED after it, else ok; no words where the expiry is unknown."""
    from scheduler.accounts import EXPIRY_NOTICE

    if expires_at is None:
        return "ok", ""
    left = expires_at - now
    when = expires_at.strftime("%Y-%m-%d %H:%M UTC")
    if left.total_seconds() <= 0:
        return "EXPIRED", f"the token expired at {when}"
    days = left.days
    words = f"the token expires at {when} (in {days} day{'s' if days != 1 else ''})"
    return ("EXPIRING" if left <= EXPIRY_NOTICE else "ok"), words


def confirm(args: argparse.Namespace, account: str) -> str:
    return f"scheduler accounts confirm {args.path} {account}"


def account_problem(exc: SchedulerError) -> tuple[str, str]:
    """A plain verdict for one account's failed check: what is wrong, in a word, and why."""
    from scheduler.errors import ConfigError
    from scheduler.platforms.base import AuthFailed, OutcomeUnknown, RateLimited, Transient

    if isinstance(exc, ConfigError):
        verdict = "MISSING" if "missing credential" in exc.message else "MISCONFIGURED"
        return verdict, exc.message
    if isinstance(exc, UsageError):
        return "UNSUPPORTED", exc.message
    if isinstance(exc, AuthFailed):
        return "REJECTED", exc.message
    if isinstance(exc, RateLimited):
        wait = f" for {exc.retry_after:.0f} s" if exc.retry_after else ""
        return "BUSY", f"{exc.message}; the platform asks to wait{wait}"
    if isinstance(exc, Transient | OutcomeUnknown):
        return "UNREACHABLE", exc.message
    return "FAILED", exc.message


def cmd_accounts_confirm(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.descriptors import destination_of

    campaign = load_campaign(args.path)
    account = campaign.accounts.get(args.account)
    if account is None:
        raise UsageError(
            f"{args.path}: no account {args.account!r}",
            hint="its accounts: " + ", ".join(sorted(campaign.accounts)),
        )
    wanted = destination_of(account.spec(args.account))
    if wanted.host is None:
        print(f"{args.account}: {wanted.describe()} sends nothing anywhere; nothing to confirm")
        return 0
    settings = settings_from(args)
    clock = SystemClock()
    ledger = open_ledger(settings, clock)
    try:
        old = ledger.confirm_destination(
            args.account, wanted, actor=operator(args, campaign), now=clock.now()
        )
    finally:
        ledger.close()
    was = f" (was {old.destination.describe()})" if old is not None else ""
    print(f"{args.account}: its credential now goes to {wanted.describe()}{was}")
    return 0


def operator(args: argparse.Namespace, campaign: Campaign) -> str:
    """Who confirmed: --as, else git's user.email, else the login name."""
    import getpass

    from scheduler.cli.workflow import git_email

    return str(args.actor or git_email(campaign.root) or getpass.getuser())


def destination_holds(settings: Settings, campaign: Campaign, clock: Any) -> list[Binding]:
    """The campaign's accounts held by the ledger (pointed at a host not bound to them).

    Read-only, and only when a ledger is there to ask: ``check`` runs without one in CI.
    """
    from pathlib import Path

    from scheduler.descriptors import destination_of
    from scheduler.ledger import Binding, LedgerError

    url = settings.ledger
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return []
    try:
        ledger = open_ledger(settings, clock)
    except LedgerError:
        return []
    held: list[Binding] = []
    try:
        for name, account in sorted(campaign.accounts.items()):
            wanted = destination_of(account.spec(name))
            binding = Binding(name, wanted, ledger.bound_destination(name), recorded=False)
            if binding.held:
                held.append(binding)
    finally:
        ledger.close()
    return held
