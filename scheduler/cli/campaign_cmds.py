"""Commands over campaign files: check, preview, plan, export-ics and lint."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from scheduler.cli import jsonout
from scheduler.cli.common import (
    campaign_paths,
    care_linter,
    care_problems,
    counter,
    print_care,
    shown_link,
    when,
)
from scheduler.cli.progress import progress
from scheduler.errors import CampaignError, UsageError

if TYPE_CHECKING:
    from scheduler.care import Finding
    from scheduler.draft import Story


def cmd_check(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.campaign.after import notes as after_notes
    from scheduler.care.report import format_text, severity_counts, sort_findings
    from scheduler.cli.accounts_cmds import destination_holds
    from scheduler.cli.common import settings_from
    from scheduler.clock import SystemClock
    from scheduler.render import render_campaign

    paths = campaign_paths(args.paths)
    problems: list[object] = []
    checked: list[dict[str, object]] = []
    all_findings: list[Finding] = []
    # Loading and rendering a campaign is a step; linting is a step per draft, once known.
    with progress("checking", total=len(paths), enabled=not args.json) as bar:
        for path in paths:
            bar.note(path)
            try:
                campaign = load_campaign(path)
                drafts = render_campaign(campaign)
            except CampaignError as exc:
                problems.extend(exc.problems)
                continue
            finally:
                bar.advance()
            settings = care_problems(campaign)
            if settings:
                problems.extend(settings)
                continue
            bar.grow(len(drafts))
            linter = care_linter(campaign)
            findings: list[Finding] = []
            for draft in drafts:
                findings.extend(linter.lint(draft))
                bar.advance()
            all_findings.extend(findings)
            held = destination_holds(settings_from(args), campaign, SystemClock())
            said = after_notes(campaign.posts, campaign.sources)
            checked.append(
                {
                    "path": path,
                    "campaign": campaign.id,
                    "posts": len(campaign.posts),
                    "drafts": len(drafts),
                    "accounts": len(campaign.accounts),
                    "findings": [f.to_json() for f in sort_findings(findings)],
                    "notes": [jsonout.problem(n) for n in said],
                    "held": [
                        {"account": h.account, "reason": h.reason(), "command": h.command(path)}
                        for h in held
                    ],
                }
            )
            if not args.json:
                print(
                    f"{path}: ok: {len(campaign.posts)} posts, {len(drafts)} drafts "
                    f"on {len(campaign.accounts)} accounts"
                )
                for note in said:
                    print(note)
                if findings:
                    print(format_text(findings))
                for h in held:
                    print(f"{path}: HELD: {h.reason()}")
                    print(f"  if that host is right, run `{h.command(path)}`")
    if args.json:
        jsonout.emit(
            {
                "ok": not problems,
                "campaigns": checked,
                "problems": jsonout.problems(problems),
                "counts": severity_counts(all_findings),
            }
        )
        return 1 if problems else 0
    if problems:
        raise CampaignError(problems)
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.campaign.problems import did_you_mean
    from scheduler.render import render_campaign
    from scheduler.render.after import described as waits_described

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
    care = care_linter(campaign)
    if args.json:
        jsonout.emit(
            {
                "campaign": campaign.id,
                "timezone": campaign.timezone,
                "drafts": [
                    jsonout.draft(d, counter(campaign, d), care.lint(d), shown_link(campaign, d))
                    for d in drafts
                ],
            }
        )
        return 0
    for d in drafts:
        count = counter(campaign, d)
        print(f"=== {d.post_id} @ {d.account} ({d.platform}) - {when(d.due, d.timezone)}")
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
        if d.story is not None:
            print_story(d.story)
        for k, part in enumerate(d.parts):
            label = f"part {k + 1}/{len(d.parts)}, " if len(d.parts) > 1 else ""
            print(f"--- {label}{count(k)}")
            print(part.text)
            for m in part.media:
                size = f"{m.width}x{m.height}, " if m.width and m.height else ""
                print(f"    [{m.mime}, {size}{m.size:,} bytes] {m.path}")
                print(f"    alt: {m.alt}")
        link = shown_link(campaign, d)
        if link is not None:
            print(f"    link card: {link.url}" + (f" - {link.title}" if link.title else ""))
        if d.first_comment:
            print(f"--- first comment\n{d.first_comment}")
        for line in waits_described(d):
            print(f"    {line}")
        print(f"    hash {d.content_hash[:19]}  source {d.source}")
        print_care(care.lint(d))
        print()
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.campaign.calendar import plan

    campaign = load_campaign(args.path)
    result = plan(campaign)
    flag_quotas(campaign, result.rows)
    if args.json:
        jsonout.emit(
            {
                "campaign": campaign.id,
                "timezone": campaign.timezone,
                "dst_changes": [jsonout.utc(t) for t in result.dst_changes],
                "posts": [r.as_json() for r in result.rows],
            }
        )
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


def flag_quotas(campaign: Any, rows: list[Any]) -> None:
    """Flag the post where the campaign's own schedule spends more of an account's quota
    than the platform allows (X's posts per day on the account's tier, Bluesky's write
    points...): the daemon spreads such a burst out, so those posts go out later than planned,
    or are missed if their window closes first."""
    from scheduler.platforms.quota import overflows, quotas_for

    by_post = {post.id: post for post in campaign.posts}
    for name, account in campaign.accounts.items():
        quotas = quotas_for(account.text_platform, account.settings)
        if not quotas:
            continue
        planned: list[tuple[Any, int]] = []
        row_at: dict[Any, Any] = {}
        for row in rows:
            if name in row.accounts:
                parts = _parts(by_post[row.post_id], name, account)
                planned.extend((row.utc, index) for index in range(parts))
                row_at.setdefault(row.utc, row)
        for quota in quotas:
            found = overflows(quota, planned)
            if not found:
                continue
            at, spent = found[0]
            unit = "" if quota.cost == 1 else f", {quota.cost} a post"
            more = f" (and {len(found) - 1} times after)" if len(found) > 1 else ""
            hours = quota.per.total_seconds() / 3600
            row_at[at].flags.append(
                f"{name}: {spent} {quota.what} in {hours:g} h up to here{more}; "
                f"{account.text_platform} allows {quota.requests} {quota.name}{unit}: "
                "the daemon holds later posts until the quota allows"
            )


def _parts(post: Any, name: str, account: Any) -> int:
    """How many parts a post has on an account (a variant's text or thread wins)."""
    content = post
    for key in (account.platform, account.text_platform, name):
        variant = post.variants.get(key)
        if variant is not None and {"text", "thread"} & variant.model_fields_set:
            content = variant
    return len(content.thread) if content.thread else 1


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
    for path in campaign_paths(args.paths):
        try:
            campaign = load_campaign(path)
            drafts = render_campaign(campaign)
        except CampaignError as exc:
            problems.extend(exc.problems)
            continue
        findings.extend(care_linter(campaign).lint_all(drafts))
    if problems:
        raise CampaignError(problems)
    print(format_json(findings) if args.json else format_text(findings))
    return 1 if any(f.severity == "block" for f in findings) else 0


def print_story(story: Story) -> None:
    """What a site is sent beside the story's text: its address, terms and HTML body."""
    print(f"    title: {story.title}")
    print(f"    slug: {story.slug}")
    if story.categories:
        print("    categories: " + ", ".join(story.categories))
    if story.tags:
        print("    tags: " + ", ".join(story.tags))
    print("--- the body as the site is sent it (HTML)")
    print(story.html.rstrip())
