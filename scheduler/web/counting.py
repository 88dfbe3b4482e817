"""Each part's length as its platform counts it, for the preview's "count / limit"."""

from __future__ import annotations

import regex

from scheduler.draft import Draft

_URL = regex.compile(r"https?://\S+")
_LIMITS = {"x": 280, "mastodon": 500, "bluesky": 300, "linkedin": 3000, "threads": 500}


def count_part(draft: Draft, index: int) -> tuple[int, int | None, str]:
    text = draft.parts[index].text
    limit = _LIMITS.get(draft.platform)
    if draft.platform in ("x", "mastodon"):
        shortened = _URL.sub("x" * 23, text)
        extra = draft.content_warning or "" if draft.platform == "mastodon" else ""
        return len(regex.findall(r"\X", shortened + extra)), limit, "characters"
    return len(regex.findall(r"\X", text)), limit, "characters"
