"""Crash safety with real processes: SIGKILL at random moments, faults, SIGTERM, SIGHUP.

Each test runs ``scheduler run`` as a subprocess against the fake Mastodon (which here does
NOT honour Idempotency-Key, so only the ledger and reconciliation stand between a crash and a
duplicate) and the fake Bluesky.
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.daemon.process import Stage, check_exactly_once, stage, wait_exit
from tests.fakes.base import Fault
from tests.fakes.mastodon import STATUSES

__all__ = ["stage"]

pytestmark = pytest.mark.slow

CREATE = "/xrpc/com.atproto.repo.createRecord"


def _slow(stage: Stage, seconds: float, count: int) -> None:
    """Every post is stored at once but answered late: kills land between the two."""
    stage.masto.inject("POST", STATUSES, Fault.delay(seconds), times=count)
    stage.sky.inject("POST", CREATE, Fault.delay(seconds), times=count)


def test_sigkill_at_random_moments_never_loses_or_duplicates_a_post(stage: Stage) -> None:
    posts, threads = 8, 2
    stage.prepare(posts, threads)
    _slow(stage, 0.12, 400)
    rng = random.Random(20260511)
    want = 2 * (posts + 3 * threads)
    kills = 0
    for round_ in range(12):
        if len(stage.masto.statuses) + len(stage.sky.records) >= want:
            break
        proc = stage.start()
        log = stage.folder / f"daemon-{len(stage.procs) - 1}.log"
        # Kill while it works: after its first "publishing" (start-up time varies with load).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and '"event":"publishing"' in log.read_text(errors="replace"):
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.5))
        if proc.poll() is not None:
            break
        stage.kill(proc)
        kills += 1
        assert round_ < 11 or kills, stage.logs()
    assert kills >= 3, stage.logs()
    # The last one runs to the end.
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 120) == 0, stage.logs()
    check_exactly_once(stage, posts, threads)
    log_text = stage.logs()
    assert '"event":"reconciled"' in log_text  # crashes were settled by looking, not by posting


def test_injected_faults_end_published_once_or_marked(stage: Stage) -> None:
    posts, threads = 6, 1
    stage.prepare(posts, threads)
    m, s = stage.masto, stage.sky
    m.inject("POST", STATUSES, m.rate_limit_fault(seconds=1))  # 429 with a reset header
    m.inject("POST", STATUSES, Fault.status(503, {"error": "please try again"}))
    m.inject("POST", STATUSES, Fault.drop_after())  # stored, then the connection drops
    m.inject("POST", STATUSES, Fault.delay(4))  # past the client timeout, stored
    m.inject("POST", STATUSES, Fault.drop_before())  # nothing stored
    s.inject("POST", CREATE, s.rate_limit_fault(1))
    s.inject("POST", CREATE, Fault.status(502, {"error": "UpstreamFailure", "message": "x"}))
    s.inject("POST", CREATE, Fault.drop_after())
    s.inject("POST", CREATE, Fault.drop_before())
    stage.env["SCHEDULER_DAEMON_HTTP_TIMEOUT"] = "1.5"
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 150) == 0, stage.logs()
    check_exactly_once(stage, posts, threads)
    log = stage.logs()
    assert '"event":"retry_wait"' in log
    assert '"event":"account_paused"' in log


def test_sigterm_finishes_or_releases_in_flight_work_and_exits_cleanly(stage: Stage) -> None:
    posts, threads = 4, 2
    stage.prepare(posts, threads)
    _slow(stage, 0.3, 200)
    proc = stage.start()
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    assert wait_exit(proc, 30) == 0, stage.logs()
    log = stage.logs()
    assert '"event":"stopped"' in log
    # Nothing is left claimed: every draft is published, or waiting with its lease given back.
    for record in stage.records():
        assert str(record.state) in ("published", "scheduled", "approved", "retry_wait"), (
            str(record.key),
            str(record.state),
        )
        assert record.lease_owner is None
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 90) == 0, stage.logs()
    check_exactly_once(stage, posts, threads)


def test_sighup_and_file_changes_reload_the_campaign(stage: Stage) -> None:
    stage.prepare(2, 0)
    proc = stage.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(stage.masto.statuses) < 2:
            time.sleep(0.1)
        assert len(stage.masto.statuses) == 2, stage.logs()
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and '"name":"SIGHUP"' not in stage.logs():
            time.sleep(0.1)
        time.sleep(1.0)
        assert '"event":"reload"' in stage.logs()
        # An edit on disk is noticed by its mtime and synced: a new post awaits review.
        path = stage.campaign / "campaign.yaml"
        text = path.read_text()
        path.write_text(text.replace("Post 01:", "Post 01 (edited):"), encoding="utf-8")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and stage.logs().count('"event":"synced"') < 3:
            time.sleep(0.1)
        assert stage.logs().count('"event":"synced"') >= 3, stage.logs()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert wait_exit(proc, 30) == 0


class _Hook(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def test_a_refused_post_is_reported_to_the_webhook_and_the_rest_go_out(stage: Stage) -> None:
    stage.prepare(3, 0)
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    hook.received = []  # type: ignore[attr-defined]
    threading.Thread(target=hook.serve_forever, args=(0.05,), daemon=True).start()
    try:
        stage.env["SCHEDULER_NOTIFY_WEBHOOK"] = f"http://127.0.0.1:{hook.server_address[1]}/hook"
        refusal = {"error": "Validation failed: Text character limit of 500 exceeded"}
        stage.masto.inject("POST", STATUSES, Fault.status(422, refusal))
        proc = stage.start("--exit-when-done")
        assert wait_exit(proc, 60) == 0, stage.logs()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not hook.received:  # type: ignore[attr-defined]
            time.sleep(0.05)
        texts = [m["text"] for m in hook.received]  # type: ignore[attr-defined]
    finally:
        hook.shutdown()
        hook.server_close()
    failed = [r for r in stage.records() if str(r.state) == "failed"]
    assert len(failed) == 1 and "character limit" in (failed[0].last_error or "")
    assert any("FAILED" in t and str(failed[0].key) in t for t in texts), texts
    assert "character limit of 500" in "\n".join(texts)
    assert len(stage.masto.statuses) == 2 and len(stage.sky.records) == 3
    assert "/hook" not in stage.logs()  # the webhook URL is a secret
