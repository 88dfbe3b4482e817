"""The argument parser: every command, its options and its handler."""

from __future__ import annotations

import argparse
import sys

from scheduler import __version__
from scheduler.cli.accounts_cmds import cmd_accounts_check, cmd_accounts_confirm
from scheduler.cli.campaign_cmds import cmd_check, cmd_export_ics, cmd_lint, cmd_plan, cmd_preview
from scheduler.cli.common import Handler
from scheduler.cli.completion import SHELLS, cmd_completion
from scheduler.cli.daemon_cmds import cmd_demo, cmd_run
from scheduler.cli.pause_cmds import cmd_pause, cmd_resume
from scheduler.cli.rehearse_cmds import cmd_rehearse
from scheduler.cli.review_cmds import (
    cmd_approve,
    cmd_comment,
    cmd_override,
    cmd_reject,
    cmd_resolve,
    cmd_status,
)
from scheduler.cli.review_show import cmd_review
from scheduler.cli.web_cmds import cmd_serve, cmd_team_invite


def ledger_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ledger",
        metavar="PATH_OR_URL",
        help="SQLite file or database URL (default: $SCHEDULER_LEDGER, else the data directory)",
    )


def actor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as",
        dest="actor",
        metavar="EMAIL",
        help="who is acting (default: git config user.email); must be on the campaign team",
    )


def hash_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--hash",
        metavar="VERSION",
        help="the version you reviewed (shown by review); refused if the draft changed since",
    )


def json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--json", action="store_true", help="machine-readable output (shapes in docs/json.md)"
    )


