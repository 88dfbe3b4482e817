"""The labelled evaluation sets meet the goals (recall >= 95%, false alarms <= 5%)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.care.evaluate import EVAL_SET, FALSE_ALARM_GOAL, RECALL_GOAL, report, score

HOLDOUT = EVAL_SET.with_name("eval_holdout.yaml")
HOLDOUT2 = EVAL_SET.with_name("eval_holdout2.yaml")


@pytest.mark.parametrize("path", [EVAL_SET, HOLDOUT, HOLDOUT2], ids=["main", "holdout", "holdout2"])
def test_evaluation_set_meets_the_goals(path: Path) -> None:
    result = score(path)
    assert result.recall >= RECALL_GOAL, report(result)
    assert result.false_alarm_rate <= FALSE_ALARM_GOAL, report(result)


def test_main_set_is_big_enough_and_a_third_benign() -> None:
    result = score(EVAL_SET)
    assert result.posts >= 150
    assert result.benign >= result.posts / 3 - 1


def test_the_scorer_can_fail(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "posts:\n"
        "- {id: a, expect: [sm-method], text: 'We love our volunteers.'}\n"
        "- {id: b, expect: [], text: 'He committed suicide.'}\n",
        encoding="utf-8",
    )
    result = score(wrong)
    assert result.recall == 0.0
    assert result.false_posts == 1 and not result.ok
