"""The publisher contract, run against every publisher and its fake platform.

Each ``tests/platforms/harness_*.py`` module contributes one Harness; every test below runs
for each harness, and the fault tests for each fault kind that harness can inject.
"""

from __future__ import annotations

import importlib
import itertools
import logging
import pkgutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.ledger.base import LeaseLost
from scheduler.platforms.base import (
    Absent,
    AccountPaused,
    CannotTell,
    Found,
    Invalid,
    OutcomeUnknown,
    PartResult,
    PublishError,
    RateLimited,
)
from tests.platforms import harness as harness_module
from tests.platforms.harness import ERRORS, RESET_SECONDS, Harness, drive


def _harnesses() -> list[type[Harness]]:
    found = []
    folder = Path(harness_module.__file__).parent
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
        if info.name.startswith("harness_"):
            module = importlib.import_module(f"tests.platforms.{info.name}")
            found.append(module.HARNESS)
    return found


HARNESSES = _harnesses()
FAULT_CASES = [
    pytest.param(h, fault, at, id=f"{h.name}-{fault}-part{at}")
    for h in HARNESSES
    for fault in h.faults
    if fault != "unfinished_media"
    for at in ((0, 1) if h.threads else (0,))
]
MEDIA_FAULT_CASES = [
    pytest.param(h, id=h.name) for h in HARNESSES if "unfinished_media" in h.faults
]
BLIND_CASES = [
    pytest.param(h, fault, id=f"{h.name}-{fault}")
    for h in HARNESSES
    if h.dedupes
    for fault in h.faults
    if fault in ("timeout", "drop_after")
]
# Platforms without dedupe (X) must say so instead: an ambiguous create is OutcomeUnknown.
RECONCILE_CASES = [
    pytest.param(h, fault, id=f"{h.name}-{fault}")
    for h in HARNESSES
    if not h.dedupes
    for fault in h.faults
    if fault in ("timeout", "drop_after")
]
LOOKUP_FAULT_CASES = [
    pytest.param(h, fault, id=f"{h.name}-{fault}") for h in HARNESSES for fault in h.lookup_faults
]
ERROR_CASES = [pytest.param(h, kind, id=f"{h.name}-{kind}") for h in HARNESSES for kind in h.errors]
CW_CASES = [pytest.param(h, id=h.name) for h in HARNESSES if h.supports_cw]
SECRET_CASES = [pytest.param(h, id=h.name) for h in HARNESSES if h.secret]


@pytest.fixture(params=[pytest.param(h, id=h.name) for h in HARNESSES])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    yield from _running(request.param, tmp_path)


def _running(cls: type[Harness], tmp_path: Path) -> Iterator[Harness]:
    h = cls(tmp_path)
    h.start()
    try:
        yield h
    finally:
        h.close_publishers()
        h.stop()


def assert_chain(h: Harness, texts: list[str]) -> None:
    """Exactly one post per part, each replying to the one before."""
    posted = h.posted()
    assert [p.text for p in posted] == texts, "each part must be posted exactly once"
    for before, after in itertools.pairwise(posted):
        assert after.reply_to == before.remote_id
    if posted:
        assert posted[0].reply_to is None


# --- the happy paths ----------------------------------------------------------------------


def test_single_post(harness: Harness) -> None:
    seen: list[PartResult] = []
    result = harness.publisher().publish(harness.request("Lace up again."), on_part=seen.append)
    assert_chain(harness, ["Lace up again."])
    assert result.parts == tuple(seen)
    assert result.parts[0].index == 0
    assert result.parts[0].remote_id == harness.posted()[0].remote_id
    assert result.url


def test_thread_replies_to_the_previous_part(harness: Harness) -> None:
    texts = ["1/3 Running alone, for years.", "2/3 Then a panic attack.", "3/3 And again."]
    seen: list[int] = []
    if not harness.threads:
        with pytest.raises(Invalid) as info:
            harness.publisher().publish(harness.request(*texts))
        assert info.value.part_index == 1
        assert harness.posted() == [], "a thread is refused before anything is sent"
        return
    result = harness.publisher().publish(
        harness.request(*texts), on_part=lambda p: seen.append(p.index)
    )
    assert seen == [0, 1, 2]
    assert_chain(harness, texts)
    assert [p.remote_id for p in result.parts] == [p.remote_id for p in harness.posted()]


