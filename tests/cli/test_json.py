"""Every reporting command's --json output has its documented shape, failures included."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from scheduler.cli import main
from scheduler.credentials import env_name
from tests.campaign.helpers import HEADER, POSTS, write_campaign
from tests.cli.shapes import parse, validate
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.platforms.test_cli_accounts import PASSWORD, TOKEN, campaign_at

BO = "bo@example.org"


@pytest.fixture
def campaign(tmp_path: Path, data_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "gitconfig"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return write_campaign(tmp_path / "campaign")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, parse(out), err


def test_check(campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run(capsys, "check", str(campaign), "--json")
    validate("check", doc)
    assert code == 0
    assert doc == {
        "ok": True,
        "campaigns": [
            {
                "path": str(campaign),
                "campaign": "test-week",
                "posts": 2,
                "drafts": 4,
                "accounts": 3,
                "findings": [],
                "notes": [],
                "held": [],
            }
        ],
        "problems": [],
        "counts": {"block": 0, "warn": 0, "info": 0},
    }


def test_check_problems_are_objects_at_their_place(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = POSTS.replace('    time: "08:30"\n', '    time: "8.30"\n')
    path = write_campaign(tmp_path / "c", HEADER, posts)
    code, doc, err = run(capsys, "check", str(path), "--json")
    validate("check", doc)
    assert code == 1
    assert doc["ok"] is False and doc["campaigns"] == []
    assert doc["problems"] == [
        {
            "path": str(path),
            "line": 28,
            "col": 5,
            "where": "posts[0].time",
            "message": "'8.30' is not a time of day",
            "hint": "write it as HH:MM, e.g. 08:30 or 19:00",
        }
    ]
    assert err == ""  # everything is in the document


def test_preview(campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run(capsys, "preview", str(campaign), "--post", "hello", "--json")
    validate("preview", doc)
    assert code == 0
    bird = next(d for d in doc["drafts"] if d["account"] == "bird")
    assert bird["due"] == "2026-05-11T07:30:00Z"
    assert bird["due_local"] == "2026-05-11T08:30:00+01:00"
    assert bird["parts"][0]["count"] == {
        "used": 52,
        "limit": 280,
        "unit": "weighted characters",
        "ok": True,
    }
    assert bird["parts"][0]["media"][0]["alt"] == "A path through a park at dawn."


def test_plan(campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run(capsys, "plan", str(campaign), "--json")
    validate("plan", doc)
    assert code == 0 and [p["post"] for p in doc["posts"]] == ["hello", "later"]


def test_review_then_approve_what_it_showed(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, _ = run(capsys, "review", str(campaign), "--as", BO, "--json")
    validate("review", doc)
    assert code == 0 and len(doc["awaiting"]) == 4
    first = doc["awaiting"][0]
    assert first["approvals"] == {"count": 0, "required": 1, "by": []}
    assert first["approve"].startswith(f"scheduler approve {campaign} ")

    code, doc, _ = run(capsys, "approve", str(campaign), "--shown", "--as", BO, "--json")
    validate("approve", doc)
    assert code == 0 and doc["ok"] is True
    assert {r["outcome"] for r in doc["results"]} == {"approved"}
    assert len(doc["results"]) == 4


def test_approve_one_post(campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = run(capsys, "approve", str(campaign), "hello", "--as", BO, "--json")
    validate("approve", doc)
    assert code == 0
    code, doc, _ = run(capsys, "approve", str(campaign), "hello", "--as", BO, "--json")
    validate("approve", doc)
    assert {r["outcome"] for r in doc["results"]} == {"already_approved"}


def test_approve_refused_keeps_exit_1_and_says_why_in_the_document(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "review", str(campaign), "--as", BO, "--json")
    campaign.write_text(campaign.read_text().replace("Hello from", "Hi from"), encoding="utf-8")
    code, doc, err = run(capsys, "approve", str(campaign), "--shown", "--as", BO, "--json")
    validate("approve", doc)
    validate("error", doc)  # a failed approve is also an error document
    assert code == 1 and doc["ok"] is False
    assert "could not be approved" in doc["error"]["message"]
    outcomes = sorted(r["outcome"] for r in doc["results"])
    assert outcomes == ["approved", "refused", "refused", "refused"]
    assert "could not be approved" in err  # and once for people


def test_a_stale_hash_is_an_error_document(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["approve", str(campaign), "hello", "--hash", "abcdef12", "--as", BO, "--json"]
    code, doc, _ = run(capsys, *argv)
    validate("approve", doc)
    assert code == 1 and doc["error"]["kind"] == "StaleHash"


def test_accounts_check(
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(env_name("mhaw-mastodon", "access_token"), TOKEN)
    monkeypatch.setenv(env_name("mhaw-bluesky", "app_password"), PASSWORD)
    for var in [
        v
        for v in os.environ
        if v.startswith(("SCHEDULER_SECRET_MHAW_X_", "SCHEDULER_SECRET_MHAW_FACEBOOK_"))
    ]:
        monkeypatch.delenv(var)
    with FakeMastodon(token=TOKEN) as mastodon, FakeBluesky(password=PASSWORD) as bluesky:
        path = campaign_at(tmp_path, mastodon.base_url, bluesky)
        argv = ["accounts", "check", str(path), "--timeout", "2", "--json"]
        code, doc, _ = run(capsys, *argv)
    validate("accounts-check", doc)
    assert code == 1
    status = {a["account"]: a["status"] for a in doc["accounts"]}
    assert status == {
        "mhaw-bluesky": "ok",
        "mhaw-facebook": "missing",
        "mhaw-mastodon": "ok",
        "mhaw-x": "missing",
        "mhaw-instagram": "missing",  # no token given here
        "mhaw-blog": "missing",
        "mhaw-linkedin": "missing",
    }
    assert doc["counts"] == {"ok": 2, "problems": 5}
    assert TOKEN not in str(doc) and PASSWORD not in str(doc)


@pytest.mark.parametrize("command", ["preview", "plan", "review", "approve"])
def test_a_broken_campaign_is_an_error_document_with_its_problems(
    command: str, tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = POSTS.replace('    time: "08:30"\n', '    time: "8.30"\n')
    path = write_campaign(tmp_path / "c", HEADER, posts)
    extra = ["hello", "--as", BO] if command == "approve" else ["--as", BO]
    argv = [command, str(path), *(extra if command in ("review", "approve") else []), "--json"]
    code, doc, _ = run(capsys, *argv)
    validate("error", doc)
    assert code == 1
    assert doc["error"]["kind"] == "CampaignError"
    assert [(p["line"], p["where"]) for p in doc["problems"]] == [(28, "posts[0].time")]


def test_a_usage_error_is_an_error_document(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = run(capsys, "preview", str(campaign), "--post", "helo", "--json")
    validate("error", doc)
    assert code == 1
    assert doc == {
        "ok": False,
        "error": {
            "kind": "UsageError",
            "message": f"no post 'helo' in {campaign}",
            "hint": "did you mean 'hello'?",
            "retryable": False,
        },
        "problems": [],
    }
    assert err.startswith("error: no post 'helo'")
