"""Care findings on the review page, the approval gate on block findings, and overrides."""

from __future__ import annotations

import re

from scheduler.draft import DraftKey
from tests.web.conftest import Web

POST = "/c/mhaw-test/post/day3-mind"
BASE = POST + "/masto"
KEY = DraftKey("mhaw-test", "day3-mind", "masto")
CAPS = "Mind has information and support, PLEASE DO NOT WAIT: https://www.mind.org.uk"


def _block_capitals(web: Web) -> None:
    """This campaign raises the all-capitals rule (a warning by default) to block."""
    web.edit(
        "hashtags: [MentalHealthAwarenessWeek]\n",
        "hashtags: [MentalHealthAwarenessWeek]\ncare:\n  rules:\n    a11y-all-caps:\n"
        "      level: block\n      reason: screen readers spell capitals out letter by letter\n",
    )
    web.edit("Mind has information and support: https://www.mind.org.uk", CAPS)


def _form(html: str) -> tuple[str, str]:
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    shown = re.search(r'name="content_hash" value="([^"]+)"', html)
    assert csrf and shown
    return csrf.group(1), shown.group(1)


def test_a_block_finding_is_shown_and_gates_approval_until_overridden(web: Web) -> None:
    _block_capitals(web)
    rui = web.signed_in("rui@example.org")
    html = rui.get(POST).text
    assert "Care check" in html and "a11y-all-caps" in html
    assert "/masto/approve" not in html and "/masto/override" in html
    csrf, shown = _form(html)

    refused = rui.post(BASE + "/approve", data={"csrf": csrf, "content_hash": shown})
    assert refused.status_code == 403 and "care" in refused.text
    assert str(web.ledger.get(KEY).state) == "draft"

    no_reason = rui.post(
        BASE + "/override", data={"csrf": csrf, "content_hash": shown, "rule": "a11y-all-caps"}
    )
    assert no_reason.status_code == 400
    wrong_rule = rui.post(
        BASE + "/override",
        data={"csrf": csrf, "content_hash": shown, "rule": "sm-method", "reason": "x"},
    )
    assert wrong_rule.status_code == 403
    done = rui.post(
        BASE + "/override",
        data={
            "csrf": csrf,
            "content_hash": shown,
            "rule": "a11y-all-caps",
            "reason": "The capitals are the charity's own campaign line.",
        },
    )
    assert done.status_code == 303
    page = rui.get(done.headers["location"]).text
    assert "Your override and its reason are recorded." in page
    assert "overrode the care finding" in page and "charity&#39;s own campaign line" in page
    assert "/masto/approve" in page
    approved = rui.post(BASE + "/approve", data={"csrf": csrf, "content_hash": shown})
    assert approved.status_code == 303
    assert str(web.ledger.get(KEY).state) == "approved"


def test_the_api_reports_care_findings_and_takes_overrides(web: Web) -> None:
    _block_capitals(web)
    rui = web.signed_in("rui@example.org")
    csrf = web.csrf(rui)
    draft = rui.get("/api/campaigns/mhaw-test/drafts/day3-mind/masto").json()
    assert draft["care_blocks_unresolved"] == ["a11y-all-caps"]
    assert any(f["rule"] == "a11y-all-caps" for f in draft["care"])
    headers = {"X-CSRF-Token": csrf}
    api = "/api/campaigns/mhaw-test/drafts/day3-mind/masto"
    body = {"content_hash": draft["content_hash"]}
    assert rui.post(api + "/approve", json=body, headers=headers).status_code == 403
    reason = {"rule": "a11y-all-caps", "reason": "The charity's campaign line."}
    over = rui.post(api + "/override", json={**body, **reason}, headers=headers)
    assert over.status_code == 200, over.text
    assert rui.post(api + "/approve", json=body, headers=headers).json()["state"] == "approved"
