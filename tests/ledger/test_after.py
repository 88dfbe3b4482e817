"""Drafts that wait on others, on SQLite and PostgreSQL: the claim waits until every draft
waited on is published; ``waits`` and ``dependants`` read the table sync keeps."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scheduler.draft import After, Draft, PartResult
from scheduler.ledger import State
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

DUE = T0 + timedelta(hours=1)
LATER = DUE + timedelta(minutes=5)
STAND_IN = "https://after.example.org/story/blog/"


def _promo(*after: After) -> Draft:
    draft = make_draft("promo", text=f"Read it: {STAND_IN}")
    return replace(draft, after=after, content_hash="")


def _sync(ledger: SqlLedger, *drafts: Draft) -> None:
    ledger.sync("mhaw", list(drafts), now=T0)
    for d in drafts:
        rec = ledger.get(d.key)
        ledger.decide(
            d.key, kind="approve", actor="rev@example.org", content_hash=rec.content_hash, now=T0
        )


def _publish(ledger: SqlLedger, draft: Draft, url: str) -> None:
    claim = ledger.claim(draft.key, owner="w", now=LATER, lease=60)
    assert claim is not None, draft.key
    ledger.finish(ledger.record_part(claim, PartResult(0, "1", url), now=LATER), now=LATER)


def test_a_draft_is_claimed_only_once_what_it_waits_on_is_published(ledger: SqlLedger) -> None:
    story = make_draft("story", account="blog")
    promo = _promo(After("story", "blog", STAND_IN))
    _sync(ledger, story, promo)
    assert ledger.claim(promo.key, owner="w", now=LATER, lease=60) is None
    assert ledger.claim_due(owner="w", now=LATER, lease=60, limit=10) != []  # the story
    assert ledger.get(promo.key).state is State.APPROVED
    assert ledger.get(promo.key).attempts == 0
    [wait] = ledger.waits(promo.key)
    assert (wait.key, wait.state, wait.url, wait.over) == (story.key, State.PUBLISHING, None, False)
    assert ledger.dependants(story.key) == [promo.key]
    assert ledger.dependants(promo.key) == []


def test_published_it_gives_its_address_and_lets_the_dependant_go(ledger: SqlLedger) -> None:
    story = make_draft("story", account="blog")
    promo = _promo(After("story", "blog", STAND_IN))
    _sync(ledger, story, promo)
    _publish(ledger, story, "https://blog.example.org/2026/05/11/lou/")
    [wait] = ledger.waits(promo.key)
    assert wait.over and wait.url == "https://blog.example.org/2026/05/11/lou/"
    claims = ledger.claim_due(owner="w", now=LATER, lease=60, limit=10)
    assert [c.key for c in claims] == [promo.key]


def test_every_draft_waited_on_must_be_out(ledger: SqlLedger) -> None:
    a, b = make_draft("story", account="masto"), make_draft("story", account="sky")
    promo = _promo(After("story", "masto"), After("story", "sky"))
    _sync(ledger, a, b, promo)
    _publish(ledger, a, "https://m.example/1")
    assert ledger.claim(promo.key, owner="w", now=LATER, lease=60) is None
    assert [w.over for w in ledger.waits(promo.key)] == [True, False]
    _publish(ledger, b, "https://s.example/1")
    assert ledger.claim(promo.key, owner="w", now=LATER, lease=60) is not None


def test_a_failed_dependency_keeps_it_waiting_and_needs_a_person(ledger: SqlLedger) -> None:
    story = make_draft("story", account="blog")
    promo = _promo(After("story", "blog", STAND_IN))
    _sync(ledger, story, promo)
    claim = ledger.claim(story.key, owner="w", now=LATER, lease=60)
    assert claim is not None
    ledger.give_up(claim, state="failed", reason="refused", now=LATER)
    [wait] = ledger.waits(promo.key)
    assert wait.state is State.FAILED and wait.needs_person
    assert ledger.claim_due(owner="w", now=LATER, lease=60, limit=10) == []


def test_a_waited_on_post_missing_from_the_ledger_keeps_it_waiting(ledger: SqlLedger) -> None:
    promo = _promo(After("gone", "blog", STAND_IN))
    _sync(ledger, promo)
    [wait] = ledger.waits(promo.key)
    assert wait.state is None and wait.needs_person
    assert ledger.claim(promo.key, owner="w", now=LATER, lease=60) is None


def test_sync_rewrites_who_waits_on_whom(ledger: SqlLedger) -> None:
    story = make_draft("story", account="blog")
    promo = _promo(After("story", "blog", STAND_IN))
    _sync(ledger, story, promo)
    ledger.sync("mhaw", [story, make_draft("promo")], now=T0)  # `after:` removed
    assert ledger.waits(promo.key) == []
    assert ledger.dependants(story.key) == []
