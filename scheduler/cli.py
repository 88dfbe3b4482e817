"""The command line, and the only composition root: concrete objects are built here.

Exit codes: 0 success; 1 a SchedulerError (printed as one line, plus a hint), or a command
that found problems (``check``, ``lint``); 2 bad usage (argparse); 3 a bug (traceback);
130 interrupted.

Imports of heavy libraries stay inside the command functions so that ``--help``, ``check``,
``preview`` and ``plan`` start fast.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from scheduler import __version__
from scheduler.errors import CampaignError, SchedulerError, UsageError

if TYPE_CHECKING:
    from scheduler.care import Finding, Linter
    from scheduler.clock import Clock
    from scheduler.draft import Draft
    from scheduler.ledger import DraftRecord, Ledger, SyncReport
    from scheduler.settings import Settings
    from scheduler.web.store import AuthStore
    from scheduler.web.workspace import Workspace

Handler = Callable[[argparse.Namespace], int]


# --- error handling -------------------------------------------------------------------------


def _print_error(exc: SchedulerError) -> None:
    if isinstance(exc, CampaignError):
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
        return
    print(f"error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except SchedulerError as exc:
        _print_error(exc)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `scheduler plan | head`: the reader went away; not an error of ours.
        return 0
    except Exception:
        traceback.print_exc()
        print(
            "this is a bug in the scheduler: please report it with the traceback above",
            file=sys.stderr,
        )
        return 3


# --- shared helpers -------------------------------------------------------------------------


def settings_from(args: argparse.Namespace) -> Settings:
    from scheduler.settings import Settings

    return Settings.load(
        ledger=getattr(args, "ledger", None),
        outbox=getattr(args, "outbox", None),
        secrets=getattr(args, "secrets", None),
    )


def not_yet(name: str) -> NoReturn:
    raise UsageError(f"'{name}' is not available in this build")


# --- commands -------------------------------------------------------------------------------
# Each command is a small function: parse nothing, build objects, call the package, print.


def _campaign_paths(paths: Sequence[str]) -> list[str]:
    """Each PATH as given; a folder holding campaign folders (no .yaml of its own) expands
    to those folders, so ``scheduler check campaigns`` checks every campaign."""
    from pathlib import Path

    out: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not any(p.glob("*.yaml")) and not any(p.glob("*.yml")):
            subs = sorted(
                d
                for d in p.iterdir()
                if d.is_dir() and (any(d.glob("*.yaml")) or any(d.glob("*.yml")))
            )
            if subs:
                out.extend(str(d) for d in subs)
                continue
        out.append(raw)
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.render import render_campaign

    problems: list[object] = []
    for path in _campaign_paths(args.paths):
        try:
            campaign = load_campaign(path)
            drafts = render_campaign(campaign)
        except CampaignError as exc:
            problems.extend(exc.problems)
            continue
        print(
            f"{path}: ok: {len(campaign.posts)} posts, {len(drafts)} drafts "
            f"on {len(campaign.accounts)} accounts"
        )
        _show_care(campaign, drafts)
    if problems:
        raise CampaignError(problems)
    return 0


def _when(due: datetime, tz_name: str) -> str:
    from scheduler.campaign.schedule import zone

    local = due.astimezone(zone(tz_name))
    return f"{local:%a %d %b %Y %H:%M %Z} ({due:%H:%M} UTC)"


def cmd_preview(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.campaign.problems import did_you_mean
    from scheduler.render import render_campaign
    from scheduler.text import rules_for

    campaign = load_campaign(args.path)
    drafts = render_campaign(campaign)
    if args.post:
        ids = [p.id for p in campaign.posts]
        if args.post not in ids:
            raise UsageError(
                f"no post {args.post!r} in {args.path}", hint=did_you_mean(args.post, ids)
            )
        drafts = [d for d in drafts if d.post_id == args.post]
    if args.platform:
        names = {d.platform for d in drafts} | {d.account for d in drafts}
        if args.platform not in names:
            raise UsageError(
                f"no drafts for {args.platform!r}",
                hint="platforms and accounts here: " + ", ".join(sorted(names)),
            )
        drafts = [d for d in drafts if args.platform in (d.platform, d.account)]
    care = _care_linter(campaign)
    for d in drafts:
        account = campaign.accounts[d.account]
        rules = rules_for(account.text_platform, account.max_chars)
        print(f"=== {d.post_id} @ {d.account} ({d.platform}) - {_when(d.due, d.timezone)}")
        extras = [f"language {d.language}"] if d.language else []
        if d.visibility:
            extras.append(f"visibility {d.visibility}")
        if d.labels:
            extras.append("labels " + ", ".join(d.labels))
        if d.reply_settings:
            extras.append(f"replies {d.reply_settings}")
        if extras:
            print("    " + "; ".join(extras))
        if d.content_warning:
            print(f"CW: {d.content_warning}")
        for k, part in enumerate(d.parts):
            count = rules.count(part.text, d.content_warning if k == 0 else None)
            label = f"part {k + 1}/{len(d.parts)}, " if len(d.parts) > 1 else ""
            print(f"--- {label}{count}")
            print(part.text)
            for m in part.media:
                size = f"{m.width}x{m.height}, " if m.width and m.height else ""
                print(f"    [{m.mime}, {size}{m.size:,} bytes] {m.path}")
                print(f"    alt: {m.alt}")
        if d.link is not None:
            print(f"    link card: {d.link.url}" + (f" - {d.link.title}" if d.link.title else ""))
        print(f"    hash {d.content_hash[:19]}  source {d.source}")
        _print_care(care.lint(d))
        print()
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    import json

    from scheduler.campaign import load_campaign
    from scheduler.campaign.calendar import plan

    campaign = load_campaign(args.path)
    result = plan(campaign)
    if args.json:
        data = {
            "campaign": campaign.id,
            "timezone": campaign.timezone,
            "dst_changes": [t.isoformat().replace("+00:00", "Z") for t in result.dst_changes],
            "posts": [r.as_json() for r in result.rows],
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"{campaign.title} ({campaign.id}), times in {campaign.timezone} and UTC")
    for t in result.dst_changes:
        print(f"note: the clocks change at {t:%Y-%m-%d %H:%M} UTC during this campaign")
    header = ("day", "local", "UTC", "post", "accounts")
    rows = [
        (
            f"{r.local:%a %d %b}",
            f"{r.local:%H:%M %Z}",
            f"{r.utc:%d %b %H:%M}",
            r.post_id,
            ", ".join(r.accounts),
        )
        for r in result.rows
    ]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=False)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for r, cells in zip(result.rows, rows, strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        for flag in r.flags:
            print(" " * (widths[0] + 2) + f"! {flag}")
    flagged = sum(1 for r in result.rows if r.flags)
    print(f"{len(result.rows)} posts, {flagged} flagged")
    return 0


def cmd_export_ics(args: argparse.Namespace) -> int:
    from pathlib import Path

    from scheduler.campaign import load_campaign
    from scheduler.campaign.calendar import to_ics
    from scheduler.render import render_campaign

    campaign = load_campaign(args.path)
    texts: dict[str, str] = {}
    for d in render_campaign(campaign):
        texts.setdefault(d.post_id, "\n\n".join(p.text for p in d.parts))
    ics = to_ics(campaign, texts)
    if args.output:
        try:
            Path(args.output).write_text(ics, encoding="utf-8", newline="")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
        print(f"wrote {len(campaign.posts)} events to {args.output}")
    else:
        sys.stdout.write(ics)
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.care.report import format_json, format_text
    from scheduler.render import render_campaign

    findings: list[Finding] = []
    problems: list[object] = []
    for path in _campaign_paths(args.paths):
        try:
            campaign = load_campaign(path)
            drafts = render_campaign(campaign)
        except CampaignError as exc:
            problems.extend(exc.problems)
            continue
        findings.extend(_care_linter(campaign).lint_all(drafts))
    if problems:
        raise CampaignError(problems)
    print(format_json(findings) if args.json else format_text(findings))
    return 1 if any(f.severity == "block" for f in findings) else 0


# --- care helpers (check, preview, approve, review and override call these) ------------------


def _care_linter(campaign: object) -> Linter:
    """The care lint under a campaign's care settings (locale, rule levels)."""
    from scheduler.care import CarePolicy, CareSettingsError, Linter

    try:
        return Linter(CarePolicy.from_settings(getattr(campaign, "care", None)))
    except CareSettingsError as exc:
        where = getattr(campaign, "id", "the campaign")
        raise CareSettingsError(f"{where}: {exc.message}", hint=exc.hint) from exc


