"""``scheduler rehearse`` on the command line: the exit codes, the summary, the page and the
documented JSON shape (docs/rehearsal.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.rehearsal.support import make_rig


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clean_week_exits_0_and_writes_the_page(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = make_rig(tmp_path)
    rig.approve()
    page = tmp_path / "report.html"
    code, out, _ = run(
        capsys,
        "rehearse",
        str(rig.path),
        "--start",
        "2027-01-04",
        "--ledger",
        str(rig.ledger_path),
        "--html",
        str(page),
    )
    assert code == 0
    assert "No problems: the week would go out as planned." in out
    assert "Mon 04 Jan 08:30 GMT" in out
    assert f"The report as a page: {page}" in out
    assert "<h1>Rehearsal of Rehearsal test week</h1>" in page.read_text(encoding="utf-8")


def test_problems_exit_1_with_each_cause_and_fix(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = make_rig(tmp_path)
    rig.approve(skip={"monday"})
    code, out, _ = run(
        capsys, "rehearse", str(rig.path), "--start", "2027-01-04", "--ledger", str(rig.ledger_path)
    )
    assert code == 1
    assert "[not approved] post monday on masto has 0 of 1 approvals it needs" in out
    assert "fix: ask the reviewers to approve it" in out
    assert "2 problems to deal with before the week starts." in out
    # Without --html the page goes to the data folder, named by campaign and week.
    assert (data_home / "data" / "rehearsals" / "rehearse-test-2027-01-04.html").is_file()


def test_the_json_shape(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = make_rig(tmp_path, env={})
    rig.approve(skip={"sunday"})
    code, out, _ = run(
        capsys,
        "rehearse",
        str(rig.path),
        "--start",
        "2027-01-04",
        "--ledger",
        str(rig.ledger_path),
        "--html",
        str(tmp_path / "r.html"),
        "--json",
    )
    assert code == 1
    data = json.loads(out)
    assert set(data) == {
        "ok",
        "campaign",
        "title",
        "timezone",
        "original_start",
        "start",
        "end",
        "clean",
        "exit_code",
        "counts",
        "timeline",
        "problems",
        "tokens",
        "page",
    }
    assert (data["start"], data["end"], data["original_start"]) == (
        "2027-01-04",
        "2027-01-10",
        "2026-05-11",
    )
    assert data["ok"] is False and data["clean"] is False and data["exit_code"] == 1
    assert data["counts"] == {
        "drafts": 5,
        "published": 3,
        "late": 0,
        "not_published": 2,
        "problems": 2,
    }
    assert data["timeline"][0] == {
        "post": "monday",
        "account": "masto",
        "platform": "mastodon",
        "due": "2027-01-04T08:30:00Z",
        "local": "2027-01-04T08:30:00+00:00",
        "outcome": "published",
        "parts": 1,
        "published_at": "2027-01-04T08:30:00Z",
        "why": "",
    }
    assert set(data["problems"][0]) == {"kind", "title", "post", "account", "at", "cause", "fix"}
    assert data["problems"][0]["kind"] == "unapproved"
    assert data["tokens"][0] == {
        "account": "masto",
        "platform": "mastodon",
        "expires": "unknown",
        "source": "unknown: the credentials do not say",
    }
    assert data["page"] == str(tmp_path / "r.html")


def test_a_bad_start_date_is_one_line(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = make_rig(tmp_path)
    code, _, err = run(capsys, "rehearse", str(rig.path), "--start", "next week")
    assert code == 1
    assert err.splitlines()[0] == "error: --start 'next week' is not a date"


def test_a_rehearsal_does_not_create_a_ledger(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = make_rig(tmp_path)
    code, _, _ = run(
        capsys, "rehearse", str(rig.path), "--start", "2027-01-04", "--ledger", str(rig.ledger_path)
    )
    assert code == 1
    assert not rig.ledger_path.exists()
