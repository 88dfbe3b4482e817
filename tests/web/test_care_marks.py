"""Care marks: the calendar and the API's list say which drafts a care finding blocks, which
were overridden and which only warn, in words (not colour alone)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from scheduler.care import Finding
from scheduler.draft import DraftKey
from scheduler.web.calendar import build
from scheduler.web.marks import CareMark, care_mark, counts, summary
from tests.web.conftest import Web
from tests.web.drafts import make_draft
from tests.web.test_care import CAPS, _block_capitals, _form

CALENDAR = "/c/mhaw-test"
DRAFTS = "/api/campaigns/mhaw-test/drafts"
LINK_WORDING = "free: call 116 123. Click here to find out more."


def finding(rule: str, severity: str) -> Finding:
    return Finding(rule, severity, "m", "c", "p", "a", "mastodon", "text", part=0)  # type: ignore[arg-type]


MARKS = [
    # findings, overridden rules -> status, blocks, overridden, warnings
    ([], [], "none", (), (), ()),
    ([("care-language", "info")], [], "none", (), (), ()),
    ([("a11y-all-caps", "warn")], [], "warn", (), (), ("a11y-all-caps",)),
    ([("sm-method", "block")], [], "block", ("sm-method",), (), ()),
    ([("sm-method", "block")], ["sm-method"], "overridden", (), ("sm-method",), ()),
    ([("sm-method", "block"), ("ed-numbers", "block")], ["sm-method"], "block", ("ed-numbers",),
     ("sm-method",), ()),
    ([("sm-method", "block"), ("a11y-all-caps", "warn")], ["sm-method"], "overridden", (),
     ("sm-method",), ("a11y-all-caps",)),
    ([("a11y-all-caps", "warn")], ["a11y-all-caps"], "warn", (), (), ("a11y-all-caps",)),
    ([("sm-method", "block"), ("sm-method", "block")], [], "block", ("sm-method",), (), ()),
]  # fmt: skip


@pytest.mark.parametrize(("found", "lifted", "status", "blocks", "overridden", "warns"), MARKS)
def test_a_drafts_mark(
    found: list[tuple[str, str]],
    lifted: list[str],
    status: str,
    blocks: tuple[str, ...],
    overridden: tuple[str, ...],
    warns: tuple[str, ...],
) -> None:
    mark = care_mark([finding(r, s) for r, s in found], lifted)
    assert (mark.status, mark.blocks, mark.overridden, mark.warnings) == (
        status,
        blocks,
        overridden,
        warns,
    )
    assert bool(mark.text) == (status != "none") and bool(mark.detail) == (status != "none")
    for rule in (*blocks, *overridden, *warns):
        assert rule in mark.detail  # a screen reader hears which rule


SUMMARIES = [
    ({}, "Care check: no draft has a care finding."),
    ({"block": 1}, "Care check: 1 draft is blocked by a care finding."),
    (
        {"block": 2, "overridden": 1, "warn": 1200},
        "Care check: 2 drafts are blocked by a care finding, 1 draft has an overridden block "
        "and 1,200 drafts have only care warnings.",
    ),
    ({"overridden": 3}, "Care check: 3 drafts have an overridden block."),
]


@pytest.mark.parametrize(("found", "sentence"), SUMMARIES)
def test_the_summary_sentence(found: dict[str, int], sentence: str) -> None:
    assert summary({**dict.fromkeys(("block", "overridden", "warn", "none"), 0), **found}) == (
        sentence
    )


def test_counts_and_a_posts_overall_mark() -> None:
    blocked = CareMark(blocks=("sm-method",))
    warned = CareMark(warnings=("a11y-all-caps",))
    assert counts([blocked, warned, warned, CareMark()]) == {
        "none": 1,
        "warn": 2,
        "overridden": 0,
        "block": 1,
    }
    due = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    masto, x = make_draft("a", due=due), make_draft("a", "x-main", "x", due=due)
    quiet = make_draft("b", due=due)
    marks = {masto.key: warned, x.key: blocked}
    weeks = build([(masto, "draft"), (x, "draft"), (quiet, "draft")], "Europe/London", marks=marks)
    first, second = weeks[0].days[0].entries
    assert [s.care.status for s in first.slots] == ["warn", "block"]
    assert first.care == "block" and first.care_text == "care: blocked"
    assert second.care == "none" and second.care_text == ""


def _entries(html: str) -> dict[str, tuple[str, list[str]]]:
    """Each post on the calendar: its overall care class and its drafts' mark texts, with
    the words only screen readers get."""
    found: dict[str, tuple[str, list[str]]] = {}
    for chunk in html.split('<li class="entry ')[1:]:
        post = re.search(r'<span class="post-id">([^<]+)</span>', chunk)
        overall = re.match(r"entry-care-(\w+)", chunk)
        assert post and overall
        marks = re.findall(
            r'<span class="care-mark care-mark-(\w+)">([^<]+)<span class="sr">([^<]+)</span>',
            chunk,
        )
        found[post.group(1)] = (overall.group(1), [f"{s}|{t}{d}" for s, t, d in marks])
    return found


def test_the_calendar_marks_block_warning_overridden_and_nothing(web: Web) -> None:
    _block_capitals(web)  # day3-mind: a block finding
    web.edit("free: call 116 123.", LINK_WORDING)  # day2-support: a warning
    rui = web.signed_in("rui@example.org")
    html = rui.get(CALENDAR).text
    assert "Care check: 1 draft is blocked by a care finding and 2 drafts have only care " in html
    entries = _entries(html)
    assert entries["day1-story"] == ("none", [])
    overall, marks = entries["day2-support"]
    assert overall == "warn" and len(marks) == 2
    assert all(m.startswith("warn|care: warning from care finding a11y-link-text") for m in marks)
    assert entries["day3-mind"] == (
        "block",
        [
            "block|care: blocked by care finding a11y-all-caps: it cannot be approved until it "
            "is reworded or someone other than the author overrides it"
        ],
    )
    assert '<span class="sr"> (care: blocked)</span>' in html  # in the post's link too
    assert "What the care marks mean" in html

    csrf, shown = _form(rui.get("/c/mhaw-test/post/day3-mind").text)
    done = rui.post(
        "/c/mhaw-test/post/day3-mind/masto/override",
        data={"csrf": csrf, "content_hash": shown, "rule": "a11y-all-caps", "reason": "Theirs."},
    )
    assert done.status_code == 303
    html = rui.get(CALENDAR).text
    assert "1 draft has an overridden block" in html
    assert _entries(html)["day3-mind"] == (
        "overridden",
        ["overridden|care: overridden: care finding a11y-all-caps was overridden with a reason"],
    )

    # An edit is a new version: the override does not carry over to it.
    web.edit(CAPS, CAPS.replace("PLEASE DO NOT WAIT", "PLEASE DO NOT WAIT NOW"))
    assert _entries(rui.get(CALENDAR).text)["day3-mind"][0] == "block"


def test_the_api_lists_each_drafts_care_mark(web: Web) -> None:
    _block_capitals(web)
    web.edit("free: call 116 123.", LINK_WORDING)
    rui = web.signed_in("rui@example.org")

    def listed() -> dict[tuple[str, str], dict[str, object]]:
        return {(d["post_id"], d["account"]): d["care_mark"] for d in rui.get(DRAFTS).json()}

    marks = listed()
    none = {"status": "none", "blocks": [], "overridden": [], "warnings": []}
    assert marks[("day1-story", "masto")] == marks[("day1-story", "bsky")] == none
    assert marks[("day2-support", "bsky")] == {
        **none,
        "status": "warn",
        "warnings": ["a11y-link-text"],
    }
    assert marks[("day3-mind", "masto")] == {**none, "status": "block", "blocks": ["a11y-all-caps"]}

    api = DRAFTS + "/day3-mind/masto"
    one = rui.get(api).json()
    assert one["care_mark"] == marks[("day3-mind", "masto")]
    body = {"content_hash": one["content_hash"], "rule": "a11y-all-caps", "reason": "Theirs."}
    over = rui.post(api + "/override", json=body, headers={"X-CSRF-Token": web.csrf(rui)})
    assert over.json()["care_mark"]["status"] == "overridden"
    assert listed()[("day3-mind", "masto")] == {
        **none,
        "status": "overridden",
        "overridden": ["a11y-all-caps"],
    }
    assert str(web.ledger.get(DraftKey("mhaw-test", "day3-mind", "masto")).state) == "draft"


def test_the_openapi_document_describes_the_care_mark(web: Web) -> None:
    rui = web.signed_in("rui@example.org")
    doc = rui.get("/api/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["Draft"]["properties"]["care_mark"] == {"$ref": "#/components/schemas/CareMark"}
    mark = schemas["CareMark"]
    assert mark["properties"]["status"]["enum"] == ["block", "overridden", "warn", "none"]
    listed = rui.get(DRAFTS).json()
    assert all(set(d["care_mark"]) == set(mark["required"]) for d in listed)


def test_a_change_of_care_settings_changes_the_marks_at_once(web: Web) -> None:
    """The linter is kept across edits of the posts, but not across its settings."""
    web.edit("Mind has information and support: https://www.mind.org.uk", CAPS)
    rui = web.signed_in("rui@example.org")
    assert _entries(rui.get(CALENDAR).text)["day3-mind"][0] == "warn"
    web.edit(
        "hashtags: [MentalHealthAwarenessWeek]\n",
        "hashtags: [MentalHealthAwarenessWeek]\ncare:\n  rules:\n    a11y-all-caps:\n"
        "      level: block\n      reason: screen readers spell capitals out\n",
    )
    assert _entries(rui.get(CALENDAR).text)["day3-mind"][0] == "block"
    web.edit("level: block\n", 'level: "off"\n')
    assert _entries(rui.get(CALENDAR).text)["day3-mind"][0] == "none"
