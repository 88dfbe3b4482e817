"""One line per event, as plain ``key=value`` text or as one JSON object per line.

The daemon and the commands that run it describe what happens as events with a name and a
few fields (``published key=mhaw/day1@mastodon url=https://...``). Secrets never reach the
output: ``Secret`` values, fields whose name says they hold a credential, and passwords inside
URLs are replaced before anything is written.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from scheduler.redact import MASK as REDACTED
from scheduler.redact import redact


class _Clock(Protocol):
    def now(self) -> datetime: ...


class _UtcNow:
    """Used only when no clock is given (this module sits beside scheduler.clock)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def _is_secret(value: Any) -> bool:
    # scheduler.settings.Secret, recognised without importing it (same layer).
    return type(value).__name__ == "Secret" and hasattr(value, "reveal")


# Field names that hold credentials whatever their value looks like.
_SECRET_NAME = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|authorization|cookie|webhook)", re.IGNORECASE
)


class EventSink(Protocol):
    """What lower layers receive to report events; ``EventLog`` is the real one."""

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None: ...


def scrub_text(text: str) -> str:
    """Remove credentials from free text (the one redaction, ``scheduler.redact``)."""
    return redact(text)


def scrub(name: str, value: Any) -> Any:
    """The value of field ``name`` as it may be logged."""
    if _is_secret(value):
        return REDACTED
    if _SECRET_NAME.search(name) and value not in (None, "", False):
        return REDACTED
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {str(k): scrub(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(name, v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return scrub_text(str(value))


def _plain_value(value: Any) -> str:
    if isinstance(value, str):
        if value == "" or any(c.isspace() for c in value) or '"' in value or "=" in value:
            return json.dumps(value, ensure_ascii=False)
        return value
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


class EventLog:
    """Writes each event as one line to ``stream``; safe to call from several threads."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        json_lines: bool = False,
        clock: _Clock | None = None,
        quiet: bool = False,
    ) -> None:
        self._stream = stream
        self.json_lines = json_lines
        self._clock: _Clock = clock or _UtcNow()
        self._lock = threading.Lock()
        self.quiet = quiet  # only warnings and errors

    def format(self, name: str, level: str, fields: Mapping[str, Any]) -> str:
        when = self._clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        clean = {k: scrub(k, v) for k, v in fields.items()}
        if self.json_lines:
            record = {"ts": when, "level": level, "event": name, **clean}
            return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        text = " ".join(f"{k}={_plain_value(v)}" for k, v in clean.items())
        return f"{when} {level:<5} {name}" + (f" {text}" if text else "")

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
        if self.quiet and level in ("debug", "info"):
            return
        line = self.format(name, level, fields)
        # Newlines inside values would break "one line per event".
        line = line.replace("\r", "\\r").replace("\n", "\\n")
        stream = self._stream if self._stream is not None else sys.stderr
        with self._lock:
            stream.write(line + "\n")
            stream.flush()


class NullLog:
    """Discards events (library use, tests that do not look at the log)."""

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
        return None


class MemoryLog:
    """Keeps events in memory; tests assert on them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
        with self._lock:
            self.events.append((name, level, {k: scrub(k, v) for k, v in fields.items()}))

    def names(self) -> list[str]:
        with self._lock:
            return [e[0] for e in self.events]

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e[2] for e in self.events if e[0] == name]
