"""The peak: 10,000 posts on 100 accounts due at the same instant, 1, 2 and 4 daemons.

Every daemon is its own process (the real ``Daemon``, its timers and worker pool, the real
Mastodon publisher) on one PostgreSQL ledger (a throwaway schema). The accounts are fake
Mastodon accounts behind one asyncio front (bench/peak_fake.py) that answers every request
after 200 ms and refuses a post over the account's limit with a 429. Every request passes the
account gate as in ``scheduler run`` (the pause read before each request, the quota counts
before each post), and publishers are lent to the workers as there.

* all out after: the receipt of the last post minus the due time (minus the daemons' late
  start when setting up took longer than planned, on a loaded machine, so that the daemons
  began with a catch-up); lateness p50 / p99 of all, from the due time.
* duplicates: texts stored twice; over limit: posts the fake refused with a 429.
* bound: what the settings allow at best, the posts times the latency over the requests in
  flight (daemons x workers); the baseline is a bare ``requests`` loop with as many threads,
  measured in the same run against the same front, posting the same bodies.

``python -m bench.run peak`` (``--quick``: 1,000 posts on 10 accounts, 1 and 2 daemons).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Row

LATENCY = 0.2
WORKERS = 16
REVIEWER = "rev@example.org"
TEXT = "Peak {account} post {i:04d}: you are not alone. Talking helps. #MentalHealthAwarenessWeek"
GOAL_S = 60.0


def _token(account: str) -> str:
    return f"peak-token-{account}-0123456789"


def _accounts(count: int) -> list[str]:
    return [f"a{n:03d}" for n in range(count)]


def _drafts(due: datetime, posts: int, accounts: list[str]) -> list[Any]:
    from scheduler.draft import Draft, Part

    per = posts // len(accounts)
    return [
        Draft(
            campaign="peak",
            post_id=f"p{i:04d}",
            account=account,
            platform="mastodon",
            due=due,
            timezone="Etc/UTC",
            parts=(Part(text=TEXT.format(account=account, i=i)),),
            author="author@example.org",
            latest=due + timedelta(hours=2),
            language="en",
        )
        for i in range(per)
        for account in accounts
    ]


def setup(url: str, due: datetime, posts: int, accounts: list[str]) -> None:
    """The campaign in the ledger, every draft approved one by one, as people would."""
    from scheduler.clock import SystemClock
    from scheduler.ledger import ApprovalRule, open_ledger

    clock = SystemClock()
    ledger = open_ledger(url, clock=clock)
    rule = ApprovalRule(required=1)
    drafts = _drafts(due, posts, accounts)
    ledger.sync("peak", drafts, now=clock.now(), rule=rule)
    for draft in drafts:
        ledger.decide(
            draft.key,
            kind="approve",
            actor=REVIEWER,
            content_hash=draft.content_hash,
            now=clock.now(),
            rule=rule,
        )
    ledger.close()


# --- a daemon process -------------------------------------------------------------------------


def child(url: str, front: str, due_text: str, posts: int, accounts: int, workers: int) -> int:
    from scheduler.accounts import AccountSpec
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore, env_name
    from scheduler.daemon.base import DaemonOptions, Loaded
    from scheduler.daemon.gate import LedgerGate
    from scheduler.daemon.report import Reporter
    from scheduler.daemon.runner import Daemon
    from scheduler.ledger import ApprovalRule, open_ledger
    from scheduler.platforms import build_publisher
    from scheduler.platforms.base import PlatformContext
    from scheduler.platforms.lending import PublisherPool

    clock = SystemClock()
    names = _accounts(accounts)
    due = datetime.fromisoformat(due_text)
    specs = {a: AccountSpec(a, "mastodon", {"instance": front}) for a in names}
    rule = ApprovalRule(required=1)

    class Source:
        def load(self) -> list[Loaded]:
            return [
                Loaded(
                    campaign_id="peak",
                    title="peak",
                    root=Path("."),
                    timezone="Etc/UTC",
                    drafts=_drafts(due, posts, names),
                    rule=rule,
                    accounts=specs,
                )
            ]

        def changed(self) -> bool:
            return False

    class Announce:
        def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
            if name == "running":
                print(json.dumps({"running": True}), flush=True)

    options = DaemonOptions(workers=workers)
    # As ``scheduler run`` opens it: a connection kept for each thread that uses it.
    ledger = open_ledger(url, clock=clock, connections=options.ledger_connections)
    reporter = Reporter(Announce())
    # The account gate as ``scheduler run`` composes it: every request reads the account's
    # pause, every post its quota counts (Mastodon's, 300 a window: room for the 100 each).
    gate = LedgerGate(ledger, clock, reporter=reporter)
    context = PlatformContext(
        clock=clock,
        credentials=CredentialStore({env_name(a, "access_token"): _token(a) for a in names}, None),
        state_dir=Path(tempfile.mkdtemp()),
        outbox=Path(tempfile.mkdtemp()),
        timeout=30,
        gate=gate,
    )
    pool = PublisherPool()  # as ``scheduler run`` lends its publishers

    def publisher_for(draft: Any) -> Any:
        return pool.lend(draft.account, lambda: build_publisher(specs[draft.account], context))

    daemon = Daemon(
        ledger,
        Source(),
        publisher_for,
        clock=clock,
        options=options,
        reporter=reporter,
        gate=gate,
    )
    try:
        return daemon.run()
    finally:
        ledger.close()


# --- the bare baseline ------------------------------------------------------------------------


def bare(front: Any, due: datetime, posts: int, accounts: list[str], threads: int) -> float:
    """Seconds for ``threads`` bare request loops to post every body (the same front)."""
    import requests

    from scheduler.platforms.mastodon import STATUSES

    work: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for draft in _drafts(due, posts, accounts):
        work.put(draft)
    failures: list[str] = []

    def loop() -> None:
        session = requests.Session()
        session.get(front.base_url + "/api/v2/instance", timeout=30).json()
        while True:
            try:
                draft = work.get_nowait()
            except queue.Empty:
                break
            body = {"status": draft.parts[0].text, "language": "en", "visibility": "public"}
            response = session.post(
                front.base_url + STATUSES,
                json=body,
                headers={
                    "Authorization": f"Bearer {_token(draft.account)}",
                    "Idempotency-Key": f"bare-{draft.key}",
                },
                timeout=(30, 30),
            )
            if response.status_code != 200:
                failures.append(response.text)
            response.json()["id"]
        session.close()

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    t0 = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - t0
    if failures:
        raise RuntimeError(f"the bare loop was refused {len(failures)} times: {failures[0]}")
    return elapsed


# --- one run ----------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _cpu_seconds(pid: int) -> float:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def peak(fresh: Any, daemons: int, posts: int, accounts: int, workers: int) -> dict[str, Any]:
    from bench.peak_fake import PeakFront
    from scheduler.clock import SystemClock

    clock = SystemClock()
    names = _accounts(accounts)
    url = fresh()
    result: dict[str, Any] = {}
    with PeakFront(clock, {a: _token(a) for a in names}, latency=LATENCY) as front:
        # Due once every daemon has loaded; a daemon that starts later begins with catch-up.
        t0 = time.monotonic()
        due = clock.now() + timedelta(seconds=20 + posts * 0.015 + 8 * daemons)
        due = due.replace(microsecond=0)
        setup(url, due, posts, names)
        result["setup"] = time.monotonic() - t0
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_peak",
                    "child",
                    url,
                    front.base_url,
                    due.isoformat(),
                    str(posts),
                    str(accounts),
                    str(workers),
                ],
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
            for _ in range(daemons)
        ]
        try:
            for proc in procs:
                assert proc.stdout is not None
                if not proc.stdout.readline():
                    raise RuntimeError("a daemon process ended before it was running")
            result["ready_before_due"] = (due - clock.now()).total_seconds()
            cpu0 = sum(_cpu_seconds(p.pid) for p in procs)
            deadline = time.monotonic() + max(0.0, result["ready_before_due"]) + 600
            while time.monotonic() < deadline and front.count() < posts:
                time.sleep(0.1)
            result["cpu"] = sum(_cpu_seconds(p.pid) for p in procs) - cpu0
            stored = front.posted()
            if len(stored) < posts:
                raise RuntimeError(f"only {len(stored)} of {posts} posts arrived")
            lateness = [(posted.created_at - due).total_seconds() for _, posted in stored]
            result["last"] = max(lateness)
            # Daemons that were ready only after the due time began with a catch-up: count
            # from their start, as the peak would have been had they been up in time.
            result["from_ready"] = result["last"] - max(0.0, -result["ready_before_due"])
            result["p50"] = statistics.median(lateness)
            result["p99"] = _percentile(lateness, 0.99)
            result["duplicates"] = len(stored) - len({posted.text for _, posted in stored})
            per_account: dict[str, int] = {}
            for name, _ in stored:
                per_account[name] = per_account.get(name, 0) + 1
            result["most_on_one_account"] = max(per_account.values())
            result["refused"] = front.refused()
            # The same bodies from as many bare threads as the daemons had workers.
            result["bare"] = bare(front, due, posts, names, daemons * workers)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return result


def run(quick: bool, only: tuple[int, ...] = ()) -> list[Row]:
    """The peak with 1, 2 and 4 daemons (1 and 2 when ``quick``), or the counts ``only``."""
    from bench.bench_ledger import postgres_url

    posts, accounts = (1_000, 10) if quick else (10_000, 100)
    counts = only or ((1, 2) if quick else (1, 2, 4))
    rows: list[Row] = []
    with postgres_url() as fresh:
        for daemons in counts:
            r = peak(fresh, daemons, posts, accounts, WORKERS)
            inflight = daemons * WORKERS
            bound = posts * LATENCY / inflight
            label = f"{posts:,} posts, {accounts} accounts, {daemons} x {WORKERS} workers"
            print(
                f"peak: {label}: {json.dumps({k: round(v, 3) for k, v in r.items()})}",
                file=sys.stderr,
            )
            goal = f"<= {GOAL_S:.0f} s" if daemons == max(counts) else ""
            ok = r["from_ready"] <= GOAL_S if goal else None
            late_start = ""
            if r["ready_before_due"] < 0:
                late_start = f", ready {-r['ready_before_due']:.0f} s late: counted from then"
            rows += [
                Row(
                    "peak",
                    f"{label}: all out after (bound {bound:.1f} s{late_start})",
                    r["from_ready"],
                    "s",
                    baseline=r["bare"],
                    baseline_name=f"bare loop, {inflight} threads",
                    goal=goal,
                    ok=ok,
                ),
                Row("peak", f"{label}: lateness p50", r["p50"], "s"),
                Row("peak", f"{label}: lateness p99", r["p99"], "s"),
                Row("peak", f"{label}: daemon CPU per post", r["cpu"] / posts * 1000, "ms"),
                Row(
                    "peak",
                    f"{label}: duplicates / posts refused over a limit",
                    float(r["duplicates"] + r["refused"]),
                    "posts",
                    goal="0",
                    ok=r["duplicates"] == 0 and r["refused"] == 0,
                ),
            ]
    return rows


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "child":
        _, _, url, front, due, posts, accounts, workers = sys.argv
        raise SystemExit(child(url, front, due, int(posts), int(accounts), int(workers)))
    # ``--daemons 4`` runs that count only (a row at a time on a machine shared with others).
    only: tuple[int, ...] = ()
    if "--daemons" in sys.argv:
        only = tuple(int(n) for n in sys.argv[sys.argv.index("--daemons") + 1].split(","))
    for row in run("--quick" in sys.argv, only):
        print(row)
