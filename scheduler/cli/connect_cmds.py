"""``accounts connect``: sign an account in from the terminal, then check it."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import webbrowser
from dataclasses import replace

from scheduler.cli.accounts_cmds import check_one
from scheduler.cli.common import open_ledger, settings_from
from scheduler.errors import UsageError


def cmd_accounts_connect(args: argparse.Namespace) -> int:
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.connect.flows import Prompts, connect_account
    from scheduler.credentials import CredentialStore
    from scheduler.descriptors import get
    from scheduler.platforms.base import PlatformContext

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
    context = PlatformContext(
        clock=SystemClock(),
        credentials=CredentialStore(settings.env, settings.secrets_file),
        state_dir=settings.data_dir / "state",
        outbox=settings.outbox,
        timeout=args.request_timeout,
        x_api_base=settings.x_api_base,
    )
    prompts = Prompts(
        open_browser=_open_browser,
        say=print,
        ask_secret=getpass.getpass,
        timeout=args.timeout,
        port=args.port,
    )
    where = connect_account(spec, get(spec.platform), context, settings.secrets_file, prompts)
    print(f"connected {spec.name}: {where}")
    # The store read the file before the flow wrote to it (the app's client id): read afresh.
    context = replace(context, credentials=CredentialStore(settings.env, settings.secrets_file))
    # The same check as `accounts check`, host binding included.
    args.json = False
    ledger = open_ledger(settings, context.clock)
    try:
        row = check_one(args, ledger, context, spec.name, spec)
    finally:
        ledger.close()
    return 0 if row["status"] == "ok" else 1


def _open_browser(url: str) -> None:
    # The address is printed first, so a machine without a browser only loses the shortcut.
    with contextlib.suppress(webbrowser.Error):
        webbrowser.open(url)
