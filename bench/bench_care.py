"""Care lint: what linting the generated 1,000-post week adds to ``check``.

* ``lint (warm)``: a fresh ``Linter`` over the 3,000 drafts of the campaign benchmark's
  generated week (``bench.bench_campaign.write_week``), in a process that has linted before
  (lexicons compiled). Baseline, same run: ``load_campaign`` + ``render_campaign`` of the same
  files (what ``check`` did before it showed care findings). Goal: <= 0.20x the baseline.
* ``lint (cold)``: the same in a fresh process, so the lexicons' first compilation and the
  care imports are counted, as a person running ``scheduler check`` once would see it.
  Baseline: load + render in that fresh process. Goal: <= 0.20x.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_campaign import write_week
from bench.harness import Row, best_of

AREA = "care"
GOAL = 0.20

COLD = """
import json, sys, time
t0 = time.perf_counter()
from scheduler.campaign import load_campaign
from scheduler.render import render_campaign
campaign = load_campaign(sys.argv[1])
drafts = render_campaign(campaign)
t1 = time.perf_counter()
from scheduler.care import CarePolicy, Linter
findings = Linter(CarePolicy.from_settings(campaign.care)).lint_all(drafts)
t2 = time.perf_counter()
print(json.dumps({"check": t1 - t0, "lint": t2 - t1, "findings": len(findings)}))
"""


def _check(path: Path) -> list[object]:
    from scheduler.campaign import load_campaign
    from scheduler.render import render_campaign

    campaign = load_campaign(path)
    return [campaign, render_campaign(campaign)]


def _lint(campaign: object, drafts: object) -> int:
    from scheduler.care import CarePolicy, Linter

    policy = CarePolicy.from_settings(getattr(campaign, "care", None))
    return len(Linter(policy).lint_all(drafts))  # type: ignore[arg-type]


def _cold(path: Path, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", COLD, str(path)], check=True, capture_output=True, text=True
        ).stdout
        runs.append(json.loads(out))
    best = min(runs, key=lambda r: r["check"] + r["lint"])
    return float(best["lint"]), float(best["check"])


def run(quick: bool) -> list[Row]:
    posts = 200 if quick else 1000
    repeat = 3 if quick else 5
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_week(Path(tmp) / "week", posts)
        campaign, drafts = _check(path)
        _lint(campaign, drafts)  # compile the lexicons outside the timing
        t_check = best_of(lambda: _check(path), repeat)
        t_lint = best_of(lambda: _lint(campaign, drafts), repeat)
        rows.append(
            Row(
                AREA,
                f"lint (warm) {posts} posts x 3 accounts",
                t_lint,
                "s",
                baseline=t_check,
                baseline_name="check (load+render)",
                goal=f"<= {GOAL:.2f}x",
                ok=t_lint <= GOAL * t_check if not quick else None,
            )
        )
        c_lint, c_check = _cold(path, repeat)
        rows.append(
            Row(
                AREA,
                f"lint (cold process) {posts} posts x 3 accounts",
                c_lint,
                "s",
                baseline=c_check,
                baseline_name="check (load+render)",
                goal=f"<= {GOAL:.2f}x",
                ok=c_lint <= GOAL * c_check if not quick else None,
            )
        )
    return rows
