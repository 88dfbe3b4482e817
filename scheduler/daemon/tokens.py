"""Keeping long-lived tokens alive: the daemon renews a token before it runs out where the
platform allows it (a publisher that is ``platforms.base.Renewable``), and tells a person
when one cannot be renewed.

Renewing is asked on every periodic sweep, but happens only once a token is due
(``platforms.renewal.renewal_due``: fewer than 14 days left and at least a day old); a
failed renewal is asked again after ``renewal.RETRY_AFTER``, and a refusal (the token was
revoked) is told to a person at once. Whatever happens, the warning a week before the
expiry (``Daemon.warn_expiring``) still comes if the token was not renewed by then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from scheduler import descriptors
from scheduler.accounts import EXPIRY_NOTICE
from scheduler.clock import Clock
from scheduler.daemon.report import Reporter
from scheduler.errors import SchedulerError
from scheduler.notify import Notice
from scheduler.platforms import renewal
from scheduler.platforms.base import AccountSpec, AuthFailed, Publisher, Renewable

# The publisher for an account, built for renewing (None: this daemon sends nothing, as in
# a rehearsal); and the account's current token (ConfigError when it has none).
RenewerFor = Callable[[AccountSpec], Publisher | None]
TokenOf = Callable[[str], renewal.Token]


class TokenKeeper:
    def __init__(
        self, renewer_for: RenewerFor, token_of: TokenOf, clock: Clock, reporter: Reporter
    ) -> None:
        self.renewer_for = renewer_for
        self.token_of = token_of
        self.clock = clock
        self.reporter = reporter
        self._kinds: dict[tuple[object, ...], bool] = {}  # the account as named -> renewable
        self._next_try: dict[str, datetime] = {}
        # What this daemon's own renewals returned: a publisher may keep its renewed token
        # where ``token_of`` does not look, and must not then be asked again at every sweep.
        self._renewed: dict[str, renewal.Token] = {}

    def expiry(self, account: str) -> datetime | None:
        """When the token this daemon last renewed for ``account`` ends; None if it renewed
        none (or the platform did not say)."""
        known = self._renewed.get(account)
        return None if known is None else known.expires_at

    def renews(self, spec: AccountSpec) -> bool:
        """Whether the account's token is renewed by the daemon (its publisher can)."""
        key = (spec.name, spec.platform, *sorted(spec.settings.items()))
        if key not in self._kinds:
            try:
                publisher = self.renewer_for(spec)
            except SchedulerError:
                return False  # not usable now; ``accounts check`` says why
            self._kinds[key] = isinstance(publisher, Renewable)
            if publisher is not None:
                publisher.close()
        return self._kinds[key]

    def renew_due(self, accounts: Iterable[AccountSpec]) -> None:
        """Renew every token of ``accounts`` that is due."""
        now = self.clock.now()
        for spec in accounts:
            if self._next_try.get(spec.name, now) > now or not self.renews(spec):
                continue
            token = self._renewed.get(spec.name)
            if token is None:
                try:
                    token = self.token_of(spec.name)
                except SchedulerError:
                    continue  # no token at all: ``accounts check`` says so
            descriptor = descriptors.find(spec.platform)
            lifetime = descriptor.token_lifetime if descriptor is not None else None
            if renewal.renewal_due(token, now, lifetime):
                self._renew(spec, token, now)

    def _renew(self, spec: AccountSpec, token: renewal.Token, now: datetime) -> None:
        publisher = self.renewer_for(spec)
        if not isinstance(publisher, Renewable):
            return
        try:
            expires = publisher.renew()
        except AuthFailed as exc:
            self._next_try[spec.name] = now + renewal.RETRY_AFTER
            self.reporter.notice(
                Notice(
                    kind="needs_reconnect",
                    draft=spec.name,
                    summary=f"the token of {spec.name} could not be renewed: {exc.message}",
                    when=now,
                    detail="connect the account again and store the new token; "
                    "then run `scheduler accounts check`",
                ),
                once_key=f"renew:{token.expires_at}",
            )
            return
        except SchedulerError as exc:
            # The platform could not answer now: ask again later, well before the expiry.
            self._next_try[spec.name] = now + renewal.RETRY_AFTER
            self.reporter.event(
                "token_renewal_failed", "warning", account=spec.name, error=exc.message
            )
            return
        finally:
            if publisher is not None:
                publisher.close()
        # A fresh token is not renewed again for a day, whatever its expiry says (Meta refuses
        # to refresh a token less than a day old).
        self._next_try[spec.name] = now + renewal.MIN_AGE
        self._renewed[spec.name] = renewal.Token(renewal.Secret(""), expires, now, renewed=True)
        self.reporter.event(
            "token_renewed",
            account=spec.name,
            expires=expires.isoformat(timespec="seconds") if expires else "unknown",
        )


def expiry_notice(
    where: str, account: str, expires: datetime, now: datetime, last_due: datetime | None
) -> tuple[Notice, str] | None:
    """The notice (and its once-key) for a token that ends at ``expires``: within
    EXPIRY_NOTICE of it (or after), or as soon as the campaign has a post due after it
    (``last_due``, None for a token the daemon renews); None when there is nothing to tell."""
    when = expires.strftime("%Y-%m-%d %H:%M UTC")
    if expires - now <= EXPIRY_NOTICE:
        ran_out = expires <= now
        summary = (
            f"the token of {account} {'ran' if ran_out else 'runs'} out at {when}; "
            "its posts fail from then"
        )
        detail = "make a new token, store it with its expires_at, then run "
        key = expires.isoformat()
    elif last_due is not None and last_due > expires:
        summary = (
            f"the token of {account} runs out at {when}, before the campaign's last post for "
            f"it is due ({last_due.strftime('%Y-%m-%d %H:%M UTC')}); its posts due after "
            "that will fail"
        )
        detail = "make a new token before then, store it with its expires_at, then run "
        key = f"due-after:{expires.isoformat()}"
    else:
        return None
    notice = Notice(
        kind="token_expiring",
        draft=where,
        summary=summary,
        when=now,
        detail=detail + "`scheduler accounts check`",
    )
    return notice, key
