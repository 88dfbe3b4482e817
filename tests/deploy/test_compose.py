"""The compose file: PostgreSQL, the daemon and the pages from the container recipe, each
started with a real command, secrets only in git-ignored env files, nothing published beyond
loopback, and each service waiting for what it needs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from scheduler.cli import build_parser
from scheduler.settings import redact_url
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET", "KEY")


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    found: dict[str, dict[str, Any]] = data["services"]
    assert set(found) == {"postgres", "daemon", "pages"}
    return found


def test_the_daemon_and_the_pages_run_real_commands_from_the_recipe(
    services: dict[str, dict[str, Any]],
) -> None:
    build = services["daemon"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (
        DEPLOY / "Containerfile"
    ).resolve()
    assert services["pages"]["image"] == services["daemon"]["image"]
    for name, handler in (("daemon", "cmd_run"), ("pages", "cmd_serve")):
        args = build_parser().parse_args(services[name]["command"])
        assert args.handler.__name__ == handler
        assert services[name]["environment"]["SCHEDULER_LEDGER"].startswith("postgresql://")
        assert "../campaigns:/campaigns:ro" in services[name]["volumes"]


def test_each_service_waits_for_what_it_needs(services: dict[str, dict[str, Any]]) -> None:
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["daemon"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # The daemon migrates the ledger before the pages open it.
    assert services["pages"]["depends_on"]["daemon"]["condition"] == "service_healthy"
    assert services["pages"]["environment"]["HEALTHCHECK_URL"].endswith(":8000/healthz")


def test_secrets_live_only_in_git_ignored_env_files(services: dict[str, dict[str, Any]]) -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "deploy/secrets/" in ignored
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            assert not any(word in key for word in SECRET_WORDS), f"{name}: {key}={value}"
            assert redact_url(str(value)) == str(value), f"{name}: a password in {key}"
        env_file = service.get("env_file")
        assert env_file and str(env_file).startswith("./secrets/"), name


def test_nothing_is_published_beyond_loopback(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"


def test_the_example_env_files_name_every_secret_and_hold_none() -> None:
    examples = sorted((DEPLOY / "secrets.example").glob("*.env"))
    assert [p.name for p in examples] == ["pages.env", "postgres.env", "scheduler.env"]
    for path in examples:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                assert value in ("", "change-me"), f"{path.name}: {name} has a value"
