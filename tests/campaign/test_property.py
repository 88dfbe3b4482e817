"""Whatever the YAML, loading and rendering end in a Campaign or in our own CampaignError,
never in another exception, and every problem names the file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.campaign import load_campaign
from scheduler.errors import CampaignError
from scheduler.render import render_campaign
from tests.campaign.helpers import HEADER, POSTS, png

KEYS = [
    "id", "title", "timezone", "language", "week_start", "accounts", "team", "approval",
    "care", "defaults", "hashtags", "vars", "snippets", "include", "posts", "platform",
    "instance", "handle", "username", "max_chars", "text", "thread", "media", "file", "alt",
    "cw", "labels", "link", "url", "day", "weekday", "date", "time", "at", "dst", "variants",
    "footer", "latest", "max_lateness", "author", "email", "roles", "required", "rules",
    "level", "masto", "x", "mastodon", "bluesky",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["08:30", "25:00", "2026-03-29 01:30", "Europe/London", "{{ x }}", "{% if %}",
         "{{ ''.__class__ }}", "../../etc/passwd", "img/a.png", "mastodon", "later", "1h",
         "https://mastodon.example", "a" * 600]
    ),
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=20,
)


def outcome(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        png(folder / "img" / "a.png")
        path = folder / "campaign.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            render_campaign(load_campaign(path))
        except CampaignError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert str(problem).startswith(str(path)), problem


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    outcome(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_any_header_values(overrides: dict[str, Any]) -> None:
    data = yaml.safe_load(HEADER + POSTS)
    data.update(overrides)
    outcome(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8), max_size=4))
def test_any_posts(posts: list[dict[str, Any]]) -> None:
    data = yaml.safe_load(HEADER + POSTS)
    data["posts"] = data["posts"] + posts
    outcome(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.sampled_from(["[", "{", "- ", "&a ", "*a ", "a: ", "\n", " ", "!!str ", "? "]),
        max_size=60,
    )
)
def test_yaml_shapes(pieces: list[str]) -> None:
    outcome("".join(pieces))


def test_deep_nesting_is_refused_not_crashed() -> None:
    outcome("vars: " + "[" * 5000 + "]" * 5000)
