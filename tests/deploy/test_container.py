"""The container recipe, run without a container engine: its build steps are executed in a
virtualenv (absolute paths moved under a temporary root), and its health check is run
against a daemon started the way the image starts one. Only the runtime stage's ``useradd``
is not run here (it would add a user to this machine); it is checked for what it says."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scheduler import __version__
from tests.conftest import CAMPAIGNS, ROOT
from tests.deploy.recipe import Stage, containerfile, env_pairs

RECIPE = ROOT / "deploy" / "Containerfile"

pytestmark = pytest.mark.slow


def _stages() -> tuple[Stage, Stage]:
    stages = containerfile(RECIPE)
    assert [s.name for s in stages] == ["build", "runtime"], "a multi-stage recipe"
    return stages[0], stages[1]


def test_the_image_runs_as_a_user_without_privileges_with_a_health_check() -> None:
    build, runtime = _stages()
    assert build.base == runtime.base  # the virtualenv's interpreter is the same
    [user] = runtime.of("USER")
    assert user.text not in ("root", "0")
    [useradd] = runtime.of("RUN")
    assert useradd.text.startswith("useradd --system --uid 10001") and user.text in useradd.text
    [copy] = runtime.of("COPY")
    assert copy.text.startswith("--from=build ")  # only the virtualenv reaches the image
    [health] = runtime.of("HEALTHCHECK")
    assert "CMD [" in health.text and "HEALTHCHECK_URL" in health.text
    [entry] = runtime.of("ENTRYPOINT")
    assert entry.exec_form() == ["scheduler"]


class Replay:
    """Runs instructions of the recipe with every absolute path moved under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cwd = root
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SCHEDULER_", "PYTHON")) and k != "VIRTUAL_ENV"
        }
        # ``python`` in the recipe is the image's interpreter: here, the one running the tests.
        base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{base.get('PATH', '')}"
        self.env = base

    def path(self, value: str) -> str:
        if value.startswith("/"):
            return str(self.root / value.lstrip("/"))
        return value

    def setting(self, value: str) -> str:
        parts = [self.path(part) for part in value.split(":")] if value.startswith("/") else [value]
        joined = ":".join(parts)
        return os.path.expandvars(joined.replace("$PATH", self.env["PATH"]))

    def apply(self, stage: Stage, skip: tuple[str, ...] = ()) -> None:
        for step in stage.instructions:
            if step.keyword == "ENV":
                for name, value in env_pairs(step.text):
                    self.env[name] = self.setting(value)
            elif step.keyword == "WORKDIR":
                self.cwd = Path(self.path(step.text))
                self.cwd.mkdir(parents=True, exist_ok=True)
            elif step.keyword == "COPY" and not step.text.startswith("--from="):
                *sources, dest = step.text.split()
                target = self.cwd / dest
                for source in sources:
                    origin = ROOT / source
                    if origin.is_dir():
                        shutil.copytree(
                            origin, target, ignore=shutil.ignore_patterns("__pycache__")
                        )
                    else:
                        target.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(origin, target / origin.name)
            elif step.keyword == "COPY":
                _, source, dest = step.text.split()
                assert source == dest  # the virtualenv keeps its path: its scripts name it
            elif step.keyword == "RUN" and not step.text.startswith(skip):
                result = subprocess.run(
                    ["/bin/sh", "-c", step.text],
                    cwd=self.cwd,
                    env=self.env,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                assert result.returncode == 0, f"RUN {step.text}\n{result.stdout}{result.stderr}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_recipe_builds_and_its_health_check_follows_the_daemon(tmp_path: Path) -> None:
    build, runtime = _stages()
    replay = Replay(tmp_path / "root")
    replay.apply(build)
    venv = Path(replay.env["VENV"])
    version = subprocess.run(
        [str(venv / "bin" / "scheduler"), "--version"], capture_output=True, text=True
    )
    assert version.stdout.strip() == f"scheduler {__version__}"

    replay.apply(runtime, skip=("useradd ",))
    env = replay.env
    # Loopback only on a shared machine; the image itself listens on every address.
    port = _free_port()
    env["SCHEDULER_DAEMON_METRICS_HOST"] = "127.0.0.1"
    env["SCHEDULER_DAEMON_METRICS_PORT"] = str(port)
    env["HEALTHCHECK_URL"] = env["HEALTHCHECK_URL"].replace(":9464/", f":{port}/")
    [health] = runtime.of("HEALTHCHECK")
    check = _exec_form(health.text.split("CMD", 1)[1])

    def healthy() -> bool:
        return subprocess.run(check, env=env, capture_output=True, timeout=30).returncode == 0

    assert not healthy()  # nothing is running yet
    [entry], [command] = runtime.of("ENTRYPOINT"), runtime.of("CMD")
    argv = [*(entry.exec_form() or []), *(command.exec_form() or [])]
    campaign = tmp_path / "campaigns"
    shutil.copytree(CAMPAIGNS / "mhaw-2026", campaign)
    argv = [str(campaign) if a == "/campaigns" else a for a in argv]
    argv[0] = shutil.which(argv[0], path=env["PATH"]) or argv[0]
    assert argv[0].startswith(str(venv))  # the image's PATH finds the virtualenv's command
    # --sandbox: the shipped campaign's accounts are real; nothing leaves this machine.
    proc = subprocess.Popen(
        [*argv, "--sandbox"],
        cwd=replay.cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not healthy():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the daemon never became healthy"
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert not healthy()


def _exec_form(text: str) -> list[str]:
    return [str(a) for a in json.loads(text.strip())]
