"""Commands of commands print their own help; `serve` says the port it really bound."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scheduler.cli import main
from tests.campaign.helpers import write_campaign
from tests.conftest import ROOT


@pytest.mark.parametrize(("group", "sub"), [("accounts", "check"), ("team", "invite")])
def test_a_group_alone_prints_its_own_help_and_exits_2(
    group: str, sub: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([group]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"usage: scheduler {group} [-h] COMMAND")
    assert sub in err


def test_serve_on_a_busy_port_is_one_clear_line(
    tmp_path: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = write_campaign(tmp_path / "c")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", str(campaign), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [
        f"error: cannot serve on 127.0.0.1:{port}: the port is in use",
        "hint: choose another --port (0 picks a free one)",
    ]


def test_serve_on_port_0_says_the_port_it_chose(tmp_path: Path) -> None:
    campaign = write_campaign(tmp_path / "c")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCHEDULER_HOME": str(tmp_path / "home")}
    env.pop("SCHEDULER_LEDGER", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "serve", str(campaign), "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
        found = re.fullmatch(r"review pages at http://127\.0\.0\.1:(\d+) \(Ctrl-C stops\)\n", first)
        assert found, first
        port = int(found.group(1))
        assert port != 0
        deadline = time.monotonic() + 30  # a real server process starting on a busy machine
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert answer.status_code == 401  # the review pages, asking for sign-in
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
