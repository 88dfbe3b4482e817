"""The state machine as a table, every transition tried on a real ledger, and the policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import pytest

from scheduler import approval
from scheduler.approval import TRANSITIONS, Member, Policy, State
from scheduler.draft import PartResult
from scheduler.errors import UsageError
from scheduler.ledger import (
    ApprovalRule,
    DraftRecord,
    LedgerError,
    PolicyError,
    StaleHash,
    TransitionError,
)
from scheduler.ledger.store import SqlLedger
from tests.ledger.support import T0, clock, ledger, ledger_url, make_draft, open_at

__all__ = ["clock", "ledger", "ledger_url", "open_at"]

S = State
LATER = T0 + timedelta(hours=2)
AUTHOR, ANNA, BEN, CARA = "author@example.org", "anna@x.org", "ben@x.org", "cara@x.org"
TEAM = (
    Member(AUTHOR, "Ali", ("writer",)),
    Member(ANNA, "Anna", ("editor",)),
    Member(BEN, "Ben", ("editor",)),
    Member(CARA, "Cara", ("volunteer",)),
)

# Every allowed (action, from, to), written out by hand: the table must say exactly this.
EXPECTED = """
edit: draft approved scheduled rejected retry_wait failed missed -> draft
remove: draft approved scheduled rejected retry_wait failed missed -> cancelled
restore: cancelled -> draft
policy: draft -> approved | approved scheduled -> draft
approve: draft -> draft approved | approved -> approved | scheduled -> scheduled
reject: draft approved scheduled retry_wait rejected -> rejected
override: draft -> draft | approved -> approved | scheduled -> scheduled | rejected -> rejected
claim: approved scheduled retry_wait publishing -> publishing
renew: publishing -> publishing
record_part: publishing -> publishing
finish: publishing -> published
retry_later: publishing -> retry_wait
defer: publishing -> retry_wait
give_up: publishing -> failed missed outcome_unknown
release: publishing -> scheduled
mark_missed: draft rejected approved scheduled retry_wait publishing -> missed
shift: draft -> draft | approved -> approved | scheduled -> scheduled
shift: rejected -> rejected | retry_wait -> retry_wait
resolve: outcome_unknown -> published retry_wait failed
"""


def _expected() -> set[tuple[str, State, State]]:
    out: set[tuple[str, State, State]] = set()
    for line in EXPECTED.strip().splitlines():
        action, rest = line.split(":", 1)
        for clause in rest.split("|"):
            froms, tos = clause.split("->")
            out |= {(action, S(f), S(t)) for f in froms.split() for t in tos.split()}
    for s in State:
        out.add(("comment", s, s))
    return out


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    actual = {
        (action, f, t)
        for action, table in TRANSITIONS.items()
        for f, ts in table.items()
        for t in ts
    }
    assert actual == _expected()


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("state", list(State))
def test_check_allows_the_table_and_names_draft_state_and_choices_otherwise(
    action: str, state: State
) -> None:
    key = make_draft().key
    targets = TRANSITIONS[action].get(state)
    if targets:
        for target in targets:
            approval.check(action, key, state, target)
        return
    with pytest.raises(TransitionError) as info:
        approval.check(action, key, state)
    text = str(info.value)
    assert str(key) in text and state.value in text and action in text
    for allowed in approval.allowed_actions(state):
        assert allowed in text


# --- every transition on a real ledger ------------------------------------------------------


def _put_in(ledger: SqlLedger, campaign: str, state: State) -> None:
    """Make the draft of ``campaign`` reach ``state`` through the public API only."""
    d = make_draft(campaign=campaign)
    ledger.sync(campaign, [d], now=T0)
    if state is S.DRAFT:
        return
    if state is S.CANCELLED:
        ledger.sync(campaign, [], now=T0)
        return
    if state is S.REJECTED:
        ledger.decide(
            d.key, kind="reject", actor=ANNA, content_hash=d.content_hash, comment="no", now=T0
        )
        return
    if state is S.MISSED:
        ledger.mark_missed(d.key, reason="window closed", now=T0)
        return
    ledger.decide(d.key, kind="approve", actor=ANNA, content_hash=d.content_hash, now=T0)
    if state is S.APPROVED:
        return
    claim = ledger.claim(d.key, owner="w", now=LATER, lease=60)
    assert claim is not None
    if state is S.PUBLISHING:
        return
    if state is S.SCHEDULED:
        ledger.release(claim, now=LATER)
    elif state is S.PUBLISHED:
        ledger.finish(ledger.record_part(claim, PartResult(0, "1", "u"), now=LATER), now=LATER)
    elif state is S.RETRY_WAIT:
        ledger.retry_later(claim, next_attempt=LATER, error="503", now=LATER)
    else:
        ledger.give_up(claim, state=state, reason="no", now=LATER)
    assert ledger.get(d.key).state is state


def _try(ledger: SqlLedger, campaign: str, action: str) -> str:
    """Attempt ``action``; return the action the ledger recorded (an edit of a cancelled
    post that is back in the files is a restore)."""
    d = make_draft(campaign=campaign)
    h = ledger.get(d.key).content_hash
    later = LATER + timedelta(minutes=5)  # any lease taken in _put_in has expired
    if action == "approve":
        ledger.decide(d.key, kind="approve", actor=BEN, content_hash=h, now=later)
    elif action in ("reject", "override", "comment"):
        ledger.decide(d.key, kind=action, actor=BEN, content_hash=h, comment="why", now=later)  # type: ignore[arg-type]
    elif action == "edit":
        report = ledger.sync(campaign, [make_draft(campaign=campaign, text="new")], now=later)
        if report.frozen:
            raise TransitionError(d.key, ledger.get(d.key).state, "edit")
        if report.restored:
            return "restore"
    elif action == "remove":
        report = ledger.sync(campaign, [], now=later)
        if not report.cancelled:
            raise TransitionError(d.key, ledger.get(d.key).state, "remove")
    elif action == "restore":
        report = ledger.sync(campaign, [d], now=later)
        if not report.restored:
            raise TransitionError(d.key, ledger.get(d.key).state, "restore")
    elif action == "claim":
        if ledger.claim(d.key, owner="w2", now=later, lease=60) is None:
            raise TransitionError(d.key, ledger.get(d.key).state, "claim")
    elif action == "mark_missed":
        ledger.mark_missed(d.key, reason="late", now=later)
    elif action == "resolve":
        ledger.resolve(d.key, actor=BEN, outcome="not_published", now=later)
    else:  # pragma: no cover
        raise AssertionError(action)
    return action


LEDGER_ACTIONS = {
    "approve": None,  # target depends on the count: checked against the table's targets
    "reject": S.REJECTED,
    "override": None,
    "comment": None,
    "edit": S.DRAFT,
    "remove": S.CANCELLED,
    "restore": S.DRAFT,
    "claim": S.PUBLISHING,
    "mark_missed": S.MISSED,
    "resolve": S.RETRY_WAIT,
}


def test_every_transition_on_the_ledger(
    ledger_url: str, open_at: Callable[[str], SqlLedger]
) -> None:
    ledger = open_at(ledger_url)
    wrong: list[str] = []
    for state in State:
        for action, target in LEDGER_ACTIONS.items():
            campaign = f"{state.value}-{action}"
            _put_in(ledger, campaign, state)
            allowed = TRANSITIONS[action].get(state, frozenset())
            try:
                done = _try(ledger, campaign, action)
            except TransitionError:
                if allowed and action != "claim":
                    wrong.append(f"{action} from {state.value} refused")
                elif allowed and state is not S.PUBLISHING and action == "claim":
                    wrong.append(f"claim from {state.value} refused")
                continue
            except LedgerError as exc:  # e.g. a live lease: never a silent change
                wrong.append(f"{action} from {state.value}: {exc}")
                continue
            now_state = ledger.get(make_draft(campaign=campaign).key).state
            if done != action:
                allowed = TRANSITIONS[done].get(state, frozenset())
                target = S.DRAFT
            if not allowed:
                wrong.append(f"{action} from {state.value} allowed (now {now_state.value})")
            elif now_state not in allowed or (target is not None and now_state is not target):
                wrong.append(f"{action} from {state.value} led to {now_state.value}")
    assert wrong == []


# --- the policy -----------------------------------------------------------------------------


def test_policy_resolves_roles_and_emails() -> None:
    p = Policy(required=2, approvers=("editor", CARA), team=TEAM)
    assert p.rule() == ApprovalRule(required=2, approvers=frozenset({ANNA, BEN, CARA}))
    assert p.may_approve("Anna@X.org") and not p.may_approve(AUTHOR)
    everyone = Policy(team=TEAM)
    assert everyone.rule().approvers == frozenset(m.email for m in TEAM)
    with pytest.raises(UsageError):
        Policy(required=0)


def test_policy_from_a_campaign_object() -> None:
    campaign = SimpleNamespace(
        approval=SimpleNamespace(required=2, approvers=["editor"]),
        team=[Member(ANNA, "Anna", ("editor",)), Member(CARA, "Cara")],
    )
    p = Policy.from_campaign(campaign)
    assert p.required == 2 and p.rule().approvers == frozenset({ANNA})


def test_decisions_through_the_policy(ledger: SqlLedger) -> None:
    policy = Policy(required=2, approvers=("editor",), team=TEAM)
    d = make_draft(author=AUTHOR)
    ledger.sync("mhaw", [d], now=T0, rule=policy.rule())
    with pytest.raises(UsageError, match="not on the team"):
        approval.approve(ledger, d.key, "stranger@x.org", d.content_hash, policy=policy, now=T0)
    with pytest.raises(PolicyError, match="wrote this post"):
        approval.approve(ledger, d.key, AUTHOR, d.content_hash, policy=policy, now=T0)
    with pytest.raises(PolicyError, match="may not approve"):
        approval.approve(ledger, d.key, CARA, d.content_hash, policy=policy, now=T0)
    rec = approval.approve(ledger, d.key, ANNA, d.content_hash, policy=policy, now=T0)
    assert rec.state is S.DRAFT
    assert approval.next_step(rec, policy.rule()) == "needs 1 more approval"
    assert [r.key for r in approval.awaiting([rec], BEN, policy)] == [d.key]
    assert approval.awaiting([rec], ANNA, policy) == []  # already approved it
    assert approval.awaiting([rec], AUTHOR, policy) == []
    rec = approval.approve(ledger, d.key, BEN, d.content_hash, policy=policy, now=T0)
    assert rec.state is S.APPROVED
    assert approval.next_step(rec, policy.rule()).startswith("publishes Mon 11 May 10:00 BST")
    rec = approval.comment(
        ledger, d.key, CARA, d.content_hash, text="Lovely", policy=policy, now=T0
    )
    with pytest.raises(PolicyError, match="reason"):
        approval.reject(ledger, d.key, CARA, d.content_hash, reason=" ", policy=policy, now=T0)
    with pytest.raises(StaleHash):
        approval.reject(ledger, d.key, CARA, "d1:old", reason="x", policy=policy, now=T0)
    rec = approval.reject(
        ledger, d.key, CARA, d.content_hash, reason="Add a helpline", policy=policy, now=T0
    )
    assert rec.state is S.REJECTED and rec.approvals == ()
    assert approval.next_step(rec, policy.rule()).startswith("rejected")
    rec = approval.override(
        ledger,
        d.key,
        ANNA,
        d.content_hash,
        rule_id="sm-method",
        reason="quoted from the guidance",
        policy=policy,
        now=T0,
    )
    kinds = [(x.kind, x.actor, x.voided_at is None) for x in ledger.approvals(d.key)]
    assert kinds == [
        ("approve", ANNA, False),
        ("approve", BEN, False),
        ("comment", CARA, True),
        ("reject", CARA, True),
        ("override", ANNA, True),
    ]


NEXT_STEPS = [
    (S.DRAFT, "needs 2 more approvals"),
    (S.APPROVED, "publishes Mon 11 May 10:00 BST"),
    (S.SCHEDULED, "publishes Mon 11 May 10:00 BST"),
    (S.PUBLISHING, "publishing now (worker-1)"),
    (S.PUBLISHED, "published https://m.example/1"),
    (S.REJECTED, "rejected: edit the post and it returns to review"),
    (S.RETRY_WAIT, "retries Mon 11 May 10:05 BST (503 Service Unavailable)"),
    (S.OUTCOME_UNKNOWN, "may have gone out: check the account, then `scheduler resolve`"),
    (S.FAILED, "failed: 503 Service Unavailable"),
    (S.MISSED, "missed: 503 Service Unavailable"),
    (S.CANCELLED, "cancelled: removed from the campaign files"),
]


@pytest.mark.parametrize(("state", "expected"), NEXT_STEPS)
def test_next_step_for_every_state(state: State, expected: str) -> None:
    d = make_draft()
    record = DraftRecord(
        key=d.key,
        draft=d,
        content_hash=d.content_hash,
        due=d.due,
        latest=None,
        state=state,
        approved_hash=None,
        approvals=(),
        next_attempt=d.due + timedelta(minutes=5),
        attempts=1,
        lease_owner="worker-1",
        lease_until=None,
        parts_done=(PartResult(0, "1", "https://m.example/1"),),
        last_error="503 Service Unavailable",
        updated_at=T0,
    )
    assert approval.next_step(record, ApprovalRule(required=2), T0).startswith(expected)


def test_every_state_has_a_next_step() -> None:
    assert {s for s, _ in NEXT_STEPS} == set(State)


def test_a_campaigns_standing_overrides_in_one_read(ledger: SqlLedger) -> None:
    """What a calendar reads for all its drafts at once: the overrides of each current
    version, of which only those by someone other than the author lift a block."""
    p1, p2 = make_draft("p1", author=AUTHOR), make_draft("p2", author=AUTHOR)
    elsewhere = make_draft("p1", campaign="other", author=AUTHOR)
    ledger.sync("mhaw", [p1, p2], now=T0)
    ledger.sync("other", [elsewhere], now=T0)

    def override(key: object, actor: str, rule: str) -> None:
        rec = ledger.get(key)  # type: ignore[arg-type]
        ledger.decide(
            rec.key,
            kind="override",
            actor=actor,
            content_hash=rec.content_hash,
            now=T0,
            comment="why",
            rule_id=rule,
        )

    override(p1.key, ANNA, "sm-method")
    override(p1.key, AUTHOR, "ed-numbers")  # the author's own override lifts nothing
    override(p2.key, ANNA, "sm-method")
    override(elsewhere.key, ANNA, "sm-method")
    ledger.decide(p1.key, kind="comment", actor=BEN, content_hash=p1.content_hash, now=T0)
    edited = make_draft("p2", author=AUTHOR, text="Reworded since the override.")
    ledger.sync("mhaw", [p1, edited], now=T0)  # voids p2's override

    found = ledger.overrides("mhaw")
    assert [(d.key, d.actor, d.rule) for d in found] == [
        (p1.key, ANNA, "sm-method"),
        (p1.key, AUTHOR, "ed-numbers"),
    ]
    assert approval.overridden_rules(ledger.get(p1.key), found) == {"sm-method"}
    assert approval.overridden_rules(ledger.get(p2.key), found) == set()
    assert approval.overridden_rules(ledger.get(p2.key), ledger.approvals(p2.key)) == set()
    assert [d.key for d in ledger.overrides("other")] == [elsewhere.key]
    assert ledger.overrides("nobody") == []
