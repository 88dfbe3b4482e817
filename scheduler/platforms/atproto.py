"""AT Protocol building blocks without any network: record keys (TIDs), facets, post records.

The Bluesky publisher and the sandbox (when it stands in for Bluesky) both build the exact
``app.bsky.feed.post`` record from these functions, so the outbox shows what would be sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import regex

from scheduler.descriptors.bluesky import BLUESKY
from scheduler.descriptors.fits import card_carrier
from scheduler.platforms.base import PublishRequest

POST_COLLECTION = "app.bsky.feed.post"
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")

# --- record keys ------------------------------------------------------------------------------


def encode_tid(micros: int, clock_id: int) -> str:
    if not 0 <= clock_id < 1024:
        raise ValueError("clock id must be in 0..1023")
    if not 0 <= micros < 2**53:
        raise ValueError("timestamp out of range for a TID")
    value = (micros << 10) | clock_id
    chars = []
    for _ in range(13):
        chars.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode_tid(tid: str) -> tuple[datetime, int]:
    """(instant, clock id) of a TID; ValueError when it is not one."""
    if not _TID.match(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for char in tid:
        value = (value << 5) | TID_ALPHABET.index(char)
    micros, clock_id = value >> 10, value & 1023
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros), clock_id


def is_tid(value: str) -> bool:
    return bool(_TID.match(value))


def _digest(idempotency_key: str) -> bytes:
    return hashlib.sha256(idempotency_key.encode("utf-8")).digest()


def part_instant(created_at: datetime, idempotency_key: str, part_index: int) -> datetime:
    """The instant a part claims, used both in its record key and as its ``createdAt``: the
    due time, plus one millisecond per thread position (so the parts of a thread sort in
    order), plus a sub-millisecond offset from the idempotency key (with the clock id, about
    a million keys per instant, so a changed post due at the same time gets another key)."""
    offset = int.from_bytes(_digest(idempotency_key)[2:6], "big") % 1000
    return created_at.astimezone(UTC) + timedelta(microseconds=part_index * 1000 + offset)


def record_key(created_at: datetime, idempotency_key: str, part_index: int) -> str:
    """The rkey of one draft part, the same on every attempt, so a retry can never create a
    second record: the part's instant, and a clock id taken from the idempotency key."""
    instant = part_instant(created_at, idempotency_key, part_index)
    micros = (instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    clock_id = int.from_bytes(_digest(idempotency_key)[:2], "big") % 1024
    return encode_tid(micros, clock_id)


def datetime_string(instant: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as the lexicon's datetime format wants it."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- facets -----------------------------------------------------------------------------------

Facet = tuple[str, int, int, str]  # kind, byte start, byte end, value
Resolver = Callable[[str], str | None]  # handle -> DID, or None when it does not resolve

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
_MENTION = re.compile(
    r"(?:(?<=^)|(?<=[^\w@.]))@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
)
_TAG = regex.compile(r"(?:(?<=^)|(?<=[^\w#&]))#((?!\d+\b)[\p{L}\p{N}_]+)")


def _byte_offset(text: str, char_index: int) -> int:
    return len(text[:char_index].encode("utf-8"))


def find_facets(text: str) -> list[Facet]:
    """Links, mentions (handle without ``@``) and hashtags (without ``#``) in ``text``, with
    UTF-8 byte offsets; the mention span includes the ``@`` and the tag span the ``#``."""
    found: list[Facet] = []
    taken: list[tuple[int, int]] = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url.count(")") < url.count("(") and match.group(0)[len(url) :].startswith(")"):
            url += ")"
        start, end = match.start(), match.start() + len(url)
        taken.append((start, end))
        found.append(("link", _byte_offset(text, start), _byte_offset(text, end), url))

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _MENTION.finditer(text):
        handle = match.group(1).rstrip(".")
        start, end = match.start(), match.start() + 1 + len(handle)
        if free(start, end):
            found.append(("mention", _byte_offset(text, start), _byte_offset(text, end), handle))
    for match in _TAG.finditer(text):
        tag = match.group(1)
        start, end = match.start(), match.end()
        if free(start, end) and len(tag) <= 64 and len(tag.encode("utf-8")) <= 640:
            found.append(("tag", _byte_offset(text, start), _byte_offset(text, end), tag))
    found.sort(key=lambda f: f[1])
    return found


def facet_objects(facets: Iterable[Facet], resolve: Resolver) -> list[dict[str, Any]]:
    """Lexicon facet objects; a mention whose handle does not resolve stays plain text."""
    out: list[dict[str, Any]] = []
    for kind, start, end, value in facets:
        feature: dict[str, Any]
        if kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": value}
        elif kind == "mention":
            did = value if value.startswith("did:") else resolve(value.lstrip("@"))
            if did is None:
                continue
            feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        elif kind == "tag":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": value.lstrip("#")}
        else:
            continue
        out.append({"index": {"byteStart": start, "byteEnd": end}, "features": [feature]})
    return out


# --- records ----------------------------------------------------------------------------------


def strong_ref(uri: str, cid: str) -> dict[str, str]:
    return {"uri": uri, "cid": cid}


def post_record(
    *,
    text: str,
    created_at: datetime,
    facets: list[dict[str, Any]] | None = None,
    langs: list[str] | None = None,
    labels: Iterable[str] = (),
    reply: tuple[dict[str, str], dict[str, str]] | None = None,
    embed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": datetime_string(created_at),
    }
    if facets:
        record["facets"] = facets
    if langs:
        record["langs"] = langs[:3]
    values = [{"val": v} for v in labels]
    if values:
        record["labels"] = {"$type": "com.atproto.label.defs#selfLabels", "values": values[:10]}
    if reply is not None:
        root, parent = reply
        record["reply"] = {"root": root, "parent": parent}
    if embed is not None:
        record["embed"] = embed
    return record


def images_embed(images: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$type": "app.bsky.embed.images", "images": images}


def image_entry(
    blob: dict[str, Any], alt: str, width: int | None, height: int | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"image": blob, "alt": alt}
    if width and height:
        entry["aspectRatio"] = {"width": width, "height": height}
    return entry


def external_embed(uri: str, title: str | None, description: str | None) -> dict[str, Any]:
    return {
        "$type": "app.bsky.embed.external",
        "external": {"uri": uri, "title": title or "", "description": description or ""},
    }


def link_card(request: PublishRequest, index: int) -> dict[str, Any] | None:
    """The external embed for a part without images: the campaign's card goes with the
    first part naming its URL (else the first part); any other part with a link gets a card
    naming the link's site, since Bluesky shows a card only when the post carries one and
    the server fetches nothing itself."""
    part = request.parts[index]
    link = request.link
    if link is not None:
        if card_carrier(link.url, [p.text for p in request.parts]) == index:
            return external_embed(link.url, link.title or link.url, link.description)
        if link.url in part.text:
            return None
    for kind, _, _, value in list(part.facets) or find_facets(part.text):
        if kind == "link":
            return external_embed(value, urlsplit(value).hostname or value, None)
    return None


def post_url(handle_or_did: str, uri: str) -> str:
    rkey = uri.rsplit("/", 1)[-1]
    return BLUESKY.address_of(handle_or_did, rkey)


# The scope claim of a createSession access token tells how the account signed in: the main
# password gives "com.atproto.access", an app password "com.atproto.appPass" (or
# "com.atproto.appPassPrivileged" when it may also read direct messages).
SCOPE_MAIN_PASSWORD = "com.atproto.access"
SCOPE_PRIVILEGED_APP_PASSWORD = "com.atproto.appPassPrivileged"


def token_scope(access_jwt: str) -> str | None:
    """The ``scope`` claim of an access token, read without verifying it (the PDS did)."""
    parts = access_jwt.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    scope = claims.get("scope") if isinstance(claims, dict) else None
    return scope if isinstance(scope, str) else None


def sign_in_warnings(access_jwt: str) -> tuple[str, ...]:
    """What ``accounts check`` should say about how a Bluesky account signed in."""
    scope = token_scope(access_jwt)
    if scope == SCOPE_MAIN_PASSWORD:
        return (
            "signed in with the account's main password, not an app password: create an app "
            "password in Bluesky (Settings, Privacy and security, App passwords), store it "
            "as app_password, and change the main password if it was shared",
        )
    if scope == SCOPE_PRIVILEGED_APP_PASSWORD:
        return (
            "the app password may read direct messages: a plain app password is enough to post",
        )
    return ()
