"""What is sent for a claimed draft: the request, taken again from the draft and checked
against what was approved.

The hash is recomputed over exactly what will be sent, and every media file is read back from
the campaign folder (never outside it) and compared with the digest that was approved, so a
file edited after approval is never published under the old approval.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from scheduler.draft import Draft, PartResult, content_hash, idempotency_key
from scheduler.errors import SchedulerError
from scheduler.platforms.base import LinkCardRequest, MediaUpload, PartRequest, PublishRequest


class NotPublishable(SchedulerError):
    """The claimed draft must not be published as it stands (hash or media mismatch)."""


def resolve_media(root: Path, relative: str) -> Path:
    """The absolute path of a media file, refusing anything outside the campaign folder."""
    # Imported on use: the campaign package brings the loading stack (pydantic, PyYAML),
    # which the running daemon leaves to its loader process.
    from scheduler.campaign.paths import OutsideFolder, inside

    try:
        return inside(root, root / relative)
    except OutsideFolder:
        raise NotPublishable(
            f"media path {relative!r} leaves the campaign folder {root.resolve()}"
        ) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_request(
    draft: Draft, root: Path | None, *, approved_hash: str, done: tuple[PartResult, ...] = ()
) -> PublishRequest:
    """The PublishRequest for ``draft``, checked against the approved hash.

    Raises NotPublishable when the content or a media file differs from what was approved.
    """
    actual = content_hash(draft)
    if actual != approved_hash:
        raise NotPublishable(
            f"{draft.key}: the content to send ({actual[:15]}…) is not the approved content "
            f"({approved_hash[:15]}…); not published"
        )
    parts: list[PartRequest] = []
    for index, part in enumerate(draft.parts):
        media: list[MediaUpload] = []
        for m in part.media:
            if root is None:
                raise NotPublishable(f"{draft.key}: the campaign folder is unknown; media {m.path}")
            path = resolve_media(root, m.path)
            try:
                digest = _sha256(path)
            except OSError as exc:
                raise NotPublishable(
                    f"{draft.key}: media {m.path} cannot be read ({exc.strerror})"
                ) from exc
            if digest != m.sha256:
                raise NotPublishable(
                    f"{draft.key}: media {m.path} changed since it was approved; not published",
                    hint="review and approve the draft again",
                )
            media.append(
                MediaUpload(
                    file=path,
                    mime=m.mime,
                    alt=m.alt,
                    size=m.size,
                    sha256=m.sha256,
                    width=m.width,
                    height=m.height,
                )
            )
        parts.append(
            PartRequest(
                text=part.text,
                media=tuple(media),
                facets=tuple((f.kind, f.start, f.end, f.value) for f in part.facets),
                idempotency_key=idempotency_key(draft.key, approved_hash, index),
            )
        )
    link = draft.link
    return PublishRequest(
        account=draft.account,
        parts=tuple(parts),
        created_at=draft.due,
        content_warning=draft.content_warning,
        language=draft.language,
        labels=draft.labels,
        visibility=draft.visibility,
        reply_settings=draft.reply_settings,
        link=None
        if link is None
        else LinkCardRequest(url=link.url, title=link.title, description=link.description),
        first_comment=draft.first_comment,
        done=done,
        story=draft.story,
    )
