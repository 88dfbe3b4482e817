"""check, preview, plan and export-ics from the command line: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.cli import main
from tests.campaign.helpers import HEADER, POSTS, write_campaign
from tests.cli.shapes import validate


def test_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_campaign(tmp_path / "c")
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok: 2 posts, 4 drafts on 3 accounts\n"


def test_check_lists_every_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = POSTS.replace('    time: "08:30"\n', '    time: "8.30"\n').replace(
        "accounts: [masto]", "accounts: [mastodon1]"
    )
    path = write_campaign(tmp_path / "c", HEADER, posts)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}:28:5: posts[0].time: '8.30' is not a time of day "
        "(hint: write it as HH:MM, e.g. 08:30 or 19:00)",
        f"{path}:35:16: posts[1].accounts[0]: no account named 'mastodon1' "
        "(hint: did you mean 'masto'?)",
        "2 problems found",
    ]


def test_check_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", str(tmp_path / "nope.yaml")]) == 1
    assert (
        capsys.readouterr().err.splitlines()[0]
        == f"{tmp_path / 'nope.yaml'}: no such file or folder"
    )


def test_preview_shows_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_campaign(tmp_path / "c")
    assert main(["preview", str(path), "--post", "hello", "--platform", "x"]) == 0
    out = capsys.readouterr().out
    assert "=== hello @ bird (x) - Mon 11 May 2026 08:30 BST (07:30 UTC)" in out
    assert "--- 52/280 weighted characters" in out
    assert "alt: A path through a park at dawn." in out


def test_preview_unknown_post(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_campaign(tmp_path / "c")
    assert main(["preview", str(path), "--post", "helo"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: no post 'helo' in {path}",
        "hint: did you mean 'hello'?",
    ]


def test_plan_json_flags_close_posts_and_dst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = """\
posts:
  - {id: a, date: 2026-10-24, time: "23:30", text: one}
  - {id: b, date: 2026-10-25, time: "09:00", text: two}
  - {id: c, date: 2026-10-25, time: "09:10", text: three, accounts: [masto]}
"""
    path = write_campaign(tmp_path / "c", HEADER, posts)
    assert main(["plan", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dst_changes"] == ["2026-10-25T01:00:00Z"]
    rows = {r["post"]: r for r in data["posts"]}
    assert rows["a"]["local"] == "2026-10-24T23:30:00+01:00"
    assert rows["b"]["utc"] == "2026-10-25T09:00:00Z"
    assert rows["b"]["flags"] == ["clocks changed: GMT (UTC+00:00) since the first post"]
    assert rows["c"]["flags"] == [
        "clocks changed: GMT (UTC+00:00) since the first post",
        "10 min after b on masto (closer than 30 min)",
    ]


def test_plan_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_campaign(tmp_path / "c")
    assert main(["plan", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Test week (test-week), times in Europe/London and UTC"
    assert out[2].split() == [
        "Mon",
        "11",
        "May",
        "08:30",
        "BST",
        "11",
        "May",
        "07:30",
        "hello",
        "masto,",
        "sky,",
        "bird",
    ]
    assert out[-1] == "2 posts, 0 flagged"


def test_export_ics(tmp_path: Path) -> None:
    path = write_campaign(tmp_path / "c")
    out = tmp_path / "week.ics"
    assert main(["export-ics", str(path), "-o", str(out)]) == 0
    ics = out.read_bytes().decode()
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert "UID:hello@test-week" in lines
    assert "DTSTART:20260511T073000Z" in lines
    assert "DTSTART:20260513T180000Z" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "SUMMARY:hello: Hello from Run Talk Run." in lines


QUOTA_CAMPAIGN = """\
id: burst
title: A burst of posts
timezone: Etc/UTC
language: en
week_start: 2026-05-11
accounts:
  bird: {platform: x, username: mhaw, tier: free}
  sky: {platform: bluesky, handle: mhaw.bsky.social}
team:
  - {name: Author, email: author@example.org, roles: [writer]}
approval: {required: 1}
defaults: {min_gap: 0m}
posts:
"""


@pytest.mark.parametrize(("posts", "flagged"), [(17, []), (18, ["p17"]), (20, ["p17"])])
def test_plan_warns_when_the_schedule_exceeds_a_quota(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], posts: int, flagged: list[str]
) -> None:
    lines = [
        f'  - {{id: p{i}, day: 1, time: "{i // 2:02d}:{(i % 2) * 30:02d}", '
        f'author: author@example.org, text: "Post {i}: you are not alone."}}'
        for i in range(posts)
    ]
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "campaign.yaml").write_text(QUOTA_CAMPAIGN + "\n".join(lines) + "\n")
    assert main(["plan", str(folder), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    validate("plan", document)  # the warnings are the rows' documented flags
    rows = document["posts"]
    warned = [r["post"] for r in rows if any("quota" in f for f in r["flags"])]
    assert warned == flagged
    for row in rows:
        for flag in row["flags"]:
            # only X's free tier (17 a day) is exceeded; Bluesky's write points are not
            assert flag.startswith("bird: ") and "17 posts per 24 hours on the free tier" in flag
