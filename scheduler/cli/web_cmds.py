"""Commands of the review pages: serve and team invite."""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scheduler.cli.common import campaign_paths, settings_from
from scheduler.errors import ConfigError, UsageError

if TYPE_CHECKING:
    import socket

    from scheduler.clock import Clock
    from scheduler.draft import Draft
    from scheduler.ledger import Ledger
    from scheduler.settings import Settings
    from scheduler.web.store import AuthStore
    from scheduler.web.workspace import Workspace


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from scheduler.clock import SystemClock
    from scheduler.destination import is_loopback
    from scheduler.log import EventLog
    from scheduler.media.config import media_settings
    from scheduler.notify import FanOut, notifiers_from_env
    from scheduler.web.app import create_app

    settings = settings_from(args)
    clock = SystemClock()
    ledger, auth = web_stores(settings, clock)
    # Like `run`: a folder of campaign folders serves each of them.
    workspace = web_workspace(campaign_paths(args.paths), ledger, clock)
    workspace.refresh()  # a campaign that does not load stops here, with every problem
    notifiers = notifiers_from_env(settings.env)
    media_host = media_settings(settings.env).host
    app = create_app(
        ledger=ledger,
        workspace=workspace,
        auth=auth,
        clock=clock,
        settings=settings,
        log=EventLog(sys.stderr),
        notifier=FanOut(notifiers) if notifiers else None,
        public_media=media_host == "site",
    )
    # Bound here, before the server starts, so a busy port is one clear line and port 0's
    # choice is known and printed.
    sock = bind(args.host, args.port)
    port = int(sock.getsockname()[1])
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"review pages at http://{shown_host}:{port} (Ctrl-C stops)", file=sys.stderr)
    if not is_loopback(args.host):
        print(
            "note: sign-in works only over https on this address; put an https proxy in "
            "front (it may set X-Forwarded-Proto from 127.0.0.1)",
            file=sys.stderr,
        )
    sys.stderr.flush()
    try:
        # The access log would record sign-in links (their tokens are in the path).
        config = uvicorn.Config(app, access_log=False, log_level="warning", server_header=False)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        ledger.close()
    return 0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or one line saying why not."""
    import socket as sockets

    family = sockets.AF_INET6 if ":" in host else sockets.AF_INET
    try:
        return sockets.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        busy = exc.errno == errno.EADDRINUSE
        raise ConfigError(
            f"cannot serve on {host}:{port}: "
            + ("the port is in use" if busy else str(exc.strerror or exc)),
            hint="choose another --port (0 picks a free one)"
            if busy
            else "check --host: it must be an address of this machine",
        ) from exc


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
    ledger, auth = web_stores(settings, clock)
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


def web_stores(settings: Settings, clock: Clock) -> tuple[Ledger, AuthStore]:
    """The ledger, and the sign-in tables in the same database (the ledger migrates them)."""
    from scheduler.ledger import open_ledger
    from scheduler.web.store import AuthStore

    ledger = open_ledger(settings.ledger, clock=clock)
    return ledger, AuthStore(ledger.engine)


def web_workspace(paths: Sequence[str], ledger: Ledger, clock: Clock) -> Workspace:
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
