"""Uploads refused with 429 again and again: the daemon waits each reset out and publishes,
because a request the platform refused for its rate did nothing there and is no attempt.
The attempt cap (3 here) counts only requests that could have done something."""

from __future__ import annotations

from datetime import timedelta

from scheduler.platforms.mastodon import clear_instance_cache
from tests.daemon.test_pauses import DUE, HEADER, Stage, stage
from tests.fakes.base import Fault
from tests.fakes.mastodon import MEDIA, STATUSES
from tests.ledger.support import ledger_url

__all__ = ["ledger_url", "stage"]

# A small PNG, read by the media check like any campaign image.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
CAMPAIGN = (
    HEADER
    + """\
posts:
  - id: sunrise
    day: 1
    time: "08:00"
    author: author@example.org
    text: "A path towards the sunrise."
    media:
      - {{file: images/sunrise.png, alt: "A pale path towards a rising sun."}}
"""
)
REFUSALS = 12  # four times the attempt cap
RESET = 60.0  # seconds each 429 announces


def _with_an_image(stage: Stage) -> None:
    folder = stage.root / "campaign"
    (folder / "images").mkdir(exist_ok=True)
    (folder / "images" / "sunrise.png").write_bytes(PIXEL)
    text = CAMPAIGN.format(instance=stage.fake.base_url)
    (folder / "campaign.yaml").write_text(text, encoding="utf-8")
    clear_instance_cache()


def test_uploads_refused_with_429_many_times_then_accepted_end_published(stage: Stage) -> None:
    _with_an_image(stage)
    daemon = stage.daemon()
    stage.approve_all()
    fake = stage.fake
    fake.inject(
        "POST", MEDIA, Fault.later(lambda: fake.rate_limit_fault(seconds=RESET)), times=REFUSALS
    )
    key = stage.key("sunrise")
    now = DUE
    outcomes = []
    for _ in range(REFUSALS + 1):
        stage.clock.set(now)
        outcomes.append(daemon.fire(key))
        record = stage.ledger.get(key)
        if str(record.state) != "retry_wait":
            break
        assert record.next_attempt is not None
        now = max(record.next_attempt, now + timedelta(seconds=RESET))
    assert outcomes == ["retry_wait"] * REFUSALS + ["published"]
    assert stage.state("sunrise") == "published"
    assert len(fake.calls("POST", MEDIA)) == REFUSALS + 1  # each refusal was really sent
    assert stage.posted() == ["A path towards the sunrise."]  # once
    assert len(fake.calls("POST", STATUSES)) == 1
    # Every refused attempt is in the ledger, with what refused it.
    attempts = stage.ledger.attempts(key)
    assert [a.error_class for a in attempts[:-1]] == ["RateLimited"] * REFUSALS
    assert attempts[-1].outcome == "published"


def test_other_failures_still_meet_the_cap_after_many_429s(stage: Stage) -> None:
    """Refusals for the rate do not count, but 503s do: after many 429s, the third 503
    (the cap is 3) ends the draft failed, saying it gave up after 3 attempts."""
    _with_an_image(stage)
    daemon = stage.daemon()
    stage.approve_all()
    fake = stage.fake
    fake.inject("POST", MEDIA, Fault.later(lambda: fake.rate_limit_fault(seconds=RESET)), times=5)
    fake.inject("POST", MEDIA, Fault.status(503), times=3)
    key = stage.key("sunrise")
    now = DUE
    for _ in range(8):
        stage.clock.set(now)
        daemon.fire(key)
        record = stage.ledger.get(key)
        if str(record.state) != "retry_wait":
            break
        assert record.next_attempt is not None
        now = max(record.next_attempt, now + timedelta(seconds=RESET))
    record = stage.ledger.get(key)
    assert str(record.state) == "failed"
    assert record.attempts == 8
    assert (record.last_error or "").startswith("gave up after 3 attempts")
    assert stage.posted() == []
