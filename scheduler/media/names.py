"""Content-addressed names for public media, and how a public URL is shown to people.

A file's public name is its SHA-256 and an extension for its type (``<sha256>.png``): the same
bytes always get the same name, so an upload is never repeated and a name cannot be guessed
without the bytes. Both hosts (an S3 bucket and the review site) use these names, and the
review site reads them back with ``parse``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from scheduler.errors import ConfigError

# The image and video types the platforms that fetch from a URL accept; one extension each.
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
}
TYPES: dict[str, str] = {ext: mime for mime, ext in EXTENSIONS.items()}

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^(?P<sha>[0-9a-f]{64})\.(?P<ext>[a-z0-9]{2,5})$")


def public_name(sha256: str, mime: str) -> str:
    """``<sha256>.<ext>`` for a file with this digest and type; ConfigError for a type that
    has no public name (the campaign check refuses such files long before)."""
    digest = sha256.lower()
    if not _SHA256.match(digest):
        raise ConfigError(f"{sha256[:16]!r} is not a SHA-256 digest")
    ext = EXTENSIONS.get(mime.lower())
    if ext is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise ConfigError(f"media of type {mime} cannot be made public", hint=f"use {known}")
    return f"{digest}.{ext}"


def parse(name: str) -> tuple[str, str] | None:
    """``(sha256, mime)`` of a public name, or None when ``name`` is not one."""
    match = _NAME.match(name)
    if match is None or match["ext"] not in TYPES:
        return None
    return match["sha"], TYPES[match["ext"]]


def shown(url: str) -> str:
    """``url`` without its query and fragment, for logs and errors: a presigned URL's query
    holds its signature and the key that made it."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
