"""Campaign files as the daemon's source: loaded, rendered, and watched for changes by mtime."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scheduler.approval import Policy
from scheduler.daemon.base import Loaded
from scheduler.errors import UsageError


class CampaignFiles:
    """The campaigns at ``paths`` (files or folders); ``changed()`` compares file mtimes."""

    def __init__(self, paths: Sequence[str | Path], *, apart: bool = False) -> None:
        self.paths = [Path(p) for p in paths]
        # Load in a child process (the running daemon: see loading.py); else here.
        self.apart = apart
        for path in self.paths:
            if not path.exists():
                raise UsageError(f"{path}: no such campaign file or folder")
        self._signature: tuple[tuple[str, int, int], ...] | None = None

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """(path, mtime ns, size) of every file under the campaign paths."""
        found: list[tuple[str, int, int]] = []
        for path in self.paths:
            if path.is_file():
                files = [path]
            else:
                files = []
                for dirpath, dirnames, filenames in os.walk(path):
                    # Hidden folders (.git) change without the campaign changing.
                    dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                    files.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
            for file in files:
                try:
                    st = file.stat()
                except OSError:
                    continue
                found.append((str(file), st.st_mtime_ns, st.st_size))
        return tuple(sorted(found))

    def changed(self) -> bool:
        return self._signature is not None and self.signature() != self._signature

    def load(self) -> list[Loaded]:
        # Take the signature first: a change during loading is seen at the next poll, and a
        # broken file is reported once, not at every poll until someone fixes it.
        self._signature = self.signature()
        if self.apart:
            from scheduler.daemon.loading import load_apart

            return load_apart(self.paths)
        return load_here(self.paths)


def load_here(paths: Sequence[Path]) -> list[Loaded]:
    """Load, check and render the campaigns at ``paths`` in this process."""
    from scheduler.campaign import load_campaign
    from scheduler.render import render_campaign

    loaded: list[Loaded] = []
    for path in paths:
        campaign = load_campaign(path)
        drafts = render_campaign(campaign)
        policy = approval_policy(campaign)
        loaded.append(
            Loaded(
                campaign_id=campaign.id,
                title=campaign.title,
                root=Path(campaign.root),
                timezone=campaign.timezone,
                drafts=list(drafts),
                rule=policy.rule(),
                policy=policy,
                accounts={name: acc.spec(name) for name, acc in campaign.accounts.items()},
            )
        )
    return loaded


def approval_policy(campaign: Any) -> Policy:
    """The campaign's approval policy (role names resolved against the team)."""
    return Policy.from_campaign(campaign)
