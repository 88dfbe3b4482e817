"""Large campaigns made from the shipped week: every post copied with a new id and date.

``write_campaign(folder, posts)`` copies campaigns/mhaw-2026 (header, images) and writes
``posts`` posts as copies of the week's posts (threads, images with alt text, snippets,
variants, links, content warnings, several accounts), one copy of the week per calendar
week, in files of posts that the header includes (``include: [weeks/*.yaml]``).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).resolve().parent.parent / "campaigns" / "mhaw-2026"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PER_FILE = 100  # posts per included file


def shipped_posts() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(header without posts, every post of the week in file order)."""
    header: dict[str, Any] = {}
    posts: list[dict[str, Any]] = []
    for path in sorted(SHIPPED.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "id" in data:
            header = {k: v for k, v in data.items() if k != "posts"}
        posts.extend(data.get("posts") or [])
    return header, posts


# ``story('d1-lou-story')`` in a text: a copy links to its own copy of the story.
_STORY = re.compile(r"""(story\(\s*['"])([^'"]+)(['"]\s*\))""")


def _same_copy(value: Any, suffix: str, key: str = "") -> Any:
    """``value`` with the posts it names (``after:``, ``story('id')``) renamed to the same
    copy, so that each copy's dependants wait on and link to its own story."""
    if isinstance(value, dict):
        return {k: _same_copy(v, suffix, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_same_copy(v, suffix, key) for v in value]
    if isinstance(value, str):
        if key == "after":
            return value + suffix
        return _STORY.sub(lambda m: f"{m[1]}{m[2]}{suffix}{m[3]}", value)
    return value


def next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def write_campaign(folder: Path, posts: int, start: dt.date | None = None) -> Path:
    """Write a campaign of ``posts`` posts into ``folder``; returns the folder.

    The first week starts on ``start`` (default: next Monday, so nothing is in the past).
    """
    header, week = shipped_posts()
    start = start or next_monday(dt.date.today())
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SHIPPED / "images", folder / "images", dirs_exist_ok=True)
    (folder / "weeks").mkdir(exist_ok=True)
    header = {**header, "week_start": start, "include": ["weeks/*.yaml"]}
    (folder / "campaign.yaml").write_text(
        yaml.safe_dump(header, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    out: list[dict[str, Any]] = []
    for n in range(posts):
        copy, i = divmod(n, len(week))
        post = dict(week[i])
        first = start + dt.timedelta(weeks=copy)
        if "day" in post:
            post["date"] = first + dt.timedelta(days=post.pop("day") - 1)
        elif "weekday" in post:
            post["date"] = first + dt.timedelta(days=WEEKDAYS.index(post.pop("weekday")))
        post = {"id": f"{post['id']}-w{copy:04d}", **{k: v for k, v in post.items() if k != "id"}}
        out.append(_same_copy(post, f"-w{copy:04d}"))
    for f in range(0, len(out), PER_FILE):
        (folder / "weeks" / f"posts-{f // PER_FILE:04d}.yaml").write_text(
            yaml.safe_dump({"posts": out[f : f + PER_FILE]}, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
    return folder
