"""What ``scheduler accounts check`` says about the public media host, found by trying it.

A bucket gets one tiny image (1x1 pixel, content-addressed, so trying again adds nothing) and
the same pre-flight a post gets: up, presigned, fetched, compared. The review site cannot be
tried with an image (it serves only approved drafts' images), so it is asked for a name it
does not know: any answer over its https address shows it is reachable from here.
"""

from __future__ import annotations

import hashlib
import struct
import tempfile
import zlib
from pathlib import Path

from scheduler.media.s3 import S3Media
from scheduler.media.site import SiteMedia
from scheduler.platforms.base import MediaUpload
from scheduler.platforms.public_media import PublicMedia


def _pixel() -> bytes:
    """A 1x1 white PNG, made here so that no file ships for it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def probe(media: PublicMedia, *, account: str) -> str:
    """One sentence on the host, after trying it; the host's own errors (Transient,
    ConfigError) when it does not work."""
    if isinstance(media, S3Media):
        body = _pixel()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "probe.png"
            path.write_bytes(body)
            upload = MediaUpload(path, "image/png", "", len(body), hashlib.sha256(body).hexdigest())
            media.url_for(upload, account=account)
        return (
            f"public media: bucket {media.config.bucket} takes an image and hands it back "
            f"(links last {media.config.expires} s)"
        )
    if isinstance(media, SiteMedia):
        media.reachable(account=account)
        return f"public media: the review site answers at {media.base}"
    return "public media: configured"