def test_media_keeps_its_alt_text(harness: Harness) -> None:
    image = harness.image(alt="Two runners on a towpath at sunrise, mist over the water")
    harness.publisher().publish(harness.request("Run Talk Run", media=(image,)))
    assert harness.posted()[0].media_alts == (image.alt,)


def test_gif_keeps_its_alt_text(harness: Harness) -> None:
    gif = harness.gif()
    if not harness.gifs:
        with pytest.raises(Invalid) as info:
            harness.publisher().publish(harness.request("Wave back", media=(gif,)))
        assert info.value.part_index == 0
        assert harness.posted() == [], "a GIF is refused before anything is sent"
        return
    harness.publisher().publish(harness.request("Wave back", media=(gif,)))
    assert [p.media_alts for p in harness.posted()] == [(gif.alt,)]


def test_before_create_comes_before_each_create_and_can_stop_it(harness: Harness) -> None:
    texts = harness.parts(["1/2 A walk, with a photo.", "2/2 And the way home."])
    image = harness.image(alt="A muddy path through a beech wood in autumn")
    posted_then: list[tuple[int, int]] = []
    last = len(texts) - 1

    def before_create(index: int) -> None:
        posted_then.append((index, len(harness.posted())))
        if index == last:
            raise LeaseLost("another daemon holds the draft now")

    request = harness.request(*texts, media=(image,))
    with pytest.raises(LeaseLost):
        harness.publisher().publish(request, before_create=before_create)
    # called once per part, each time with the parts before it already out
    assert posted_then == [(i, i) for i in range(len(texts))]
    assert_chain(harness, texts[:last])  # what it raised for was never created
    if last:
        assert harness.posted()[0].media_alts == (image.alt,)


@pytest.mark.parametrize("cls", CW_CASES)
def test_content_warning(cls: type[Harness], tmp_path: Path) -> None:
    for harness in _running(cls, tmp_path):
        _content_warning(harness)


def _content_warning(harness: Harness) -> None:
    harness.publisher().publish(
        harness.request("Her story.", "Part two.", content_warning="eating disorders")
    )
    assert [p.content_warning for p in harness.posted()] == ["eating disorders"] * 2


def test_resume_from_done_parts(harness: Harness) -> None:
    texts = harness.parts(["one", "two", "three"])
    request = harness.request(*texts)
    first = harness.publisher().publish(replace(request, parts=request.parts[:1]))
    result = harness.publisher().publish(replace(request, done=first.parts))
    assert_chain(harness, texts)
    assert result.parts[0] == first.parts[0]
    assert len(result.parts) == len(texts)


def test_find_reports_published_parts_and_nothing_else(harness: Harness) -> None:
    request = harness.request(*harness.parts(["found", "also found"]))
    result = harness.publisher().publish(request)
    fresh = harness.publisher()
    assert fresh.find(request, 0) == Found(result.parts[0])
    if harness.threads:
        later = replace(request, done=result.parts[:1])
        assert fresh.find(later, 1) == Found(result.parts[1])
    absent = fresh.find(harness.request("never sent", key="other"), 0)
    assert isinstance(absent, Absent), absent
    assert absent.coverage.how  # the evidence a person can read


