"""A Draft as a person will see it on its platform: linked text, thread parts, images with
their alt text, the content warning, and each part's count against the platform's limit.

Pure functions over ``scheduler.draft.Draft``; the templates only lay out what is built here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from scheduler import descriptors
from scheduler.descriptors import Descriptor
from scheduler.descriptors.fits import link_shown, part_count
from scheduler.draft import Draft, Facet, Part, Story
from scheduler.render.after import described

# Plain-text entities for platforms that find them themselves (all but those whose descriptor
# says ``facets``: theirs come with the draft).
_ENTITY = re.compile(
    r"(?P<link>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<tag>(?<![\w#])#\w+)"
    r"|(?P<mention>(?<![\w@])@\w+(?:@[\w.-]+\w)?)"
)


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # "text" | "link" | "tag" | "mention" | "pending" (an address not known yet)
    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class MediaView:
    url: str
    path: str
    alt: str
    mime: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class PartView:
    number: int
    segments: tuple[Segment, ...]
    media: tuple[MediaView, ...]
    count: int
    limit: int
    unit: str
    over: bool
    also: str | None = None  # a second limit, e.g. "41/3000 bytes"


@dataclass(frozen=True, slots=True)
class DraftView:
    campaign: str
    post_id: str
    account: str
    platform: str
    platform_label: str
    destination: str | None  # where it goes, as approved: platform, handle and host
    due_local: datetime
    content_warning: str | None
    language: str | None
    labels: tuple[str, ...]
    visibility: str | None
    link_url: str | None
    link_title: str | None
    link_description: str | None
    parts: tuple[PartView, ...]
    content_hash: str
    media_first: bool = False  # images above the text, as the platform shows them
    first_comment: str | None = None  # posted under the post
    waits: tuple[str, ...] = ()  # what it waits on, and where that post's address goes
    # A story's title, slug, terms and HTML. The HTML is shown only inside a sandboxed frame
    # (no scripts, no forms, an origin of its own, the pages' own policy inherited): it is
    # escaped into ``srcdoc``, never put into the page as markup.
    story: Story | None = None

    @property
    def is_thread(self) -> bool:
        return len(self.parts) > 1

    @property
    def over_limit(self) -> bool:
        return any(p.over for p in self.parts)


def safe_href(url: str) -> str | None:
    """Only web links become links; anything else (javascript:, data:) stays text."""
    return url if re.match(r"https?://", url, re.IGNORECASE) else None


def segments(text: str, facets: tuple[Facet, ...] = ()) -> tuple[Segment, ...]:
    """Split a part's text into plain text and entities, from facets when the draft has them."""
    if facets:
        return _from_facets(text, facets)
    out: list[Segment] = []
    pos = 0
    for m in _ENTITY.finditer(text):
        if m.start() > pos:
            out.append(Segment("text", text[pos : m.start()]))
        kind = m.lastgroup or "text"
        out.append(Segment(kind, m.group(), safe_href(m.group()) if kind == "link" else None))
        pos = m.end()
    if pos < len(text):
        out.append(Segment("text", text[pos:]))
    return tuple(out)


def _from_facets(text: str, facets: tuple[Facet, ...]) -> tuple[Segment, ...]:
    data = text.encode("utf-8")
    out: list[Segment] = []
    pos = 0
    for f in sorted(facets, key=lambda f: f.start):
        if f.start < pos or f.end > len(data) or f.start >= f.end:
            continue  # overlapping or out of range: show the text as it is
        if f.start > pos:
            out.append(Segment("text", data[pos : f.start].decode("utf-8", "replace")))
        shown = data[f.start : f.end].decode("utf-8", "replace")
        href = safe_href(f.value) if f.kind == "link" else None
        out.append(Segment(f.kind, shown, href))
        pos = f.end
    if pos < len(data):
        out.append(Segment("text", data[pos:].decode("utf-8", "replace")))
    return tuple(out)


def media_url(campaign: str, path: str) -> str:
    return f"/media/{quote(campaign, safe='')}/{quote(path)}"


