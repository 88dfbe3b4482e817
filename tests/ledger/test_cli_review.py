"""The review workflow from the command line: review, approve, reject, comment, status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.campaign.helpers import write_campaign
from tests.ledger.support import PgSchema, postgres_problem

BO = "bo@example.org"  # reviewer
ADA = "ada@example.org"  # writer, author of "hello"


@pytest.fixture
def campaign(tmp_path: Path, data_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # No identity from the machine unless a test gives one.
    empty = tmp_path / "gitconfig"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return write_campaign(tmp_path / "campaign")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_newcomer_flow_approve_edit_and_see_the_diff(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "review", str(campaign), "--as", BO)
    assert code == 0, err
    assert "ledger: 4 new" in err
    assert "4 drafts awaiting bo@example.org" in out
    assert "Hello from Run Talk Run." in out and "alt: A path through a park at dawn." in out

    code, out, err = run(
        capsys, "approve", str(campaign), "hello", "--account", "masto", "--as", BO
    )
    assert code == 0, err
    assert "test-week/hello@masto: approved, recorded as bo@example.org -> approved" in out

    code, out, _ = run(capsys, "status", str(campaign), "--json")
    rows = {(r["post"], r["account"]): r for r in json.loads(out)["drafts"]}
    assert rows[("hello", "masto")]["state"] == "approved"
    assert rows[("hello", "masto")]["approvals"] == {"count": 1, "required": 1, "by": [BO]}
    assert rows[("hello", "sky")]["next"] == "needs 1 more approval"

    campaign.write_text(campaign.read_text().replace("Hello from", "Hi from"), encoding="utf-8")
    code, out, err = run(capsys, "review", str(campaign), "--as", BO)
    assert code == 0, err
    assert "3 changed (back to review)" in err
    assert "changed since bo@example.org approved it (edited)" in out
    assert "-Hello from Run Talk Run." in out and "+Hi from Run Talk Run." in out

    code, out, _ = run(capsys, "status", str(campaign))
    line = next(x for x in out.splitlines() if x.startswith("hello  masto"))
    assert "draft" in line and "0/1" in line and "needs 1 more approval" in line


def test_every_account_of_a_post_at_once(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "approve", str(campaign), "hello", "--as", BO)
    assert code == 0, err
    assert sorted(x.split(":")[0] for x in out.splitlines()) == [
        "test-week/hello@bird",
        "test-week/hello@masto",
        "test-week/hello@sky",
    ]
    code, out, _ = run(capsys, "approve", str(campaign), "hello", "--as", BO)
    assert code == 0 and out.count("already approved by you") == 3


def test_identity_from_git_config(
    campaign: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "gitconfig-bo"
    config.write_text(f"[user]\n\temail = {BO}\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    code, out, err = run(capsys, "approve", str(campaign), "later")
    assert code == 0, err
    assert "recorded as bo@example.org" in out


def test_no_identity_or_a_stranger_is_refused(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "approve", str(campaign), "later")
    assert code == 1 and "--as EMAIL" in err
    code, _, err = run(capsys, "approve", str(campaign), "later", "--as", "eve@example.org")
    assert code == 1 and "eve@example.org is not on the team of test-week" in err


def test_author_and_non_approvers_are_refused(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "approve", str(campaign), "hello", "--as", ADA)
    assert code == 1 and "wrote this post and cannot approve it" in err
    code, _, err = run(capsys, "approve", str(campaign), "later", "--as", ADA)
    assert code == 1 and "may not approve" in err
    code, out, _ = run(capsys, "status", str(campaign), "--json")
    assert {r["state"] for r in json.loads(out)["drafts"]} == {"draft"}


def test_a_stale_version_is_refused(campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "approve", str(campaign), "later", "--hash", "0123456789", "--as", BO
    )
    assert code == 1 and "changed" in err and "nothing was recorded" in err


def test_reject_needs_a_reason_and_comment_is_recorded(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["reject", str(campaign), "hello", "--as", BO])
    assert exit_info.value.code == 2
    capsys.readouterr()
    reason = "Add the helpline"
    args = ["reject", str(campaign), "hello", "--account", "sky", "--reason", reason, "--as", BO]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "rejected, recorded as bo@example.org -> rejected" in out
    code, out, err = run(capsys, "comment", str(campaign), "hello", "-m", "Will fix", "--as", ADA)
    assert code == 0, err
    assert out.count("commented, recorded as ada@example.org") == 3
    code, out, _ = run(capsys, "review", str(campaign), "--as", ADA)
    assert "returned to you: hello @ sky: Add the helpline" in out


def test_unknown_post_or_account(campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "approve", str(campaign), "nope", "--as", BO)
    assert code == 1 and "no post 'nope'" in err and "hello" in err
    code, _, err = run(capsys, "approve", str(campaign), "later", "--account", "sky", "--as", BO)
    assert code == 1 and "not sent to account 'sky'" in err


def test_status_of_every_campaign_without_a_path(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "status")
    assert code == 0 and "no drafts" in out
    run(capsys, "review", str(campaign), "--as", BO)
    code, out, _ = run(capsys, "status")
    assert code == 0 and out.startswith("campaign test-week") and "later  masto" in out


@pytest.mark.postgres
def test_the_same_flow_on_postgresql_by_url(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = PgSchema()
    try:
        url = schema.url.replace("postgresql+psycopg://", "postgresql://", 1)
        code, out, err = run(capsys, "approve", str(campaign), "later", "--as", BO, "--ledger", url)
        assert code == 0, err
        assert "recorded as bo@example.org -> approved" in out
        code, out, _ = run(capsys, "status", "--json", "--ledger", url)
        assert [r["state"] for r in json.loads(out)["drafts"] if r["post"] == "later"] == [
            "approved"
        ]
    finally:
        schema.drop()


def test_the_ledger_lives_in_the_data_dir_unless_told_otherwise(
    campaign: Path,
    data_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, "status", str(campaign))
    assert (data_home / "data" / "ledger.sqlite3").exists()
    monkeypatch.setenv("SCHEDULER_LEDGER", str(tmp_path / "env.sqlite3"))
    run(capsys, "status", str(campaign))
    assert (tmp_path / "env.sqlite3").exists()
    run(capsys, "status", str(campaign), "--ledger", str(tmp_path / "opt.sqlite3"))
    assert (tmp_path / "opt.sqlite3").exists()


def test_an_unreachable_ledger_is_one_line_without_the_password(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://bo:hunter2@127.0.0.1:1/nowhere"
    code, out, err = run(capsys, "status", "--ledger", url)
    assert code == 1
    assert err.startswith(
        "error: ledger postgresql+psycopg://bo:***@127.0.0.1:1/nowhere unavailable"
    )
    assert "hunter2" not in err + out and "Traceback" not in err


def test_the_readme_walkthrough_on_the_example_campaign(
    data_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from tests.conftest import CAMPAIGNS

    folder = tmp_path / "mhaw-2026"
    shutil.copytree(CAMPAIGNS / "mhaw-2026", folder)
    path, post = str(folder), "d1-story-running"
    code, out, err = run(capsys, "review", path, "--as", "tom@example.org")
    assert code == 0, err
    code, out, err = run(capsys, "approve", path, post, "--as", "tom@example.org")
    assert code == 0, err
    assert out.count("recorded as tom@example.org -> draft; needs 1 more approval") == 3
    code, out, err = run(capsys, "approve", path, post, "--as", "alex@example.org")
    assert code == 0, err
    assert out.count("recorded as alex@example.org -> approved") == 3
    code, _, err = run(capsys, "approve", path, post, "--as", "priya@example.org")
    assert code == 1 and "wrote this post" in err
    header = folder / "campaign.yaml"
    text = header.read_text(encoding="utf-8")
    before = "{{ guest }}, on running,"
    assert before in text
    header.write_text(text.replace(before, "{{ guest }}, on running and recovery,", 1), "utf-8")
    code, out, err = run(capsys, "review", path, "--as", "tom@example.org")
    assert code == 0, err
    assert "3 changed (back to review)" in err
    assert "changed since alex@example.org approved it (edited)" in out
    assert "+Day one of Mental Health Awareness Week. Our first guest, Lou, on running and" in out


def test_approve_shown_approves_exactly_what_review_showed(
    campaign: Path, capsys: pytest.CaptureFixture[str], data_home: Path
) -> None:
    code, out, err = run(capsys, "review", str(campaign), "--as", BO)
    assert code == 0, err
    assert f"scheduler approve {campaign} --shown" in out
    shown = data_home / "data" / "review" / "test-week" / f"{BO}.json"
    assert oct(shown.stat().st_mode & 0o777) == "0o600"
    recorded = json.loads(shown.read_text())["drafts"]
    assert len(recorded) == 4

    # After the review the post "hello" is edited: its new version was never shown.
    campaign.write_text(campaign.read_text().replace("Hello from", "Hi from"), encoding="utf-8")
    code, out, err = run(capsys, "approve", str(campaign), "--shown", "--as", BO)
    assert code == 1 and "could not be approved" in err
    refused = [line for line in out.splitlines() if "NOT approved" in line]
    assert refused and all("hello@" in line for line in refused)
    assert "you reviewed version" in refused[0]
    approved = [line for line in out.splitlines() if ": approved, recorded as" in line]
    assert len(approved) == 4 - len(refused)
    assert not any("hello@" in line for line in approved)

    # A second run: what is left is either already approved or still stale.
    code, out, _ = run(capsys, "approve", str(campaign), "--shown", "--as", BO)
    assert code == 1 and "already approved by you" in out


def test_approve_shown_needs_a_review_and_no_hash(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "approve", str(campaign), "--shown", "--as", BO)
    assert code == 1 and "run `scheduler review PATH` first" in err
    code, _, err = run(capsys, "approve", str(campaign), "--as", BO)
    assert code == 1 and "--shown" in err
    code, _, err = run(capsys, "approve", str(campaign), "--shown", "--hash", "abc123", "--as", BO)
    assert code == 1 and "not both" in err
