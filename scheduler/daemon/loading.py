"""The running daemon's campaign files, loaded in a child process.

Parsing, checking and rendering a campaign of 10,000 drafts peaks at some 60 MB of
short-lived objects (YAML positions, models, templates). CPython's allocator keeps most of
that from the system for the life of the process, even after a collection and
``malloc_trim``: the few objects that outlive a load (caches, lazily imported tables) pin
the arenas it used. A child process does the loading and hands back only what the daemon
keeps using, the rendered drafts and each campaign's settings (pickled, a few MB), so the
daemon's resident set is that of its drafts, not of the loading's high-water mark.

The child is this module run by the same interpreter, with the same environment and
working directory; it sends back what it loaded, or the campaign's problems, which the
daemon reports as it would its own.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from scheduler.daemon.base import DaemonError, Loaded
from scheduler.errors import CampaignError


def load_apart(paths: Sequence[Path]) -> list[Loaded]:
    """Load the campaigns at ``paths`` in a child process; raises CampaignError as a load
    here would."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scheduler.daemon.loading", *(str(p) for p in paths)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            check=False,
        )
    except OSError as exc:
        raise DaemonError(f"could not start the campaign loader: {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        raise DaemonError(
            f"loading the campaign files failed (the loader exited with {done.returncode})",
            hint="its error is above",
        )
    # Our own child's answer, made by the code of this very installation.
    kind, value = pickle.loads(done.stdout)
    if kind == "problems":
        raise CampaignError(value)
    loaded: list[Loaded] = value
    return loaded


def main(argv: Sequence[str]) -> int:
    from scheduler.daemon.source import load_here

    # Only the answer goes to the parent's pipe; anything else printed goes to stderr.
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    try:
        payload: tuple[str, object] = ("loaded", load_here([Path(a) for a in argv]))
    except CampaignError as exc:
        payload = ("problems", exc.problems)
    with answer:
        answer.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
