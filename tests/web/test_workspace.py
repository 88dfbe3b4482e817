"""A campaign folder's fingerprint changes with the content of its files, and only then."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from scheduler.web.workspace import fingerprint


def _same_size_and_time(root: Path) -> None:
    file = root / "campaign.yaml"
    st = file.stat()
    file.write_text("id: b\n", encoding="utf-8")
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))


def _touched(root: Path) -> None:
    st = (root / "campaign.yaml").stat()
    os.utime(root / "campaign.yaml", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


@pytest.mark.parametrize(
    ("change", "seen"),
    [
        (_same_size_and_time, True),
        (lambda root: (root / "posts.yaml").write_text("posts: []\n", encoding="utf-8"), True),
        (lambda root: (root / "images" / "a.png").unlink(), True),
        (lambda root: (root / "images" / "a.png").write_bytes(b"\x89PNG other"), True),
        (_touched, False),  # the same bytes: nothing to reload
        (lambda root: (root / ".notes").write_text("private", encoding="utf-8"), False),
        (lambda root: (root / ".git").mkdir() or (root / ".git" / "HEAD").write_text("x"), False),
    ],
)
def test_a_fingerprint_follows_content(
    tmp_path: Path, change: Callable[[Path], object], seen: bool
) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "campaign.yaml").write_text("id: a\n", encoding="utf-8")
    (tmp_path / "images" / "a.png").write_bytes(b"\x89PNG")
    before = fingerprint(tmp_path)
    change(tmp_path)
    assert (fingerprint(tmp_path) != before) is seen


def test_a_single_file_campaign_is_fingerprinted_by_content(tmp_path: Path) -> None:
    file = tmp_path / "campaign.yaml"
    file.write_text("id: a\n", encoding="utf-8")
    before = fingerprint(file)
    _same_size_and_time(tmp_path)
    assert fingerprint(file) != before
