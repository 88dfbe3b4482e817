"""Approving a post for all its accounts at once: each account's shown version, bound to its
hash; one changed draft means nothing is recorded and the page comes back with a 409."""

from __future__ import annotations

import re

from scheduler.draft import DraftKey
from tests.web.conftest import Web

POST = "/c/mhaw-test/post/day1-story"


def form(html: str) -> dict[str, object]:
    m = re.search(r'<form method="post" action="[^"]*/approve-all".*?</form>', html, re.S)
    assert m, "no approve-all form"
    block = m.group(0)
    csrf = re.search(r'name="csrf" value="([^"]+)"', block)
    assert csrf
    return {"csrf": csrf[1], "shown": re.findall(r'name="shown" value="([^"]+)"', block)}


def key(account: str) -> DraftKey:
    return DraftKey("mhaw-test", "day1-story", account)


def test_one_press_approves_every_account_as_shown(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    html = rui.get(POST).text
    data = form(html)
    assert sorted(str(s).split("=")[0] for s in data["shown"]) == ["bsky", "masto"]  # type: ignore[attr-defined]
    assert html.index("approve-all") < html.index('id="draft-bsky"')  # the form comes first
    done = rui.post(POST + "/approve-all", data={**data, "comment": "Both read well"})
    assert done.status_code == 303
    for account in ("masto", "bsky"):
        record = web.ledger.get(key(account))
        assert str(record.state) == "approved", account
        assert [(a.actor, a.comment) for a in record.approvals] == [
            ("rui@example.org", "Both read well")
        ]
    after = rui.get(done.headers["location"]).text
    assert "Your approval of every version shown is recorded." in after
    assert "approve-all" not in after  # nothing left to approve


def test_a_changed_draft_means_nothing_is_recorded(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    data = form(rui.get(POST).text)
    web.edit("running as part of recovery.", "running as part of my recovery.")
    refused = rui.post(POST + "/approve-all", data=data)
    assert refused.status_code == 409
    assert "changed after you loaded the page, so none of your approvals were recorded" in (
        refused.text
    )
    assert "running as part of my recovery." in refused.text
    for account in ("masto", "bsky"):
        assert not web.ledger.get(key(account)).approvals, account
    # The page it came back with carries the new versions: approving them works.
    done = rui.post(POST + "/approve-all", data=form(refused.text))
    assert done.status_code == 303
    assert str(web.ledger.get(key("masto")).state) == "approved"


def test_the_author_sees_no_approve_all_and_cannot_post_one(web: Web) -> None:
    ana = web.signed_in("ana@example.org")  # the author of day1-story
    html = ana.get(POST).text
    assert "approve-all" not in html
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    assert csrf
    shown = f"masto={web.ledger.get(key('masto')).content_hash}"
    refused = ana.post(POST + "/approve-all", data={"csrf": csrf[1], "shown": shown})
    assert refused.status_code == 403 and not web.ledger.get(key("masto")).approvals
    empty = ana.post(POST + "/approve-all", data={"csrf": csrf[1]})
    assert empty.status_code == 400
