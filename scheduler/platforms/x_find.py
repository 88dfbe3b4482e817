"""Which of the account's recent posts is a part whose answer was lost (X has no idempotency key).

The publisher reads the account's posts since the due time (less a margin) and hands each
page to ``scan``, which sorts the candidates by what they have in common with the part:

* media keys: X lists a post's media as ``attachments.media_keys``. A media id can only be
  attached by the account that uploaded it, so a post carrying exactly the media uploaded for
  one of our own create calls of this part is that part: proof, whatever the text;
* text: the same text once URLs, entities and spacing are normalised (X returns t.co links
  and ``&amp;``), replying to the right parent, or to nothing for a first part.

Text is no evidence for a part without text: X shows an image-only post as a bare t.co link,
which normalises to nothing, like every other image-only post. Such a part is found only by
its media keys, which only the publisher that uploaded them knows; without them, an image-only
post with as many media in the window means "cannot tell" (a person decides), and none
means "not posted". Posts carrying media we uploaded for other parts are never candidates.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.text.x import url_spans


def normalise(text: str) -> str:
    """Text as comparable across what we sent and what X returns (t.co links, &amp;, NFC)."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    cut = url_spans(text)
    pieces: list[str] = []
    last = 0
    for start, end in cut:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return " ".join("".join(pieces).split()).casefold()


def tweet_time(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def media_keys(tweet: dict[str, Any]) -> frozenset[str]:
    attachments = tweet.get("attachments") or {}
    return frozenset(str(k) for k in attachments.get("media_keys") or ())


@dataclass(frozen=True)
class Wanted:
    """What part ``index`` looks like on X."""

    text: str  # normalised
    media: int  # how many media items it carries
    sent: tuple[frozenset[str], ...]  # the media keys of each create call we sent for it
    others: frozenset[frozenset[str]]  # media keys we sent for other parts: not this one
    standalone: bool  # a first part, or threads: separate; must not be a reply
    parent: str | None  # the post it must reply to, when known
    since: datetime
    skip: frozenset[str]  # ids of earlier parts, never this one

    @property
    def media_only(self) -> bool:
        return not self.text and self.media > 0


@dataclass
class Matches:
    by_keys: list[tuple[datetime, str]] = field(default_factory=list)
    by_text: list[tuple[datetime, str]] = field(default_factory=list)


def scan(tweets: list[dict[str, Any]], wanted: Wanted, default: datetime, into: Matches) -> None:
    """Add the posts of one timeline page that may be the wanted part to ``into``."""
    for tweet in tweets:
        tid = str(tweet.get("id", ""))
        if not tid or tid in wanted.skip:
            continue
        created = tweet_time(tweet.get("created_at"))
        if created is not None and created < wanted.since:
            continue
        when = created or default
        keys = media_keys(tweet)
        if keys and keys in wanted.sent:
            into.by_keys.append((when, tid))
            continue
        if keys and keys in wanted.others:
            continue
        if normalise(str(tweet.get("text", ""))) != wanted.text:
            continue
        # With no text to compare (an image-only part, or one that is only a link: both read
        # as bare t.co links), the number of media items must agree too.
        if not wanted.text and len(keys) != wanted.media:
            continue
        replied = [
            str(r.get("id"))
            for r in tweet.get("referenced_tweets") or []
            if r.get("type") == "replied_to"
        ]
        if wanted.standalone:
            if replied:
                continue
        elif not replied or (wanted.parent is not None and wanted.parent not in replied):
            continue
        into.by_text.append((when, tid))
