"""A Draft: one post for one account, exactly as it would be sent.

``scheduler.render`` makes Drafts from a campaign; the ledger stores them (as ``to_payload()``);
the care lint and the review pages read them; the daemon turns them into PublishRequests.

The content hash covers everything that would be sent to the platform (text parts, media
digests and alt text, content warning, language, labels, visibility, reply settings, link
card, a story's title, HTML, slug, excerpt, terms and byline) and where it would go (the
destination: platform, host and handle or username, so that pointing an account elsewhere
voids its approvals), and nothing else (the due time, the source location, the author).
Approvals are bound to the hash; the ledger voids them separately when the due time moves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.destination import Destination

HASH_VERSION = "d1"
# What content_hash() returns, in any hash version: clients that send one back are held to it.
HASH_PATTERN = r"^[a-z0-9]+:[0-9a-f]{64}$"


@dataclass(frozen=True, slots=True)
class DraftKey:
    campaign: str
    post_id: str
    account: str

    def __str__(self) -> str:
        return f"{self.campaign}/{self.post_id}@{self.account}"


@dataclass(frozen=True, slots=True)
class Media:
    """An image (or other file) inside the campaign folder."""

    path: str  # relative to the campaign folder, POSIX separators
    sha256: str
    mime: str
    size: int
    alt: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class Facet:
    """A rich-text entity; offsets are UTF-8 byte offsets into the part's text (Bluesky)."""

    kind: str  # "link" | "mention" | "tag"
    start: int
    end: int
    value: str  # uri, handle (without @) or tag (without #)


@dataclass(frozen=True, slots=True)
class LinkCard:
    url: str
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class After:
    """A post this draft waits on, on one account, and the stand-in its text holds for that
    post's address until it is live (``render.after`` makes it; the daemon swaps it for the
    address the ledger recorded when the post went out). ``placeholder`` is empty when the
    text does not use the address."""

    post_id: str
    account: str
    placeholder: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    """What a long-form story sends beside its text: the first part's text is the story as
    people and the care lint read it (title, excerpt, Markdown body), its media the featured
    image; this is the rest, with the body as the HTML the site is sent."""

    title: str
    html: str  # the body rendered from Markdown, the byline (and a content warning) first
    slug: str
    excerpt: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    byline: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "html": self.html,
            "slug": self.slug,
            "excerpt": self.excerpt,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "byline": self.byline,
        }

    @classmethod
    def from_data(cls, data: Any) -> Story | None:
        if not isinstance(data, dict):
            return None
        return cls(
            title=data["title"],
            html=data["html"],
            slug=data["slug"],
            excerpt=data.get("excerpt"),
            categories=tuple(data.get("categories", ())),
            tags=tuple(data.get("tags", ())),
            byline=data.get("byline"),
        )


@dataclass(frozen=True, slots=True)
class Part:
    """One post of a thread (a single post is a thread of one part)."""

    text: str
    media: tuple[Media, ...] = ()
    facets: tuple[Facet, ...] = ()


@dataclass(frozen=True, slots=True)
class PartResult:
    """One published part of a thread, as the platform reported it.

    Defined here rather than in ``platforms.base`` (which re-exports it) because the ledger
    stores these and may not import the platforms package.
    """

    index: int
    remote_id: str  # X tweet id, Mastodon status id, Bluesky at:// uri
    url: str  # public web address
    extra: dict[str, str] = field(default_factory=dict)  # e.g. Bluesky cid