def _part_view(draft: Draft, index: int, part: Part, rules: Descriptor) -> PartView:
    count = part_count(rules, part.text, draft.content_warning)
    also = None
    if count.extra_used is not None and count.extra_limit is not None:
        also = f"{count.extra_used} / {count.extra_limit} {count.extra_unit}"
    stand_ins = {a.placeholder: a.post_id for a in draft.after if a.placeholder}
    shown = tuple(
        Segment("pending", f"[address of {stand_ins[s.text]}, once it is live]")
        if s.kind == "link" and s.text in stand_ins
        else s
        for s in segments(part.text, part.facets)
    )
    return PartView(
        number=index + 1,
        segments=shown,
        media=tuple(
            MediaView(
                url=media_url(draft.campaign, m.path),
                path=m.path,
                alt=m.alt,
                mime=m.mime,
                width=m.width,
                height=m.height,
            )
            for m in part.media
        ),
        count=count.used,
        limit=count.limit,
        unit=count.unit,
        over=not count.ok,
        also=also,
    )


def draft_view(draft: Draft, rules: Descriptor | None = None) -> DraftView:
    """``rules`` are the account's platform with its limit (a server may allow more, a
    stand-in account takes another platform's rules)."""
    rules = rules or descriptors.find(draft.platform) or descriptors.stand_in()
    link = link_shown(rules, draft)
    return DraftView(
        campaign=draft.campaign,
        post_id=draft.post_id,
        account=draft.account,
        platform=draft.platform,
        platform_label=descriptors.label_of(draft.platform),
        destination=draft.destination.describe() if draft.destination else None,
        due_local=draft.due.astimezone(ZoneInfo(draft.timezone)),
        content_warning=draft.content_warning,
        language=draft.language,
        labels=draft.labels,
        visibility=draft.visibility,
        link_url=link.url if link else None,
        link_title=link.title if link else None,
        link_description=link.description if link else None,
        parts=tuple(_part_view(draft, i, p, rules) for i, p in enumerate(draft.parts)),
        content_hash=draft.content_hash,
        media_first=rules.media_first,
        first_comment=draft.first_comment,
        waits=tuple(described(draft)),
        story=draft.story,
    )


# --- what changed -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "same" | "added" | "removed"
    text: str


def describe(draft: Draft) -> list[str]:
    """A draft as lines of text, for comparing two versions line by line."""
    tz = ZoneInfo(draft.timezone)
    lines = [f"time: {draft.due.astimezone(tz):%a %d %b %Y %H:%M %Z}"]
    if draft.content_warning:
        lines.append(f"content warning: {draft.content_warning}")
    for i, part in enumerate(draft.parts, start=1):
        if len(draft.parts) > 1:
            lines.append(f"--- part {i} ---")
        lines.extend(part.text.splitlines() or [""])
        for m in part.media:
            lines.append(f"image {m.path}: alt: {m.alt}")
    if draft.link is not None:
        lines.append(f"link card: {draft.link.url} {draft.link.title or ''}".rstrip())
    if draft.labels:
        lines.append(f"labels: {', '.join(sorted(draft.labels))}")
    if draft.language:
        lines.append(f"language: {draft.language}")
    if draft.visibility:
        lines.append(f"visibility: {draft.visibility}")
    if draft.reply_settings:
        lines.append(f"replies: {draft.reply_settings}")
    if draft.first_comment:
        lines.append(f"first comment: {draft.first_comment}")
    lines.extend(described(draft))
    return lines


def diff(before: Draft, after: Draft) -> tuple[DiffLine, ...]:
    """Line diff from the approved version to the current one; empty when nothing changed."""
    old, new = describe(before), describe(after)
    if old == new:
        return ()
    out: list[DiffLine] = []
    for line in difflib.ndiff(old, new):
        tag, text = line[:2], line[2:]
        if tag == "  ":
            out.append(DiffLine("same", text))
        elif tag == "- ":
            out.append(DiffLine("removed", text))
        elif tag == "+ ":
            out.append(DiffLine("added", text))
    return tuple(out)