def _show_care(campaign: object, drafts: Sequence[Draft]) -> None:
    """Care findings for ``check``: every finding with its advice, then a count (nothing
    when there are none)."""
    from scheduler.care.report import format_text

    findings = _care_linter(campaign).lint_all(drafts)
    if findings:
        print(format_text(findings))


def _print_care(findings: Sequence[Finding], indent: str = "    ") -> None:
    """Findings beside one draft (``preview``, ``review``)."""
    from scheduler.care.report import sort_findings

    for finding in sort_findings(findings):
        print(f"{indent}care {finding.severity} {finding.rule} ({finding.location})")
        if finding.excerpt:
            print(f"{indent}  found: {finding.excerpt!r}")
        print(f"{indent}  {finding.message}")


def _care_blocks(flow: _Workflow, record: DraftRecord) -> list[str]:
    """The care rules blocking approval of this draft under the campaign's settings."""
    from scheduler.care import block_rules

    return block_rules(record.draft, _care_linter(flow.campaign))


def _print_care_review(flow: _Workflow, record: DraftRecord, indent: str = "   ") -> None:
    """In review: the draft's care findings, and the overrides recorded for this version."""
    from scheduler.approval import unresolved_care_blocks

    findings = _care_linter(flow.campaign).lint(record.draft)
    _print_care(findings, indent)
    overrides = [
        d
        for d in flow.ledger.approvals(record.key)
        if d.kind == "override" and d.valid and d.content_hash == record.content_hash
    ]
    for d in overrides:
        print(f"{indent}override of {d.rule} by {d.actor}: {d.comment}")
    blocks = sorted({f.rule for f in findings if f.severity == "block"})
    unresolved = unresolved_care_blocks(flow.ledger, record, blocks)
    if unresolved:
        print(f"{indent}cannot be approved until fixed or overridden: {', '.join(unresolved)}")


