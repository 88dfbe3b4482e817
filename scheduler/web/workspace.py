"""The campaigns the review pages show, kept in step with their files.

Every request first calls ``refresh()``: when the content of any file under a campaign's
folder changed (or a file came or went), the campaign is loaded and rendered again and synced
into the ledger, so an edit voids earlier approvals before anyone can approve the old words.
A campaign that no longer loads keeps its last good version on the pages, with the problem
shown; nothing stored is lost.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scheduler.draft import Draft, DraftKey
from scheduler.errors import CampaignError

Loader = Callable[[Path], Any]
Renderer = Callable[[Any], list[Draft]]
Syncer = Callable[[Any, list[Draft]], object]  # (campaign, its drafts)


@dataclass
class Loaded:
    path: Path
    campaign: Any
    drafts: dict[DraftKey, Draft]
    fingerprint: Fingerprint
    problem: str | None = None

    @property
    def id(self) -> str:
        return str(self.campaign.id)

    def is_member(self, email: str) -> bool:
        wanted = email.strip().lower()
        return any(str(m.email).strip().lower() == wanted for m in self.campaign.team)

    def member_name(self, email: str) -> str:
        wanted = email.strip().lower()
        for m in self.campaign.team:
            if str(m.email).strip().lower() == wanted:
                return str(m.name)
        return email


Fingerprint = tuple[tuple[str, str], ...]


def _digest(path: str) -> str:
    """SHA-256 of a file's bytes; "" when it vanished or cannot be read (that is seen too)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


def fingerprint(root: Path) -> Fingerprint:
    """Names and content hashes of every file under ``root`` (hidden ones aside).

    By content, not by size and modification time: an edit that keeps both (a same-length
    change within one timestamp tick, or a tool that restores the time) is still seen.
    Campaign folders are small (YAML and a few images), so hashing them on each refresh
    costs less than the database read the same request makes.
    """
    if root.is_file():
        return ((str(root), _digest(str(root))),)
    found: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                full = os.path.join(dirpath, name)
                found.append((full, _digest(full)))
    return tuple(sorted(found))


@dataclass
class Workspace:
    """Campaign files -> campaigns and drafts, synced into the ledger when they change."""

    paths: Sequence[Path]
    load: Loader
    render: Renderer
    sync: Syncer
    _loaded: dict[Path, Loaded] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        with self._lock:
            for path in self.paths:
                self._refresh_one(Path(path))

    def _refresh_one(self, path: Path) -> None:
        current = self._loaded.get(path)
        watch = current.campaign.root if current is not None else path
        seen = fingerprint(Path(watch))
        if current is not None and current.fingerprint == seen:
            return
        try:
            campaign = self.load(path)
            drafts = self.render(campaign)
        except CampaignError as exc:
            if current is None:
                raise
            current.fingerprint = seen
            current.problem = str(exc)
            return
        self.sync(campaign, drafts)
        self._loaded[path] = Loaded(
            path=path,
            campaign=campaign,
            drafts={d.key: d for d in drafts},
            fingerprint=seen if current is not None else fingerprint(Path(campaign.root)),
        )

    def all(self) -> list[Loaded]:
        return list(self._loaded.values())

    def get(self, campaign_id: str) -> Loaded | None:
        for loaded in self._loaded.values():
            if loaded.id == campaign_id:
                return loaded
        return None

    def visible_to(self, email: str) -> list[Loaded]:
        return [c for c in self._loaded.values() if c.is_member(email)]
