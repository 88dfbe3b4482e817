"""The care lint from the command line: lint, check, preview, and the approval gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.campaign.helpers import HEADER, write_campaign

BO = "bo@example.org"  # reviewer
ADA = "ada@example.org"  # writer, author of the post

RISKY = """\
posts:
  - id: talk
    day: 1
    time: "08:30"
    author: ada@example.org
    accounts: [bird]
    text: Let's talk about suicide this week.
  - id: run
    day: 2
    time: "08:30"
    accounts: [bird]
    text: Earn your pizza with our 5k tonight!
"""


@pytest.fixture
def campaign(tmp_path: Path, data_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "gitconfig"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return write_campaign(tmp_path / "campaign", posts=RISKY)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lint_lists_findings_and_fails_on_a_block(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "lint", str(campaign))
    assert code == 1
    assert "block sm-no-support [talk @bird (x), part 1]" in out
    assert "Samaritans: call 116 123" in out  # the suggestion for en-GB
    assert "warn ed-diet-talk" in out and "found: 'Earn your pizza'" in out
    assert out.rstrip().endswith("care: 1 block, 1 warn in 2 drafts")

    code, out, _ = run(capsys, "lint", str(campaign), "--json")
    data = json.loads(out)
    assert code == 1 and data["counts"] == {"block": 1, "warn": 1, "info": 0}
    first = data["findings"][0]
    assert (first["rule"], first["post"], first["excerpt"]) == ("sm-no-support", "talk", "suicide")


def test_the_same_finding_on_several_accounts_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = """\
posts:
  - id: everywhere
    day: 1
    time: "08:30"
    accounts: [bird, sky, masto]
    cw: food mention
    text: Earn your pizza with our 5k tonight!
"""
    path = write_campaign(tmp_path / "c", posts=posts)
    code, out, _ = run(capsys, "lint", str(path))
    assert code == 0, out
    # said once, though on X and Bluesky the text starts after "CW: food mention"
    assert out.count("warn ed-diet-talk") == 1
    assert "[everywhere @bird (x), @sky (bluesky), @masto (mastodon), part 1]" in out
    assert out.rstrip().endswith(
        "care: 3 warn in 3 drafts (1 as listed, each once for all its accounts)"
    )
    # programs get one finding per draft
    data = json.loads(run(capsys, "lint", str(path), "--json")[1])
    assert [f["account"] for f in data["findings"]] == ["bird", "sky", "masto"]


def test_care_settings_the_lint_cannot_honour_are_problems_at_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(tmp_path / "c")
    text = path.read_text(encoding="utf-8")
    assert "  rules:\n" in text
    text = text.replace(
        "  rules:\n",
        "  rules:\n"
        '    sm-method: {level: "off", reason: "we know"}\n'
        '    a11y-emoji-runs: {level: "off", reason: "x"}\n'
        '    a11y-all-caps: "off"\n',
    )
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    at = {
        key: n + 1
        for n, line in enumerate(lines)
        for key in ("sm-method", "emoji-runs", "all-caps")
        if key in line
    }
    for command in ("check", "lint"):
        code, out, err = run(capsys, command, str(path))
        assert code == 1 and " ok: " not in out
        assert f"campaign.yaml:{at['sm-method']}:" in err
        assert "care.rules.sm-method.level: sm-method blocks approval by design" in err
        assert (
            f"campaign.yaml:{at['emoji-runs']}:5: care.rules.a11y-emoji-runs: no care rule" in err
        )
        assert "did you mean 'a11y-emoji-run'?" in err
        assert f"campaign.yaml:{at['all-caps']}:5: care.rules.a11y-all-caps: give a reason" in err
        assert "3 problems found" in err


def test_a_malformed_locale_is_a_problem_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_campaign(tmp_path / "c")
    path.write_text(
        path.read_text(encoding="utf-8").replace("locale: en-GB", "locale: english please"),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", str(path))
    assert code == 1
    assert "care.locale: 'english please' is not a language and region tag" in err


def test_lint_passes_a_clean_campaign(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_campaign(tmp_path / "clean")
    code, out, _ = run(capsys, "lint", str(path))
    assert code == 0 and "care: no findings" in out


def test_check_and_preview_show_findings(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", str(campaign))
    assert code == 0  # check validates files; approval is where a block finding stops a post
    assert "block sm-no-support" in out
    code, out, _ = run(capsys, "preview", str(campaign), "--post", "run")
    assert code == 0
    assert "care warn ed-diet-talk (part 1)" in out


def test_a_campaign_cannot_switch_off_a_blocking_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = HEADER.replace(
        "    ed-numbers: {level: block, reason: running campaign}\n",
        '    sm-no-support: {level: "off", reason: we add support later}\n',
    )
    path = write_campaign(tmp_path / "c", header=header, posts=RISKY)
    code, _, err = run(capsys, "lint", str(path))
    assert code == 1
    assert "sm-no-support blocks approval by design" in err


def test_block_findings_gate_approval_until_a_non_author_overrides(
    campaign: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(campaign)
    code, _, err = run(capsys, "approve", path, "talk", "--as", BO)
    assert code == 1
    assert "the care lint blocks approval (sm-no-support)" in err

    code, _, err = run(
        capsys, "override", path, "talk", "--rule", "sm-no-support", "--reason", "mine", "--as", ADA
    )
    assert code == 1 and "wrote this post and cannot override" in err

    code, out, err = run(
        capsys, "override", path, "talk", "--rule", "sm-method", "--reason", "x", "--as", BO
    )
    assert code == 1 and "no blocking sm-method finding" in out + err

    code, out, err = run(
        capsys,
        "override",
        path,
        "talk",
        "--rule",
        "sm-no-support",
        "--reason",
        "the pinned reply has the helpline",
        "--as",
        BO,
    )
    assert code == 0, err
    assert "override of sm-no-support recorded as bo@example.org" in out

    code, out, _ = run(capsys, "review", path, "--as", BO)
    assert "override of sm-no-support by bo@example.org: the pinned reply has the helpline" in out

    code, out, err = run(capsys, "approve", path, "talk", "--as", BO)
    assert code == 0, err
    assert "approved" in out

    # An edit makes a new version: the override was for the old words, so the gate is back.
    campaign.write_text(campaign.read_text().replace("this week.", "this month."), encoding="utf-8")
    code, _, err = run(capsys, "approve", path, "talk", "--as", BO)
    assert code == 1 and "the care lint blocks approval (sm-no-support)" in err


def test_review_says_what_blocks(campaign: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "review", str(campaign), "--as", BO)
    assert code == 0
    assert "care block sm-no-support (part 1)" in out
    assert "cannot be approved until fixed or overridden: sm-no-support" in out
