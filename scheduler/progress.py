"""How long work reports its progress, without knowing who watches.

Work that takes a while (checking a large campaign, approving in bulk, a rehearsal of the
week) takes a ``Progress`` and reports to it; the command line passes a bar drawn on a
terminal (scheduler.cli.progress) or ``Silent`` when nobody watches (piped output, JSON,
tests). Kept at the bottom of the layers so every layer can accept one.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What long work reports to: how much there is, and how much is done."""

    def grow(self, steps: int) -> None:
        """More work became known (e.g. the drafts of a campaign once it is rendered)."""

    def advance(self, steps: int = 1) -> None:
        """``steps`` more units of the work are done."""

    def note(self, text: str) -> None:
        """What is being done now, in a few words."""


class Silent:
    """The Progress of work nobody watches."""

    def grow(self, steps: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def note(self, text: str) -> None:
        pass
