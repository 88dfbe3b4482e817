"""Media files of a campaign: found inside the campaign folder only, then digested and sniffed.

The type comes from the file's first bytes, not its name, and the pixel size from the
PNG, JPEG, GIF or WebP header; nothing here decodes an image.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

from scheduler.campaign.paths import OutsideFolder, inside

MAX_MEDIA_BYTES = 50_000_000  # above every platform's image limit; refuse before reading


class MediaProblem(Exception):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class MediaFile:
    path: str  # relative to the campaign folder, POSIX separators
    absolute: Path
    sha256: str
    mime: str
    size: int
    width: int | None
    height: int | None


def locate(root: Path, name: str) -> Path:
    """The file ``name`` inside ``root``; MediaProblem if missing or outside the folder."""
    if not name or "\x00" in name:
        raise MediaProblem("empty media file name")
    candidate = Path(name)
    if candidate.is_absolute():
        raise MediaProblem(
            f"{name!r} is an absolute path",
            "give the path relative to the campaign folder, e.g. images/day1.png",
        )
    try:
        target = inside(root, root / candidate)
    except OutsideFolder:
        raise MediaProblem(
            f"{name!r} is outside the campaign folder",
            "media files must be inside the campaign folder",
        ) from None
    if not target.is_file():
        raise MediaProblem(f"no such file {name!r} in the campaign folder", None)
    return target


def inspect(root: Path, name: str) -> MediaFile:
    target = locate(root, name)
    size = target.stat().st_size
    if size > MAX_MEDIA_BYTES:
        raise MediaProblem(f"{name!r} is {size:,} bytes, larger than any platform accepts")
    data = target.read_bytes()
    mime, width, height = sniff(data)
    if mime is None:
        raise MediaProblem(
            f"{name!r} is not a PNG, JPEG, GIF or WebP image", "convert it to PNG or JPEG"
        )
    rel = target.relative_to(root.resolve()).as_posix()
    return MediaFile(rel, target, hashlib.sha256(data).hexdigest(), mime, len(data), width, height)


def sniff(data: bytes) -> tuple[str | None, int | None, int | None]:
    """(mime, width, height) from the first bytes of an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return "image/png", w, h
    if data.startswith(b"\xff\xd8"):
        w, h = _jpeg_size(data)
        return "image/jpeg", w, h
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return "image/gif", w, h
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        w2, h2 = _webp_size(data)
        return "image/webp", w2, h2
    return None, None, None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None, None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF and i + 9 <= n:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        if marker == 0xDA:  # start of scan: no frame header found before the image data
            return None, None
        i += 2 + length
    return None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        w = 1 + int.from_bytes(data[24:27], "little")
        h = 1 + int.from_bytes(data[27:30], "little")
        return w, h
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None, None
