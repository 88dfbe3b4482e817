"""The systemd units of the daemon and the pages: sandboxed, secrets as credentials, and
accepted by ``systemd-analyze verify`` (with the command path pointed at this install)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import build_parser
from tests.conftest import ROOT
from tests.deploy.recipe import unit

UNITS = ROOT / "deploy" / "systemd"
DAEMON = UNITS / "campaign-scheduler.service"
PAGES = UNITS / "campaign-scheduler-pages.service"
INSTALLED = "/opt/campaign-scheduler/bin/scheduler"

# Every unit confines itself at least this far.
SANDBOX = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "CapabilityBoundingSet": "",
    "SystemCallFilter": "@system-service",
    "UMask": "0077",
}


def _service(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in unit(path)["Service"]:
        found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("path", [DAEMON, PAGES], ids=lambda p: p.name)
def test_each_unit_is_sandboxed_and_runs_as_its_own_user(path: Path) -> None:
    service = _service(path)
    for key, value in SANDBOX.items():
        assert value in service.get(key, []), f"{path.name}: {key}={value} missing"
    assert service["User"] == ["campaign-scheduler"]
    assert "root" not in service["User"] + service.get("Group", [])
    assert "MemoryDenyWriteExecute" not in service  # see the unit's comment: libffi


@pytest.mark.parametrize(
    ("path", "command"), [(DAEMON, "cmd_run"), (PAGES, "cmd_serve")], ids=lambda x: str(x)
)
def test_each_unit_starts_a_real_command(path: Path, command: str) -> None:
    service = _service(path)
    [start] = service["ExecStart"]
    environment = dict(v.split("=", 1) for v in service["Environment"])
    words = shlex.split(start.replace("${CAMPAIGNS}", environment["CAMPAIGNS"]))
    assert words[0] == INSTALLED
    args = build_parser().parse_args(words[1:])
    assert args.handler.__name__ == command


def test_secrets_are_credentials_and_the_pages_get_no_account_tokens() -> None:
    daemon, pages = _service(DAEMON), _service(PAGES)
    for service in (daemon, pages):
        assert "PGPASSFILE=%d/pgpass" in service["Environment"]
        for value in service["Environment"]:
            name = value.split("=", 1)[0]
            assert not any(w in name for w in ("PASSWORD", "TOKEN", "SCHEDULER_SECRET_")), value
    assert "SCHEDULER_SECRETS=%d/secrets.toml" in daemon["Environment"]
    assert any(c.startswith("secrets.toml:") for c in daemon["LoadCredential"])
    assert not any("secrets.toml" in c for c in pages["LoadCredential"])
    assert "SCHEDULER_DAEMON_METRICS_PORT=9464" in daemon["Environment"]


def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (.ci/run installs Debian's systemd)")
    here = str(Path(sys.executable).parent / "scheduler")
    copies = []
    for path in (DAEMON, PAGES):
        # verify checks that the command exists: point it at this install's.
        copy = tmp_path / path.name
        copy.write_text(path.read_text(encoding="utf-8").replace(INSTALLED, here), "utf-8")
        copies.append(str(copy))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *copies], capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Unknown keys and bad values are only warned about: any word on our units is a failure.
    ours = [line for line in output.splitlines() if "campaign-scheduler" in line]
    assert not ours, output
