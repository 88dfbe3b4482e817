"""Publishers lent to worker threads, one attempt at a time, and reused by whichever comes next.

A publisher holds an HTTP session with its open connections, and is not shared by two threads
at once. Kept per thread, a daemon of W workers posting to A accounts builds up to W x A of
them: at a peak on 100 accounts nearly every post built a publisher and opened a connection
(about 1.5 ms of CPU each, as much as a third of the post's HTTP work). Lent instead, a
publisher goes back to its account's shelf when the thread that borrowed it asks for its next
one (a worker asks once per attempt, so by then it is done with the last), and the next
thread posting to that account takes it, warm.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any


class PublisherPool:
    """Publishers by account marker (whatever identifies the account and its settings).

    ``lend`` returns a publisher no other thread is using: one from the shelf, or a new one
    from ``build``. Whatever this thread borrowed before goes back to the shelf first.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shelves: dict[Hashable, list[Any]] = {}
        self._held = threading.local()
        self.built = 0  # how many were built, for tests and benchmarks

    def lend(self, marker: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            previous: tuple[Hashable, Any] | None = getattr(self._held, "lent", None)
            self._held.lent = None
            if previous is not None:
                self._shelves.setdefault(previous[0], []).append(previous[1])
            shelf = self._shelves.get(marker)
            publisher = shelf.pop() if shelf else None
        if publisher is None:
            publisher = build()  # outside the lock: building may read files or the network
            with self._lock:
                self.built += 1
        self._held.lent = (marker, publisher)
        return publisher
