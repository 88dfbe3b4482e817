"""A small valid campaign, written to a temporary folder, for tests to start from."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HEADER = """\
id: test-week
title: Test week
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  masto: {platform: mastodon, instance: "https://mastodon.example"}
  sky: {platform: bluesky, handle: test.bsky.social}
  bird: {platform: x, username: testweek}
team:
  - {name: Ada, email: ada@example.org, roles: [writer]}
  - {name: Bo, email: bo@example.org, roles: [reviewer]}
approval: {required: 1, approvers: [reviewer]}
care:
  locale: en-GB
  rules:
    ed-numbers: {level: block, reason: running campaign}
    a11y-emoji-run: {level: "off", reason: test posts use emoji freely}
defaults:
  max_lateness: 90m
hashtags: [MentalHealthAwarenessWeek]
vars: {org: Run Talk Run}
snippets:
  support: "Samaritans: call 116 123, free, day or night"
"""

POSTS = """\
posts:
  - id: hello
    day: 1
    time: "08:30"
    author: ada@example.org
    text: Hello from {{ org }}.
    media: [{file: img/a.png, alt: A path through a park at dawn.}]
  - id: later
    weekday: wednesday
    time: "19:00"
    accounts: [masto]
    latest: 2026-05-13 21:00
    thread:
      - text: One.
      - text: Two.
"""


def png(path: Path, width: int = 8, height: int = 4) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = b"".join(b"\x00" + b"\x10\x80\xc0" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def write_campaign(folder: Path, header: str = HEADER, posts: str = POSTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    png(folder / "img" / "a.png")
    path = folder / "campaign.yaml"
    path.write_text(header + posts, encoding="utf-8")
    return path
