"""Installed like any tool: the sdist and wheel that ``python -m build`` makes, installed with
pipx into a clean environment, run from outside the source tree. The installed command must
report the one version and find every file it ships (care lexicons, page templates, styles)
by doing real work: checking and linting the shipped campaign, and serving the pages."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from scheduler import __version__
from tests.conftest import CAMPAIGNS, ROOT
from tests.probes import get

pytestmark = pytest.mark.slow

# What the build needs from a checkout; everything else (tests, caches, a local ledger) is
# left behind, as a clean checkout in CI would.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "scheduler")


@dataclass(frozen=True)
class Installed:
    work: Path
    wheel: Path
    sdist: Path
    command: Path
    python: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.command), *args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result


def _clean_env(work: Path) -> dict[str, str]:
    """The caller's environment minus anything that would point back at this checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCHEDULER_", "PYTHON", "PIPX_")) and k != "VIRTUAL_ENV"
    }
    pipx = work / "pipx"
    env.update(
        PIPX_HOME=str(pipx),
        PIPX_BIN_DIR=str(pipx / "bin"),
        PIPX_MAN_DIR=str(pipx / "man"),
        SCHEDULER_HOME=str(work / "data"),
        XDG_CONFIG_HOME=str(work / "config"),
    )
    return env


def _ship(src: Path) -> None:
    src.mkdir()
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, src / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("install")
    src, dist = work / "src", work / "dist"
    _ship(src)
    env = _clean_env(work)
    build = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(src)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    pipx = subprocess.run(
        [sys.executable, "-m", "pipx", "install", "--python", sys.executable, str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pipx.returncode == 0, pipx.stdout + pipx.stderr
    venv = Path(env["PIPX_HOME"]) / "venvs" / "campaign-scheduler"
    return Installed(
        work=work,
        wheel=wheel,
        sdist=sdist,
        command=Path(env["PIPX_BIN_DIR"]) / "scheduler",
        python=venv / "bin" / "python",
        env=env,
    )


def _package_files() -> set[str]:
    package = ROOT / "scheduler"
    return {
        str(p.relative_to(ROOT))
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_wheel_and_the_sdist_carry_every_file_of_the_package(installed: Installed) -> None:
    wanted = _package_files()
    assert any(not f.endswith(".py") for f in wanted)  # templates, lexicons, styles
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = set(wheel.namelist())
    assert not wanted - in_wheel, sorted(wanted - in_wheel)
    with tarfile.open(installed.sdist) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert not wanted - in_sdist, sorted(wanted - in_sdist)


def test_the_installed_command_reports_the_one_version(installed: Installed) -> None:
    assert installed.run("--version").stdout.strip() == f"scheduler {__version__}"
    assert f"campaign_scheduler-{__version__}-" in installed.wheel.name
    # It runs the installed copy, not this checkout.
    where = subprocess.run(
        [str(installed.python), "-c", "import scheduler; print(scheduler.__file__)"],
        cwd=installed.work,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(installed.work / "pipx") in where and str(ROOT) not in where


def test_the_installed_command_checks_and_lints_the_shipped_campaign(
    installed: Installed, tmp_path: Path
) -> None:
    campaign = tmp_path / "mhaw-2026"
    shutil.copytree(CAMPAIGNS / "mhaw-2026", campaign)
    checked = installed.run("check", str(campaign))
    assert ": ok: " in checked.stdout and checked.stderr == ""
    linted = installed.run("lint", str(campaign), "--json")
    assert linted.stdout.lstrip().startswith(("[", "{")) and "Traceback" not in linted.stderr
    preview = installed.run("preview", str(campaign))
    assert "Traceback" not in preview.stderr and preview.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_installed_pages_serve_their_templates_and_styles(
    installed: Installed, tmp_path: Path
) -> None:
    campaign = tmp_path / "mhaw-2026"
    shutil.copytree(CAMPAIGNS / "mhaw-2026", campaign)
    port = _free_port()
    # The folder holding the campaign folders, as the deployment recipes mount it.
    proc = subprocess.Popen(
        [str(installed.command), "serve", str(tmp_path), "--port", str(port)],
        cwd=installed.work,
        env=installed.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        status, ctype, page = get(f"{base}/")
        assert status == 401 and ctype.startswith("text/html") and "Please sign in" in page
        css = page.split('href="', 1)[1].split('"', 1)[0] if 'rel="stylesheet"' in page else ""
        assert css.startswith("/static/"), page
        status, ctype, _ = get(f"{base}{css}")
        assert status == 200 and ctype.startswith("text/css")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
