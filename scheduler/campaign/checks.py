"""Checks across a campaign's parts: team, approvers and who may pause, snippets, accounts
and variants of each post, duplicate post ids, and each post's time (which it also fills in)."""

from __future__ import annotations

from scheduler.campaign.after import after_problems
from scheduler.campaign.fields import names
from scheduler.campaign.model import CampaignHeader, Content, Post
from scheduler.campaign.problems import Problem, SourceMap, did_you_mean
from scheduler.campaign.schedule import TimeProblem, resolve_post, suggest_zone, zone


def similar_email(email: str, emails: set[str]) -> str | None:
    """A suggestion judged on the part before the @, which is what people mistype."""
    by_local = {e.partition("@")[0]: e for e in emails}
    close = did_you_mean(email.partition("@")[0], by_local)
    if close is None:
        return None
    local = close.removeprefix("did you mean '").removesuffix("'?")
    return f"did you mean {by_local[local]!r}?"


def cross_check(header: CampaignHeader, posts: list[Post], src: SourceMap) -> list[Problem]:
    """Problems between parts of a valid header and valid posts; sets each post's times."""
    problems: list[Problem] = []
    add = problems.append
    try:
        zone(header.timezone)
        tz_ok = True
    except ValueError as exc:
        add(src.header_problem(("timezone",), str(exc), suggest_zone(header.timezone)))
        tz_ok = False

    emails = {m.email for m in header.team}
    roles = {r for m in header.team for r in m.roles}
    seen_emails: dict[str, int] = {}
    for i, m in enumerate(header.team):
        if m.email in seen_emails:
            add(
                src.header_problem(
                    ("team", i, "email"),
                    f"{m.email} is on the team twice",
                    "list each person once, with all their roles",
                )
            )
        seen_emails[m.email] = i
    approvers = header.approval.approvers
    if approvers is not None:
        for j, who in enumerate(approvers):
            if who.lower() not in emails and who not in roles:
                known = sorted(emails | roles)
                add(
                    src.header_problem(
                        ("approval", "approvers", j),
                        f"{who!r} is neither a team member's email nor a team role",
                        did_you_mean(who, known)
                        or ("team: " + ", ".join(known) if known else "add a team"),
                    )
                )
    for j, who in enumerate(header.pause_by or ()):
        if who.lower() not in emails and who not in roles:
            known = sorted(emails | roles)
            add(
                src.header_problem(
                    ("pause_by", j),
                    f"{who!r} is neither a team member's email nor a team role",
                    did_you_mean(who, known)
                    or ("team: " + ", ".join(known) if known else "add a team"),
                )
            )
    eligible = {
        m.email
        for m in header.team
        if approvers is None
        or m.email in {a.lower() for a in approvers}
        or set(m.roles) & set(approvers)
    }
    if header.team and len(eligible) < header.approval.required:
        add(
            src.header_problem(
                ("approval", "required"),
                f"{header.approval.required} approvals are required but only "
                f"{len(eligible)} team member{'s' if len(eligible) != 1 else ''} may approve",
                "lower 'required' or add approvers",
            )
        )
    if header.defaults.footer and header.defaults.footer not in header.snippets:
        add(
            src.header_problem(
                ("defaults", "footer"),
                f"no snippet named {header.defaults.footer!r}",
                did_you_mean(header.defaults.footer, header.snippets)
                or "define it under 'snippets'",
            )
        )

    first_seen: dict[str, int] = {}
    account_names = list(header.accounts)
    for i, post in enumerate(posts):
        if post.id in first_seen:
            path, line, _ = src.post_place(first_seen[post.id])
            add(
                src.post_problem(
                    i,
                    ("id",),
                    f"duplicate post id {post.id!r} (first at {path}:{line})",
                    "post ids must be unique within a campaign; rename one",
                )
            )
        else:
            first_seen[post.id] = i
        for j, name in enumerate(post.accounts or []):
            if name not in header.accounts:
                add(
                    src.post_problem(
                        i,
                        ("accounts", j),
                        f"no account named {name!r}",
                        did_you_mean(name, account_names)
                        or "accounts: " + ", ".join(account_names),
                    )
                )
        targets = post.accounts if post.accounts is not None else account_names
        platforms = {header.accounts[a].platform for a in targets if a in header.accounts}
        for key in post.variants:
            if key in header.accounts:
                if key not in targets:
                    add(
                        src.post_problem(
                            i,
                            ("variants", key),
                            f"variant for account {key!r}, which this post does not use",
                            "add the account to 'accounts' or remove the variant",
                        )
                    )
            elif key in names():
                if key not in platforms:
                    add(
                        src.post_problem(
                            i,
                            ("variants", key),
                            f"variant for {key}, but this post has no {key} account",
                            "remove the variant, or add a " + key + " account",
                        )
                    )
            else:
                add(
                    src.post_problem(
                        i,
                        ("variants", key),
                        f"{key!r} is neither an account name nor a platform",
                        did_you_mean(key, [*account_names, *names()])
                        or "use an account name or one of: " + ", ".join(names()),
                    )
                )
        if post.author is not None and post.author not in emails:
            add(
                src.post_problem(
                    i,
                    ("author",),
                    f"{post.author!r} is not on the campaign team",
                    similar_email(post.author, emails) or "add them under 'team'",
                )
            )
        problems.extend(_check_footers(i, post, header, src))
        if tz_ok:
            try:
                post.local, post.due, post.latest_due = resolve_post(post, header)
            except TimeProblem as exc:
                add(src.post_problem(i, (exc.where,), f"post {post.id!r}: {exc.message}", exc.hint))
    problems.extend(after_problems(posts, src))
    return problems


def _check_footers(i: int, post: Post, header: CampaignHeader, src: SourceMap) -> list[Problem]:
    problems: list[Problem] = []
    contents: list[tuple[tuple[str, ...], Content]] = [((), post)]
    contents += [(("variants", k), v) for k, v in post.variants.items()]
    for loc, content in contents:
        if content.footer and content.footer not in header.snippets:
            problems.append(
                src.post_problem(
                    i,
                    (*loc, "footer"),
                    f"no snippet named {content.footer!r}",
                    did_you_mean(content.footer, header.snippets)
                    or "define it under 'snippets' in the header",
                )
            )
    return problems
