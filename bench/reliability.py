"""Exactly once under crashes and faults, at realistic counts: ``python -m bench.reliability``.

Two daemons share one PostgreSQL ledger and publish a campaign of 500 posts (every fifth a
thread of three parts, threads and some posts with an image) on five Mastodon accounts, each
on a fake server of its own, while one of the daemons is killed with SIGKILL and restarted
every second or two (at least 100 kills), and every request to a server draws a fault: 20%
503, 10% 429 with reset headers, 5% answered later than the client timeout, 5% applied and
then the connection dropped. Each account also posts through another app all along, so
lookups have many newer statuses to read. It runs once per key mode:

* ``honoured``: the server honours Idempotency-Key and sends ``Link`` headers (Mastodon);
* ``ignored``: the server ignores the key and sends no ``Link`` header (some Mastodon-API
  servers), so only the ledger and the lookups stand between a crash and a duplicate.

Then it counts, from the servers and the ledger: duplicates, lost parts, thread parts replying
to the wrong parent, drafts published, failed, missed and outcome_unknown (and, for each of
these, whether the part is in fact on the server and what evidence the ledger holds), and the
requests that reached an account while a reset its server announced (a 429, or headers saying
nothing remains) was pending, from any daemon.
``--posts 40 --kills 10`` is a quick smoke run.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.gate_probe_report import account_name, stored_pause_report

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "mastodon-token-0123456789"
REVIEWER = "rev@example.org"
IMAGE = ROOT / "campaigns" / "mhaw-2026" / "images" / "path-to-sunrise.png"
TERMINAL = {"published", "failed", "missed", "outcome_unknown", "cancelled"}
TIMEOUT = 1.0  # the daemons' HTTP timeout; a slow answer comes after it
CHATTER_EVERY = 2.0  # seconds between statuses the account posts through another app
FAULTS = (("503", 0.20), ("429", 0.10), ("slow", 0.05), ("dropped", 0.05))
ACCOUNTS = 5  # each on a fake server of its own; a 429 pauses only its account


# --- the campaign ---------------------------------------------------------------------------


def campaign_text(instances: list[str], posts: int, start: datetime, spread: int) -> str:
    lines = [
        "id: reliability",
        "title: Reliability run",
        "timezone: Etc/UTC",
        "language: en",
        "accounts:",
        *[
            f'  {account_name(i)}: {{platform: mastodon, instance: "{url}"}}'
            for i, url in enumerate(instances)
        ],
        "team:",
        "  - {name: Author, email: author@example.org, roles: [writer]}",
        f"  - {{name: Reviewer, email: {REVIEWER}, roles: [reviewer]}}",
        "approval: {required: 1, approvers: [reviewer]}",
        "defaults:",
        "  max_lateness: 2h",
        "posts:",
    ]
    image = ["      - {file: images/sunrise.png, alt: 'A pale path towards a rising sun.'}"]
    for i in range(posts):
        when = (start + timedelta(minutes=i * spread // max(posts, 1))).strftime("%Y-%m-%d %H:%M")
        lines += [
            f"  - id: p{i:03d}",
            f"    at: {when}",
            "    author: author@example.org",
            f"    accounts: [{account_name(i % len(instances))}]",
        ]
        if i % 5 == 4:
            lines += [
                "    thread:",
                f'      - text: "Post {i:03d} part 1/3: a story told in three parts."',
                "        media:",
                *["    " + line for line in image],
                f'      - text: "Post {i:03d} part 2/3: asking for help was the first step."',
                f'      - text: "Post {i:03d} part 3/3: support is there day or night."',
            ]
        else:
            lines.append(f'    text: "Post {i:03d}: you are not alone, and talking can help."')
            if i % 7 == 0:
                lines += ["    media:", *image]
    return "\n".join(lines) + "\n"


def expected_parts(posts: int) -> dict[str, list[str]]:
    """Post id -> the texts of its parts, in order."""
    out: dict[str, list[str]] = {}
    for i in range(posts):
        if i % 5 == 4:
            out[f"p{i:03d}"] = [
                f"Post {i:03d} part 1/3: a story told in three parts.",
                f"Post {i:03d} part 2/3: asking for help was the first step.",
                f"Post {i:03d} part 3/3: support is there day or night.",
            ]
        else:
            out[f"p{i:03d}"] = [f"Post {i:03d}: you are not alone, and talking can help."]
    return out


# --- faults -----------------------------------------------------------------------------------


@dataclass
class Chaos:
    """Draws one fault per request, with fresh reset headers for each 429."""

    fake: Any
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)  # shared by every server's chaos
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, method: str, pattern: str) -> Any:
        from tests.fakes.base import Fault

        with self.lock:
            draw = self.rng.random()
            self.counts["requests"] += 1
        total = 0.0
        for kind, share in FAULTS:
            total += share
            if draw < total:
                with self.lock:
                    self.counts[kind] += 1
                if kind == "503":
                    return Fault.status(503, {"error": "Service Unavailable"})
                if kind == "429":
                    return self.fake.rate_limit_fault(seconds=self.rng.uniform(1.0, 3.0))
                if kind == "slow":
                    return Fault.delay(TIMEOUT + 0.5)
                return Fault.drop_after()
        return None


def chatter(fake: Any, stop: threading.Event, every: float) -> None:
    """The account posting through another app: newer statuses for every lookup."""
    n = 0
    while not stop.wait(every):
        n += 1
        fake.post_elsewhere(f"Chatter {n}: lunch was good")


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Figures:
    mode: str
    posts: int
    parts: int
    daemons: int
    kills: int
    seconds: float
    states: dict[str, int]
    duplicates: int
    lost: int
    wrong_parent: int
    posted_but_not_recorded: int
    unknown_in_fact_published: int
    unknown_evidence: list[str]
    failed_reasons: list[str]
    requests: dict[str, int]
    lookups: dict[str, int]
    deepest_absent_pages: int
    chatter: int
    accounts: int
    resets_announced: int
    pauses_written: int
    requests_during_resets: int
    sent_before_the_pause_was_written: int
    paused_share: float
    gate: dict[str, Any] = field(default_factory=dict)


def _prepare(folder: Path, instances: list[str], ledger_url: str, posts: int, spread: int) -> int:
    from scheduler.approval import Policy, approve
    from scheduler.campaign import load_campaign
    from scheduler.clock import SystemClock
    from scheduler.ledger import open_ledger
    from scheduler.render import render_campaign

    campaign = folder / "campaign"
    (campaign / "images").mkdir(parents=True, exist_ok=True)
    (campaign / "images" / "sunrise.png").write_bytes(IMAGE.read_bytes())
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    text = campaign_text(instances, posts, start, spread)
    (campaign / "campaign.yaml").write_text(text, encoding="utf-8")
    loaded = load_campaign(campaign)
    policy = Policy.from_campaign(loaded)
    clock = SystemClock()
    ledger = open_ledger(ledger_url, clock=clock)
    try:
        drafts = render_campaign(loaded)
        ledger.sync(loaded.id, drafts, now=clock.now(), rule=policy.rule())
        for draft in drafts:
            approve(ledger, draft.key, REVIEWER, draft.content_hash, policy=policy, now=clock.now())
    finally:
        ledger.close()
    return len(drafts)


def _env(folder: Path, accounts: int) -> dict[str, str]:
    from scheduler.credentials import env_name

    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEDULER_HOME": str(folder / "home"),
        **{env_name(account_name(i), "access_token"): TOKEN for i in range(accounts)},
        "SCHEDULER_DAEMON_LEASE": "5",
        "SCHEDULER_DAEMON_SWEEP_INTERVAL": "0.3",
        "SCHEDULER_DAEMON_RELOAD_INTERVAL": "5",
        "SCHEDULER_DAEMON_GRACE": "5",
        "SCHEDULER_DAEMON_RETRY_BASE": "1",
        "SCHEDULER_DAEMON_RETRY_CAP": "10",
        "SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS": "40",
        "SCHEDULER_DAEMON_HTTP_TIMEOUT": str(TIMEOUT),
    }
    for var in ("SCHEDULER_LEDGER", "SCHEDULER_OUTBOX", "SCHEDULER_NOTIFY_WEBHOOK"):
        env.pop(var, None)
    return env


def _start(folder: Path, ledger_url: str, env: dict[str, str], owner: str, n: int) -> Any:
    log = open(folder / f"daemon-{owner}-{n:03d}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.probed",  # the scheduler, its gate noting times (see bench.probed)
            "run",
            str(folder / "campaign"),
            "--ledger",
            ledger_url,
            "--log-json",
        ],
        env={**env, "SCHEDULER_DAEMON_OWNER": owner},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    log.close()
    return proc


def _states(ledger_url: str) -> list[Any]:
    from scheduler.clock import SystemClock
    from scheduler.ledger import open_ledger

    ledger = open_ledger(ledger_url, clock=SystemClock())
    try:
        return list(ledger.list("reliability"))
    finally:
        ledger.close()


def run_mode(
    mode: str,
    posts: int,
    kills: int,
    ledger_url: str,
    folder: Path,
    seed: int,
    limit: float,
    accounts: int = ACCOUNTS,
) -> Figures:
    from scheduler.clock import SystemClock
    from scheduler.platforms.mastodon import clear_instance_cache
    from tests.fakes.mastodon import FakeMastodon

    clear_instance_cache()
    honoured = mode == "honoured"
    rng = random.Random(seed)
    with contextlib.ExitStack() as stack:
        fakes = [
            stack.enter_context(
                FakeMastodon(
                    SystemClock(), token=TOKEN, honour_idempotency=honoured, link_headers=honoured
                )
            )
            for _ in range(accounts)
        ]
        counts: Counter[str] = Counter()
        lock = threading.Lock()
        for i, fake in enumerate(fakes):
            fake.remaining = 10**9  # only the drawn faults limit the run
            fake.chaos = Chaos(fake, random.Random(seed + 1 + i), counts, lock)
        total = _prepare(
            folder, [f.base_url for f in fakes], ledger_url, posts, spread=max(1, posts // 100)
        )
        stop = threading.Event()
        talkers = [
            threading.Thread(target=chatter, args=(fake, stop, CHATTER_EVERY), daemon=True)
            for fake in fakes
        ]
        for talker in talkers:
            talker.start()
        env = _env(folder, accounts)
        started = time.monotonic()
        procs = {owner: _start(folder, ledger_url, env, owner, 0) for owner in ("a", "b")}
        runs = Counter({"a": 0, "b": 0})
        done_kills = 0
        try:
            while time.monotonic() - started < limit:
                time.sleep(rng.uniform(0.5, 2.5))
                if done_kills < kills:
                    owner = rng.choice(("a", "b"))
                    procs[owner].send_signal(signal.SIGKILL)
                    procs[owner].wait(timeout=30)
                    done_kills += 1
                    runs[owner] += 1
                    procs[owner] = _start(folder, ledger_url, env, owner, runs[owner])
                    continue
                if all(str(r.state) in TERMINAL for r in _states(ledger_url)):
                    break
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs.values():
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=30)
            stop.set()
            for talker in talkers:
                talker.join(timeout=10)
            for fake in fakes:
                fake.chaos = None
        seconds = time.monotonic() - started
        statuses: list[Any] = []
        chatter_count = 0
        for fake in fakes:
            with fake.lock:
                ours = [s for s in fake.statuses if not s.text.startswith("Chatter")]
                chatter_count += len(fake.statuses) - len(ours)
            statuses += ours
        resets = stored_pause_report(fakes, seconds, folder)
    records = _states(ledger_url)
    figures = _figures(
        mode, posts, total, done_kills, seconds, statuses, records, counts, folder, chatter_count
    )
    return replace(figures, accounts=accounts, **resets)


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _figures(
    mode: str,
    posts: int,
    total: int,
    kills: int,
    seconds: float,
    statuses: list[Any],
    records: list[Any],
    counts: Counter[str],
    folder: Path,
    chatter_count: int,
) -> Figures:
    want = expected_parts(posts)
    copies = Counter(s.text for s in statuses)
    by_text = {s.text: s for s in statuses}
    duplicates = sum(n - 1 for n in copies.values() if n > 1)
    states = Counter(str(r.state) for r in records)
    lost = 0
    wrong_parent = 0
    not_recorded = 0
    unknown_published = 0
    unknown_evidence: list[str] = []
    failed: list[str] = []
    for record in records:
        texts = want[record.key.post_id]
        state = str(record.state)
        on_server = [t for t in texts if t in by_text]
        if state == "published":
            lost += len(texts) - len(on_server)
        elif state not in TERMINAL:
            lost += len(texts) - len(on_server)  # nobody was told: as good as lost
        else:
            not_recorded += len(on_server) - len(record.parts_done)
        if state == "outcome_unknown":
            unknown_published += int(len(on_server) > len(record.parts_done))
            unknown_evidence.append(f"{record.key.post_id}: {record.last_error}")
        if state in ("failed", "missed"):
            failed.append(f"{record.key.post_id} {state}: {record.last_error}")
        for before, after in itertools.pairwise(texts):
            if before in by_text and after in by_text:
                wrong_parent += int(by_text[after].in_reply_to_id != by_text[before].id)
    lookups: Counter[str] = Counter()
    deepest = 0
    for log in folder.glob("daemon-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if '"event":"reconciled"' not in line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            lookups[str(event.get("answer", "found" if event.get("found") else "?"))] += 1
            pages = re.search(r"\((\d+) page", str(event.get("evidence", "")))
            if event.get("answer") == "absent" and pages:
                deepest = max(deepest, int(pages.group(1)))
    return Figures(
        mode=mode,
        posts=posts,
        parts=sum(len(t) for t in want.values()),
        daemons=2,
        kills=kills,
        seconds=round(seconds, 1),
        states=dict(sorted(states.items())),
        duplicates=duplicates,
        lost=lost,
        wrong_parent=wrong_parent,
        posted_but_not_recorded=max(not_recorded, 0),
        unknown_in_fact_published=unknown_published,
        unknown_evidence=unknown_evidence,
        failed_reasons=failed,
        requests=dict(counts),
        lookups=dict(lookups),
        deepest_absent_pages=deepest,
        chatter=chatter_count,
        accounts=1,
        resets_announced=0,
        pauses_written=0,
        requests_during_resets=0,
        sent_before_the_pause_was_written=0,
        paused_share=0.0,
        gate={},
    )


def _postgres_schema() -> tuple[str, Any]:
    from tests.ledger.support import PgSchema, postgres_problem

    problem = postgres_problem()
    if problem:
        raise SystemExit(f"reliability: {problem}")
    schema = PgSchema()
    return schema.url, schema.drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=ACCOUNTS)
    parser.add_argument("--modes", default="honoured,ignored")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--limit", type=float, default=3600.0, help="seconds per mode at most")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    results = []
    for mode in args.modes.split(","):
        url, drop = _postgres_schema()
        try:
            with tempfile.TemporaryDirectory(prefix=f"reliability-{mode}-") as tmp:
                figures = run_mode(
                    mode,
                    args.posts,
                    args.kills,
                    url,
                    Path(tmp),
                    args.seed,
                    args.limit,
                    args.accounts,
                )
        finally:
            drop()
        results.append(asdict(figures))
        print(json.dumps(asdict(figures), indent=2), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
