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
import zlib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TextIO

from scheduler.approval import approve
from scheduler.clock import Clock
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

    def __init__(self, files: Any, start: datetime, *, spacing: float = 1.5) -> None:
        self.files = files
        self.start = start
        self.spacing = spacing
        self._slots: dict[str, datetime] = {}

    def changed(self) -> bool:
        return bool(self.files.changed())

    def load(self) -> list[Any]:
        result: list[Any] = []
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

    SHOWN: ClassVar[dict[str, str]] = {
        "publishing": "publishing",
        "part_published": "  posted",
        "published": "published",
        "retry_wait": "will retry",
        "account_paused": "paused",
        "not_approved_soon": "not approved yet",
        "not_approved": "NOT APPROVED",
        "missed": "MISSED",
        "finished_late": "FINISHED LATE",
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
            when = fields.get("next_attempt")
            if isinstance(when, datetime):
                wait = (when - self.clock.now()).total_seconds()
                when = f"{when:%H:%M:%S} UTC, in {max(wait, 0):.1f} s"
            bits.append(f"at {when} ({fields.get('error')})")
        elif name in (
            "missed",
            "failed",
            "finished_late",
            "not_approved",
            "not_approved_soon",
            "outcome_unknown",
        ):
            bits.append(str(fields.get("summary", "")))
        elif name == "published" and fields.get("url"):
            bits.append(str(fields["url"]))
        elapsed = self.clock.monotonic() - self.t0
        self.out.write(f"[{elapsed:5.1f}s] {label:<16} {' '.join(b for b in bits if b)}\n")
        self.out.flush()


def approve_for_demo(ledger: Any, loaded: list[Any], now: datetime) -> int:
    """Sync the demo campaign and approve its drafts as the demo approver, labelled as such.

    The unapproved post is left alone on purpose. Returns the number of approvals.
    """
    count = 0
    for campaign in loaded:
        ledger.sync(campaign.campaign_id, campaign.drafts, now=now, rule=campaign.rule)
        for draft in campaign.drafts:
            if draft.post_id == UNAPPROVED_POST:
                continue
            approve(
                ledger,
                draft.key,
                DEMO_APPROVER,
                draft.content_hash,
                policy=campaign.policy,
                now=now,
                comment=DEMO_COMMENT,
            )
            count += 1
    return count


def rehearsal_spec(spec: Any) -> Any:
    """One account fails once on purpose, to show a retry (a sandbox setting only)."""
    if spec.name != FLAKY_ACCOUNT:
        return spec
    return replace(spec, settings={**spec.settings, "fail_first": "transient", "fail_times": "1"})


def intro(out: TextIO, *, campaign_id: str, folder: Path, outbox: Path) -> None:
    out.write(
        f"DEMO: campaign {campaign_id} written to {folder}\n"
        f"DEMO: posts go to the sandbox outbox {outbox} (nothing is sent to any network)\n"
        f"DEMO: posts are approved automatically as {DEMO_APPROVER} (demo approvals)\n\n"
    )


def summary(report: dict[str, Any], out: TextIO, outbox: Path) -> int:
    """What was published where, and what was not and why; 0 when all went as planned."""
    out.write("\nDEMO: what happened\n")
    published = report["published"]
    for item in published:
        out.write(f"  published  {item['key']}  ({len(item['parts_done'])} part(s))\n")
        for part in item["parts_done"]:
            out.write(f"             {part['url']}\n")
    for group in ("problems", "in_flight", "waiting_to_retry", "upcoming", "closed", "other"):
        for item in report[group]:
            why = item["problem"] or item["state"]
            out.write(f"  {item['state']:<10} {item['key']}  {why}\n")
    expected_unpublished = {
        i["key"]
        for g in ("problems", "closed", "other")
        for i in report[g]
        if UNAPPROVED_POST in i["key"]
    }
    pending = sum(report["counts"][g] for g in ("problems", "in_flight", "waiting_to_retry"))
    pending += sum(report["counts"][g] for g in ("upcoming", "closed", "other"))
    pending -= len(expected_unpublished)
    out.write(
        f"\nDEMO: {len(published)} post(s) published to the sandbox outbox {outbox}; "
        f"the unapproved post was reported and not published.\n"
        f"DEMO: see each post as it would be sent: ls {outbox}\n"
    )
    return 0 if pending == 0 else 1
