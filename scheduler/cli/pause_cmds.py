"""Commands that stop and restart publishing: pause and resume.

A pause must work in a crisis, so it needs no more than the ledger: PATH may be the campaign's
files or, when those are broken or elsewhere, its id as the ledger knows it. The command line
trusts whoever can reach the ledger (as with ``resolve``) and records who they say they are;
the review pages check the campaign's ``pause_by``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.cli.common import open_ledger, settings_from, when
from scheduler.errors import CampaignError, NotifyError, UsageError

if TYPE_CHECKING:
    from scheduler.notify.base import Notice
    from scheduler.pausing import ResumePlan


def _scope(args: argparse.Namespace, ledger: Any) -> tuple[str, Any]:
    """(scope, the loaded campaign or None)."""
    from scheduler.campaign import load_campaign
    from scheduler.ledger import ALL_CAMPAIGNS

    if args.all:
        if args.path:
            raise UsageError("give a campaign PATH or --all, not both")
        return ALL_CAMPAIGNS, None
    if not args.path:
        raise UsageError(
            "which campaign? give its PATH (or its id), or --all for every campaign",
            hint="e.g. scheduler pause campaigns/mhaw-2026 --reason '...'",
        )
    known = ledger.campaigns()
    if Path(args.path).exists():
        try:
            campaign = load_campaign(args.path)
        except CampaignError as exc:
            raise UsageError(
                f"{args.path}: the campaign files have problems ({len(exc.problems)})",
                hint="name the campaign by its id instead"
                + (f" ({', '.join(known)})" if known else "")
                + ", or use --all; `scheduler check PATH` lists the problems",
            ) from exc
        return campaign.id, campaign
    if args.path in known:
        return args.path, None
    raise UsageError(
        f"{args.path!r} is neither a campaign file or folder nor a campaign in the ledger",
        hint=f"campaigns in the ledger: {', '.join(known)}" if known else None,
    )


def _actor(args: argparse.Namespace) -> str:
    from scheduler.cli.workflow import git_email

    email = args.actor or git_email(Path.cwd())
    if not email:
        raise UsageError(
            "who is acting? no --as EMAIL given and `git config user.email` is not set",
            hint="pass --as EMAIL: it is recorded with the pause",
        )
    return str(email).strip().lower()


def _notify(settings: Any, notice: Notice) -> None:
    from scheduler.notify import FanOut, notifiers_from_env

    notifiers = notifiers_from_env(settings.env)
    if not notifiers:
        return
    try:
        FanOut(notifiers).send(notice)
    except NotifyError as exc:
        print(f"warning: the team could not be notified: {exc}", file=sys.stderr)


def cmd_pause(args: argparse.Namespace) -> int:
    from scheduler.clock import SystemClock
    from scheduler.pausing import paused_notice, scope_label

    clock = SystemClock()
    settings = settings_from(args)
    ledger = open_ledger(settings, clock)
    try:
        scope, _ = _scope(args, ledger)
        pause = ledger.pause(scope, actor=_actor(args), reason=args.reason, now=clock.now())
    finally:
        ledger.close()
    print(
        f"paused {scope_label(scope)} at {pause.since.isoformat(timespec='seconds')} "
        f"by {pause.actor}: {pause.reason}"
    )
    print("nothing new is sent (a thread being sent stops after its current part)")
    print(f"resume with: scheduler resume {args.path or '--all'} --missed | --shift")
    _notify(settings, paused_notice(pause))
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from scheduler.clock import SystemClock
    from scheduler.daemon.base import DaemonOptions
    from scheduler.pausing import DEFAULT_MIN_GAP, plan_resume, resume, resumed_notice

    clock = SystemClock()
    settings = settings_from(args)
    lateness = DaemonOptions.from_env(settings.env).max_lateness
    ledger = open_ledger(settings, clock)
    try:
        scope, campaign = _scope(args, ledger)

        def min_gap(campaign_id: str) -> timedelta:
            if campaign is not None and campaign.id == campaign_id:
                gap: timedelta = campaign.defaults.min_gap
                return gap
            return DEFAULT_MIN_GAP

        choice = "missed" if args.missed else "shift" if args.shift else None
        if choice is None:
            _preview(ledger, scope, clock.now(), min_gap, lateness, plan_resume)
            raise UsageError(
                "choose what becomes of the drafts the pause held back: --missed or --shift",
                hint="the two choices are shown above; nothing was changed",
            )
        actor = _actor(args)
        resumed = resume(
            ledger,
            scope,
            actor=actor,
            choice=choice,
            now=clock.now(),
            min_gap=min_gap,
            max_lateness=lateness,
        )
        zones = {r.key: r.draft.timezone for r in _records(ledger, resumed.campaigns)}
    finally:
        ledger.close()
    pause = resumed.pause
    print(
        f"resumed {'every campaign' if pause.everything else pause.scope} by {actor}, "
        f"paused since {pause.since.isoformat(timespec='seconds')} by {pause.actor} "
        f"({pause.reason})"
    )
    _print_plan(resumed.plan, zones)
    _notify(settings, resumed_notice(resumed, actor, clock.now()))
    return 0


def _records(ledger: Any, campaigns: Any) -> list[Any]:
    found: list[Any] = []
    for campaign in campaigns:
        found += ledger.list(campaign)
    return found


def _preview(
    ledger: Any, scope: str, now: Any, min_gap: Any, lateness: float, plan_resume: Any
) -> None:
    pauses = {p.scope: p for p in ledger.pauses()}
    pause = pauses.get(scope)
    if pause is None:
        return  # resume() says why it cannot
    campaigns = ledger.campaigns() if pause.everything else [scope]
    records = _records(ledger, campaigns)
    zones = {r.key: r.draft.timezone for r in records}
    for choice in ("missed", "shift"):
        plan: ResumePlan = plan_resume(
            records,
            since=pause.since,
            now=now,
            choice=choice,
            min_gap=min_gap,
            max_lateness=lateness,
        )
        print(f"with --{choice}:")
        _print_plan(plan, zones, indent="  ")


def _print_plan(plan: ResumePlan, zones: dict[Any, str], indent: str = "") -> None:
    hours = plan.paused_for.total_seconds() / 3600
    if plan.choice == "missed":
        print(f"{indent}{len(plan.missed)} draft(s) missed while paused ({hours:.1f} h):")
        for key, reason in plan.missed:
            print(f"{indent}  {key}: {reason}")
        print(f"{indent}the rest go out at their times")
        return
    print(f"{indent}{len(plan.shifts)} draft(s) moved {hours:.1f} h later:")
    for shift in plan.shifts:
        zone = zones.get(shift.key, "UTC")
        print(f"{indent}  {shift.key}: {when(shift.old_due, zone)} -> {when(shift.due, zone)}")
    for note in plan.notes:
        print(f"{indent}  check: {note}")
