"""A progress bar for long work, shown only to a person at a terminal.

The bar goes to standard error and only when standard error is a terminal and the command
is not writing JSON; piped or redirected output never carries one. Rich is imported only when
a bar is actually drawn, so start-up (``scheduler --help``) never pays for it.

Long work takes a ``scheduler.progress.Progress`` and reports through it; it never needs to
know whether a bar is drawn::

    with progress("checking", total=len(paths), enabled=not args.json) as bar:
        for path in paths:
            ...
            bar.advance()
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scheduler.progress import Progress, Silent


class Bar:
    """A Rich progress bar on standard error."""

    def __init__(self, bar: Any, task: Any, label: str, total: int | None) -> None:
        self._bar = bar
        self._task = task
        self._label = label
        self._total = total

    def grow(self, steps: int) -> None:
        self._total = (self._total or 0) + steps
        self._bar.update(self._task, total=self._total)

    def advance(self, steps: int = 1) -> None:
        self._bar.advance(self._task, steps)

    def note(self, text: str) -> None:
        self._bar.update(self._task, description=f"{self._label}: {text}")


def on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed by the embedding program
        return False


@contextmanager
def progress(label: str, total: int | None = None, *, enabled: bool = True) -> Iterator[Progress]:
    """A bar for ``total`` units of work (unknown: a pulsing bar until ``grow`` says).

    Silent unless ``enabled`` and standard error is a terminal.
    """
    if not (enabled and on_terminal()):
        yield Silent()
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    console = Console(file=sys.stderr)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # transient: the bar is gone when the work is, leaving only the command's own output.
    # What the command prints meanwhile goes above the bar when both share the terminal;
    # piped standard output is left alone, so it never carries the bar's output.
    shared = sys.stdout.isatty()
    with RichProgress(
        *columns,
        console=console,
        transient=True,
        redirect_stdout=shared,
        redirect_stderr=False,
    ) as rich_bar:
        yield Bar(rich_bar, rich_bar.add_task(label, total=total), label, total)


__all__ = ["Bar", "Progress", "Silent", "on_terminal", "progress"]
