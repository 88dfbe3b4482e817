"""The approval gate without the command line: scheduler.approval with the care lint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import approval
from scheduler.approval import Member, Policy
from scheduler.care import block_rules
from scheduler.clock import FixedClock
from scheduler.ledger import PolicyError, open_ledger
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, make_draft

AUTHOR, ANNA, BEN = "author@example.org", "anna@x.org", "ben@x.org"
POLICY = Policy(team=(Member(AUTHOR), Member(ANNA), Member(BEN)))
RISKY = "He took his own life and is finally at peace now."  # solution framing, no support


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqlLedger]:
    opened = open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}", clock=FixedClock(T0))
    yield opened
    opened.close()


def test_block_rules_of_a_draft() -> None:
    draft = make_draft(text=RISKY)
    assert block_rules(draft) == ["cw-missing", "sm-no-support", "sm-solution"]
    assert block_rules(make_draft()) == []


def test_approve_lints_the_draft_when_the_caller_did_not(ledger: SqlLedger) -> None:
    draft = make_draft(text=RISKY)
    ledger.sync("mhaw", [draft], now=T0, rule=POLICY.rule())
    with pytest.raises(PolicyError, match="care lint blocks approval"):
        approval.approve(ledger, draft.key, ANNA, draft.content_hash, policy=POLICY, now=T0)


def test_overrides_count_only_from_non_authors_and_per_rule(ledger: SqlLedger) -> None:
    draft = make_draft(text=RISKY)
    ledger.sync("mhaw", [draft], now=T0, rule=POLICY.rule())
    blocks = block_rules(draft)
    with pytest.raises(PolicyError, match="cannot override"):
        approval.override(
            ledger,
            draft.key,
            AUTHOR,
            draft.content_hash,
            rule_id="sm-solution",
            reason="mine",
            policy=POLICY,
            now=T0,
        )
    for rule in ("sm-solution", "sm-no-support"):
        approval.override(
            ledger,
            draft.key,
            BEN,
            draft.content_hash,
            rule_id=rule,
            reason="reviewed with the safeguarding lead",
            policy=POLICY,
            now=T0,
        )
    record = ledger.get(draft.key)
    assert approval.unresolved_care_blocks(ledger, record, blocks) == ["cw-missing"]
    with pytest.raises(PolicyError, match=r"\(cw-missing\)"):
        approval.approve(
            ledger,
            draft.key,
            ANNA,
            draft.content_hash,
            policy=POLICY,
            now=T0,
            care_blocks=blocks,
        )
    approval.override(
        ledger,
        draft.key,
        ANNA,
        draft.content_hash,
        rule_id="cw-missing",
        reason="CW added by the instance",
        policy=POLICY,
        now=T0,
    )
    after = approval.approve(
        ledger, draft.key, ANNA, draft.content_hash, policy=POLICY, now=T0, care_blocks=blocks
    )
    assert after.state.value == "approved"
