"""``scheduler demo``: the real daemon, end to end, on a demo campaign and the sandbox outbox.

It writes a clearly labelled demo campaign into a temporary folder, moves its posts to a few
seconds from now, approves them as the demo's own approver (each approval says it is a demo
approval), and runs the real daemon until every post is settled. Nothing leaves the machine:
every account is a sandbox account whose posts are written, exactly as they would be sent,
as files in the outbox. One post is left unapproved on purpose, to show that it is reported
and never published; one account fails once on purpose, to show a retry.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from scheduler.clock import Clock
from scheduler.daemon.base import DaemonOptions, Loaded, PublisherFor
from scheduler.daemon.report import Reporter
from scheduler.daemon.retry import RetryPolicy
from scheduler.daemon.runner import Daemon
from scheduler.daemon.source import CampaignFiles
from scheduler.daemon.status import build, local_time
from scheduler.log import EventSink

DEMO_APPROVER = "demo-approver@demo.invalid"
DEMO_AUTHOR = "demo-writer@demo.invalid"
DEMO_COMMENT = "DEMO APPROVAL: approved automatically by `scheduler demo`, not by a person"
UNAPPROVED_POST = "day3-left-unapproved"
FLAKY_ACCOUNT = "demo-bluesky"

CAMPAIGN_YAML = """\
# DEMO CAMPAIGN written by `scheduler demo`. Every account is a sandbox account: posts are
# written to the local outbox, never sent to a real network. The demo moves each post's
# time to a few seconds from now and approves the posts itself (labelled demo approvals).
id: {campaign_id}
title: "DEMO - Mental Health Awareness Week (sandbox only)"
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  demo-mastodon: {{platform: sandbox, as_platform: mastodon}}
  demo-bluesky: {{platform: sandbox, as_platform: bluesky}}
  demo-x: {{platform: sandbox, as_platform: x}}
team:
  - {{name: Demo Writer, email: {author}, roles: [writer]}}
  - {{name: Demo Approver (automatic), email: {approver}, roles: [reviewer]}}
approval: {{required: 1, approvers: [reviewer]}}
defaults:
  max_lateness: 10m
hashtags: [MentalHealthAwarenessWeek]
snippets:
  support: "If you are struggling, Samaritans are there day or night: call 116 123 (UK)."
posts:
  - id: day1-welcome
    day: 1
    time: "08:30"
    author: {author}
    text: |
      This week we are sharing stories about living with depression and anxiety.
      Talking helps. {{{{ snippet('support') }}}}
    media:
      - file: img/walk.png
        alt: A simple green and blue picture of a path through a park in the morning.
  - id: day2-thread
    day: 2
    time: "12:00"
    author: {author}
    accounts: [demo-mastodon, demo-bluesky]
    cw: eating disorders
    thread:
      - text: "A guest story about recovery from an eating disorder, in three parts. 1/3"
      - text: "Recovery was not a straight line, and asking for help was the first step. 2/3"
      - text: "Beat's helpline is there for anyone affected. {{{{ snippet('support') }}}} 3/3"
  - id: {unapproved}
    day: 3
    time: "19:00"
    author: {author}
    accounts: [demo-mastodon]
    text: "This post is never approved in the demo, so it is reported and never published."
"""


def _png(path: Path, width: int = 16, height: int = 8) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for y in range(height):
        colour = b"\x30\x90\x50" if y >= height // 2 else b"\x60\xa0\xe0"
        rows.append(b"\x00" + colour * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def write_demo_campaign(folder: Path, campaign_id: str) -> Path:
    """The demo campaign's files in ``folder``; returns the campaign file."""
    folder.mkdir(parents=True, exist_ok=True)
    _png(folder / "img" / "walk.png")
    path = folder / "campaign.yaml"
    path.write_text(
        CAMPAIGN_YAML.format(
            campaign_id=campaign_id,
            author=DEMO_AUTHOR,
            approver=DEMO_APPROVER,
            unapproved=UNAPPROVED_POST,
        ),
        encoding="utf-8",
    )
    (folder / "README-DEMO.txt").write_text(
        "This folder was written by `scheduler demo`. It is a demo campaign: its posts go to\n"
        "the local sandbox outbox only, and its approvals are automatic demo approvals.\n",
        encoding="utf-8",
    )
    return path


class DemoSource:
    """The demo campaign, with its posts moved to a few seconds from the demo's start."""

    def __init__(self, files: CampaignFiles, start: datetime, *, spacing: float = 1.5) -> None:
        self.files = files
        self.start = start
        self.spacing = spacing
        self._slots: dict[str, datetime] = {}

    def changed(self) -> bool:
        return self.files.changed()

    def load(self) -> list[Loaded]:
        result: list[Loaded] = []
        for loaded in self.files.load():
            drafts = []
            for draft in sorted(loaded.drafts, key=lambda d: (d.due, d.post_id, d.account)):
                if draft.post_id not in self._slots:
                    self._slots[draft.post_id] = self.start + timedelta(
                        seconds=2 + self.spacing * len(self._slots)
                    )
                due = self._slots[draft.post_id]
                # The unapproved post's window is short, so the demo ends soon after it.
                window = 4 if draft.post_id == UNAPPROVED_POST else 600
                drafts.append(replace(draft, due=due, latest=due + timedelta(seconds=window)))
            result.append(replace(loaded, drafts=drafts))
        return result


