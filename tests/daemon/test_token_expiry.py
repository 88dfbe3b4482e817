"""The daemon tells a person when an account's token is about to run out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from scheduler.daemon.report import Reporter
from scheduler.daemon.runner import Daemon
from scheduler.daemon.source import CampaignFiles
from tests.daemon.support import T_START, Rig, rig
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "rig"]


def _daemon(rig: Rig, expires: datetime | None) -> Daemon:
    daemon = Daemon(
        rig.ledger,
        CampaignFiles([rig.root / "campaign"]),
        rig.publisher_for,
        clock=rig.clock,
        options=rig.options,
        reporter=Reporter(rig.log, rig.notifier),
        expiry_of=lambda name: expires if name == "masto" else None,
    )
    rig.daemons.append(daemon)
    daemon.reload()
    return daemon


@pytest.mark.parametrize(
    ("left", "told"),
    [(timedelta(days=30), False), (timedelta(days=8), False), (timedelta(days=6), True)],
)
def test_a_token_running_out_within_a_week_is_told_once(
    rig: Rig, left: timedelta, told: bool
) -> None:
    daemon = _daemon(rig, T_START + left)
    daemon.warn_expiring()
    daemon.warn_expiring()  # every sweep looks; a person is told once
    rig.flush()
    found = [n for n in rig.notifier.notices if n.kind == "token_expiring"]
    assert [n.draft for n in found] == (["test-daemon@masto"] if told else [])
    if told:
        assert "runs out at" in found[0].summary
        assert "expires_at" in found[0].detail


def test_a_token_that_ran_out_is_told_too(rig: Rig) -> None:
    daemon = _daemon(rig, T_START - timedelta(hours=1))
    daemon.warn_expiring()
    rig.flush()
    (notice,) = [n for n in rig.notifier.notices if n.kind == "token_expiring"]
    assert "ran out at" in notice.summary


def test_posts_due_after_a_token_runs_out_are_told_at_once(rig: Rig) -> None:
    """Weeks ahead, a person hears that the campaign's posts come after the token's end."""
    rig.clock.set(T_START - timedelta(days=20))
    daemon = _daemon(rig, T_START - timedelta(days=5))
    daemon.warn_expiring()
    daemon.warn_expiring()
    rig.flush()
    (notice,) = [n for n in rig.notifier.notices if n.kind == "token_expiring"]
    assert notice.draft == "test-daemon@masto"
    assert "before the campaign's last post for it is due" in notice.summary


def test_no_early_notice_when_every_post_comes_before_the_end(rig: Rig) -> None:
    rig.clock.set(T_START - timedelta(days=20))
    daemon = _daemon(rig, T_START + timedelta(days=30))
    daemon.warn_expiring()
    rig.flush()
    assert [n for n in rig.notifier.notices if n.kind == "token_expiring"] == []
