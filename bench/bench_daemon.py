"""The daemon: lateness from due time to the fake platform's receipt, a burst, memory, idle CPU.

The daemon runs as its own process (``python -m bench.bench_daemon child ...``) so that its
memory and CPU are its own; it publishes through the real Mastodon publisher to the fake
Mastodon server running in this process, which stamps each post with its time of receipt.

* scheduled: 10,000 approved drafts in the ledger (so 10,000 timers), of which a sample of
  200 fall due 50 ms apart a few seconds after the daemon is up; lateness = receipt - due.
  Goals: p50 <= 20 ms, p99 <= 100 ms.
* burst: 1,000 posts due at the same instant, on SQLite and on PostgreSQL; lateness of each,
  time until the last against a bare ``requests`` loop posting the same (goal <= 2x), and
  the daemon's CPU per post. Every post passes the account gate as in ``scheduler run``
  (the pause and quota reads), with room in the quotas and the fake's allowance for the
  whole burst on one account. Beside the bare loop, the same loop with the least a ledger
  must write for exactly-once (two durable SQLite transactions a post, raw ``sqlite3``):
  how much of the distance is the promise itself, and how much the daemon's own work.
* memory: the daemon's resident set with 10,000 drafts loaded and scheduled (<= 100 MB), in
  this harness and in the real ``scheduler run`` with a generated campaign (its loading,
  rendering and imports included).
* idle CPU: the daemon's CPU use over 10 s with 10,000 drafts waiting and nothing due.

The ledger is SQLite in a temporary folder (the embedded default); the burst runs on a
PostgreSQL schema as well.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Row

TOKEN = "bench-token-0123456789"
ACCOUNT = "bench"
BURST_GOAL = 2.0  # all out within twice the bare loop's time
REVIEWER = "rev@example.org"
TEXT = "Bench post {i:05d}: you are not alone. Talking helps. #MentalHealthAwarenessWeek"


# --- the daemon process -----------------------------------------------------------------------


def _drafts(start: datetime, count: int, first: int, spacing: float, timezone: str) -> list[Any]:
    from scheduler.draft import Draft, Part

    return [
        Draft(
            campaign="bench",
            post_id=f"p{first + i:05d}",
            account=ACCOUNT,
            platform="mastodon",
            due=start + timedelta(seconds=spacing * i),
            timezone=timezone,
            parts=(Part(text=TEXT.format(i=first + i)),),
            author="author@example.org",
            latest=start + timedelta(seconds=spacing * i) + timedelta(hours=2),
            language="en",
        )
        for i in range(count)
    ]


def later_start() -> datetime:
    """Drafts that wait are due tomorrow at midnight UTC (the same in every process)."""
    from scheduler.clock import SystemClock

    now = SystemClock().now()
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def setup(ledger_url: str, total: int, sample: int) -> int:
    """Put the drafts that wait into the ledger, approved one by one, as people would."""
    from scheduler.clock import SystemClock
    from scheduler.ledger import ApprovalRule, open_ledger

    clock = SystemClock()
    ledger = open_ledger(ledger_url, clock=clock)
    rule = ApprovalRule(required=1)
    later = _drafts(later_start(), total - sample, sample, 1.0, "Etc/UTC")
    ledger.sync("bench", later, now=clock.now(), rule=rule)
    for draft in later:
        ledger.decide(
            draft.key,
            kind="approve",
            actor=REVIEWER,
            content_hash=draft.content_hash,
            now=clock.now(),
            rule=rule,
        )
    ledger.close()
    return 0


def child(ledger_url: str, fake_url: str, total: int, sample: int, spacing: float) -> int:
    """Add the drafts due in a moment, then run the real daemon until SIGTERM."""
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
    from scheduler.platforms.quota import quotas_for

    clock = SystemClock()
    options = DaemonOptions(owner="bench")
    # As ``scheduler run`` opens it: a connection kept for each thread that uses it.
    ledger = open_ledger(ledger_url, clock=clock, connections=options.ledger_connections)
    rule = ApprovalRule(required=1)
    waiting_from = later_start()
    # Far enough ahead that the daemon has loaded and scheduled every draft before the first
    # falls due, even on a busy machine (lateness is measured from the due time).
    first_due = clock.now() + timedelta(seconds=6 + total / 1000)
    due_now = _drafts(first_due, sample, 0, spacing, "Etc/UTC")
    # The whole campaign, as its files would give it: a partial sync would cancel the rest.
    waiting = _drafts(waiting_from, total - sample, sample, 1.0, "Etc/UTC")
    ledger.sync("bench", due_now + waiting, now=clock.now(), rule=rule)
    for draft in due_now:
        ledger.decide(
            draft.key,
            kind="approve",
            actor=REVIEWER,
            content_hash=draft.content_hash,
            now=clock.now(),
            rule=rule,
        )
    del due_now, waiting

    class Source:
        """Renders the drafts afresh on each load, as campaign files would."""

        def load(self) -> list[Loaded]:
            drafts = _drafts(first_due, sample, 0, spacing, "Etc/UTC")
            drafts += _drafts(waiting_from, total - sample, sample, 1.0, "Etc/UTC")
            return [
                Loaded(
                    campaign_id="bench",
                    title="bench",
                    root=Path("."),
                    timezone="Etc/UTC",
                    drafts=drafts,
                    rule=rule,
                    accounts={ACCOUNT: AccountSpec(ACCOUNT, "mastodon", {"instance": fake_url})},
                )
            ]

        def changed(self) -> bool:
            return False

    def roomy(account: str, platform: str) -> tuple[Any, ...]:
        # Mastodon's quotas, counted as ever, with room for the whole burst on one account.
        return tuple(replace(q, requests=max(q.requests, 2 * total)) for q in quotas_for(platform))

    class Announce:
        def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
            if name == "running":
                print(json.dumps({"running": True, "first_due": first_due.isoformat()}))
                sys.stdout.flush()

    reporter = Reporter(Announce())
    # The gate as ``scheduler run`` composes it: the account's pause and quota counts are
    # read from the ledger around every post.
    gate = LedgerGate(ledger, clock, quotas=roomy, reporter=reporter)
    context = PlatformContext(
        clock=clock,
        credentials=CredentialStore({env_name(ACCOUNT, "access_token"): TOKEN}, None),
        state_dir=Path(tempfile.mkdtemp()),
        outbox=Path(tempfile.mkdtemp()),
        timeout=10,
        gate=gate,
    )
    local = threading.local()

    def publisher_for(draft: Any) -> Any:
        if getattr(local, "publisher", None) is None:
            local.publisher = build_publisher(
                AccountSpec(ACCOUNT, "mastodon", {"instance": fake_url}), context
            )
        return local.publisher

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


# --- measuring --------------------------------------------------------------------------------


def _rss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _cpu_seconds(pid: int) -> float:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(parts[11]) + int(parts[12])) / ticks  # utime + stime


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def scenario(
    total: int, sample: int, spacing: float, *, idle: float = 0.0, url: str | None = None
) -> dict[str, Any]:
    from scheduler.clock import SystemClock
    from tests.fakes.mastodon import FakeMastodon

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, FakeMastodon(SystemClock(), token=TOKEN) as fake:
        # A server that allows the whole burst in one rate-limit window (its headers would
        # pause the account after 300 posts otherwise, as a real instance's would).
        fake.remaining = 10 * total
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        url = url or f"sqlite:///{tmp}/ledger.sqlite3"
        subprocess.run(
            [sys.executable, "-m", "bench.bench_daemon", "setup", url, str(total), str(sample)],
            env=env,
            check=True,
        )
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.bench_daemon",
                "child",
                url,
                fake.base_url,
                str(total),
                str(sample),
                str(spacing),
            ],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("the daemon process ended before it was running")
            first_due = datetime.fromisoformat(json.loads(line)["first_due"])
            cpu0 = _cpu_seconds(proc.pid)
            deadline = time.monotonic() + 120 + spacing * sample
            while time.monotonic() < deadline and len(fake.statuses) < sample:
                time.sleep(0.05)
            result["cpu"] = _cpu_seconds(proc.pid) - cpu0
            posted = list(fake.statuses)
            if len(posted) < sample:
                raise RuntimeError(f"only {len(posted)} of {sample} posts arrived")
            lateness = []
            for status in posted:
                index = int(status.text.split()[2].rstrip(":"))
                due = first_due + timedelta(seconds=spacing * index)
                lateness.append((status.created_at - due).total_seconds())
            result["lateness"] = lateness
            result["last"] = max(lateness)
            time.sleep(1.0)  # let the daemon settle: nothing is due for a day
            result["rss"], result["peak"] = _rss_mb(proc.pid)
            if idle:
                c0, t0 = _cpu_seconds(proc.pid), time.monotonic()
                time.sleep(idle)
                result["idle_cpu"] = (_cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)
            result["duplicates"] = len(posted) - len({s.text for s in posted})
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    return result


def run(quick: bool) -> list[Row]:
    total = 1_000 if quick else 10_000
    sample = 50 if quick else 200
    burst = 100 if quick else 1_000
    rows: list[Row] = []
    scheduled = scenario(total, sample, 0.05, idle=3.0 if quick else 10.0)
    late = scheduled["lateness"]
    p50, p99 = statistics.median(late), _percentile(late, 0.99)
    label = f"{total:,} scheduled drafts, {sample} due 50 ms apart"
    rows.append(
        Row("daemon", f"lateness p50 ({label})", p50, "s", goal="<= 20 ms", ok=p50 <= 0.020)
    )
    rows.append(
        Row("daemon", f"lateness p99 ({label})", p99, "s", goal="<= 100 ms", ok=p99 <= 0.100)
    )
    rows.append(
        Row(
            "daemon",
            f"memory with {total:,} drafts (RSS)",
            scheduled["rss"],
            "MB",
            goal="<= 100 MB",
            ok=scheduled["rss"] <= 100,
        )
    )
    rows.append(Row("daemon", f"memory with {total:,} drafts (peak RSS)", scheduled["peak"], "MB"))
    rows.append(
        Row("daemon", f"idle CPU with {total:,} drafts waiting", scheduled["idle_cpu"] * 100, "%")
    )
    rows.append(
        Row(
            "daemon",
            "duplicates",
            float(scheduled["duplicates"]),
            "posts",
            goal="0",
            ok=scheduled["duplicates"] == 0,
        )
    )
    real = real_run(total // 3 + 1)
    rows.append(
        Row(
            "daemon",
            f"memory of `scheduler run` with {real['drafts']:,.0f} approved drafts (RSS)",
            real["rss"],
            "MB",
            goal="<= 100 MB",
            ok=real["rss"] <= 100,
        )
    )
    rows.append(Row("daemon", "the same, peak RSS", real["peak"], "MB"))
    rows += burst_rows(burst)
    return rows


def real_run(posts: int) -> dict[str, float]:
    """RSS of the real ``scheduler run`` with a generated campaign's drafts all approved.

    The campaign is bench_campaign's week (texts, snippets, threads with an image, three
    accounts) moved to next week; the drafts are put in the ledger and approved one by one
    by another process, and the daemon is the command an operator runs."""
    from bench.bench_campaign import write_week
    from scheduler.clock import SystemClock
    from scheduler.daemon.source import CampaignFiles
    from scheduler.ledger import open_ledger

    clock = SystemClock()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_week(Path(tmp) / "campaign", posts)
        monday = clock.now().date() + timedelta(days=7 - clock.now().weekday() + 7)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("week_start: 2026-05-11", f"week_start: {monday}"))
        url = f"sqlite:///{tmp}/ledger.sqlite3"
        ledger = open_ledger(url, clock=clock)
        drafts = 0
        for campaign in CampaignFiles([path.parent]).load():
            ledger.sync(campaign.campaign_id, campaign.drafts, now=clock.now(), rule=campaign.rule)
            for draft in campaign.drafts:
                ledger.decide(
                    draft.key,
                    kind="approve",
                    actor="bo@example.org"
                    if draft.author != "bo@example.org"
                    else "ada@example.org",
                    content_hash=draft.content_hash,
                    now=clock.now(),
                    rule=campaign.rule,
                )
                drafts += 1
        ledger.close()
        env = {
            **os.environ,
            "SCHEDULER_LEDGER": url,
            "SCHEDULER_HOME": tmp,
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "run", "--log-json", str(path.parent)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                if '"running"' in line:
                    break
            else:
                raise RuntimeError("`scheduler run` ended before it was running")
            time.sleep(3.0)
            rss, peak = _rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {"drafts": float(drafts), "rss": rss, "peak": peak}


class DurableLedger:
    """The least a ledger must write to promise exactly-once, on the raw ``sqlite3`` module:
    before each request a durable record that the post is being sent (its state and an
    attempt row), after it a durable record of what the platform answered (the state, the
    attempt's end and an event). The same WAL mode and ``synchronous=FULL`` as the ledger,
    no SQLAlchemy, no checks: the floor under the daemon's bookkeeping, for the burst."""

    def __init__(self, path: Path, n: int) -> None:
        import sqlite3

        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE drafts (post TEXT PRIMARY KEY, state TEXT, remote TEXT)")
        self.db.execute("CREATE TABLE attempts (post TEXT, started TEXT, ended TEXT)")
        self.db.execute("CREATE TABLE events (post TEXT, at TEXT, action TEXT)")
        self.db.executemany(
            "INSERT INTO drafts VALUES (?, 'approved', NULL)", [(f"p{i}",) for i in range(n)]
        )

    def before(self, i: int) -> None:
        now = datetime.now().isoformat()
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE drafts SET state = 'publishing' WHERE post = ?", (f"p{i}",))
        self.db.execute("INSERT INTO attempts VALUES (?, ?, NULL)", (f"p{i}", now))
        self.db.execute("COMMIT")

    def after(self, i: int, remote_id: str) -> None:
        now, post = datetime.now().isoformat(), f"p{i}"
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute(
            "UPDATE drafts SET state = 'published', remote = ? WHERE post = ?", (remote_id, post)
        )
        self.db.execute("UPDATE attempts SET ended = ? WHERE post = ?", (now, post))
        self.db.execute("INSERT INTO events VALUES (?, ?, 'finish')", (post, now))
        self.db.execute("COMMIT")


def durable_loop(n: int) -> float:
    """The bare loop with the least exactly-once bookkeeping around each post."""
    from bench.bench_publish import bare_loop

    with tempfile.TemporaryDirectory() as tmp:
        ledger = DurableLedger(Path(tmp) / "floor.sqlite3", n)
        try:
            return bare_loop(n, ledger)
        finally:
            ledger.db.close()


def burst_rows(burst: int) -> list[Row]:
    """A burst due at once, on SQLite and on PostgreSQL, against a bare loop of requests."""
    from bench.bench_ledger import postgres_url
    from bench.bench_publish import bare_loop

    rows: list[Row] = []
    with postgres_url() as fresh:
        for backend, url in (("SQLite", None), ("PostgreSQL", fresh())):
            bare = bare_loop(burst)
            floor = durable_loop(burst)
            result = scenario(burst, burst, 0.0, url=url)
            late = result["lateness"]
            label = f"burst of {burst:,} due at once, {backend}"
            rows += [
                Row(
                    "daemon",
                    f"{label}: all out after",
                    result["last"],
                    "s",
                    baseline=bare,
                    baseline_name="bare requests loop",
                    goal=f"<= {BURST_GOAL}x",
                    ok=result["last"] <= BURST_GOAL * bare,
                ),
                Row(
                    "daemon",
                    f"{label}: the bare loop with two durable SQLite writes a post (floor)",
                    floor,
                    "s",
                    baseline=bare,
                    baseline_name="bare requests loop",
                ),
                Row("daemon", f"{label}: p50 lateness", statistics.median(late), "s"),
                Row("daemon", f"{label}: p99 lateness", _percentile(late, 0.99), "s"),
                Row("daemon", f"{label}: daemon CPU per post", result["cpu"] / burst * 1000, "ms"),
                Row(
                    "daemon",
                    f"{label}: duplicates",
                    float(result["duplicates"]),
                    "posts",
                    goal="0",
                    ok=result["duplicates"] == 0,
                ),
            ]
    return rows


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "setup":
        _, _, url, total, sample = sys.argv
        raise SystemExit(setup(url, int(total), int(sample)))
    if len(sys.argv) >= 2 and sys.argv[1] == "child":
        _, _, url, fake_url, total, sample, spacing = sys.argv
        raise SystemExit(child(url, fake_url, int(total), int(sample), float(spacing)))
    if len(sys.argv) >= 2 and sys.argv[1] == "scheduled":
        # Only lateness, memory and idle CPU: ``python -m bench.bench_daemon scheduled [DRAFTS]``.
        drafts = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
        got = scenario(drafts, 200, 0.05, idle=10.0)
        print(
            f"p50 {statistics.median(got['lateness']) * 1000:.1f} ms, "
            f"p99 {_percentile(got['lateness'], 0.99) * 1000:.1f} ms, "
            f"RSS {got['rss']:.1f} MB (peak {got['peak']:.1f}), "
            f"idle CPU {got['idle_cpu'] * 100:.1f} %, duplicates {got['duplicates']}"
        )
        raise SystemExit(0)
    if len(sys.argv) >= 2 and sys.argv[1] == "real":
        # Only the real command's memory: ``python -m bench.bench_daemon real [POSTS]``.
        print(real_run(int(sys.argv[2]) if len(sys.argv) > 2 else 3_334))
        raise SystemExit(0)
    if len(sys.argv) >= 2 and sys.argv[1] == "burst":
        # Only the burst rows: ``python -m bench.bench_daemon burst [POSTS]``.
        for row in burst_rows(int(sys.argv[2]) if len(sys.argv) > 2 else 1_000):
            print(row)
        raise SystemExit(0)
    for row in run("--quick" in sys.argv):
        print(row)