class Progress:
    """Shows the daemon's events as short lines for a person; keeps the full log too."""

    SHOWN = {
        "publishing": "publishing",
        "part_published": "  posted",
        "published": "published",
        "retry_wait": "will retry",
        "account_paused": "paused",
        "not_approved_soon": "not approved yet",
        "not_approved": "NOT APPROVED",
        "missed": "MISSED",
        "failed": "FAILED",
        "outcome_unknown": "OUTCOME UNKNOWN",
        "needs_reconnect": "NEEDS RECONNECTING",
        "reconciled": "reconciled",
    }

    def __init__(self, out: TextIO, full: EventSink, clock: Clock) -> None:
        self.out = out
        self.full = full
        self.clock = clock
        self.t0 = clock.monotonic()

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
        self.full.event(name, level, **fields)
        label = self.SHOWN.get(name)
        if label is None:
            return
        bits = [str(fields.get("key") or fields.get("account") or "")]
        if name == "part_published":
            bits = [f"part {fields.get('part')}", str(fields.get("url", ""))]
        elif name == "retry_wait":
            bits.append(f"at {fields.get('next_attempt')} ({fields.get('error')})")
        elif name in ("missed", "failed", "not_approved", "not_approved_soon", "outcome_unknown"):
            bits.append(str(fields.get("summary", "")))
        elif name == "published" and fields.get("url"):
            bits.append(str(fields["url"]))
        elapsed = self.clock.monotonic() - self.t0
        self.out.write(f"[{elapsed:5.1f}s] {label:<16} {' '.join(b for b in bits if b)}\n")
        self.out.flush()


def run_demo(
    *,
    ledger: Any,
    folder: Path,
    campaign_id: str,
    outbox: Path,
    publisher_factory: Callable[[Callable[[str, str], Any]], PublisherFor],
    clock: Clock,
    full_log: EventSink,
    out: TextIO = sys.stdout,
    time_limit: float = 90.0,
) -> int:
    """Run the demo; returns 0 when every approved post was published."""
    path = write_demo_campaign(folder, campaign_id)
    start = clock.now()
    source = DemoSource(CampaignFiles([path]), start)
    out.write(
        f"DEMO: campaign {campaign_id} written to {folder}\n"
        f"DEMO: posts go to the sandbox outbox {outbox} (nothing is sent to any network)\n"
        f"DEMO: posts are approved automatically as {DEMO_APPROVER} (demo approvals)\n\n"
    )
    loaded = source.load()
    for campaign in loaded:
        ledger.sync(campaign.campaign_id, campaign.drafts, now=start, rule=campaign.rule)
        for draft in campaign.drafts:
            if draft.post_id == UNAPPROVED_POST:
                continue
            ledger.decide(
                draft.key,
                kind="approve",
                actor=DEMO_APPROVER,
                content_hash=draft.content_hash,
                now=start,
                comment=DEMO_COMMENT,
                rule=campaign.rule,
            )
    specs = {name: spec for c in loaded for name, spec in c.accounts.items()}

    def spec_of(campaign: str, account: str) -> Any:
        spec = specs[account]
        if account == FLAKY_ACCOUNT:
            # One rehearsed failure, to show a retry (a sandbox setting, never a real one).
            settings = {**spec.settings, "fail_first": "transient", "fail_times": "1"}
            spec = replace(spec, settings=settings)
        return spec

    progress = Progress(out, full_log, clock)
    options = DaemonOptions(
        sweep_interval=0.5,
        reload_interval=1.0,
        remind_ahead=2.0,
        lease=30.0,
        grace=10.0,
        exit_when_done=True,
        retry=RetryPolicy(base=2.0, factor=2.0, cap=10.0, jitter=0.2),
    )
    reporter = Reporter(progress)
    daemon = Daemon(
        ledger,
        source,
        publisher_factory(spec_of),
        clock=clock,
        options=options,
        reporter=reporter,
    )
    import threading

    timer = threading.Timer(time_limit, daemon.request_stop)
    timer.daemon = True
    timer.start()
    try:
        daemon.run()
    finally:
        timer.cancel()
    return summary(ledger, campaign_id, clock, out, outbox, options.max_lateness)


def summary(
    ledger: Any, campaign_id: str, clock: Clock, out: TextIO, outbox: Path, max_lateness: float
) -> int:
    report = build(ledger.list(campaign=campaign_id), now=clock.now(), max_lateness=max_lateness)
    out.write("\nDEMO: what happened\n")
    published = report["published"]
    for item in published:
        out.write(f"  published  {item['key']}  ({len(item['parts_done'])} part(s))\n")
        for part in item["parts_done"]:
            out.write(f"             {part['url']}\n")
    for group in ("problems", "in_flight", "waiting_to_retry", "upcoming", "other"):
        for item in report[group]:
            why = item["problem"] or item["state"]
            out.write(f"  {item['state']:<10} {item['key']}  {why}\n")
    expected_unpublished = {
        i["key"] for g in ("problems", "other") for i in report[g] if UNAPPROVED_POST in i["key"]
    }
    pending = sum(report["counts"][g] for g in ("problems", "in_flight", "waiting_to_retry"))
    pending += report["counts"]["upcoming"] + report["counts"]["other"]
    pending -= len(expected_unpublished)
    out.write(
        f"\nDEMO: {len(published)} post(s) published to the sandbox outbox {outbox}; "
        f"the unapproved post was reported and not published.\n"
        f"DEMO: see each post as it would be sent: ls {outbox}\n"
        f"DEMO: times shown in the campaign's zone, e.g. {local_time(clock.now(), 'Europe/London')}\n"
    )
    return 0 if pending == 0 else 1