# --- review and approval (helpers) ----------------------------------------------------------


class _Workflow:
    """A campaign loaded from its files and synced into the ledger, ready for decisions."""

    def __init__(self, args: argparse.Namespace) -> None:
        from scheduler.approval import Policy
        from scheduler.campaign import load_campaign
        from scheduler.clock import SystemClock
        from scheduler.ledger import open_ledger
        from scheduler.render import render_campaign

        self.clock = SystemClock()
        self.campaign = load_campaign(args.path)
        drafts = render_campaign(self.campaign)
        self.policy = Policy.from_campaign(self.campaign)
        self.ledger = open_ledger(settings_from(args).ledger, clock=self.clock)
        report = self.ledger.sync(
            self.campaign.id, drafts, now=self.clock.now(), rule=self.policy.rule()
        )
        _print_sync(report)

    def actor(self, args: argparse.Namespace) -> str:
        email = args.actor or _git_email(self.campaign.root)
        if not email:
            raise UsageError(
                "who is acting? no --as EMAIL given and `git config user.email` is not set",
                hint="pass --as EMAIL (an email on the campaign's team)",
            )
        member = self.policy.require_member(email, self.campaign.id)
        return member.email

    def targets(self, args: argparse.Namespace) -> list[DraftRecord]:
        records = [r for r in self.ledger.list(self.campaign.id) if r.key.post_id == args.post]
        if not records:
            known = sorted({p.id for p in self.campaign.posts})
            raise UsageError(
                f"no post {args.post!r} in campaign {self.campaign.id}",
                hint=f"posts: {', '.join(known[:20])}" if known else None,
            )
        if args.account:
            chosen = [r for r in records if r.key.account == args.account]
            if not chosen:
                accounts = ", ".join(r.key.account for r in records)
                raise UsageError(
                    f"post {args.post!r} is not sent to account {args.account!r}",
                    hint=f"its accounts: {accounts}",
                )
            records = chosen
        return records

    def close(self) -> None:
        self.ledger.close()


