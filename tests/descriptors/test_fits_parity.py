"""What passes ``check`` is never refused by our own code later: every draft of the shipped
campaigns, of a generated week and of campaigns written at the edges of each limit goes
through its platform's publisher's own pre-flight without a complaint.

Preview-only platforms have no publisher to ask; their drafts are skipped on purpose.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bench.bench_campaign import write_week
from scheduler import descriptors
from scheduler.campaign import load_campaign
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.daemon.request import build_request
from scheduler.draft import Draft
from scheduler.errors import CampaignError
from scheduler.platforms import build_publisher
from scheduler.platforms.base import PlatformContext
from scheduler.render import render_campaign
from tests.conftest import CAMPAIGNS
from tests.platforms.harness import DUE

# Every credential field any publisher asks for, so that each can be built offline.
FIELDS = ("access_token", "refresh_token", "client_id", "app_password")

EDGES = """\
id: edges
title: Drafts at the edge of every limit
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  masto: {platform: mastodon, instance: "https://mastodon.example"}
  big-masto: {platform: mastodon, instance: "https://big.example", max_chars: 1000}
  sky: {platform: bluesky, handle: mhaw.bsky.social}
  ex: {platform: x}
  box: {platform: sandbox}
  box-sky: {platform: sandbox, as_platform: bluesky}
posts:
"""


def _post(n: int, body: str) -> str:
    head = f"- id: p{n}\n  day: 1\n  time: '{8 + n // 60:02d}:{n % 60:02d}'\n"
    return textwrap.indent(head + body, "  ")


def write_edges(folder: Path) -> Path:
    """Posts whose parts sit at or one under each limit, with and without a content warning:
    the ones ``check`` refuses drop out, the ones it passes must pass the pre-flight too."""
    posts: list[str] = []
    n = 0
    for size in (250, 270, 280, 295, 300, 460, 470, 480, 490, 500, 960, 970, 990, 1000):
        for cw in ("", "  cw: eating disorders, recovery\n"):
            for thread in (False, True):
                text = ("Walk with us. " * 80)[:size].strip()
                if thread:
                    # A short first part: the content warning goes with the second too.
                    body = f"  thread:\n    - text: First part.\n    - text: {text!r}\n"
                else:
                    body = f"  text: {text!r}\n"
                posts.append(_post(n, body + cw))
                n += 1
    link = "  link: {url: 'https://example.org/walk', title: The walk}\n"
    posts.append(_post(n, "  text: Route and times for Saturday.\n" + link))
    path = folder / "campaign.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(EDGES + "".join(posts), encoding="utf-8")
    return path


def _passing_drafts(path: Path) -> tuple[Path, list[Draft]]:
    """The drafts ``check`` passes: each (post, account) that fails is dropped on its own."""
    campaign = load_campaign(path)
    root = campaign.root
    try:
        return root, render_campaign(campaign)
    except CampaignError:
        pass
    drafts: list[Draft] = []
    posts = list(campaign.posts)
    for post in posts:
        for name in campaign.accounts_of(post):
            campaign.posts = [post.model_copy(update={"accounts": [name]})]
            try:
                drafts.extend(render_campaign(campaign))
            except CampaignError:
                continue
    return root, drafts


def _campaigns(tmp_path: Path) -> list[Path]:
    shipped = sorted(p for p in CAMPAIGNS.iterdir() if p.is_dir())
    return [*shipped, write_week(tmp_path / "week", 70), write_edges(tmp_path / "edges")]


def test_every_draft_check_passes_passes_its_publishers_preflight(tmp_path: Path) -> None:
    checked = 0
    for path in _campaigns(tmp_path):
        root, drafts = _passing_drafts(path)
        campaign = load_campaign(path)
        env = {env_name(name, field): "offline" for name in campaign.accounts for field in FIELDS}
        context = PlatformContext(
            clock=FixedClock(DUE),
            credentials=CredentialStore(env, None),
            state_dir=tmp_path / "state",
            outbox=tmp_path / "outbox",
        )
        publishers = {}
        for draft in drafts:
            account = campaign.accounts[draft.account]
            if descriptors.get(account.platform).preview_only:
                continue
            if draft.account not in publishers:
                publishers[draft.account] = build_publisher(account.spec(draft.account), context)
            request = build_request(draft, root, approved_hash=draft.content_hash)
            publishers[draft.account].preflight(request)  # raises Invalid on a disagreement
            checked += 1
        for publisher in publishers.values():
            publisher.close()
    assert checked > 100


def test_the_edges_include_drafts_check_refuses(tmp_path: Path) -> None:
    """Otherwise the parity test above would not be testing anything at a limit."""
    with pytest.raises(CampaignError):
        render_campaign(load_campaign(write_edges(tmp_path / "edges")))
