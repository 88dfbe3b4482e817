"""Mastodon lookups: every status since the first attempt is read before "absent", with or
without ``Link`` headers, however many newer statuses there are, and within a time budget."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore, env_name
from scheduler.platforms import build_publisher
from scheduler.platforms.base import (
    PAGE_TRIES,
    Absent,
    AccountSpec,
    CannotTell,
    Found,
    PartRequest,
    PlatformContext,
    PublishRequest,
)
from scheduler.platforms.mastodon import MastodonPublisher, clear_instance_cache
from scheduler.platforms.mastodon_find import FIND_PAGE_SIZE
from tests.fakes.base import Fault
from tests.fakes.mastodon import ACCOUNT_STATUSES, FakeMastodon
from tests.platforms.harness import DUE

TOKEN = "mastodon-token-0123456789"
LOOKUP_SECONDS = 60.0
# More newer statuses than any fixed page count would read (the old limit was 3 pages).
NEWER = 12 * FIND_PAGE_SIZE + 7


@pytest.fixture(params=[True, False], ids=["link-headers", "no-link-headers"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeMastodon]:
    clear_instance_cache()
    with FakeMastodon(
        FixedClock(DUE), token=TOKEN, honour_idempotency=False, link_headers=request.param
    ) as server:
        yield server


def publisher(fake: FakeMastodon, tmp_path: Path) -> MastodonPublisher:
    context = PlatformContext(
        clock=fake.clock,
        credentials=CredentialStore({env_name("m", "access_token"): TOKEN}, None),
        state_dir=tmp_path,
        outbox=tmp_path,
        timeout=2,
        lookup_seconds=LOOKUP_SECONDS,
    )
    built = build_publisher(AccountSpec("m", "mastodon", {"instance": fake.base_url}), context)
    assert isinstance(built, MastodonPublisher)
    return built


def request(text: str) -> PublishRequest:
    return PublishRequest("m", (PartRequest(text=text, idempotency_key=text),), DUE)


def post(pub: MastodonPublisher, fake: FakeMastodon, texts: list[str], step: float = 1) -> None:
    for text in texts:
        pub.publish(request(text))
        assert isinstance(fake.clock, FixedClock)
        fake.clock.advance(step)


def pages_read(fake: FakeMastodon) -> int:
    return len(fake.calls("GET", f"/api/v1/accounts/{fake.account['id']}/statuses"))


def test_a_part_behind_more_statuses_than_a_page_budget_is_found(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    pub = publisher(fake, tmp_path)
    post(pub, fake, ["ours"])
    post(pub, fake, [f"newer {i}" for i in range(NEWER)])
    answer = publisher(fake, tmp_path).find(request("ours"), 0)
    assert isinstance(answer, Found), answer
    assert answer.part.remote_id == fake.statuses[0].id
    assert pages_read(fake) == NEWER // FIND_PAGE_SIZE + 1


def test_absent_only_after_reading_every_status_since_the_first_attempt(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    pub = publisher(fake, tmp_path)
    assert isinstance(fake.clock, FixedClock)
    fake.clock.set(DUE - timedelta(days=2))
    post(pub, fake, [f"last week {i}" for i in range(3 * FIND_PAGE_SIZE)])
    fake.clock.set(DUE)
    post(pub, fake, [f"newer {i}" for i in range(NEWER)])
    answer = publisher(fake, tmp_path).find(request("never posted"), 0)
    assert isinstance(answer, Absent), answer
    assert "before" in answer.coverage.how, "proved by reaching a status older than the due time"
    # It stopped at the first page reaching back past the interval, not at the account's end.
    assert pages_read(fake) == NEWER // FIND_PAGE_SIZE + 1
    if not fake.link_headers:
        assert any(r.arg("max_id") for r in fake.calls("GET", "/api/v1/accounts/1"))


def test_an_account_whose_listing_ends_proves_absence(fake: FakeMastodon, tmp_path: Path) -> None:
    pub = publisher(fake, tmp_path)
    post(pub, fake, [f"newer {i}" for i in range(FIND_PAGE_SIZE + 3)])
    answer = publisher(fake, tmp_path).find(request("never posted"), 0)
    assert isinstance(answer, Absent), answer
    assert "end of the listing" in answer.coverage.how


def test_a_lookup_out_of_time_cannot_tell(fake: FakeMastodon, tmp_path: Path) -> None:
    pub = publisher(fake, tmp_path)
    post(pub, fake, ["ours"])
    post(pub, fake, [f"newer {i}" for i in range(NEWER)])
    clock = fake.clock
    assert isinstance(clock, FixedClock)
    # Every page takes 25 s on the injected clock: the lookup runs out of time on page 3.
    fake.inject("GET", ACCOUNT_STATUSES, Fault.meanwhile_do(lambda: clock.advance(25)), times=50)
    for missing in ("ours", "never posted"):
        answer = publisher(fake, tmp_path).find(request(missing), 0)
        assert isinstance(answer, CannotTell), answer
        assert "not all read after 3 page(s)" in answer.reason


def test_a_429_half_way_through_a_lookup_cannot_tell_and_says_when(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    pub = publisher(fake, tmp_path)
    post(pub, fake, ["ours"])
    post(pub, fake, [f"newer {i}" for i in range(NEWER)])
    fake.inject(
        "GET",
        ACCOUNT_STATUSES,
        Fault.passthrough(),
        Fault.passthrough(),
        fake.rate_limit_fault(seconds=300),
    )
    answer = publisher(fake, tmp_path).find(request("ours"), 0)
    assert isinstance(answer, CannotTell), answer
    assert "page 3" in answer.reason and answer.status == 429
    assert answer.retry_after == pytest.approx(300, abs=2)
    # Once the reset has passed, the same lookup reads on to the part.
    assert isinstance(publisher(fake, tmp_path).find(request("ours"), 0), Found)


def test_a_server_error_on_a_later_page_is_read_again_then_cannot_tell(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    pub = publisher(fake, tmp_path)
    post(pub, fake, [f"newer {i}" for i in range(3 * FIND_PAGE_SIZE)])
    unavailable = Fault.status(503, {"error": "x"})
    # One 503 and one dropped connection: the page is read again, and the lookup decides.
    fake.inject("GET", ACCOUNT_STATUSES, Fault.passthrough(), unavailable, Fault.drop_before())
    assert isinstance(publisher(fake, tmp_path).find(request("never posted"), 0), Absent)
    # A page that fails every try: cannot tell, with nothing to wait for.
    fake.inject("GET", ACCOUNT_STATUSES, Fault.passthrough(), unavailable, times=1)
    fake.inject("GET", ACCOUNT_STATUSES, unavailable, times=PAGE_TRIES - 1)
    answer = publisher(fake, tmp_path).find(request("never posted"), 0)
    assert isinstance(answer, CannotTell) and answer.retry_after is None, answer
    assert "page 2" in answer.reason


@pytest.mark.parametrize("wanted", ["ours", "never posted"])
def test_lookups_cut_short_go_on_from_where_the_last_one_stopped(
    fake: FakeMastodon, tmp_path: Path, wanted: str
) -> None:
    """Every lookup is rate limited on its fourth read, and the account keeps posting in
    between: reading from the top each time would never get past page 3."""
    pub = publisher(fake, tmp_path)
    post(pub, fake, ["ours"])
    post(pub, fake, [f"newer {i}" for i in range(NEWER)])
    answers = []
    for round_ in range(12):
        fake.clear_faults()
        fake.inject("GET", ACCOUNT_STATUSES, *[Fault.passthrough()] * 3)
        fake.inject("GET", ACCOUNT_STATUSES, fake.rate_limit_fault(seconds=60))
        answer = publisher(fake, tmp_path).find(request(wanted), 0)
        answers.append(answer)
        if not isinstance(answer, CannotTell):
            break
        post(pub, fake, [f"meanwhile {round_}.{i}" for i in range(5)])
    assert all(isinstance(a, CannotTell) for a in answers[:-1])
    expected = Found if wanted == "ours" else Absent
    assert isinstance(answers[-1], expected), answers[-1]
    assert len(answers) <= 8  # two more pages covered per lookup
