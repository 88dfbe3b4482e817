"""The media keys each X create call carried, per part, kept in the publisher's state folder.

After a lost answer, a post on the account's timeline that carries the media uploaded for
the part is proof that the part is out; for a part with no text (an image-only post reads as
a bare t.co link) it is the only proof. The keys are written, durably, before the create call
that carries them, to ``<state_dir>/x-<account>.sent.json``: every publisher of the daemon
(one per worker thread) and the daemon after a restart can use them. A daemon on another
machine cannot, and then an image-only candidate stays "cannot tell", for a person to settle.

Media keys are not secrets, but the file is private like the rest of the folder. It holds the
latest ``REMEMBERED`` parts; a damaged file counts as empty (the evidence is lost, never a
post: ``find`` then answers "cannot tell" where it needed it).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from scheduler.platforms.statefile import locked, write_private

REMEMBERED = 256  # parts whose media keys are kept
PartId = tuple[str, ...]
Table = dict[str, list[list[str]]]


class SentMedia:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, part_id: PartId, keys: frozenset[str]) -> None:
        """Record that a create call for ``part_id`` carries ``keys`` (before it is sent)."""
        name = _name(part_id)
        # Two daemons on one machine may share the folder: read-modify-write under a lock.
        with self._lock, locked(self.path):
            table = self._load()
            sent = table.pop(name, [])
            sent.append(sorted(keys))
            table[name] = sent
            while len(table) > REMEMBERED:
                del table[next(iter(table))]
            self._save(table)

    def of(self, part_id: PartId) -> tuple[frozenset[str], ...]:
        """The media keys of each create call sent for the part, oldest first."""
        with self._lock:
            sent = self._load().get(_name(part_id), [])
        return tuple(frozenset(keys) for keys in sent)

    def others(self, part_id: PartId) -> frozenset[frozenset[str]]:
        """The media keys sent for every other part: posts carrying them are not this one."""
        name = _name(part_id)
        with self._lock:
            table = self._load()
        return frozenset(
            frozenset(keys) for other, sent in table.items() if other != name for keys in sent
        )

    def _load(self) -> Table:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(name): [[str(k) for k in keys] for keys in sent if isinstance(keys, list)]
            for name, sent in data.items()
            if isinstance(sent, list)
        }

    def _save(self, table: Table) -> None:
        # On disk before the create call that may make it needed.
        write_private(self.path, json.dumps(table).encode("utf-8"))


def _name(part_id: PartId) -> str:
    return json.dumps(list(part_id))