def _git_email(folder: object) -> str | None:
    import subprocess

    try:
        found = subprocess.run(
            ["git", "config", "user.email"],
            cwd=str(folder),
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


def _print_sync(report: SyncReport) -> None:
    parts = [
        f"{len(report.created)} new" if report.created else "",
        f"{len(report.changed)} changed (back to review)" if report.changed else "",
        f"{len(report.restored)} back in the files (to review)" if report.restored else "",
        f"{len(report.cancelled)} removed (cancelled)" if report.cancelled else "",
        f"{len(report.requeued)} recounted under a new policy" if report.requeued else "",
    ]
    said = [p for p in parts if p]
    if said:
        print(f"ledger: {', '.join(said)}", file=sys.stderr)
    for key in report.frozen:
        print(
            f"ledger: {key} changed in the files after it started going out; "
            "the ledger keeps the version being published",
            file=sys.stderr,
        )


def _expected_hash(args: argparse.Namespace, record: DraftRecord) -> str:
    """The version the person decides on: --hash (what they reviewed) or the files now."""
    wanted = str(getattr(args, "hash", None) or "")
    if not wanted:
        return record.content_hash
    bare = record.content_hash.split(":", 1)[-1]
    if len(wanted) >= 6 and (bare.startswith(wanted) or record.content_hash == wanted):
        return record.content_hash
    return wanted  # the ledger refuses it as stale, saying what it is now


def _decide_each(
    args: argparse.Namespace,
    verb: str,
    act: Callable[[_Workflow, DraftRecord, str], DraftRecord],
) -> int:
    from scheduler.approval import next_step

    flow = _Workflow(args)
    try:
        actor = flow.actor(args)
        for record in flow.targets(args):
            if verb == "approved" and any(a.actor == actor for a in record.approvals):
                print(f"{record.key}: already approved by you ({actor})")
                continue
            after = act(flow, record, actor)
            step = next_step(after, flow.policy.rule(), flow.clock.now())
            print(f"{after.key}: {verb}, recorded as {actor} -> {after.state.value}; {step}")
    finally:
        flow.close()
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from scheduler.approval import awaiting, counted
    from scheduler.review import diff_since_approval, local_time, preview_lines, short_hash

    flow = _Workflow(args)
    try:
        actor = flow.actor(args)
        records = flow.ledger.list(flow.campaign.id)
        rule = flow.policy.rule()
        mine = awaiting(records, actor, flow.policy)
        print(f"{len(mine)} draft{'s' if len(mine) != 1 else ''} awaiting {actor}")
        for record in mine:
            print()
            print(
                f"== {record.key.post_id} @ {record.key.account} ({record.draft.platform})  "
                f"{local_time(record.due, record.draft.timezone)}  "
                f"approvals {counted(record, rule)}/{rule.required}  "
                f"version {short_hash(record.content_hash)}"
            )
            if record.author:
                print(f"   by {record.author}")
            changed = diff_since_approval(flow.ledger, record)
            if changed is not None:
                previous, diff = changed
                print(f"   changed since {previous.actor} approved it ({previous.void_reason}):")
                for line in diff:
                    print(f"   {line}")
            else:
                for line in preview_lines(record.draft):
                    print(f"   {line}")
            _print_care_review(flow, record)
            print(
                f"   -> scheduler approve {args.path} {record.key.post_id} "
                f"--account {record.key.account} --hash {short_hash(record.content_hash)}"
            )
        returned = [
            r for r in records if r.state.value == "rejected" and (r.author or "").lower() == actor
        ]
        for record in returned:
            reason = next(
                (
                    d.comment
                    for d in reversed(flow.ledger.approvals(record.key))
                    if d.kind == "reject"
                ),
                "",
            )
            print(f"\nreturned to you: {record.key.post_id} @ {record.key.account}: {reason}")
    finally:
        flow.close()
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    from scheduler import approval

    def act(flow: _Workflow, record: DraftRecord, actor: str) -> DraftRecord:
        return approval.approve(
            flow.ledger,
            record.key,
            actor,
            _expected_hash(args, record),
            policy=flow.policy,
            now=flow.clock.now(),
            comment=args.comment,
            care_blocks=_care_blocks(flow, record),
        )

    return _decide_each(args, "approved", act)


def cmd_reject(args: argparse.Namespace) -> int:
    from scheduler import approval

    def act(flow: _Workflow, record: DraftRecord, actor: str) -> DraftRecord:
        return approval.reject(
            flow.ledger,
            record.key,
            actor,
            _expected_hash(args, record),
            reason=args.reason,
            policy=flow.policy,
            now=flow.clock.now(),
        )

    return _decide_each(args, "rejected", act)


def cmd_comment(args: argparse.Namespace) -> int:
    from scheduler import approval

    def act(flow: _Workflow, record: DraftRecord, actor: str) -> DraftRecord:
        return approval.comment(
            flow.ledger,
            record.key,
            actor,
            record.content_hash,
            text=args.text,
            policy=flow.policy,
            now=flow.clock.now(),
        )

    return _decide_each(args, "commented", act)


def cmd_override(args: argparse.Namespace) -> int:
    from scheduler.approval import override

    flow = _Workflow(args)
    try:
        actor = flow.actor(args)
        done = 0
        targets = flow.targets(args)
        for record in targets:
            blocks = _care_blocks(flow, record)
            if args.rule not in blocks:
                print(
                    f"{record.key}: no blocking {args.rule} finding here "
                    f"({', '.join(blocks) or 'no blocking findings'}); nothing recorded"
                )
                continue
            override(
                flow.ledger,
                record.key,
                actor,
                _expected_hash(args, record),
                rule_id=args.rule,
                reason=args.reason,
                policy=flow.policy,
                now=flow.clock.now(),
            )
            done += 1
            print(f"{record.key}: override of {args.rule} recorded as {actor}: {args.reason}")
    finally:
        flow.close()
    if not done:
        raise UsageError(
            f"post {args.post!r} has no blocking {args.rule} finding to override",
            hint="see `scheduler lint PATH` for the findings and their rule ids",
        )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from scheduler.clock import SystemClock
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.status import build, render
    from scheduler.ledger import open_ledger
    from scheduler.review import status_rows, status_table

    clock = SystemClock()
    settings = settings_from(args)
    if args.path:
        flow = _Workflow(args)
        ledger, campaigns = flow.ledger, [flow.campaign.id]
    else:
        ledger = open_ledger(settings.ledger, clock=clock)
        campaigns = ledger.campaigns()
    try:
        rows = []
        records = []
        for campaign in campaigns:
            found = ledger.list(campaign)
            records += found
            rows += status_rows(found, ledger.rule, clock.now())
    finally:
        ledger.close()
    # What the daemon knows: in flight, retries with their next attempt, URLs, problems.
    options = DaemonOptions.from_env(settings.env)
    report = build(records, now=clock.now(), max_lateness=options.max_lateness)
    if args.json:
        print(json.dumps({"drafts": rows, **report}, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no drafts in the ledger yet: run `scheduler review PATH` or `scheduler run PATH`")
        return 0
    for campaign in campaigns:
        mine = [r for r in rows if r["campaign"] == campaign]
        if mine:
            print(f"campaign {campaign}")
            print(status_table(mine))
    print()
    for line in render(report):
        print(line)
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    flow = _Workflow(args)
    try:
        actor = flow.actor(args)
        records = flow.targets(args)
        unknown = [r for r in records if r.state.value == "outcome_unknown"]
        if not unknown:
            states = ", ".join(f"{r.key.account}: {r.state.value}" for r in records)
            raise UsageError(
                f"post {args.post!r} has no draft whose outcome is unknown ({states})",
                hint="`scheduler status` shows every draft's state",
            )
        outcome: Literal["published", "not_published", "give_up"] = (
            "published" if args.published else "not_published" if args.not_published else "give_up"
        )
        for record in unknown:
            key = record.key
            # The evidence first: what was tried, and what the platform said.
            print(f"{key}: outcome unknown")
            print(f"  last error: {record.last_error or '-'}")
            for attempt in flow.ledger.attempts(key):
                print(
                    f"  attempt {attempt.number} by {attempt.owner} at "
                    f"{attempt.started_at.isoformat(timespec='seconds')}: "
                    f"{attempt.outcome or 'no outcome recorded'}"
                    + (f" ({attempt.error_class})" if attempt.error_class else "")
                    + (f": {attempt.platform_message}" if attempt.platform_message else "")
                )
            for part in record.parts_done:
                print(f"  part {part.index + 1} is recorded as published: {part.url}")
            flow.ledger.resolve(
                key, actor=actor, outcome=outcome, url=args.published, now=flow.clock.now()
            )
            after = flow.ledger.get(key)
            note = {
                "published": "recorded as published",
                "not_published": "the daemon will publish it again (it was not out)",
                "give_up": "it will not be published",
            }[outcome]
            print(f"  resolved by {actor}: now {after.state.value}; {note}")
    finally:
        flow.close()
    return 0


def cmd_accounts_check(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.platforms import build_publisher
    from scheduler.platforms.base import PlatformContext

    campaign = load_campaign(args.path)
    settings = settings_from(args)
    context = PlatformContext(
        clock=SystemClock(),
        credentials=CredentialStore(settings.env, settings.secrets_file),
        state_dir=settings.data_dir / "state",
        outbox=settings.outbox,
        timeout=args.timeout,
    )
    problems = 0
    for name, account in sorted(campaign.accounts.items()):
        spec = account.spec(name)
        label = f"{name} ({spec.platform})"
        publisher = None
        try:
            publisher = build_publisher(spec, context)
            info = publisher.verify()
        except SchedulerError as exc:
            problems += 1
            verdict, words = _account_problem(exc)
            print(f"{verdict:<11} {label}: {words}")
            if exc.hint:
                print(f"{'':<11} hint: {exc.hint}")
            continue
        finally:
            if publisher is not None:
                publisher.close()
        who = f"@{info.handle}" if info.handle else info.remote_id
        print(f"{'ok':<11} {label}: {who}" + (f" {info.url}" if info.url else ""))
    total = len(campaign.accounts)
    if problems:
        print(f"{problems} of {total} account{'s' if total != 1 else ''} need attention")
        return 1
    print(f"all {total} account{'s' if total != 1 else ''} ready")
    return 0


def _account_problem(exc: SchedulerError) -> tuple[str, str]:
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


def cmd_run(args: argparse.Namespace) -> int:
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.report import Reporter
    from scheduler.daemon.runner import Daemon
    from scheduler.daemon.source import CampaignFiles
    from scheduler.log import EventLog
    from scheduler.notify import FanOut, notifiers_from_env

    settings = settings_from(args)
    clock = SystemClock()
    log = EventLog(sys.stderr, json_lines=args.log_json, clock=clock)
    source = CampaignFiles(_campaign_paths(args.paths))
    options = DaemonOptions.from_env(settings.env, exit_when_done=args.exit_when_done)
    notifiers = notifiers_from_env(settings.env)
    reporter = Reporter(log, FanOut(notifiers) if notifiers else None)
    credentials = CredentialStore(settings.env, settings.secrets_file)
    ledger = _open_ledger(settings, clock)
    holder: list[Any] = []

    def spec_of(campaign: str, account: str) -> Any:
        return holder[0].campaigns[campaign].accounts[account]

    publisher_for = _publisher_factory(
        settings, clock, credentials, sandbox=args.sandbox, timeout=options.http_timeout
    )(spec_of)
    daemon = Daemon(ledger, source, publisher_for, clock=clock, options=options, reporter=reporter)
    holder.append(daemon)
    try:
        return daemon.run()
    finally:
        ledger.close()


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile
    import threading
    from pathlib import Path

    from scheduler import demo
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.daemon.base import DaemonOptions
    from scheduler.daemon.report import Reporter
    from scheduler.daemon.retry import RetryPolicy
    from scheduler.daemon.runner import Daemon
    from scheduler.daemon.source import CampaignFiles
    from scheduler.daemon.status import build
    from scheduler.log import EventLog
    from scheduler.settings import Settings

    clock = SystemClock()
    folder = Path(tempfile.mkdtemp(prefix="scheduler-demo-"))
    campaign_id = f"demo-{clock.now().strftime('%Y%m%d-%H%M%S')}"
    # The demo's ledger is its own unless one is named, so a demo never mixes with real work.
    settings = Settings.load(
        ledger=args.ledger or str(folder / "demo-ledger.sqlite3"), outbox=args.outbox
    )
    path = demo.write_demo_campaign(folder / "campaign", campaign_id)
    demo.intro(sys.stdout, campaign_id=campaign_id, folder=path.parent, outbox=settings.outbox)
    options = DaemonOptions(
        sweep_interval=0.5,
        reload_interval=1.0,
        remind_ahead=2.0,
        lease=30.0,
        grace=10.0,
        exit_when_done=True,
        retry=RetryPolicy(base=2.0, factor=2.0, cap=10.0, jitter=0.2),
    )
    log_path = folder / "daemon.log"
    ledger = _open_ledger(settings, clock)
    try:
        with open(log_path, "w", encoding="utf-8") as log_file:
            progress = demo.Progress(sys.stdout, EventLog(log_file, clock=clock), clock)
            source = demo.DemoSource(CampaignFiles([path]), clock.now())
            loaded = source.load()
            demo.approve_for_demo(ledger, loaded, clock.now())
            specs = {(c.campaign_id, name): s for c in loaded for name, s in c.accounts.items()}
            publisher_for = _publisher_factory(
                settings, clock, CredentialStore({}, None), sandbox=True
            )(lambda campaign, account: demo.rehearsal_spec(specs[(campaign, account)]))
            daemon = Daemon(
                ledger,
                source,
                publisher_for,
                clock=clock,
                options=options,
                reporter=Reporter(progress),
            )
            # A safety net: the demo never runs for more than a minute and a half.
            timer = threading.Timer(90.0, daemon.request_stop)
            timer.daemon = True
            timer.start()
            try:
                daemon.run()
            finally:
                timer.cancel()
            report = build(
                ledger.list(campaign=campaign_id),
                now=clock.now(),
                max_lateness=options.max_lateness,
            )
    finally:
        ledger.close()
    code = demo.summary(report, sys.stdout, settings.outbox)
    print(f"DEMO: the daemon's full log: {log_path}; its ledger: {redact(settings.ledger)}")
    return code


def redact(url: str) -> str:
    from scheduler.settings import redact_url

    return redact_url(url)


def _open_ledger(settings: Settings, clock: Any) -> Any:
    from scheduler.ledger import open_ledger

    if settings.ledger.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.ledger.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return open_ledger(settings.ledger, clock=clock)


def _publisher_factory(
    settings: Settings, clock: Any, credentials: Any, *, sandbox: bool, timeout: float = 30.0
) -> Callable[[Callable[[str, str], Any]], Callable[[Any], Any]]:
    """A function from ``spec_of(campaign, account)`` to the daemon's ``publisher_for``.

    Each worker thread keeps its own publisher per account (HTTP sessions are not shared
    between threads). With ``sandbox`` every account writes to the outbox instead, keeping
    its real platform's rules (``as_platform``).
    """
    import threading
    from dataclasses import replace

    from scheduler.platforms import build_publisher
    from scheduler.platforms.base import PlatformContext

    context = PlatformContext(
        clock=clock,
        credentials=credentials,
        state_dir=settings.data_dir / "state",
        outbox=settings.outbox,
        timeout=timeout,
    )
    local = threading.local()

    def make(spec_of: Callable[[str, str], Any]) -> Callable[[Any], Any]:
        def publisher_for(draft: Any) -> Any:
            spec = spec_of(draft.campaign, draft.account)
            if sandbox and spec.platform != "sandbox":
                settings_ = {"as_platform": spec.platform}
                spec = replace(spec, platform="sandbox", settings=settings_)
            cache: dict[Any, Any] = getattr(local, "cache", None) or {}
            local.cache = cache
            marker = (spec.name, spec.platform, tuple(sorted(spec.settings.items())))
            if marker not in cache:
                cache[marker] = build_publisher(spec, context)
            return cache[marker]

        return publisher_for

    return make


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from scheduler.clock import SystemClock
    from scheduler.log import EventLog
    from scheduler.web.app import create_app
    from scheduler.web.site import is_loopback

    settings = settings_from(args)
    clock = SystemClock()
    ledger, auth = _web_stores(settings, clock)
    workspace = _web_workspace(args.paths, ledger, clock)
    workspace.refresh()  # a campaign that does not load stops here, with every problem
    app = create_app(
        ledger=ledger,
        workspace=workspace,
        auth=auth,
        clock=clock,
        settings=settings,
        log=EventLog(sys.stderr),
    )
    where = f"http://{args.host}:{args.port}"
    print(f"review pages at {where} (Ctrl-C stops)", file=sys.stderr)
    if not is_loopback(args.host):
        print(
            "note: sign-in works only over https on this address; put an https proxy in "
            "front (it may set X-Forwarded-Proto from 127.0.0.1)",
            file=sys.stderr,
        )
    try:
        # The access log would record sign-in links (their tokens are in the path).
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            access_log=False,
            log_level="warning",
            server_header=False,
        )
    finally:
        ledger.close()
    return 0


def cmd_team_invite(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock

    if args.valid_hours <= 0:
        raise UsageError("--valid-hours must be more than 0")
    settings = settings_from(args)
    clock = SystemClock()
    campaign = load_campaign(args.campaign)
    email = args.email.strip().lower()
    if not any(str(m.email).strip().lower() == email for m in campaign.team):
        raise UsageError(
            f"{args.email} is not on the team of campaign {campaign.id}",
            hint="add them under team: in the campaign file first",
        )
    ledger, auth = _web_stores(settings, clock)
    try:
        token, invite = auth.create_invite(
            email, campaign.id, now=clock.now(), ttl=timedelta(hours=args.valid_hours)
        )
    finally:
        ledger.close()
    print(f"{args.base_url.rstrip('/')}/signin/{token}")
    print(
        f"a one-time sign-in link for {email} to review {campaign.id}; it works once and "
        f"expires {invite.expires_at:%Y-%m-%d %H:%M} UTC. Send it privately.",
        file=sys.stderr,
    )
    return 0


def _web_stores(settings: Settings, clock: Clock) -> tuple[Ledger, AuthStore]:
    """The ledger, and the sign-in tables in the same database (the ledger migrates them)."""
    from scheduler.ledger import open_ledger
    from scheduler.web.store import AuthStore

    ledger = open_ledger(settings.ledger, clock=clock)
    return ledger, AuthStore(ledger.engine)


def _web_workspace(paths: Sequence[str], ledger: Ledger, clock: Clock) -> Workspace:
    from pathlib import Path

    from scheduler.approval import Policy
    from scheduler.campaign import load_campaign
    from scheduler.render import render_campaign
    from scheduler.web.workspace import Workspace

    def sync(campaign: Any, drafts: list[Draft]) -> object:
        rule = Policy.from_campaign(campaign).rule()
        return ledger.sync(campaign.id, drafts, now=clock.now(), rule=rule)

    return Workspace(
        paths=[Path(p) for p in paths], load=load_campaign, render=render_campaign, sync=sync
    )


# --- the parser -----------------------------------------------------------------------------


def _ledger_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ledger",
        metavar="PATH_OR_URL",
        help="SQLite file or database URL (default: $SCHEDULER_LEDGER, else the data directory)",
    )


def _actor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help="who is acting (default: git config user.email); must be on the campaign team",
    )


def _hash_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hash",
        metavar="VERSION",
        help="the version you reviewed (shown by review); refused if the draft changed since",
    )


def _draft_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH", help="campaign file or folder")
    p.add_argument("post", metavar="POST", help="post id")
    p.add_argument("--account", help="one account only (default: every account of the post)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scheduler",
        description="Plan campaign posts as YAML, review the exact drafts, publish them once.",
    )
    parser.add_argument("--version", action="version", version=f"scheduler {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = add("check", cmd_check, "validate campaign files and render every draft")
    p.add_argument("paths", nargs="+", metavar="PATH", help="campaign files or folders")

    p = add("preview", cmd_preview, "show each draft exactly as it would be sent")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--post", help="only this post id")
    p.add_argument("--platform", help="only this platform")

    p = add("plan", cmd_plan, "the campaign week as a calendar, in local time and UTC")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add("export-ics", cmd_export_ics, "write the posts as an ICS calendar")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")

    p = add("lint", cmd_lint, "safe-messaging and accessibility findings for every draft")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add("review", cmd_review, "drafts awaiting your decision, with a diff since approval")
    p.add_argument("path", metavar="PATH")
    _ledger_options(p)
    _actor_option(p)

    p = add("approve", cmd_approve, "approve a post's drafts as they stand now")
    _draft_target(p)
    p.add_argument("--comment", help="a note to keep with the approval")
    _hash_option(p)
    _ledger_options(p)
    _actor_option(p)

    p = add("reject", cmd_reject, "send a post's drafts back with a reason")
    _draft_target(p)
    p.add_argument("--reason", required=True, help="what must change (required)")
    _hash_option(p)
    _ledger_options(p)
    _actor_option(p)

    p = add("comment", cmd_comment, "leave a comment on a post's drafts")
    _draft_target(p)
    p.add_argument("--text", "-m", required=True, help="the comment")
    _ledger_options(p)
    _actor_option(p)

    p = add("override", cmd_override, "record a reasoned override of a blocking care finding")
    _draft_target(p)
    p.add_argument("--rule", required=True, help="the care rule id, e.g. sm-method")
    p.add_argument("--reason", required=True, help="why this wording is right here")
    _ledger_options(p)
    _actor_option(p)

    p = add("status", cmd_status, "each draft's state, approvals, outcome and next step")
    p.add_argument("path", metavar="PATH", nargs="?", help="campaign (default: every campaign)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _ledger_options(p)

    p = add("resolve", cmd_resolve, "settle a draft whose outcome is unknown")
    _draft_target(p)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--published", metavar="URL", help="it did go out, at this address")
    g.add_argument("--not-published", action="store_true", help="it did not go out: retry it")
    g.add_argument("--give-up", action="store_true", help="do not publish it at all")
    _ledger_options(p)
    _actor_option(p)

    accounts = sub.add_parser("accounts", help="account credentials")
    acc_sub = accounts.add_subparsers(title="commands", metavar="COMMAND")
    p = acc_sub.add_parser("check", help="verify every account of a campaign")
    p.set_defaults(handler=cmd_accounts_check)
    p.add_argument("path", metavar="PATH")
    p.add_argument("--secrets", metavar="FILE", help="secrets file (default: $SCHEDULER_SECRETS)")
    p.add_argument(
        "--timeout", type=float, default=15.0, metavar="SECONDS", help="per request (default 15)"
    )

    p = add("run", cmd_run, "the daemon: publish approved drafts at their times")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _ledger_options(p)
    p.add_argument("--outbox", metavar="DIR", help="the sandbox outbox folder")
    p.add_argument("--secrets", metavar="FILE", help="secrets file")
    p.add_argument("--log-json", action="store_true", help="log one JSON object per line")
    p.add_argument("--exit-when-done", action="store_true", help="stop when nothing is left")
    p.add_argument(
        "--sandbox",
        action="store_true",
        help="write every post to the outbox instead of the networks (a rehearsal)",
    )

    p = add("demo", cmd_demo, "run the daemon end to end on a demo campaign, sandbox only")
    _ledger_options(p)
    p.add_argument("--outbox", metavar="DIR", help="the sandbox outbox folder")

    p = add("serve", cmd_serve, "the review web pages for collaborators")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _ledger_options(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    team = sub.add_parser("team", help="review page sign-in")
    team_sub = team.add_subparsers(title="commands", metavar="COMMAND")
    p = team_sub.add_parser("invite", help="print a one-time sign-in link for a team member")
    p.set_defaults(handler=cmd_team_invite)
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--campaign", metavar="PATH", required=True)
    p.add_argument("--base-url", default="http://127.0.0.1:8000")
    p.add_argument(
        "--valid-hours", type=float, default=72, help="how long the link works (default: 72)"
    )
    _ledger_options(p)

    return parser


if __name__ == "__main__":
    raise SystemExit(main())