def draft_target(p: argparse.ArgumentParser) -> None:
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

    def group(name: str, help_text: str) -> argparse.ArgumentParser:
        """A command of commands: alone, it prints its own help and exits 2 (bad usage)."""
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=lambda _args: usage_of(p))
        return p

    p = add("check", cmd_check, "validate campaign files and render every draft")
    p.add_argument("paths", nargs="+", metavar="PATH", help="campaign files or folders")
    json_option(p)
    ledger_options(p)

    p = add("preview", cmd_preview, "show each draft exactly as it would be sent")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--post", help="only this post id")
    p.add_argument("--platform", help="only this platform")
    json_option(p)

    p = add("plan", cmd_plan, "the campaign week as a calendar, in local time and UTC")
    p.add_argument("path", metavar="PATH")
    json_option(p)

    p = add("export-ics", cmd_export_ics, "write the posts as an ICS calendar")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")

    p = add("lint", cmd_lint, "safe-messaging and accessibility findings for every draft")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add("review", cmd_review, "drafts awaiting your decision, with a diff since approval")
    p.add_argument("path", metavar="PATH")
    json_option(p)
    ledger_options(p)
    actor_option(p)

    p = add("approve", cmd_approve, "approve a post's drafts as they stand now")
    p.add_argument("path", metavar="PATH", help="campaign file or folder")
    p.add_argument("post", metavar="POST", nargs="?", help="post id (optional with --shown)")
    p.add_argument("--account", help="one account only (default: every account of the post)")
    p.add_argument(
        "--shown",
        action="store_true",
        help="exactly the versions your last `review` showed you (of POST, if given)",
    )
    p.add_argument("--comment", help="a note to keep with the approval")
    json_option(p)
    hash_option(p)
    ledger_options(p)
    actor_option(p)

    p = add("reject", cmd_reject, "send a post's drafts back with a reason")
    draft_target(p)
    p.add_argument("--reason", required=True, help="what must change (required)")
    hash_option(p)
    ledger_options(p)
    actor_option(p)

    p = add("comment", cmd_comment, "leave a comment on a post's drafts")
    draft_target(p)
    p.add_argument("--text", "-m", required=True, help="the comment")
    ledger_options(p)
    actor_option(p)

    p = add("override", cmd_override, "record a reasoned override of a blocking care finding")
    draft_target(p)
    p.add_argument("--rule", required=True, help="the care rule id, e.g. sm-method")
    p.add_argument("--reason", required=True, help="why this wording is right here")
    ledger_options(p)
    actor_option(p)

    p = add("status", cmd_status, "each draft's state, approvals, outcome and next step")
    p.add_argument("path", metavar="PATH", nargs="?", help="campaign (default: every campaign)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    ledger_options(p)

    p = add("resolve", cmd_resolve, "settle a draft whose outcome is unknown")
    draft_target(p)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--published", metavar="URL", help="it did go out, at this address")
    g.add_argument("--not-published", action="store_true", help="it did not go out: retry it")
    g.add_argument("--give-up", action="store_true", help="do not publish it at all")
    ledger_options(p)
    actor_option(p)

    p = add("pause", cmd_pause, "stop publishing a campaign (or every campaign) at once")
    p.add_argument("path", metavar="PATH", nargs="?", help="campaign file, folder or id")
    p.add_argument("--all", action="store_true", help="every campaign in the ledger")
    p.add_argument("--reason", required=True, help="why (recorded and sent to the team)")
    ledger_options(p)
    actor_option(p)

    p = add("resume", cmd_resume, "publish again after a pause; choose what the pause held back")
    p.add_argument("path", metavar="PATH", nargs="?", help="campaign file, folder or id")
    p.add_argument("--all", action="store_true", help="end the pause of every campaign")
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--missed", action="store_true", help="drafts whose window closed meanwhile are missed"
    )
    g.add_argument(
        "--shift", action="store_true", help="move the rest of the schedule by the pause's length"
    )
    ledger_options(p)
    actor_option(p)

    p = add(
        "rehearse", cmd_rehearse, "run the campaign's week ahead of time; report what would fail"
    )
    p.add_argument("path", metavar="PATH", help="campaign file or folder")
    p.add_argument(
        "--start",
        metavar="DATE",
        help="day 1 of the rehearsed week, YYYY-MM-DD (default: the next such weekday)",
    )
    p.add_argument("--html", metavar="FILE", help="where to write the report page")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    ledger_options(p)

    accounts = group("accounts", "account credentials")
    acc_sub = accounts.add_subparsers(title="commands", metavar="COMMAND")
    p = acc_sub.add_parser("check", help="verify every account of a campaign")
    p.set_defaults(handler=cmd_accounts_check)
    p.add_argument("path", metavar="PATH")
    p.add_argument("--secrets", metavar="FILE", help="secrets file (default: $SCHEDULER_SECRETS)")
    p.add_argument(
        "--timeout", type=float, default=15.0, metavar="SECONDS", help="per request (default 15)"
    )
    json_option(p)
    ledger_options(p)

    p = acc_sub.add_parser(
        "confirm", help="let an account's credential go to the host its campaign now names"
    )
    p.set_defaults(handler=cmd_accounts_confirm)
    p.add_argument("path", metavar="PATH")
    p.add_argument("account", metavar="ACCOUNT")
    ledger_options(p)
    p.add_argument("--as", dest="actor", metavar="WHO", help="who confirms (default: git email)")

    p = add("run", cmd_run, "the daemon: publish approved drafts at their times")
    p.add_argument("paths", nargs="+", metavar="PATH")
    ledger_options(p)
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
    ledger_options(p)
    p.add_argument("--outbox", metavar="DIR", help="the sandbox outbox folder")

    p = add("serve", cmd_serve, "the review web pages for collaborators")
    p.add_argument("paths", nargs="+", metavar="PATH")
    ledger_options(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port (printed)")

    team = group("team", "review page sign-in")
    team_sub = team.add_subparsers(title="commands", metavar="COMMAND")
    p = team_sub.add_parser("invite", help="print a one-time sign-in link for a team member")
    p.set_defaults(handler=cmd_team_invite)
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--campaign", metavar="PATH", required=True)
    p.add_argument("--base-url", default="http://127.0.0.1:8000")
    p.add_argument(
        "--valid-hours", type=float, default=72, help="how long the link works (default: 72)"
    )
    ledger_options(p)

    p = add("completion", cmd_completion, "print a shell completion script (bash or zsh)")
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")

    return parser


def usage_of(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2
