"""The progress bar: drawn on a terminal (a pseudo-terminal here), never in piped output or
beside --json."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.campaign.helpers import write_campaign
from tests.conftest import ROOT

BAR = "━"  # what Rich draws the bar with


def scheduler(
    argv: list[str], home: Path, *, terminal: bool, timeout: float = 60
) -> tuple[int, str, str]:
    """Run the real command; standard error on a pseudo-terminal when ``terminal``.

    Returns (exit code, standard output, standard error)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEDULER_HOME": str(home),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    for var in ("SCHEDULER_LEDGER", "SCHEDULER_OUTBOX", "SCHEDULER_SECRETS"):
        env.pop(var, None)
    command = [sys.executable, "-m", "scheduler", *argv]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    try:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=slave, env=env)
    finally:
        os.close(slave)
    seen = b""
    try:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert child.stdout is not None
    out = child.stdout.read().decode("utf-8")
    code = child.wait(timeout=timeout)
    return code, out, seen.decode("utf-8", "replace")


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    return write_campaign(tmp_path / "campaign")


def test_check_draws_a_bar_on_a_terminal_and_keeps_it_out_of_standard_output(
    campaign: Path, tmp_path: Path
) -> None:
    code, out, err = scheduler(["check", str(campaign)], tmp_path / "home", terminal=True)
    assert code == 0, err
    assert "checking" in err and BAR in err
    assert out == f"{campaign}: ok: 2 posts, 4 drafts on 3 accounts\n"


def test_piped_output_has_no_bar(campaign: Path, tmp_path: Path) -> None:
    code, out, err = scheduler(["check", str(campaign)], tmp_path / "home", terminal=False)
    assert code == 0, err
    assert err == ""
    assert BAR not in out and "\x1b" not in out


def test_json_has_no_bar_even_on_a_terminal(campaign: Path, tmp_path: Path) -> None:
    code, out, err = scheduler(["check", str(campaign), "--json"], tmp_path / "home", terminal=True)
    assert code == 0
    assert BAR not in err and "checking" not in err
    assert out.startswith("{") and BAR not in out


def test_bulk_approval_draws_a_bar(campaign: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    who = ["--as", "bo@example.org"]
    code, _, err = scheduler(["review", str(campaign), *who], home, terminal=False)
    assert code == 0, err
    code, out, err = scheduler(["approve", str(campaign), "--shown", *who], home, terminal=True)
    assert code == 0, err
    assert "approving" in err and BAR in err
    assert out.count(": approved, recorded as bo@example.org") == 4


def test_rehearse_draws_a_determinate_bar_on_a_terminal_only(
    campaign: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    argv = ["rehearse", str(campaign), "--start", "2027-01-04"]
    code, out, err = scheduler(argv, home, terminal=True)
    assert code in (0, 1), err  # 1: the drafts are not approved, which the report says
    assert "rehearsing" in err and BAR in err
    # Determinate: simulated hours done of the whole span, known before it starts.
    assert re.search(r"rehearsing.*\d+/\d+", err), err
    assert BAR not in out and "\x1b" not in out
    code, out, err = scheduler([*argv, "--json"], home, terminal=True)
    assert BAR not in err and "rehearsing" not in err and out.startswith("{")
    code, out, err = scheduler(argv, home, terminal=False)
    assert err == "" and BAR not in out


def test_the_sync_bar_is_determinate(campaign: Path, tmp_path: Path) -> None:
    code, _, err = scheduler(
        ["review", str(campaign), "--as", "bo@example.org"], tmp_path / "home", terminal=True
    )
    assert code == 0, err
    assert re.search(r"syncing.*\d+/8\b", err), err  # two steps for each of the 4 drafts
