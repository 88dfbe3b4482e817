"""A campaign reads nothing outside its folder; names are matched whole; times to the minute."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.campaign.paths import OutsideFolder, check_pattern
from scheduler.render import render_campaign
from tests.campaign.helpers import HEADER, POSTS, write_campaign
from tests.campaign.test_features import one_post, problems_of

FOREIGN = "secret_key: xyz\nposts:\n  - {id: foreign, day: 1, time: '08:00', text: Not ours.}\n"


def _folder_campaign(tmp_path: Path) -> Path:
    folder = tmp_path / "c"
    write_campaign(folder)
    (tmp_path / "elsewhere.yaml").write_text(FOREIGN, encoding="utf-8")
    return folder


def test_a_folder_refuses_a_link_to_a_file_outside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder_campaign(tmp_path)
    (folder / "more.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    monkeypatch.chdir(tmp_path)
    problems = problems_of("c")
    assert problems == [
        "c/more.yaml: a link to a file outside the campaign folder "
        "(hint: every file of a campaign must be inside its folder; copy the file in)"
    ]
    assert not any("secret_key" in p or "foreign" in p for p in problems)


def test_a_folder_takes_a_link_to_a_file_inside_it(tmp_path: Path) -> None:
    folder = _folder_campaign(tmp_path)
    (folder / "days").mkdir()
    (folder / "days" / "more.yml").write_text(
        "posts:\n  - {id: more, day: 2, time: '08:00', author: ada@example.org, text: More.}\n",
        encoding="utf-8",
    )
    (folder / "more.yaml").symlink_to(folder / "days" / "more.yml")
    drafts = render_campaign(load_campaign(folder))
    assert "more" in {d.post_id for d in drafts}


def test_includes_and_media_follow_the_same_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "c"
    write_campaign(folder, HEADER + "include: [linked/*.yaml]\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "days.yaml").write_text(FOREIGN, encoding="utf-8")
    (folder / "linked").symlink_to(outside)  # a folder link: its files resolve outside
    (folder / "img" / "a.png").rename(outside / "a.png")
    (folder / "img" / "a.png").symlink_to(outside / "a.png")
    monkeypatch.chdir(tmp_path)
    problems = problems_of("c/campaign.yaml")
    assert problems[0] == (
        "c/campaign.yaml:25:11: include[0]: 'linked/*.yaml' is outside the campaign folder "
        "(hint: included files must be inside the header file's folder)"
    )
    monkeypatch.chdir(tmp_path)
    write_campaign(folder)  # no include now; the image link remains
    (folder / "img" / "a.png").unlink()
    (folder / "img" / "a.png").symlink_to(outside / "a.png")
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:31:14: posts[0].media[0].file: 'img/a.png' is outside the campaign "
        "folder (hint: media files must be inside the campaign folder)"
    ]


def test_an_include_pattern_is_checked_before_any_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_campaign(tmp_path / "c", HEADER + "include: ['../../../../../*/*/*/*.yaml']\n")

    def no_walk(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("the file system was searched")

    monkeypatch.setattr(glob, "glob", no_walk)
    monkeypatch.chdir(tmp_path)
    assert problems_of("c/campaign.yaml") == [
        "c/campaign.yaml:25:11: include[0]: '../../../../../*/*/*/*.yaml' is outside the "
        "campaign folder (hint: included files must be inside the header file's folder)"
    ]


@pytest.mark.parametrize(
    ("pattern", "inside"),
    [
        ("days/*.yaml", True),
        ("a.yaml", True),
        ("days/./b.yaml", True),
        ("../a.yaml", False),
        ("days/../../a.yaml", False),
        ("days/../a.yaml", False),  # no '..' at all: simpler to read, and never a walk up
        ("/etc/*.yaml", False),
        ("*/../../*.yaml", False),
    ],
)
def test_include_patterns_as_written(pattern: str, inside: bool) -> None:
    if inside:
        check_pattern(pattern)
    else:
        with pytest.raises(OutsideFolder):
            check_pattern(pattern)


def test_a_folder_name_with_pattern_characters_is_no_pattern(tmp_path: Path) -> None:
    folder = tmp_path / "week [draft]"
    write_campaign(folder, HEADER + "include: [days/*.yaml]\n")
    (folder / "days").mkdir()
    (folder / "days" / "a.yaml").write_text(
        "posts:\n  - {id: a, day: 3, time: '08:00', author: ada@example.org, text: A.}\n",
        encoding="utf-8",
    )
    drafts = render_campaign(load_campaign(folder / "campaign.yaml"))
    assert "a" in {d.post_id for d in drafts}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("id: hello", 'id: "hello\\n"', "posts[0].id: post id 'hello\\n' is not allowed"),
        ("id: test-week", 'id: "test-week\\n"', "id: campaign id 'test-week\\n' is not allowed"),
        (
            "email: ada@example.org",
            'email: "ada@example.org\\n"',
            "team[0].email: 'ada@example.org\\n' is not an email address",
        ),
    ],
)
def test_names_are_matched_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, message: str
) -> None:
    text = (HEADER + POSTS).replace(old, new, 1)
    assert text != HEADER + POSTS
    write_campaign(tmp_path / "c", text, "")
    monkeypatch.chdir(tmp_path)
    problems = problems_of("c/campaign.yaml")
    assert any(message in p for p in problems), problems


def test_an_account_name_is_matched_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = HEADER.replace("  masto:", '  "masto\\n":', 1)
    write_campaign(tmp_path / "c", header)
    monkeypatch.chdir(tmp_path)
    assert any("'masto\\n'" in p for p in problems_of("c/campaign.yaml"))


@pytest.mark.parametrize("key", ["at", "latest"])
def test_seconds_are_an_error_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    when = "at: 2026-05-11 08:30:15" if key == "at" else "day: 1\n    latest: 2026-05-11 21:00:30"
    one_post(
        tmp_path,
        f"  - id: p\n    {when}\n    time: '08:30'\n    author: ada@example.org\n    text: Hi.\n"
        if key == "latest"
        else f"  - id: p\n    {when}\n    author: ada@example.org\n    text: Hi.\n",
    )
    monkeypatch.chdir(tmp_path)
    [problem] = problems_of("c/campaign.yaml")
    seconds, minute = (
        ("08:30:15", "2026-05-11 08:30") if key == "at" else ("21:00:30", "2026-05-11 21:00")
    )
    line = 27 if key == "at" else 28
    assert problem == (
        f"c/campaign.yaml:{line}:5: posts[0].{key}: {seconds} has seconds, but "
        f"posts are placed to the minute (hint: write {minute})"
    )
