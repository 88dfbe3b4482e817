"""What every platform's text rules provide: a count against a limit, and media limits.

Counting is pure: text in, numbers out. ``scheduler.render`` uses it to refuse an over-limit
draft with the count, the limit and the part, and ``preview`` shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


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
    max_media: int = 4
    max_image_bytes: int = 5_000_000
    max_alt_chars: int = 1000
    mimes: tuple[str, ...] = ("image/png", "image/jpeg", "image/gif", "image/webp")


class TextRules(Protocol):
    platform: str
    media: MediaLimits
    supports_cw: bool

    def count(self, text: str, content_warning: str | None = None) -> Count:
        """The length of one part as the platform counts it (the CW too, where it counts)."""
        ...
