"""What every test of real daemon processes shares: their settings, a campaign approved in
the ledger, starting and killing ``scheduler run``, and reading what it logged and recorded.

A stage (one per test family: the Mastodon/Bluesky/X/Threads one in ``process.py``, the
Facebook, Instagram and WordPress ones beside their tests) mixes in ``Daemons`` and says
which campaign it writes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from scheduler.approval import Policy, approve
from scheduler.campaign import load_campaign
from scheduler.clock import SystemClock
from scheduler.ledger import open_ledger
from scheduler.render import render_campaign
from tests.conftest import ROOT

REVIEWER = "rev@example.org"

# Short enough that a killed daemon's claim is taken over, and a retry comes, within a test;
# the HTTP timeout under the lease, as an operator would set it.
FAST_DAEMON = {
    "SCHEDULER_DAEMON_LEASE": "2",
    "SCHEDULER_DAEMON_SWEEP_INTERVAL": "0.2",
    "SCHEDULER_DAEMON_RELOAD_INTERVAL": "0.5",
    "SCHEDULER_DAEMON_GRACE": "5",
    "SCHEDULER_DAEMON_RETRY_BASE": "0.3",
    "SCHEDULER_DAEMON_RETRY_CAP": "2",
    "SCHEDULER_DAEMON_RETRY_MAX_ATTEMPTS": "40",
    "SCHEDULER_DAEMON_HTTP_TIMEOUT": "1.5",
}


def daemon_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a daemon under test: this checkout, its own home, the fast
    settings, ``settings`` on top, and none of the caller's ledger, outbox or webhook."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEDULER_HOME": str(home),
        **FAST_DAEMON,
        **settings,
    }
    for var in ("SCHEDULER_LEDGER", "SCHEDULER_OUTBOX", "SCHEDULER_NOTIFY_WEBHOOK"):
        env.pop(var, None)
    return env


def copy_image(campaign: Path, name: str) -> None:
    """One of the shipped campaign's images, into ``campaign``'s images folder."""
    (campaign / "images").mkdir(parents=True, exist_ok=True)
    source = ROOT / "campaigns" / "mhaw-2026" / "images" / name
    (campaign / "images" / name).write_bytes(source.read_bytes())


def sync_and_approve(campaign_dir: Path, ledger_url: str) -> None:
    """Put the campaign's drafts in the ledger, each approved by the reviewer."""
    campaign = load_campaign(campaign_dir)
    policy = Policy.from_campaign(campaign)
    clock = SystemClock()
    ledger = open_ledger(ledger_url, clock=clock)
    try:
        drafts = render_campaign(campaign)
        ledger.sync(campaign.id, drafts, now=clock.now(), rule=policy.rule())
        for draft in drafts:
            approve(ledger, draft.key, REVIEWER, draft.content_hash, policy=policy, now=clock.now())
    finally:
        ledger.close()


class Daemons:
    """Real ``scheduler run`` processes on one campaign folder and ledger."""

    folder: Path
    ledger_url: str
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]]
    campaign_id: str  # the ``id:`` of the campaign the stage writes

    @property
    def campaign(self) -> Path:
        return self.folder / "campaign"

    def start(self, *extra: str, owner: str | None = None) -> subprocess.Popen[bytes]:
        env = dict(self.env)
        if owner:
            env["SCHEDULER_DAEMON_OWNER"] = owner
        log = open(self.folder / f"daemon-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "run", str(self.campaign),
             "--ledger", self.ledger_url, "--log-json", *extra],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
        )  # fmt: skip
        log.close()
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.folder.glob("daemon-*.log"))
        )

    def events(self, name: str) -> list[dict[str, Any]]:
        """The daemons' JSON log events called ``name`` (other lines are skipped)."""
        found = []
        for line in self.logs().splitlines():
            if f'"event":"{name}"' not in line:
                continue
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def records(self) -> list[Any]:
        ledger = open_ledger(self.ledger_url, clock=SystemClock())
        try:
            return ledger.list(self.campaign_id)
        finally:
            ledger.close()
