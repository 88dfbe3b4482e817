"""Shared fixtures, and the rule that CI may not skip a required test.

When ``SCHEDULER_REQUIRE_ALL=1`` (set by .ci/run) any skipped test fails the run: a missing
PostgreSQL, browser or package must be installed, not silently passed over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGNS = ROOT / "campaigns"
POSTGRES_URL = os.environ.get(
    "SCHEDULER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("SCHEDULER_REQUIRE_ALL") == "1" and _skipped:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"{len(_skipped)} required test(s) were skipped (SCHEDULER_REQUIRE_ALL=1):"]
        lines += [f"  {nodeid}" for nodeid in _skipped[:50]]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every default location (ledger, outbox, secrets) into a temporary folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("SCHEDULER_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for var in ("SCHEDULER_LEDGER", "SCHEDULER_OUTBOX", "SCHEDULER_SECRETS"):
        monkeypatch.delenv(var, raising=False)
    yield home


# The loopback S3 server and a ready public media host, for any test (tests/fakes/s3.py).
from tests.fakes.s3 import moto_s3, moto_server, s3_media  # noqa: E402, F401

# One real WordPress for the whole run, shared by the tests that need it.
from tests.platforms.wordpress_site import wordpress_site  # noqa: E402, F401
