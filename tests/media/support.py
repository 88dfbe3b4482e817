"""Media files for the public media tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from scheduler.platforms.base import MediaUpload
from tests.web.conftest import png


def upload_of(path: Path, data: bytes | None = None, mime: str = "image/png") -> MediaUpload:
    """A MediaUpload for ``path``, written with ``data`` (a small PNG by default)."""
    body = png() if data is None else data
    path.write_bytes(body)
    return MediaUpload(
        file=path,
        mime=mime,
        alt="A pair of worn blue running shoes by a front door.",
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
    )
