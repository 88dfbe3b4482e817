"""Drafts built by hand for the web tests (no campaign files needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.draft import Draft, Facet, Media, Part


def make_draft(
    post_id: str = "day1-story",
    account: str = "mastodon-main",
    platform: str = "mastodon",
    *,
    text: str = "Running kept me going. #MentalHealthAwarenessWeek https://www.mind.org.uk",
    due: datetime | None = None,
    parts: tuple[Part, ...] | None = None,
    author: str | None = None,
    **kw: object,
) -> Draft:
    return Draft(
        campaign="mhaw",
        post_id=post_id,
        account=account,
        platform=platform,
        due=due or datetime(2026, 5, 11, 8, 0, tzinfo=UTC),
        timezone="Europe/London",
        parts=parts or (Part(text),),
        author=author,
        **kw,  # type: ignore[arg-type]
    )


def media(path: str = "images/shoes.png", alt: str = "Worn running shoes by a door") -> Media:
    return Media(path=path, sha256="0" * 64, mime="image/png", size=68, alt=alt)


def facet(text: str, piece: str, kind: str, value: str) -> Facet:
    start = text.encode().index(piece.encode())
    return Facet(kind, start, start + len(piece.encode()), value)
