"""``accounts connect``: sign an account in from the terminal, then check it."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import webbrowser

from scheduler.cli.common import settings_from
from scheduler.cli.daemon_cmds import account_context, check_account
from scheduler.errors import UsageError


def cmd_accounts_connect(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.connect.flows import Prompts, connect_account
    from scheduler.descriptors import get

    campaign = load_campaign(args.path)
    account = campaign.accounts.get(args.account)
    if account is None:
        known = ", ".join(sorted(campaign.accounts)) or "none"
        raise UsageError(
            f"{args.path}: no account {args.account!r} in the campaign",
            hint=f"its accounts: {known}",
        )
    spec = account.spec(args.account)
    settings = settings_from(args)
    context = account_context(settings, args.request_timeout)
    prompts = Prompts(
        open_browser=_open_browser,
        say=print,
        ask_secret=getpass.getpass,
        timeout=args.timeout,
        port=args.port,
    )
    where = connect_account(spec, get(spec.platform), context, settings.secrets_file, prompts)
    print(f"connected {spec.name}: {where}")
    return 0 if check_account(spec, context)["status"] == "ok" else 1


def _open_browser(url: str) -> None:
    # The address is printed first, so a machine without a browser only loses the shortcut.
    with contextlib.suppress(webbrowser.Error):
        webbrowser.open(url)
