"""Event logging: one line per event, plain or JSON, and secrets never written."""

from __future__ import annotations

import io
import json

import pytest

from scheduler.clock import FixedClock
from scheduler.log import EventLog, MemoryLog, scrub_text
from scheduler.settings import Secret


def _log(json_lines: bool = False) -> tuple[EventLog, io.StringIO]:
    out = io.StringIO()
    return EventLog(out, json_lines=json_lines, clock=FixedClock()), out


def test_plain_line() -> None:
    log, out = _log()
    log.event("published", key="c/p@a", url="https://m.example/@a/1", parts=2)
    assert out.getvalue() == (
        "2026-05-11T08:00:00.000Z info  published key=c/p@a url=https://m.example/@a/1 parts=2\n"
    )


def test_json_line() -> None:
    log, out = _log(json_lines=True)
    log.event("failed", level="error", key="c/p@a", reason="too long")
    record = json.loads(out.getvalue())
    assert record == {
        "ts": "2026-05-11T08:00:00.000Z",
        "level": "error",
        "event": "failed",
        "key": "c/p@a",
        "reason": "too long",
    }


def test_multiline_values_stay_on_one_line() -> None:
    for json_lines in (False, True):
        log, out = _log(json_lines)
        log.event("failed", reason="line one\nline two")
        assert out.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    ("fields", "leak"),
    [
        ({"token": "abc123def456"}, "abc123def456"),
        ({"access_token": "abc123def456"}, "abc123def456"),
        ({"password": "hunter2"}, "hunter2"),
        ({"webhook": "https://hooks.slack.com/services/T/B/SEKRIT"}, "SEKRIT"),
        ({"value": Secret("s3cr3t-value")}, "s3cr3t-value"),
        ({"ledger": "postgresql://u:pw-in-url@db/x"}, "pw-in-url"),
        ({"error": "401 with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.xyz"}, "eyJhbGciOiJI"),
        ({"error": "POST /oauth/token?access_token=zzzsecretzzz failed"}, "zzzsecretzzz"),
        ({"error": "posting to https://discord.com/api/webhooks/1/SEKRIT failed"}, "SEKRIT"),
        ({"nested": {"refresh_token": "rrr-secret"}}, "rrr-secret"),
    ],
)
def test_secrets_are_never_written(fields: dict[str, object], leak: str) -> None:
    for json_lines in (False, True):
        log, out = _log(json_lines)
        log.event("something", **fields)
        assert leak not in out.getvalue()
        assert "***" in out.getvalue()


def test_scrub_keeps_ordinary_text() -> None:
    text = "published https://mastodon.example/@mhaw/1 after 2 attempts"
    assert scrub_text(text) == text


def test_quiet_keeps_problems_only() -> None:
    out = io.StringIO()
    log = EventLog(out, clock=FixedClock(), quiet=True)
    log.event("published", key="k")
    log.event("failed", level="error", key="k")
    assert out.getvalue().count("\n") == 1 and "failed" in out.getvalue()


def test_memory_log() -> None:
    log = MemoryLog()
    log.event("a", x=1)
    log.event("b", token="t0ken")
    assert log.names() == ["a", "b"]
    assert log.of("b") == [{"token": "***"}]
