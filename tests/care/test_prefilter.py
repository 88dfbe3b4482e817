"""The one-pass pre-filter rules a list out exactly when none of its triggers occurs, and
never rules out a list that matches."""

from __future__ import annotations

import pytest
import yaml

from scheduler.care.lexicon import (
    LANGUAGES,
    PatternList,
    Prefilter,
    known_triggers,
    lexicon_for,
    trigger_table,
)
from scheduler.care.text import analyse
from tests.care.evaluate import EVAL_SET


def _prefilter(*lists: tuple[str, list[str]]) -> Prefilter:
    return Prefilter(PatternList(name, entries) for name, entries in lists)


@pytest.mark.parametrize(
    ("lowered", "expected"),
    [
        ("nothing to see", set()),
        ("binge eating", {"ed_a"}),
        ("binge-eating", {"ed_a"}),
        ("binge-eating and starving", {"ed_a", "ed_b"}),
        ("kg", {"ed_c"}),
        ("lost 5kg by starving", {"ed_b", "ed_c"}),
        ("", set()),
    ],
)
def test_prefilter_reports_every_list_with_a_trigger(lowered: str, expected: set[str]) -> None:
    prefilter = _prefilter(
        ("ed_a", ["binge[- ]eating"]),
        ("ed_b", ["starv(?:e|ing)"]),
        ("ed_c", [r"\d+ ?kg"]),
        ("ed_empty", []),
    )
    assert prefilter.possible(lowered) == expected


def test_overlapping_triggers_are_all_found() -> None:
    # "eating" lies inside "binge eating", and "ting" overlaps its end: one scan finds all
    prefilter = _prefilter(("ed_a", ["binge eating"]), ("ed_b", ["eating"]), ("ed_c", ["tingle"]))
    assert prefilter.possible("binge eatingle") == {"ed_a", "ed_b", "ed_c"}


def test_a_list_without_triggers_is_always_possible() -> None:
    prefilter = _prefilter(("ed_any", [r"\w+"]), ("ed_a", ["purg(?:e|ing)"]))
    assert prefilter.possible("hello") == {"ed_any"}
    assert prefilter.possible("purging") == {"ed_any", "ed_a"}


def _texts() -> list[str]:
    posts = yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))["posts"]
    texts = [str(t) for p in posts for t in (p.get("parts") or [p["text"]])]
    return texts + [str(p["alt"]) for p in posts if "alt" in p]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_prefilter_agrees_with_each_lists_own_triggers(lang: str) -> None:
    lex = lexicon_for(lang)
    for raw in _texts():
        text = analyse(raw, lex)
        for name, plist in lex.lists.items():
            if not plist.entries:
                continue
            possible = name in lex.prefilter.possible(text.lower)
            triggers = plist.triggers()
            assert possible == (triggers is None or any(t in text.lower for t in triggers))
            assert possible == (name in text.possible)
            if plist.finditer(text.view):
                assert possible, (name, raw)
                assert text.scan(name), (name, raw)


def test_shipped_triggers_are_current() -> None:
    # A stale file only costs speed (edited lists fall back), but keep it current.
    assert known_triggers() == trigger_table(), "run: python -m scheduler.care.write_triggers"
