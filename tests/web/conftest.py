"""A real campaign folder, a real SQLite ledger and the review app, for the web tests."""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scheduler.clock import FixedClock

CAMPAIGN = "mhaw-test"

CAMPAIGN_YAML = """\
id: mhaw-test
title: Mental Health Awareness Week (test)
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  masto:
    platform: mastodon
    instance: https://mastodon.example
  bsky:
    platform: bluesky
    handle: mhaw.bsky.social
team:
  - name: Ana Author
    email: ana@example.org
    roles: [writer]
  - name: Rui Reviewer
    email: rui@example.org
    roles: [reviewer]
  - name: Sam Second
    email: sam@example.org
    roles: [reviewer]
approval:
  required: 1
  approvers: [reviewer]
hashtags: [MentalHealthAwarenessWeek]
posts:
  - id: day1-story
    day: 1
    time: "09:00"
    author: ana@example.org
    cw: eating disorders
    thread:
      - text: "Lacing up again, and again: running as part of recovery."
        media:
          - file: images/shoes.png
            alt: A pair of worn blue running shoes by a front door.
      - text: "Find the Run Talk Run community at https://www.runtalkrun.com
          and Beat's helpline on 0808 801 0677"
  - id: day2-support
    day: 2
    time: "12:30"
    text: "Samaritans are there day or night, free: call 116 123. <script>alert(1)</script>"
  - id: day3-mind
    day: 3
    time: "18:00"
    accounts: [masto]
    text: "Mind has information and support: https://www.mind.org.uk"
"""

OTHER_YAML = """\
id: other-campaign
title: Another team's campaign
timezone: America/New_York
week_start: 2026-05-11
accounts:
  masto:
    platform: mastodon
    instance: https://mastodon.example
team:
  - name: Olga Other
    email: olga@example.org
posts:
  - id: hello
    day: 1
    time: "10:00"
    text: "Secret plans of another team"
"""


def png(width: int = 160, height: int = 100, rgb: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    """A small solid-colour PNG, written without image libraries."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)">')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the first form that has them (enough for sign-in pages)."""
    found: dict[str, str] = {}
    for m in _HIDDEN.finditer(html):
        found.setdefault(m["name"], m["value"])
    return found


@dataclass
class Web:
    root: Path
    other_root: Path
    ledger_url: str
    clock: FixedClock
    ledger: Any
    auth: Any
    workspace: Any
    app: Any

    @property
    def campaign_file(self) -> Path:
        return self.root / "campaign.yaml"

    def invite(self, email: str, campaign: str = CAMPAIGN) -> str:
        token, _ = self.auth.create_invite(email, campaign, now=self.clock.now())
        return str(token)

    def client(self, base_url: str = "http://127.0.0.1") -> Any:
        from starlette.testclient import TestClient

        return TestClient(self.app, base_url=base_url, follow_redirects=False)

    def signed_in(self, email: str, *, base_url: str = "http://127.0.0.1") -> Any:
        client = self.client(base_url)
        token = self.invite(email)
        page = client.get(f"/signin/{token}")
        assert page.status_code == 200, page.text
        fields = hidden_fields(page.text)
        done = client.post("/signin", data=fields)
        assert done.status_code == 303, done.text
        return client

    def csrf(self, client: Any) -> str:
        return str(client.get("/api/session").json()["csrf_token"])

    def edit(self, old: str, new: str) -> None:
        text = self.campaign_file.read_text(encoding="utf-8")
        assert old in text
        self.campaign_file.write_text(text.replace(old, new), encoding="utf-8")
        st = self.campaign_file.stat()
        os.utime(self.campaign_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def build_web(tmp_path: Path, ledger_url: str | None = None) -> Web:
    from scheduler.approval import Policy
    from scheduler.campaign import load_campaign
    from scheduler.ledger import open_ledger
    from scheduler.render import render_campaign
    from scheduler.web.app import create_app
    from scheduler.web.store import AuthStore
    from scheduler.web.workspace import Workspace

    root = tmp_path / "campaign"
    (root / "images").mkdir(parents=True)
    (root / "campaign.yaml").write_text(CAMPAIGN_YAML, encoding="utf-8")
    (root / "images" / "shoes.png").write_bytes(png())
    (root / "notes-secret.txt").write_text("not for the web", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "campaign.yaml").write_text(OTHER_YAML, encoding="utf-8")

    clock = FixedClock("2026-05-04T08:00:00+00:00")
    url = ledger_url or f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    ledger = open_ledger(url, clock=clock)
    auth = AuthStore(ledger.engine)

    def sync(campaign: Any, drafts: list[Any]) -> object:
        rule = Policy.from_campaign(campaign).rule()
        return ledger.sync(campaign.id, drafts, now=clock.now(), rule=rule)

    workspace = Workspace(
        paths=[root / "campaign.yaml", other / "campaign.yaml"],
        load=load_campaign,
        render=render_campaign,
        sync=sync,
    )
    workspace.refresh()
    app = create_app(ledger=ledger, workspace=workspace, auth=auth, clock=clock)
    return Web(root, other, url, clock, ledger, auth, workspace, app)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    built = build_web(tmp_path)
    yield built
    built.ledger.close()