@dataclass(frozen=True, slots=True)
class Draft:
    campaign: str
    post_id: str
    account: str
    platform: str  # registry name: "x", "mastodon", "bluesky", "linkedin", "threads", "sandbox"
    due: datetime  # aware, UTC
    timezone: str  # the campaign's IANA zone, for showing times to people
    parts: tuple[Part, ...]
    content_warning: str | None = None
    language: str | None = None
    labels: tuple[str, ...] = ()  # Bluesky self-labels
    visibility: str | None = None  # Mastodon
    reply_settings: str | None = None  # X
    link: LinkCard | None = None
    author: str | None = None  # team member email; may never approve this draft
    latest: datetime | None = None  # aware UTC; after this the post is missed
    source: str = ""  # "path:line" of the post in the campaign files
    destination: Destination | None = None  # where it goes; None only in old payloads
    first_comment: str | None = None  # posted under the post, where the platform has them
    after: tuple[After, ...] = ()  # posts this one waits on (``after:`` in the campaign)
    story: Story | None = None  # a long-form story's title, HTML, slug and terms
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self))

    @property
    def key(self) -> DraftKey:
        return DraftKey(self.campaign, self.post_id, self.account)

    def sent_content(self) -> dict[str, Any]:
        """The canonical form of what would be sent; the content hash is taken over this."""
        sent: dict[str, Any] = {
            "platform": self.platform,
            "parts": [
                {
                    "text": p.text,
                    "media": [{"sha256": m.sha256, "mime": m.mime, "alt": m.alt} for m in p.media],
                    "facets": [[f.kind, f.start, f.end, f.value] for f in p.facets],
                }
                for p in self.parts
            ],
            "content_warning": self.content_warning,
            "language": self.language,
            "labels": sorted(self.labels),
            "visibility": self.visibility,
            "reply_settings": self.reply_settings,
            "link": None
            if self.link is None
            else {
                "url": self.link.url,
                "title": self.link.title,
                "description": self.link.description,
            },
        }
        if self.destination is not None:
            sent["destination"] = self.destination.to_data()
        if self.first_comment is not None:  # absent otherwise: older drafts keep their hash
            sent["first_comment"] = self.first_comment
        if self.after:
            # Which post's address goes where: the address itself is not known until that
            # post is live, and the approval covers everything but it.
            sent["after"] = [[a.post_id, a.account, a.placeholder] for a in self.after]
        if self.story is not None:  # only stories carry it: other drafts keep their hashes
            sent["story"] = self.story.to_data()
        return sent

    def to_payload(self) -> dict[str, Any]:
        """Everything needed to rebuild this Draft, as JSON-compatible data."""
        return {
            "campaign": self.campaign,
            "post_id": self.post_id,
            "account": self.account,
            "platform": self.platform,
            "due": self.due.isoformat(),
            "timezone": self.timezone,
            "parts": [
                {
                    "text": p.text,
                    "media": [
                        {
                            "path": m.path,
                            "sha256": m.sha256,
                            "mime": m.mime,
                            "size": m.size,
                            "alt": m.alt,
                            "width": m.width,
                            "height": m.height,
                        }
                        for m in p.media
                    ],
                    "facets": [[f.kind, f.start, f.end, f.value] for f in p.facets],
                }
                for p in self.parts
            ],
            "content_warning": self.content_warning,
            "language": self.language,
            "labels": list(self.labels),
            "visibility": self.visibility,
            "reply_settings": self.reply_settings,
            "link": None
            if self.link is None
            else {
                "url": self.link.url,
                "title": self.link.title,
                "description": self.link.description,
            },
            "author": self.author,
            "latest": None if self.latest is None else self.latest.isoformat(),
            "source": self.source,
            "destination": None if self.destination is None else self.destination.to_data(),
            "first_comment": self.first_comment,
            "story": None if self.story is None else self.story.to_data(),
            "content_hash": self.content_hash,
        } | (
            {"after": [[a.post_id, a.account, a.placeholder] for a in self.after]}
            if self.after
            else {}
        )

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Draft:
        link = data.get("link")
        latest = data.get("latest")
        return cls(
            campaign=data["campaign"],
            post_id=data["post_id"],
            account=data["account"],
            platform=data["platform"],
            due=datetime.fromisoformat(data["due"]),
            timezone=data["timezone"],
            parts=tuple(
                Part(
                    text=p["text"],
                    media=tuple(Media(**m) for m in p.get("media", ())),
                    facets=tuple(Facet(*f) for f in p.get("facets", ())),
                )
                for p in data["parts"]
            ),
            content_warning=data.get("content_warning"),
            language=data.get("language"),
            labels=tuple(data.get("labels", ())),
            visibility=data.get("visibility"),
            reply_settings=data.get("reply_settings"),
            link=None if link is None else LinkCard(**link),
            author=data.get("author"),
            latest=None if latest is None else datetime.fromisoformat(latest),
            source=data.get("source", ""),
            destination=Destination.from_data(data.get("destination")),
            first_comment=data.get("first_comment"),
            after=tuple(After(*a) for a in data.get("after", ())),
            story=Story.from_data(data.get("story")),
            content_hash=data.get("content_hash", ""),
        )


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(draft: Draft) -> str:
    digest = hashlib.sha256(canonical_json(draft.sent_content()).encode("utf-8")).hexdigest()
    return f"{HASH_VERSION}:{digest}"


def idempotency_key(key: DraftKey, content_hash: str, part_index: int) -> str:
    """Stable across attempts: the same draft part under the same content always maps here."""
    raw = f"{key.campaign}\x1f{key.post_id}\x1f{key.account}\x1f{content_hash}\x1f{part_index}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]
