"""What the last ``review`` showed a person, so that ``approve --shown`` approves exactly that.

``review`` writes, per campaign and per reviewer, the drafts it listed with the content hash
of each version shown (``<data dir>/review/<campaign>/<email>.json``, private, written whole).
``approve PATH --shown`` approves those versions and no others: a draft changed since is
refused by the ledger as stale (review again), and a draft that appeared since is not
touched, because nobody has seen it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler.errors import UsageError

VERSION = 1


@dataclass(frozen=True, slots=True)
class Shown:
    post_id: str
    account: str
    content_hash: str


def shown_file(data_dir: Path, campaign: str, actor: str) -> Path:
    return data_dir / "review" / campaign / f"{actor.strip().lower()}.json"


def save_shown(
    data_dir: Path, campaign: str, actor: str, drafts: list[Shown], *, at: datetime
) -> Path:
    from scheduler.platforms.statefile import write_private

    path = shown_file(data_dir, campaign, actor)
    document: dict[str, Any] = {
        "version": VERSION,
        "campaign": campaign,
        "actor": actor,
        "shown_at": at.isoformat(),
        "drafts": [
            {"post": d.post_id, "account": d.account, "content_hash": d.content_hash}
            for d in drafts
        ],
    }
    write_private(path, json.dumps(document, indent=2, sort_keys=True).encode("utf-8"))
    return path


def load_shown(data_dir: Path, campaign: str, actor: str) -> tuple[list[Shown], str]:
    """(the drafts the last review showed ``actor``, when); UsageError when there is none."""
    path = shown_file(data_dir, campaign, actor)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        drafts = [
            Shown(str(d["post"]), str(d["account"]), str(d["content_hash"]))
            for d in document["drafts"]
        ]
        return drafts, str(document.get("shown_at", ""))
    except FileNotFoundError as exc:
        raise UsageError(
            f"no review of {campaign} by {actor} to approve from",
            hint="run `scheduler review PATH` first; --shown approves what it showed you",
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"the record of your last review ({path.name}) cannot be read: {exc}",
            hint="run `scheduler review PATH` again",
        ) from exc
