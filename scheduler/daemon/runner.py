"""The daemon: APScheduler timers derived from the ledger, which stays the single truth.

The timers (``timers.py``: run times in a heap, one APScheduler job armed for the earliest)
hold one timer per draft step: publish at the due time or the next attempt, remind about
unapproved drafts, close their window. Timers are rebuilt from the ledger at start, on every
reload (campaign files changed on disk, polled by mtime, or SIGHUP) and periodically; a
timer that fires re-reads the ledger before doing anything, so a stale timer is harmless. A
publish timer, the catch-up after downtime and the periodic sweep only wake the dispatcher
(``dispatch``), which claims due drafts in batches for its idle workers: drafts approved
after the last rebuild and the work of a daemon that died (its lease expired) are claimed
the same way. Several daemons
may run against one PostgreSQL ledger; they divide the due drafts between them.

``reload``, ``fire`` and ``sweep`` do the work and can be driven directly with a FixedClock;
``run`` adds the timers, the signals and a clean stop (``lifecycle.py``). Reminders, the
closing of windows and token warnings are in ``deadlines.py``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler.accounts import AccountSpec
from scheduler.clock import Clock
from scheduler.daemon.after import still_waits
from scheduler.daemon.base import (
    CampaignSource,
    DaemonOptions,
    Loaded,
    PublisherFor,
)
from scheduler.daemon.deadlines import Deadlines
from scheduler.daemon.dispatch import Dispatcher
from scheduler.daemon.gate import LedgerGate
from scheduler.daemon.lifecycle import NOT_PUBLISHED, Lifecycle
from scheduler.daemon.reconcile import WAITING, Step, plan
from scheduler.daemon.report import Reporter
from scheduler.daemon.serial import SerialWrites
from scheduler.daemon.timers import Timers, guarded
from scheduler.daemon.tokens import TokenKeeper
from scheduler.daemon.windows import last_chance, window_end
from scheduler.daemon.worker import Worker
from scheduler.descriptors import destination_of
from scheduler.draft import DraftKey
from scheduler.errors import CampaignError, ConfigError, LedgerError
from scheduler.notify.base import Notice

# Past this many drafts to settle, one read of the campaigns is cheaper than a read each.
SETTLE_ONE_BY_ONE = 50


def _job_id(action: str, key: DraftKey) -> str:
    return f"{action}:{key}"


def _give_back_memory() -> None:
    """After a reload (every draft read, compared and planned), return freed memory.

    The reload's temporary objects are gone, but the C allocator keeps their pages; a
    long-running daemon should not carry the high-water mark of its last reload.
    """
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


class Daemon(Deadlines, Lifecycle):
    def __init__(
        self,
        ledger: Any,
        source: CampaignSource,
        publisher_for: PublisherFor,
        *,
        clock: Clock,
        options: DaemonOptions,
        reporter: Reporter,
        rand: Callable[[], float] | None = None,
        gate: LedgerGate | None = None,
        bind_destinations: bool = True,
        expiry_of: Callable[[str], datetime | None] | None = None,
        tokens: TokenKeeper | None = None,
    ) -> None:
        """``bind_destinations``: each account's credential goes only to the host bound to it
        in the ledger. A rehearsal (``run --sandbox``, the demo) sends nothing anywhere, so it
        neither binds nor holds."""
        if str(getattr(ledger, "url", "")).startswith("sqlite"):
            ledger = SerialWrites(ledger)
        self.ledger = ledger
        self.source = source
        self.clock = clock
        self.options = options
        self.reporter = reporter
        # The publishers' gate: the composition root hands the same one to the platforms.
        self.gate = gate or LedgerGate(ledger, clock, reporter=reporter)
        self.gate.ledger = ledger  # its pauses take turns with the daemon's other writes
        self.bind_destinations = bind_destinations
        # An account's token expiry as recorded with its credentials (None: unknown).
        self.expiry_of = expiry_of
        # Renews the tokens of platforms that allow it (None: nobody renews, as in a rehearsal).
        self.tokens = tokens
        self.last_due: dict[tuple[str, str], datetime] = {}  # (campaign, account) -> due
        self.stopping = threading.Event()
        self.roots: dict[str, Path] = {}
        self.campaigns: dict[str, Loaded] = {}
        extra: dict[str, Any] = {"rand": rand} if rand is not None else {}
        self.worker = Worker(
            ledger,
            publisher_for,
            clock=clock,
            options=options,
            reporter=reporter,
            gate=self.gate,
            roots=self.roots,
            stopping=self.stopping,
            bind_destinations=bind_destinations,
            **extra,
        )
        self.timers = Timers(clock, reporter, self.stopping)
        self.dispatcher = Dispatcher(
            options.workers,
            claim_due=self._claim_due,
            process=self._process,
            release=lambda claim: self.ledger.release(claim, now=self.clock.now()),
            settle=self.settle,
            guard=lambda name, job: guarded(reporter, name, job),
            reporter=reporter,
            stopping=self.stopping,
            interval=options.sweep_interval,
        )
        self._reload_requested = threading.Event()
        self._stop_requested = threading.Event()
        self.outcomes: dict[str, int] = {}
        self.pending_catch_up: tuple[Step, ...] = ()
        self.paused_scopes: dict[str, Any] = {}
        # The drafts another waits on, as of the last plan (None: no plan yet): only their
        # outcome can wake anything, so no other post reads the ledger for dependants.
        self.awaited: frozenset[DraftKey] | None = None

    # --- loading ----------------------------------------------------------------------------

    def reload(self) -> bool:
        """Load the campaigns, sync the ledger, and re-plan; False if the files are broken.

        Broken files never stop a running daemon: it keeps the ledger as it is (which still
        holds every approved draft) and says what is wrong.
        """
        now = self.clock.now()
        try:
            loaded = list(self.source.load())  # a copy: it is emptied as it is synced
        except CampaignError as exc:
            self.reporter.event(
                "reload_failed",
                "error",
                problems=len(exc.problems),
                first=str(exc.problems[0]) if exc.problems else str(exc),
            )
            return False
        # Each campaign's drafts are let go once synced, and all of them before the plan
        # reads the ledger back: the allocator keeps the high-water mark of a reload, so
        # drafts and records must not be alive at the same time.
        loaded.reverse()
        while loaded:
            campaign = loaded.pop()
            kwargs = {"rule": campaign.rule} if campaign.rule is not None else {}
            report = self.ledger.sync(campaign.campaign_id, campaign.drafts, now=now, **kwargs)
            # The drafts now live in the ledger; keeping them here too would double the memory.
            self.campaigns[campaign.campaign_id] = replace(campaign, drafts=[])
            # What the token notices need of them: each account's last due post.
            for draft in campaign.drafts:
                key = (campaign.campaign_id, draft.account)
                if draft.due > self.last_due.get(key, draft.due - timedelta(seconds=1)):
                    self.last_due[key] = draft.due
            self.roots[campaign.campaign_id] = campaign.root
            self.reporter.event(
                "synced",
                campaign=campaign.campaign_id,
                drafts=len(campaign.drafts),
                created=len(report.created),
                changed=len(report.changed),
                cancelled=len(report.cancelled),
                frozen=len(getattr(report, "frozen", ())),
            )
            if self.bind_destinations:
                self._bind_destinations(campaign.accounts, now)
            for key in getattr(report, "frozen", ()):
                self.reporter.event(
                    "change_refused",
                    "warning",
                    key=str(key),
                    reason="the post may already be out; the stored version stays",
                )
            del campaign, report
        _give_back_memory()
        self.replan()
        _give_back_memory()
        return True

    def _bind_destinations(self, accounts: Mapping[str, AccountSpec], now: datetime) -> None:
        """Record each new account's destination as the daemon takes the campaign on (its
        first use), so that publishing only reads; an account pointed elsewhere is held."""
        for name, spec in sorted(accounts.items()):
            try:
                destination = destination_of(spec)
            except ConfigError:
                continue  # the publisher says what is wrong with the address, on use
            binding = self.ledger.bind_destination(name, destination, now=now)
            self.worker.remember(binding, now)
            if binding.recorded:
                self.reporter.event(
                    "destination_recorded", account=name, destination=destination.describe()
                )
            elif binding.held:
                self.reporter.event(
                    "account_held", "warning", account=name, reason=binding.reason()
                )

    def records(self) -> list[Any]:
        found: list[Any] = []
        for campaign_id in self.campaigns:
            found.extend(self.ledger.list(campaign=campaign_id))
        return found

    def replan(self) -> None:
        """Derive every timer from the ledger; handle what is already late."""
        now = self.clock.now()
        records = self.records()
        self.awaited = frozenset(
            DraftKey(r.key.campaign, a.post_id, a.account) for r in records for a in r.draft.after
        )
        the_plan = plan(
            records,
            now=now,
            max_lateness=self.options.max_lateness,
            remind_ahead=self.options.remind_ahead,
            thread_completion=self.options.thread_completion,
        )
        del records  # not kept while the timers are set: the plan holds what it needs
        for step in the_plan.missed:
            self._close(step)  # (not while its campaign is paused: see _close)
        for step in the_plan.problems:
            self.reporter.notice(
                Notice(
                    kind="outcome_unknown",
                    draft=str(step.key),
                    summary=f"waiting for a person: {step.reason}",
                    when=now,
                    detail="run `scheduler status` for the evidence, then `scheduler resolve`",
                    # A reminder of a state the ledger already held, not a new outcome.
                    fields={"standing": "yes"},
                ),
                once_key="start",
            )
        self._set_timers(the_plan.timers, the_plan.catch_up)

    # --- steps ------------------------------------------------------------------------------

    def fire(self, key: DraftKey) -> str | None:
        """A draft's time came: claim it and publish it, if the ledger agrees.

        With the worker pool running, the dispatcher claims it (with whatever else is due).
        Driven by hand, the claim comes first (one atomic update that checks approval, time
        and window); the record is read only when the claim is refused, to know when to look
        again.
        """
        if self.stopping.is_set():
            return None
        if self.dispatcher.running:
            self.dispatcher.due((key,))
            return None
        now = self.clock.now()
        pause = self._pause(key.account)
        if pause is not None:
            # The claim would skip it: look again when the pause ends (a started thread too).
            record = self._get(key)
            if record is not None and str(record.state) in WAITING:
                self._schedule_publish(key, pause.until)
                return None
        claim = self.ledger.claim(
            key,
            owner=self.options.owner,
            now=now,
            lease=self.options.lease,
            thread_completion=self.options.thread_completion,
        )
        if claim is not None:
            return self._process(claim)
        record = self._get(key)
        if record is not None:
            self._refused(record, now, watch_lease=True)
        return None

    def settle(self, keys: list[DraftKey]) -> None:
        """Drafts a timer named that no claim took: set their next timer, or close them.

        Leases held by other daemons are not watched here: the sweep takes over an expired
        one, so a peak shared by several daemons leaves no timer per draft behind.
        """
        now = self.clock.now()
        if len(keys) > SETTLE_ONE_BY_ONE:
            wanted = set(keys)
            try:
                records = [r for r in self.records() if r.key in wanted]
            except LedgerError:
                return
        else:
            records = [r for r in map(self._get, keys) if r is not None]
        for record in records:
            self._refused(record, now, watch_lease=False)

    def _refused(self, record: Any, now: datetime, *, watch_lease: bool) -> None:
        """What a draft that could not be claimed at ``now`` needs next."""
        key = record.key
        state = str(record.state)
        when = record.due
        if state == "retry_wait" and record.next_attempt is not None:
            when = max(when, record.next_attempt)
        if state == "publishing":
            if watch_lease and record.lease_until is not None and record.lease_until > now:
                self._schedule_publish(key, record.lease_until)
        elif state in WAITING:
            last = self._last_chance(record)
            if when > now:
                self._schedule_publish(key, when)
            elif record.draft.after and self._still_waits(record, now, last):
                return
            elif now > last:
                self._close(Step(now, "missed", key, "its window closed before it was claimed"))
            elif now > window_end(record.due, record.latest, self.options.max_lateness):
                # A started thread the ledger would not hand over now: if nothing changes by
                # its completion limit, it is closed then, with its parts listed.
                self._schedule_close(key, last + timedelta(seconds=1))

    def _still_waits(self, record: Any, now: datetime, last: datetime) -> bool:
        """A due draft waiting on others (a person told of any that needs one): closed when
        its own window ends; until then publishing what it waits on wakes it (``_wake``)."""
        pending = still_waits(self.ledger, self.reporter, self._pause, record.key, now)
        if not pending:
            return False
        names = ", ".join(str(w.key) for w in pending)
        if now > last:
            reason = f"its window closed while it waited on {names}"
            self._close(Step(now, "missed", record.key, reason))
        else:
            self.reporter.event("waiting_on", key=str(record.key), on=names)
            self._schedule_close(record.key, last + timedelta(seconds=1))
        return True

    def _wake(self, key: DraftKey, outcome: str) -> None:
        """``key`` was published (its dependants may go now) or will not go without a person
        (its due dependants are told)."""
        if outcome not in ("published", *NOT_PUBLISHED):
            return
        if self.awaited is not None and key not in self.awaited:
            # A draft synced since by another daemon is claimed by the sweep all the same.
            return
        try:
            dependants = self.ledger.dependants(key)
        except LedgerError:
            return
        if not dependants:
            return
        if outcome == "published":
            if self.dispatcher.running:
                self.dispatcher.due(tuple(dependants))
            else:
                for dependant in dependants:
                    self.fire(dependant)
            return
        self.settle(dependants)

    def _last_chance(self, record: Any) -> datetime:
        return last_chance(
            record.due,
            record.latest,
            started=bool(record.parts_done),
            max_lateness=self.options.max_lateness,
            thread_completion=self.options.thread_completion,
        )

    def _pause(self, account: str) -> Any:
        try:
            return self.gate.paused(account)
        except LedgerError:
            return None

    def _get(self, key: DraftKey) -> Any:
        try:
            return self.ledger.get(key)
        except LedgerError:
            return None

    def _process(self, claim: Any) -> str:
        outcome = self.worker.process(claim)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self._wake(claim.key, outcome)
        if outcome in ("retry_wait", "deferred"):
            with contextlib.suppress(LedgerError):
                record = self.ledger.get(claim.key)
                if record.next_attempt is not None:
                    self._schedule_publish(claim.key, record.next_attempt)
        return outcome

    def _claim_due(self, limit: int) -> list[Any]:
        return list(
            self.ledger.claim_due(
                owner=self.options.owner,
                now=self.clock.now(),
                lease=self.options.lease,
                limit=limit,
                campaigns=sorted(self.campaigns),
                thread_completion=self.options.thread_completion,
            )
        )

    def sweep(self) -> int:
        """Claim due work no timer started (late approvals, a dead daemon's leases)."""
        count = 0
        while not self.stopping.is_set():
            now = self.clock.now()
            # One at a time: a claim taken in a batch could expire while it waits its turn.
            claims = self.ledger.claim_due(
                owner=self.options.owner,
                now=now,
                lease=self.options.lease,
                limit=1,
                campaigns=sorted(self.campaigns),
                thread_completion=self.options.thread_completion,
            )
            if not claims:
                break
            for claim in claims:
                if self.stopping.is_set():
                    self.ledger.release(claim, now=self.clock.now())
                    continue
                self._process(claim)
                count += 1
        return count

    # --- timers -----------------------------------------------------------------------------

    def _set_timers(self, timers: tuple[Step, ...], catch_up: tuple[Step, ...]) -> None:
        self.timers.replace_all({_job_id(s.action, s.key): (s.at, self._job(s)) for s in timers})
        if not self.timers.running:
            self.pending_catch_up = catch_up  # driven by hand (tests): run nothing
        elif catch_up:
            keys = [s.key for s in catch_up]
            self.timers.now("catch_up", lambda: self._catch_up(keys))

    def _job(self, step: Step) -> Callable[[], object]:
        key = step.key
        if step.action == "publish":
            return lambda: self.fire(key)
        if step.action == "remind":
            return lambda: self.remind(key, at_due=False)
        if step.action == "not_approved":
            return lambda: self.remind(key, at_due=True)
        return lambda: self._close(step)

    def _schedule_publish(self, key: DraftKey, at: datetime) -> None:
        self.timers.set(_job_id("publish", key), at, lambda: self.fire(key))

    def _schedule_close(self, key: DraftKey, at: datetime) -> None:
        step = Step(at, "missed", key, "its window closed before it was claimed")
        self.timers.set(_job_id("missed", key), at, lambda: self._close(step))

    def run_catch_up(self) -> None:
        """Run the catch-up of the last plan now (what the timer does right after a start)."""
        steps, self.pending_catch_up = self.pending_catch_up, ()
        self._catch_up([s.key for s in steps])

    def _catch_up(self, keys: list[DraftKey]) -> None:
        """After downtime: the due drafts, oldest first (the worker pool claims them so)."""
        if keys:
            self.reporter.event("catch_up", drafts=len(keys))
        if self.dispatcher.running:
            self.dispatcher.due(keys)
            return
        for key in keys:
            if self.stopping.is_set():
                return
            self.fire(key)

    # --- running (the process itself: lifecycle.py) -----------------------------------------

    def request_stop(self) -> None:
        self._stop_requested.set()