@pytest.mark.parametrize(("cls", "fault"), LOOKUP_FAULT_CASES)
def test_a_lookup_that_cannot_read_answers_cannot_tell(
    cls: type[Harness], fault: str, tmp_path: Path
) -> None:
    """A 429 or a 5xx on the lookup's read is "cannot tell" (never "absent"), and a 429
    carries the platform's wait so the next look can honour it."""
    for h in _running(cls, tmp_path):
        posted = h.request("maybe posted")
        missing = h.request("never posted", key="other")
        result = h.publisher().publish(posted)
        for request in (posted, missing):
            h.inject_lookup(fault)
            answer = h.publisher().find(request, 0)
            assert isinstance(answer, CannotTell), answer
            assert answer.reason
            if fault == "rate_limited":
                assert answer.retry_after == pytest.approx(RESET_SECONDS, abs=2)
            else:
                assert answer.retry_after is None
        # Once the platform answers again, the same lookups decide.
        assert h.publisher().find(posted, 0) == Found(result.parts[0])
        assert isinstance(h.publisher().find(missing, 0), Absent)


def test_verify(harness: Harness) -> None:
    info = harness.publisher().verify()
    assert info.account == harness.account
    assert info.remote_id


# --- exactly once under faults --------------------------------------------------------------


@pytest.mark.parametrize(("cls", "fault", "at"), FAULT_CASES)
def test_exactly_once_under_fault(cls: type[Harness], fault: str, at: int, tmp_path: Path) -> None:
    for h in _running(cls, tmp_path):
        texts = h.parts(["first part", "second part"])
        h.inject(fault, at=at)
        result, errors = drive(h, h.request(*texts))
        assert_chain(h, texts)
        assert [p.remote_id for p in result.parts] == [p.remote_id for p in h.posted()]
        for error in errors:
            assert error.retryable or type(error).__name__ == "OutcomeUnknown", error
            assert error.part_index in (None, at), error
        if fault == "rate_limited":
            assert isinstance(errors[0], RateLimited)
            assert errors[0].retry_after == pytest.approx(RESET_SECONDS, abs=2)


@pytest.mark.parametrize("cls", MEDIA_FAULT_CASES)
def test_unfinished_media_is_waited_for(cls: type[Harness], tmp_path: Path) -> None:
    for h in _running(cls, tmp_path):
        h.inject("unfinished_media")
        media = h.processed_media()
        started = time.monotonic()
        _, errors = drive(h, h.request("with a picture", media=(media,)))
        assert errors == [], "waiting for processing is not a failure"
        assert [p.media_alts for p in h.posted()] == [(media.alt,)]
        assert time.monotonic() - started < 5, "the wait runs on the injected clock"


@pytest.mark.parametrize(("cls", "fault"), BLIND_CASES)
def test_blind_retry_of_the_same_request_posts_once(
    cls: type[Harness], fault: str, tmp_path: Path
) -> None:
    """The platform's own dedupe (idempotency key, record key) holds without reconciling."""
    for h in _running(cls, tmp_path):
        h.inject(fault)
        drive(h, h.request("posted once"), reconcile=False)
        assert_chain(h, ["posted once"])


@pytest.mark.parametrize(("cls", "fault"), RECONCILE_CASES)
def test_without_dedupe_a_lost_answer_is_outcome_unknown_and_found(
    cls: type[Harness], fault: str, tmp_path: Path
) -> None:
    """No idempotency key: the publisher must not report a lost answer as retryable, and
    ``find`` must locate the post, so the daemon records it instead of posting again."""
    for h in _running(cls, tmp_path):
        texts = h.parts(["said once", "and once more"])
        request = h.request(*texts)
        h.inject(fault)
        with pytest.raises(OutcomeUnknown) as info:
            h.publisher().publish(request)
        assert info.value.part_index == 0
        assert not info.value.retryable
        answer = h.publisher().find(request, 0)
        assert isinstance(answer, Found), answer
        assert answer.part.remote_id == h.posted()[0].remote_id
        result = h.publisher().publish(replace(request, done=(answer.part,)))
        assert_chain(h, texts)
        assert result.parts[0] == answer.part


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "kind"), ERROR_CASES)
def test_error_classes(cls: type[Harness], kind: str, tmp_path: Path) -> None:
    for h in _running(cls, tmp_path):
        h.inject_error(kind)
        with pytest.raises(PublishError) as info:
            h.publisher().publish(h.request("refused"))
        error = info.value
        assert type(error) is ERRORS[kind], f"{kind} became {type(error).__name__}: {error}"
        assert error.part_index == 0
        assert error.platform_message, "the platform's own words are kept for people"
        if kind == "rate_limited":
            assert error.retry_after == pytest.approx(RESET_SECONDS, abs=2)  # type: ignore[attr-defined]
        assert h.posted() == []


