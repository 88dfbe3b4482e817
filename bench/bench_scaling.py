"""Linear scaling: ``check``, ledger sync and daemon start-up at 100, 1,000 and 10,000 posts.

The campaigns are copies of the shipped week (bench/scaled.py): threads, images with alt
text, snippets, variants, links, content warnings and three accounts, in files the header
includes, one copy of the week per calendar week. For each size:

* ``check``: ``scheduler check DIR`` run in this process (imports already warm), so the
  figure is the work that grows with the campaign, not the interpreter's start.
* ``sync``: ``Ledger.sync`` of every rendered draft into an empty SQLite ledger, with the
  campaign's approval rule, as ``scheduler review`` or the daemon's first load does.
* ``start-up``: the real ``scheduler run DIR --sandbox`` against the ledger already synced,
  from launch to its ``running`` log line.

Goal: 10,000 posts within 12x of 1,000 for each (linear is 10x). Each figure is the best of a
few runs, the sizes interleaved so that all see the same load on a shared machine.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_campaign import scheduler_command
from bench.harness import Row
from bench.scaled import write_campaign

AREA = "scaling"
GOAL = 12.0
REPEAT = 2  # the 10,000-post start-up alone takes minutes on a loaded machine


def check(folder: Path) -> float:
    from scheduler.cli import main

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["check", str(folder)])
    elapsed = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"scheduler check {folder} failed with exit code {code}")
    return elapsed


def sync(folder: Path, ledger: Path) -> float:
    from scheduler.approval import Policy
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.ledger import open_ledger
    from scheduler.render import render_campaign

    campaign = load_campaign(folder)
    drafts = render_campaign(campaign)
    rule = Policy.from_campaign(campaign).rule()
    ledger.unlink(missing_ok=True)
    clock = SystemClock()
    store = open_ledger(f"sqlite:///{ledger}", clock=clock)
    try:
        t0 = time.perf_counter()
        report = store.sync(campaign.id, drafts, now=clock.now(), rule=rule)
        elapsed = time.perf_counter() - t0
    finally:
        store.close()
    if len(report.created) != len(drafts):
        raise RuntimeError(f"sync created {len(report.created)} of {len(drafts)} drafts")
    return elapsed


def start_up(folder: Path, ledger: Path, home: Path, limit: float = 600.0) -> float:
    """Seconds from launching ``scheduler run`` to its ``running`` line; then stops it."""
    env = {
        **os.environ,
        "SCHEDULER_HOME": str(home),
        "SCHEDULER_LEDGER": f"sqlite:///{ledger}",
        "SCHEDULER_OUTBOX": str(home / "outbox"),
    }
    cmd = [*scheduler_command(), "run", str(folder), "--sandbox", "--log-json"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    assert proc.stderr is not None
    try:
        for raw in proc.stderr:
            if b'"running"' in raw:
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > limit:
                break
        raise RuntimeError(f"scheduler run did not report running: exit {proc.poll()}")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(quick: bool) -> list[Row]:
    sizes = (30, 100, 1000) if quick else (100, 1000, 10_000)
    repeat = 1 if quick else REPEAT
    best: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folders = {n: write_campaign(root / f"c{n}", n) for n in sizes}
        check(folders[sizes[0]])  # imports and the text tables, outside the timing
        for _ in range(repeat):
            for n in sizes:
                ledger = root / f"ledger-{n}.sqlite3"
                for what, seconds in (
                    ("check", check(folders[n])),
                    ("sync", sync(folders[n], ledger)),
                    ("start-up", start_up(folders[n], ledger, root / f"home-{n}")),
                ):
                    best[what, n] = min(best.get((what, n), float("inf")), seconds)
                print(f"scaling: {n} posts done", file=sys.stderr, flush=True)
    rows: list[Row] = []
    small, middle, large = sizes
    labels = {
        "check": "scheduler check (in process)",
        "sync": "ledger sync into empty SQLite",
        "start-up": "scheduler run until running",
    }
    for what, label in labels.items():
        for n in (small, middle):
            rows.append(Row(AREA, f"{label}, {n:,} posts", best[what, n], "s"))
        value, base = best[what, large], best[what, middle]
        rows.append(
            Row(
                AREA,
                f"{label}, {large:,} posts",
                value,
                "s",
                baseline=base,
                baseline_name=f"{middle:,} posts",
                goal=f"<= {GOAL:g}x",
                ok=value <= GOAL * base if not quick else None,
            )
        )
    return rows
