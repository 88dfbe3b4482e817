"""Score the care lint on the labelled evaluation set: ``python -m tests.care.evaluate``.

Scored per (post, rule): recall = expected pairs that fired / expected pairs. A false alarm
is a fired (post, rule) pair that was not expected (on a benign post, any finding); the
false-alarm rate is the share of posts with at least one false alarm. Goals: recall >= 95%,
false alarms <= 5%.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from scheduler.care import CarePolicy, Linter
from scheduler.draft import Draft, Media, Part

EVAL_SET = Path(__file__).with_name("eval_set.yaml")
RECALL_GOAL = 0.95
FALSE_ALARM_GOAL = 0.05


def draft_from(item: dict[str, Any]) -> Draft:
    texts = item.get("parts") or [item["text"]]
    media: tuple[Media, ...] = ()
    if "alt" in item:
        alt = str(item["alt"]) * int(item.get("alt_times", 1))
        media = (Media("image.png", "0" * 64, "image/png", 1000, alt),)
    parts = tuple(Part(text, media if i == 0 else ()) for i, text in enumerate(texts))
    return Draft(
        campaign="eval",
        post_id=str(item["id"]),
        account="eval",
        platform=str(item.get("platform", "x")),
        due=datetime(2026, 5, 11, 9, tzinfo=UTC),
        timezone="Europe/London",
        parts=parts,
        content_warning=item.get("cw"),
        language=str(item.get("lang", "en")),
        labels=tuple(item.get("labels", ())),
    )


@dataclass
class Score:
    posts: int
    benign: int
    expected: int
    hit: int
    false_pairs: int
    false_posts: int
    benign_flagged: int
    misses: list[tuple[str, str]]
    false_alarms: list[tuple[str, str, str]]
    per_rule: dict[str, tuple[int, int, int]]  # rule -> (expected, hit, false)

    @property
    def recall(self) -> float:
        return self.hit / self.expected if self.expected else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_posts / self.posts if self.posts else 0.0

    @property
    def ok(self) -> bool:
        return self.recall >= RECALL_GOAL and self.false_alarm_rate <= FALSE_ALARM_GOAL


def score(path: Path = EVAL_SET) -> Score:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["posts"]
    linters: dict[str | None, Linter] = {}
    expected_total = hit_total = false_pairs = false_posts = benign = benign_flagged = 0
    misses: list[tuple[str, str]] = []
    false_alarms: list[tuple[str, str, str]] = []
    exp_c: Counter[str] = Counter()
    hit_c: Counter[str] = Counter()
    false_c: Counter[str] = Counter()
    for item in items:
        locale = item.get("locale", "en-GB")
        linter = linters.setdefault(locale, Linter(CarePolicy(locale=locale)))
        findings = [f for f in linter.lint(draft_from(item)) if f.severity != "info"]
        fired = {f.rule for f in findings}
        expected = set(item.get("expect") or ())
        if not expected:
            benign += 1
            benign_flagged += bool(fired)
        expected_total += len(expected)
        hit_total += len(expected & fired)
        exp_c.update(expected)
        hit_c.update(expected & fired)
        for rule in sorted(expected - fired):
            misses.append((str(item["id"]), rule))
        unexpected = fired - expected
        false_c.update(unexpected)
        false_pairs += len(unexpected)
        false_posts += bool(unexpected)
        for rule in sorted(unexpected):
            excerpt = next((f.excerpt for f in findings if f.rule == rule), "")
            false_alarms.append((str(item["id"]), rule, excerpt))
    rules = sorted(set(exp_c) | set(false_c))
    return Score(
        posts=len(items),
        benign=benign,
        expected=expected_total,
        hit=hit_total,
        false_pairs=false_pairs,
        false_posts=false_posts,
        benign_flagged=benign_flagged,
        misses=misses,
        false_alarms=false_alarms,
        per_rule={r: (exp_c[r], hit_c[r], false_c[r]) for r in rules},
    )


def report(s: Score) -> str:
    lines = [
        f"posts: {s.posts} ({s.benign} benign, {s.posts - s.benign} with expected findings)",
        f"recall: {s.hit}/{s.expected} = {s.recall:.1%} (goal >= {RECALL_GOAL:.0%})",
        f"false alarms: {s.false_posts}/{s.posts} posts = {s.false_alarm_rate:.1%} "
        f"(goal <= {FALSE_ALARM_GOAL:.0%}); {s.false_pairs} unexpected (post, rule) pairs; "
        f"benign posts flagged: {s.benign_flagged}/{s.benign}",
        "",
        f"{'rule':<22} {'expected':>8} {'hit':>5} {'false':>6}",
    ]
    for rule, (exp, hit, false) in s.per_rule.items():
        lines.append(f"{rule:<22} {exp:>8} {hit:>5} {false:>6}")
    if s.misses:
        lines += ["", "missed:"] + [f"  {post}: {rule}" for post, rule in s.misses]
    if s.false_alarms:
        lines += ["", "false alarms:"]
        lines += [f"  {post}: {rule} {excerpt!r}" for post, rule, excerpt in s.false_alarms]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=EVAL_SET)
    args = parser.parse_args(argv)
    result = score(args.path)
    print(report(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
