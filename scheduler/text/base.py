"""A count against a limit, and the shape of a platform's media limits.

Counting is pure: text in, numbers out. ``scheduler.render`` uses it to refuse an over-limit
draft with the count, the limit and the part, and ``preview`` shows the same figures.

The media rules that are more than a number (X takes a GIF only on its own, with a larger
size limit than other images) are functions here, so that ``check`` and the publisher's own
check before sending apply the very same rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GIF = "image/gif"


@dataclass(frozen=True, slots=True)
class Count:
    used: int
    limit: int
    unit: str  # "characters", "weighted characters", "graphemes", "bytes"
    # A second limit some platforms also apply (Bluesky: UTF-8 bytes).
    extra_used: int | None = None
    extra_limit: int | None = None
    extra_unit: str = ""

    @property
    def ok(self) -> bool:
        if self.used > self.limit:
            return False
        return (
            self.extra_used is None
            or self.extra_limit is None
            or (self.extra_used <= self.extra_limit)
        )

    def __str__(self) -> str:
        text = f"{self.used}/{self.limit} {self.unit}"
        if self.extra_used is not None:
            text += f", {self.extra_used}/{self.extra_limit} {self.extra_unit}"
        return text


@dataclass(frozen=True, slots=True)
class MediaLimits:
    max_media: int
    max_image_bytes: int
    max_alt_chars: int
    mimes: tuple[str, ...] = ("image/png", "image/jpeg", "image/gif", "image/webp")
    # X: a GIF has its own size limit and must be the only media item of its post.
    max_gif_bytes: int | None = None
    gif_alone: bool = False


def byte_limit(mime: str, max_image_bytes: int, max_gif_bytes: int | None) -> int:
    """The size limit for one file of type ``mime``."""
    if mime == GIF and max_gif_bytes is not None:
        return max_gif_bytes
    return max_image_bytes


def gif_mix(mimes: Sequence[str]) -> str | None:
    """What breaks "a GIF goes alone" among one post's media, e.g. "2 GIFs"; None if nothing.

    Every GIF counts, animated or not: which frames a file has is not looked at anywhere.
    """
    gifs = sum(1 for mime in mimes if mime == GIF)
    if gifs == 0 or len(mimes) == 1:
        return None
    if gifs > 1:
        return f"{gifs} GIFs"
    others = len(mimes) - 1
    return f"a GIF and {others} other image{'s' if others > 1 else ''}"
