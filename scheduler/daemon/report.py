"""Nothing silent: every problem goes to the log at once and to the notifier in the background.

Notifiers talk to the network; a slow or broken webhook must never hold up publishing, so
notices are queued and delivered by one background thread. A delivery failure is logged as
``notify_failed`` and the daemon goes on.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from scheduler.log import EventSink
from scheduler.notify.base import Notice, Notifier, NotifyError

# Notice kinds that are problems (logged as warnings or errors); the rest are information.
LEVELS = {
    "failed": "error",
    "needs_reconnect": "error",
    "destination_held": "error",  # an account pointed at a host nobody confirmed
    "outcome_unknown": "error",
    "missed": "error",
    "finished_late": "warning",  # a thread's last parts went out after its window
    "not_approved": "warning",
    "not_approved_soon": "warning",
    "published": "info",
    "published_incomplete": "warning",  # out, but without something it should carry
    "token_expiring": "warning",
}


class Reporter:
    def __init__(
        self, log: EventSink, notifier: Notifier | None = None, *, notify_published: bool = False
    ) -> None:
        self.log = log
        self._notifier = notifier
        self._notify_published = notify_published
        self._queue: queue.Queue[Notice | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
        self.log.event(name, level, **fields)

    def notice(self, notice: Notice, *, once_key: str = "") -> None:
        """Log ``notice`` and queue it for the notifier; with ``once_key``, only the first time."""
        if once_key:
            marker = (notice.kind, notice.draft, once_key)
            with self._lock:
                if marker in self._seen:
                    return
                self._seen.add(marker)
        self.log.event(
            notice.kind,
            LEVELS.get(notice.kind, "info"),
            key=notice.draft,
            summary=notice.summary,
            **({"url": notice.url} if notice.url else {}),
            **({"due": notice.local_time} if notice.local_time else {}),
            **({"detail": notice.detail} if notice.detail else {}),
            **notice.fields,
        )
        if self._notifier is None:
            return
        if notice.kind == "published" and not self._notify_published:
            return
        self._ensure_thread()
        self._queue.put(notice)

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._deliver, name="notifier", daemon=True)
                self._thread.start()

    def _deliver(self) -> None:
        assert self._notifier is not None
        while True:
            notice = self._queue.get()
            try:
                if notice is None:
                    return
                try:
                    self._notifier.send(notice)
                except NotifyError as exc:
                    self.log.event(
                        "notify_failed",
                        "warning",
                        key=notice.draft,
                        kind=notice.kind,
                        error=exc.message,
                    )
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait (up to ``timeout``) until queued notices were delivered or failed."""
        if self._thread is None:
            return
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
