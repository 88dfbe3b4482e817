"""Pause and resume from the command line: recorded, notified, shown on status, refused with
one clear line when they cannot be done."""

from __future__ import annotations

import json
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.campaign.helpers import write_campaign
from tests.notify.test_notify import _url, hook

__all__ = ["hook"]

LEAD = "lead@example.org"


@pytest.fixture
def campaign(
    tmp_path: Path,
    data_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    hook: ThreadingHTTPServer,
) -> Path:
    empty = tmp_path / "gitconfig"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("SCHEDULER_NOTIFY_WEBHOOK", _url(hook, "/hook"))
    return write_campaign(tmp_path / "campaign")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_pause_shows_on_status_and_resume_records_the_choice(
    campaign: Path, capsys: pytest.CaptureFixture[str], hook: ThreadingHTTPServer
) -> None:
    assert run(capsys, "status", str(campaign))[0] == 0
    code, out, err = run(
        capsys, "pause", str(campaign), "--reason", "news of a death", "--as", LEAD
    )
    assert code == 0, err
    assert "paused test-week at " in out and "by lead@example.org: news of a death" in out

    code, out, _ = run(capsys, "status", str(campaign))
    assert out.startswith("PAUSED: campaign test-week since ")
    assert "by lead@example.org: news of a death" in out.splitlines()[0]
    code, out, _ = run(capsys, "status", "--json")
    (paused,) = json.loads(out)["paused"]
    assert paused["scope"] == "test-week" and paused["by"] == LEAD

    code, _, err = run(capsys, "pause", "test-week", "--reason", "again", "--as", LEAD)
    assert code == 1 and "already paused" in err

    # Without a choice: both are shown, nothing changes.
    code, out, err = run(capsys, "resume", str(campaign), "--as", LEAD)
    assert code == 1 and "--missed or --shift" in err
    assert "with --missed:" in out and "with --shift:" in out
    assert "PAUSED" in run(capsys, "status", str(campaign))[1]

    code, out, err = run(capsys, "resume", "test-week", "--missed", "--as", LEAD)
    assert code == 0, err
    assert "resumed test-week by lead@example.org" in out and "missed while paused" in out
    assert "PAUSED" not in run(capsys, "status", str(campaign))[1]
    code, _, err = run(capsys, "resume", "test-week", "--missed", "--as", LEAD)
    assert code == 1 and "not paused" in err

    texts = [r["body"]["text"] for r in hook.received]  # type: ignore[attr-defined]
    assert any("PUBLISHING PAUSED" in t and "news of a death" in t for t in texts)
    assert any("publishing resumed" in t for t in texts)


def test_pause_all_and_a_campaign_named_by_id(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "status", str(campaign))[0] == 0  # the campaign is in the ledger
    code, _, err = run(capsys, "pause", "--reason", "crisis", "--as", LEAD)
    assert code == 1 and "which campaign?" in err
    code, _, err = run(capsys, "pause", "nope", "--reason", "crisis", "--as", LEAD)
    assert code == 1 and "campaigns in the ledger: test-week" in err
    code, _, err = run(capsys, "pause", "--all", "--reason", "crisis")
    assert code == 1 and "--as EMAIL" in err
    assert run(capsys, "pause", "--all", "--reason", "crisis", "--as", LEAD)[0] == 0
    assert "PAUSED: EVERY CAMPAIGN" in run(capsys, "status")[1]
    code, _, err = run(capsys, "resume", "test-week", "--shift", "--as", LEAD)
    assert code == 1 and "resume --all" in err
    code, out, err = run(capsys, "resume", "--all", "--shift", "--as", LEAD)
    assert code == 0, err
    assert "resumed every campaign" in out
