"""``scheduler rehearse``: run a campaign's week ahead of time and report what would fail."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from scheduler.cli.common import settings_from
from scheduler.cli.progress import progress
from scheduler.errors import UsageError


def parse_start(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--start {value!r} is not a date", hint="give it as YYYY-MM-DD, e.g. 2027-03-22"
        ) from None


def cmd_rehearse(args: argparse.Namespace) -> int:
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.rehearsal import Setup, rehearse
    from scheduler.rehearsal.page import render_page
    from scheduler.rehearsal.report import write_summary

    start = parse_start(args.start)
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path}: no such campaign file or folder")
    settings = settings_from(args)
    clock = SystemClock()
    real = _real_ledger(settings.ledger, clock)
    try:
        # A bar on a terminal, in simulated hours of the week; nothing beside --json or piped.
        with progress("rehearsing", enabled=not args.json) as bar:
            result = rehearse(
                path,
                Setup(
                    clock=clock,
                    real_ledger=real,
                    credentials=CredentialStore(settings.env, settings.secrets_file),
                    state_dir=settings.data_dir / "state",
                    env=dict(settings.env),
                ),
                start=start,
                progress=bar,
            )
    finally:
        if real is not None:
            real.close()
    page = (
        Path(args.html)
        if args.html
        else (
            settings.data_dir / "rehearsals" / f"{result.campaign}-{result.start.isoformat()}.html"
        )
    )
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render_page(result), encoding="utf-8")
    if args.json:
        json.dump({**result.to_json(), "page": str(page)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_summary(result, sys.stdout, page=str(page))
    return result.exit_code


def _real_ledger(url: str, clock: Any) -> Any:
    """The real ledger, to read approvals and pauses from; None when there is none yet (a
    ledger file that does not exist is not created by a rehearsal)."""
    from scheduler.ledger import open_ledger

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    return open_ledger(url, clock=clock)
