"""Pausing and resuming on the review pages: only for the people ``pause_by`` names, each
behind a confirmation page with a CSRF token, recorded in the ledger, and shown as a banner on
every page of the campaign's team."""

from __future__ import annotations

import re
from datetime import datetime

from scheduler.draft import DraftKey
from tests.web.conftest import Web, hidden_fields

RUI = "rui@example.org"  # reviewer: may approve, so may pause by default
ANA = "ana@example.org"  # writer
BANNER = "Publishing is paused"


def _pause(web: Web, client: object, reason: str = "news of a death") -> object:
    page = client.get("/c/mhaw-test/pause")  # type: ignore[attr-defined]
    assert page.status_code == 200, page.text
    assert "Yes, pause publishing now" in page.text
    fields = hidden_fields(page.text)
    return client.post("/c/mhaw-test/pause", data={**fields, "reason": reason})  # type: ignore[attr-defined]


def test_a_reviewer_pauses_after_confirming_and_every_page_says_so(web: Web) -> None:
    client = web.signed_in(RUI)
    calendar = client.get("/c/mhaw-test")
    assert 'href="/c/mhaw-test/pause"' in calendar.text and BANNER not in calendar.text

    fields = hidden_fields(client.get("/c/mhaw-test/pause").text)
    empty = client.post("/c/mhaw-test/pause", data={**fields, "reason": "  "})
    assert empty.status_code == 400 and web.ledger.paused("mhaw-test") is None
    forged = client.post("/c/mhaw-test/pause", data={"csrf": "x", "reason": "crisis"})
    assert forged.status_code == 403 and web.ledger.paused("mhaw-test") is None

    done = _pause(web, client)
    assert done.status_code == 303  # type: ignore[attr-defined]
    pause = web.ledger.paused("mhaw-test")
    assert pause is not None and pause.actor == RUI and pause.reason == "news of a death"
    for path in ("/", "/c/mhaw-test", "/c/mhaw-test/post/day1-story"):
        page = client.get(path)
        assert BANNER in page.text, path
        assert "by rui@example.org: news of a death" in page.text
        assert "Mon 04 May 09:00 BST" in page.text  # since, in the campaign's zone
    assert 'href="/c/mhaw-test/resume"' in client.get("/c/mhaw-test").text
    assert "Publishing is already paused" in client.get("/c/mhaw-test/pause").text
    stale_tab = client.post("/c/mhaw-test/pause", data={**fields, "reason": "twice"})
    assert stale_tab.status_code == 409 and "already paused" in stale_tab.text

    # Another team's member sees nothing of it.
    olga = web.client()
    page = olga.get(f"/signin/{web.invite('olga@example.org', 'other-campaign')}")
    assert olga.post("/signin", data=hidden_fields(page.text)).status_code == 303
    assert BANNER not in olga.get("/").text and "Another team" in olga.get("/").text


def test_resume_shows_both_choices_and_records_the_one_chosen(web: Web) -> None:
    client = web.signed_in(RUI)
    _pause(web, client)
    web.clock.set(
        datetime.fromisoformat("2026-05-11T20:00:00+00:00")
    )  # a week later: day 1's post is past
    client = web.signed_in(RUI)  # (the first session has expired)
    page = client.get("/c/mhaw-test/resume")
    assert page.status_code == 200
    assert 'value="missed"' in page.text and 'value="shift"' in page.text
    assert "day1-story on masto" in page.text
    fields = hidden_fields(page.text)
    unchosen = client.post("/c/mhaw-test/resume", data=fields)
    assert unchosen.status_code == 400 and web.ledger.paused("mhaw-test") is not None
    done = client.post("/c/mhaw-test/resume", data={**fields, "choice": "missed"})
    assert done.status_code == 303 and web.ledger.paused("mhaw-test") is None
    assert BANNER not in client.get("/c/mhaw-test").text
    history = web.ledger.pause_history("mhaw-test")
    assert [(e.action, e.actor) for e in history] == [("pause", RUI), ("resume", RUI)]
    missed = web.ledger.get(DraftKey("mhaw-test", "day1-story", "masto"))
    assert str(missed.state) == "missed"


def test_only_the_people_pause_by_names_may_pause(web: Web) -> None:
    writer = web.signed_in(ANA)
    assert "/pause" not in writer.get("/c/mhaw-test").text
    assert writer.get("/c/mhaw-test/pause").status_code == 403
    csrf = hidden_fields(writer.get("/c/mhaw-test").text)["csrf"]
    refused = writer.post("/c/mhaw-test/pause", data={"csrf": csrf, "reason": "crisis"})
    assert refused.status_code == 403 and web.ledger.paused("mhaw-test") is None

    web.edit("approval:", "pause_by: [writer]\napproval:")
    assert _pause(web, writer).status_code == 303  # type: ignore[attr-defined]
    reviewer = web.signed_in(RUI)
    assert reviewer.get("/c/mhaw-test/resume").status_code == 403
    assert BANNER in reviewer.get("/c/mhaw-test").text  # but the banner is for everyone


def test_a_pause_of_every_campaign_is_shown_and_sent_to_the_command_line(web: Web) -> None:
    web.ledger.pause("*", actor="ops@example.org", reason="crisis", now=web.clock.now())
    client = web.signed_in(RUI)
    page = client.get("/c/mhaw-test")
    assert "every campaign, including" in page.text and "scheduler resume --all" in page.text
    resume = client.get("/c/mhaw-test/resume")
    assert re.search(r"Every campaign is paused .*scheduler resume --all", resume.text, re.S)
    assert 'value="shift"' not in resume.text


def test_the_team_is_told_who_paused_and_resumed_on_the_pages(tmp_path: object) -> None:
    from pathlib import Path

    from scheduler.notify.base import Notice
    from scheduler.web.app import create_app
    from tests.web.conftest import build_web

    told: list[Notice] = []

    class Collect:
        name = "collect"

        def send(self, notice: Notice) -> None:
            told.append(notice)

    web = build_web(Path(str(tmp_path)))
    web.app = create_app(
        ledger=web.ledger,
        workspace=web.workspace,
        auth=web.auth,
        clock=web.clock,
        notifier=Collect(),
    )
    try:
        client = web.signed_in(RUI)
        assert _pause(web, client).status_code == 303  # type: ignore[attr-defined]
        fields = hidden_fields(client.get("/c/mhaw-test/resume").text)
        assert (
            client.post("/c/mhaw-test/resume", data={**fields, "choice": "shift"}).status_code
            == 303
        )
    finally:
        web.ledger.close()
    assert [(n.kind, n.draft) for n in told] == [("paused", "mhaw-test"), ("resumed", "mhaw-test")]
    assert "rui@example.org: news of a death" in told[0].summary
    assert "moved" in told[1].summary
