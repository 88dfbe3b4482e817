"""Review pages: how long the pages take for a big week, against the ledger read they need.

A generated week (bench_campaign's generator: 1,000 posts on 3 accounts, 3,000 drafts, a
tenth of the single posts with a care warning and a tenth with a block finding) is served in
process (Starlette's TestClient, no network) over an SQLite ledger. The calendar
is compared with the bare ``ledger.list`` it is built from, in the same run.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_campaign import write_week
from bench.harness import Row, best_of, median_of

AREA = "web"


def _signed_in(app: Any, auth: Any, clock: Any) -> Any:
    from starlette.testclient import TestClient

    token, _ = auth.create_invite("bo@example.org", "bench-week", now=clock.now())
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    page = client.get(f"/signin/{token}").text
    fields = dict(re.findall(r'name="(csrf|token)" value="([^"]*)"', page))
    assert client.post("/signin", data=fields).status_code == 303
    return client


def with_care_findings(path: Path, posts: int) -> Path:
    """A tenth of the single posts get a care warning and a tenth a block finding (the
    campaign raises the link-wording rule to block), so the calendar has marks to show."""
    text = path.read_text(encoding="utf-8").replace(
        "posts:\n",
        "care:\n  rules:\n    a11y-link-text: {level: block, reason: bench}\nposts:\n",
        1,
    )
    for n in range(posts):
        line = f"More at https://example.org/stories/{n} today."
        if n % 10 == 1:
            text = text.replace(line, line + " PLEASE SHARE IT WIDELY", 1)
        elif n % 10 == 2:
            text = text.replace(line, f"Click here for more: https://example.org/stories/{n}", 1)
    path.write_text(text, encoding="utf-8")
    return path


def run(quick: bool) -> list[Row]:
    from starlette.testclient import TestClient

    from scheduler.approval import Policy
    from scheduler.campaign import load_campaign
    from scheduler.clock import FixedClock
    from scheduler.ledger import open_ledger
    from scheduler.render import render_campaign
    from scheduler.web.app import create_app
    from scheduler.web.store import AuthStore
    from scheduler.web.workspace import Workspace

    posts = 100 if quick else 1000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = with_care_findings(write_week(Path(tmp) / "week", posts), posts)
        clock = FixedClock("2026-05-04T08:00:00+00:00")
        ledger = open_ledger(f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}", clock=clock)
        try:

            def sync(campaign: Any, drafts: list[Any]) -> object:
                rule = Policy.from_campaign(campaign).rule()
                return ledger.sync(campaign.id, drafts, now=clock.now(), rule=rule)

            workspace = Workspace(
                paths=[folder], load=load_campaign, render=render_campaign, sync=sync
            )
            workspace.refresh()
            auth = AuthStore(ledger.engine)
            app = create_app(ledger=ledger, workspace=workspace, auth=auth, clock=clock)
            client = _signed_in(app, auth, clock)
            repeat = 3 if quick else 5

            def calendar() -> None:
                assert client.get("/c/bench-week").status_code == 200

            page = best_of(calendar, repeat)
            bare = best_of(lambda: ledger.list(campaign="bench-week"), repeat)
            rows.append(
                Row(
                    AREA,
                    f"calendar page, {posts:,} posts x 3 accounts",
                    page,
                    "s",
                    baseline=bare,
                    baseline_name="ledger.list",
                    goal="<= 1.0 s",
                    ok=page <= 1.0,
                )
            )

            starts: list[float] = []
            firsts: list[float] = []
            for _ in range(repeat):
                # A new server purges sign-ins and lints every campaign as it starts
                # (Starlette's lifespan), so that its first calendar finds them linted.
                again = create_app(ledger=ledger, workspace=workspace, auth=auth, clock=clock)
                t0 = time.perf_counter()
                with TestClient(
                    again, base_url="http://127.0.0.1", cookies=client.cookies
                ) as fresh:
                    t1 = time.perf_counter()
                    assert fresh.get("/c/bench-week").status_code == 200
                    t2 = time.perf_counter()
                starts.append(t1 - t0)
                firsts.append(t2 - t1)
            rows.append(
                Row(
                    AREA,
                    "calendar page, first request after a server start",
                    min(firsts),
                    "s",
                    baseline=bare,
                    baseline_name="ledger.list",
                    goal="<= 1.0 s",
                    ok=min(firsts) <= 1.0,
                )
            )
            rows.append(Row(AREA, "server start (purge, care lint of the week)", min(starts), "s"))

            def api_list() -> None:
                assert client.get("/api/campaigns/bench-week/drafts").status_code == 200

            listed = best_of(api_list, repeat)
            rows.append(
                Row(
                    AREA,
                    f"API list of the {posts * 3:,} drafts",
                    listed,
                    "s",
                    baseline=bare,
                    baseline_name="ledger.list",
                    goal="<= 1.0 s",
                    ok=listed <= 1.0,
                )
            )

            def post_page() -> None:
                assert client.get("/c/bench-week/post/post-5").status_code == 200

            one = median_of(post_page, repeat * 4)
            rows.append(
                Row(
                    AREA,
                    "post page (a thread on 3 accounts)",
                    one,
                    "s",
                    goal="<= 0.1 s",
                    ok=one <= 0.1,
                )
            )

            refresh = median_of(workspace.refresh, repeat * 4)
            rows.append(
                Row(
                    AREA,
                    "per-request check of unchanged campaign files",
                    refresh,
                    "s",
                    goal="<= 0.02 s",
                    ok=refresh <= 0.02,
                )
            )

            csrf = client.get("/api/session").json()["csrf_token"]
            # Every fifth post is a thread written by the reviewer here: they may not approve
            # it; posts with a block finding cannot be approved either.
            numbers = iter(n for n in range(posts) if n % 5 and n % 10 != 2)

            def approve() -> None:
                path = f"/api/campaigns/bench-week/drafts/post-{next(numbers)}/masto"
                current = client.get(path).json()["content_hash"]
                done = client.post(
                    path + "/approve",
                    json={"content_hash": current},
                    headers={"X-CSRF-Token": csrf},
                )
                assert done.status_code == 200, done.text

            decide = median_of(approve, repeat * 4)
            rows.append(
                Row(
                    AREA,
                    "read and approve one draft through the API",
                    decide,
                    "s",
                    goal="<= 0.1 s",
                    ok=decide <= 0.1,
                )
            )

            # Posts the approvals above did not reach, and not threads (they have no story).
            edits = iter(n for n in range(posts - 1, 0, -1) if n % 5)

            def edit() -> None:
                n = next(edits)
                text = folder.read_text(encoding="utf-8")
                folder.write_text(
                    text.replace(f", story {n}: ", f", story {n} (edited): ", 1), encoding="utf-8"
                )

            reloads: list[float] = []
            pages: list[float] = []
            for _ in range(repeat):
                edit()
                t0 = time.perf_counter()
                workspace.refresh()
                reloads.append(time.perf_counter() - t0)
                edit()
                t0 = time.perf_counter()
                assert client.get("/c/bench-week").status_code == 200
                pages.append(time.perf_counter() - t0)
            rows.append(
                Row(
                    AREA,
                    "calendar page, first request after an edit of one post",
                    min(pages),
                    "s",
                    baseline=min(reloads),
                    baseline_name="reload and sync",
                    goal="<= 2.0 s",
                    ok=min(pages) <= 2.0,
                )
            )
        finally:
            ledger.close()
    return rows
