"""`scheduler team invite` and `scheduler serve`, through the real command line."""

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
from scheduler.clock import FixedClock, SystemClock
from tests.conftest import ROOT
from tests.web.conftest import CAMPAIGN_YAML, hidden_fields, png

INVITE = ["team", "invite"]
SCHEDULER = [sys.executable, "-m", "scheduler"]
BASE_9000 = "http://127.0.0.1:9000/"
LINK = re.compile(r"^(http://127\.0\.0\.1:9000)/signin/([A-Za-z0-9_-]{40,})$")


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    root = tmp_path / "campaign"
    (root / "images").mkdir(parents=True)
    (root / "campaign.yaml").write_text(CAMPAIGN_YAML, encoding="utf-8")
    (root / "images" / "shoes.png").write_bytes(png())
    return root / "campaign.yaml"


def test_invite_prints_a_one_time_link(
    campaign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], data_home: Path
) -> None:
    from scheduler.ledger import open_ledger
    from scheduler.web.store import AuthStore

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    code = main(
        [
            *INVITE,
            "RUI@example.org",
            "--campaign",
            str(campaign),
            "--ledger",
            url,
            "--base-url",
            BASE_9000,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    m = LINK.match(out.strip())
    assert m, out
    assert "rui@example.org" in err and "works once" in err
    ledger = open_ledger(url, clock=FixedClock())
    try:
        invite = AuthStore(ledger.engine).peek_invite(m.group(2), now=SystemClock().now())
        assert (invite.email, invite.campaign) == ("rui@example.org", "mhaw-test")
    finally:
        ledger.close()


def test_invite_refuses_someone_off_the_team(
    campaign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], data_home: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    code = main(["team", "invite", "eve@example.org", "--campaign", str(campaign), "--ledger", url])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "eve@example.org is not on the team of campaign mhaw-test" in err
    assert "hint:" in err
    code = main(
        [
            *INVITE,
            "rui@example.org",
            "--campaign",
            str(campaign),
            "--ledger",
            url,
            "--valid-hours",
            "0",
        ]
    )
    assert code == 1 and "--valid-hours" in capsys.readouterr().err


def test_the_review_commands_keep_the_web_stack_out_of_cli_start_up() -> None:
    probe = (
        "import sys, scheduler.cli; "
        "bad = [m for m in ('starlette', 'uvicorn', 'sqlalchemy', 'scheduler.web') "
        "if m in sys.modules]; print(bad)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_the_review_pages(campaign: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCHEDULER_HOME": str(tmp_path / "home")}
    base = f"http://127.0.0.1:{port}"
    where = ["--campaign", str(campaign), "--ledger", url, "--base-url", base]
    invite = subprocess.run(
        [*SCHEDULER, *INVITE, "rui@example.org", *where],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    link = invite.stdout.strip()
    server = subprocess.Popen(
        [*SCHEDULER, "serve", str(campaign), "--ledger", url, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx.Client(base_url=base, follow_redirects=False, timeout=5) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    first = client.get("/")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.1)
            assert first.status_code == 401
            assert first.headers["x-frame-options"] == "DENY"
            assert "server" not in first.headers
            page = client.get(link.removeprefix(base))
            assert page.status_code == 200
            signed = client.post("/signin", data=hidden_fields(page.text))
            assert signed.status_code == 303
            week = client.get("/c/mhaw-test")
            assert week.status_code == 200 and "day1-story" in week.text
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _, err = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
    assert server.returncode in (0, 130), err
    token = link.rsplit("/", 1)[1]
    assert token not in err  # no access log of sign-in links


def test_serve_stops_on_a_broken_campaign_with_its_problems(
    campaign: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], data_home: Path
) -> None:
    text = campaign.read_text(encoding="utf-8").replace('time: "12:30"', 'time: "25:99"')
    campaign.write_text(text, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    code = main(["serve", str(campaign), "--ledger", url, "--port", str(_free_port())])
    err = capsys.readouterr().err
    assert code == 1
    assert re.search(r"campaign\.yaml:\d+:\d+: .*25:99", err), err
