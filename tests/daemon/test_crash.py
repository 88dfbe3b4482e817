"""Crash safety with real processes: SIGKILL at random moments, faults, SIGTERM, SIGHUP.

Each test runs ``scheduler run`` as a subprocess against the fake Mastodon (which here does
NOT honour Idempotency-Key, so only the ledger and reconciliation stand between a crash and a
duplicate), the fake Bluesky and the fake X (which has no idempotency key at all: a lost answer
is settled by reading the account's timeline) and, where a test asks for it, the fake Threads
(no key either: a container is staged in the ledger before it is published, and a lost answer
is settled by the container's status and the account's posts).
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.daemon.process import (
    Stage,
    check_exactly_once,
    events,
    published,
    stage,
    wait_exit,
)
from tests.fakes.base import Fault
from tests.fakes.mastodon import STATUSES
from tests.fakes.threads import CONTAINERS as THREADS_CONTAINERS
from tests.fakes.threads import PUBLISH as THREADS_PUBLISH
from tests.fakes.x import CREATE as TWEETS
from tests.fakes.x import TOKEN

__all__ = ["stage"]

pytestmark = pytest.mark.slow

CREATE = "/xrpc/com.atproto.repo.createRecord"


def _slow(stage: Stage, seconds: float, count: int) -> None:
    """Every post is stored at once but answered late: kills land between the two."""
    stage.masto.inject("POST", STATUSES, Fault.delay(seconds), times=count)
    stage.sky.inject("POST", CREATE, Fault.delay(seconds), times=count)
    stage.x.inject("POST", TWEETS, Fault.delay(seconds), times=count)
    stage.threads.inject("POST", THREADS_PUBLISH, Fault.delay(seconds), times=count)


def _x_parts_recorded(stage: Stage) -> int:
    return sum(len(r.parts_done) for r in stage.records() if r.key.account == "bird")


def _kill_between_x_create_and_record(stage: Stage) -> None:
    """One kill that surely lands after X stored a post and before the ledger recorded it:
    the first create is answered late (inside the client timeout), and the kill comes as
    soon as the post exists."""
    stage.x.inject("POST", TWEETS, Fault.delay(1.0))
    proc = stage.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None and not stage.x.tweets:
        time.sleep(0.01)
    stage.kill(proc)
    assert stage.x.tweets, stage.logs()
    assert _x_parts_recorded(stage) < len(stage.x.tweets), "the kill came too late"


def test_sigkill_at_random_moments_never_loses_or_duplicates_a_post(stage: Stage) -> None:
    posts, threads = 8, 2
    stage.prepare(posts, threads, with_threads=True)
    _kill_between_x_create_and_record(stage)
    _slow(stage, 0.12, 400)
    rng = random.Random(20260511)
    want = 4 * (posts + 3 * threads)
    kills = 1
    for round_ in range(12):
        if published(stage) >= want:
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
    assert kills >= 4, stage.logs()
    # The last one runs to the end.
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 120) == 0, stage.logs()
    check_exactly_once(stage, posts, threads)
    # Crashes were settled by looking, not by posting; on X, through the timeline.
    found = [e for e in events(stage, "reconciled") if e.get("found")]
    assert any(e["key"].endswith("@bird") for e in found), stage.logs()


def test_injected_faults_end_published_once_or_marked(stage: Stage) -> None:
    posts, threads = 6, 1
    stage.prepare(posts, threads, with_threads=True)
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
    x = stage.x
    x.rate_limit("POST", TWEETS, reset_in=1)  # 429 with x-rate-limit-reset
    x.server_error("POST", TWEETS, 503)
    x.inject("POST", TWEETS, Fault.drop_after())  # posted, the answer lost: found on the timeline
    x.inject("POST", TWEETS, Fault.delay(4))  # posted, answered past the client timeout
    x.inject("POST", TWEETS, Fault.drop_before())
    x.expire_access_tokens()  # the first call is refused: refresh through the operator's base
    t = stage.threads
    # Threads: a 429 with Meta's usage headers, a Graph "temporarily unavailable" on publish
    # (the post may exist: the container says), a publish stored then dropped, one answered
    # too late, a container made but its answer dropped (an orphan), containers slow to build
    # and one that fails to build (the next attempt makes a new one).
    usage = {"X-App-Usage": '{"call_count": 100, "total_cputime": 4, "total_time": 9}'}
    t.inject("POST", THREADS_PUBLISH, t.rate_limit_fault(minutes=0.02))  # about a second
    t.inject(
        "POST", THREADS_PUBLISH, Fault.status(429, t.error(429, 4, "limit", usage).body, usage)
    )
    t.inject("POST", THREADS_PUBLISH, Fault.status(503, t.error(503, 2, "unavailable").body))
    t.inject("POST", THREADS_PUBLISH, Fault.drop_after())
    t.inject("POST", THREADS_PUBLISH, Fault.delay(4))
    t.inject("POST", THREADS_CONTAINERS, Fault.passthrough(), Fault.drop_after())
    t.stuck, t.stuck_for = 1, 3
    t.fail_next("UNKNOWN")
    stage.env["SCHEDULER_DAEMON_HTTP_TIMEOUT"] = "1.5"
    proc = stage.start("--exit-when-done")
    assert wait_exit(proc, 150) == 0, stage.logs()
    check_exactly_once(stage, posts, threads)
    assert x.refresh_count == 1 and x.calls("POST", TOKEN), stage.logs()
    log = stage.logs()
    assert '"event":"retry_wait"' in log
    paused = {e.get("account") for e in events(stage, "account_paused")}
    assert {"masto", "sky", "bird", "thr"} <= paused, paused
    found = [e for e in events(stage, "reconciled") if e.get("found")]
    assert sum(e["key"].endswith("@bird") for e in found) >= 2, stage.logs()
    # Threads' lost answers were settled by looking, never by a second post.
    assert sum(e["key"].endswith("@thr") for e in found) >= 1, stage.logs()
    assert len([c for c in t.containers.values() if c.status == "PUBLISHED"]) == len(t.posts)


def test_sigterm_finishes_or_releases_in_flight_work_and_exits_cleanly(stage: Stage) -> None:
    posts, threads = 4, 2
    stage.prepare(posts, threads)
    _slow(stage, 0.3, 200)
    proc = stage.start()
    # Signal once work is in flight, not after a fixed time: a loaded machine can take longer
    # than that to import and open the ledger, and a signal before the handlers is no test.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stage.masto.statuses:
        time.sleep(0.05)
    assert stage.masto.statuses, stage.logs()
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
        # One draft failed: the run says so in its exit code.
        assert wait_exit(proc, 60) == 1, stage.logs()
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
    assert len(stage.x.tweets) == 3
    assert "/hook" not in stage.logs()  # the webhook URL is a secret