@pytest.mark.parametrize("cls", SECRET_CASES)
def test_secrets_never_show(
    cls: type[Harness], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for h in _running(cls, tmp_path):
        assert h.secret is not None
        publisher = h.publisher()
        h.inject_error("auth", echo_secret=True)
        with pytest.raises(PublishError) as info:
            publisher.publish(h.request("hello"))
        error = info.value
        shown = [str(error), repr(error), error.platform_message or "", error.hint or ""]
        shown += [repr(publisher), str(vars(publisher)), caplog.text]
        for text in shown:
            assert h.secret not in text


@pytest.mark.parametrize("cls", [pytest.param(h, id=h.name) for h in HARNESSES if h.dedupes])
def test_publishing_a_published_request_again_posts_nothing(
    cls: type[Harness], tmp_path: Path
) -> None:
    """A caller that lost every result (no `done`) repeats the whole request: the platform's
    dedupe (replayed idempotency key, taken record key, stored outbox file) answers."""
    for h in _running(cls, tmp_path):
        request = h.request("once", "and once")
        first = h.publisher().publish(request)
        again = h.publisher().publish(request)
        assert_chain(h, ["once", "and once"])
        assert [p.remote_id for p in again.parts] == [p.remote_id for p in first.parts]


# --- the account's gate -------------------------------------------------------------------


class RecordingGate:
    """Lets everything through and remembers each request's kind and each answer's status;
    with ``closed``, refuses every request as a paused account would."""

    def __init__(self, *, closed: bool = False) -> None:
        self.closed = closed
        self.asked: list[tuple[str, str, str]] = []
        self.told: list[tuple[str, int]] = []

    def before(self, account: str, platform: str, kind: str) -> None:
        self.asked.append((account, platform, kind))
        if self.closed:
            raise AccountPaused(f"{account} is paused", retry_after=120, platform=platform)

    def after(
        self, account: str, platform: str, kind: str, status: int, headers: Mapping[str, str]
    ) -> None:
        self.told.append((kind, status))


def test_every_request_passes_the_gate(harness: Harness) -> None:
    gate = RecordingGate()
    harness.gate = gate
    texts = harness.parts(["1/2 Running alone, for years.", "2/2 Then I joined a club."])
    request = harness.request(*texts, media=(harness.image(),))
    harness.publisher().publish(request)
    assert_chain(harness, texts)
    assert isinstance(harness.publisher().find(request, len(texts) - 1), Found)
    kinds = [k for _, _, k in gate.asked]
    assert kinds.count("create") == len(texts)  # one create per part
    assert "read" in kinds  # the lookup
    received = harness.requests_received()
    if received is None:
        # The sandbox sends nothing anywhere, but asks as its platform's requests would.
        assert {(a, p) for a, p, _ in gate.asked} == {(harness.account, "sandbox")}
        return
    # Each request asked first and reported its answer.
    assert len(gate.asked) == len(gate.told) == received
    assert {(a, p) for a, p, _ in gate.asked} == {(harness.account, harness.name.split("-")[0])}
    # Everything else (an image upload, where the platform takes images apart) is a write.
    assert set(kinds) <= {"create", "read", "write"}


def test_a_paused_account_sends_nothing_and_says_so(harness: Harness) -> None:
    harness.gate = RecordingGate(closed=True)
    request = harness.request("Lace up again.", media=(harness.image(),))
    before = harness.requests_received()
    with pytest.raises(AccountPaused) as caught:
        harness.publisher().publish(request)
    assert caught.value.retry_after == 120
    # A lookup refused by the gate cannot tell, with the pause's wait: never "not there".
    answer = harness.publisher().find(request, 0)
    assert isinstance(answer, CannotTell) and answer.retry_after == 120
    assert harness.requests_received() == before
    assert harness.posted() == []
