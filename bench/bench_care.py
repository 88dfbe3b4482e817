"""Care lint: what linting the generated 1,000-post week adds to ``check``.

The week is the campaign benchmark's generated campaign (``bench.bench_campaign.write_week``:
1,000 posts on 3 accounts, 3,000 drafts, a fifth of them eating-disorder threads with an
image). ``scheduler check`` is a one-shot command, so the goal is measured as a person sees
it, in a fresh process:

* ``lint, fresh process``: the care imports, data files, lexicon compilation and the lint of
  every draft, against ``load_campaign`` + ``render_campaign`` (with their imports) in the
  same fresh process. Goal: <= 0.20x, i.e. the lint adds at most 20% to ``check``.
* ``lint, warm process`` (for information): a fresh ``Linter`` in a process that has
  linted before (lexicons compiled, modules imported) against a warm load + render.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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


def _check(path: Path) -> tuple[Any, list[Any]]:
    from scheduler.campaign import load_campaign
    from scheduler.render import render_campaign

    campaign = load_campaign(path)
    return campaign, render_campaign(campaign)


def _lint(campaign: Any, drafts: list[Any]) -> int:
    from scheduler.care import CarePolicy, Linter

    policy = CarePolicy.from_settings(getattr(campaign, "care", None))
    return len(Linter(policy).lint_all(drafts))


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
                f"lint, warm process: {posts} posts x 3 accounts",
                t_lint,
                "s",
                baseline=t_check,
                baseline_name="load+render, warm",
                goal="(information)",
            )
        )
        c_lint, c_check = _cold(path, repeat)
        rows.append(
            Row(
                AREA,
                f"lint, fresh process: {posts} posts x 3 accounts",
                c_lint,
                "s",
                baseline=c_check,
                baseline_name="load+render, fresh",
                goal=f"<= {GOAL:.2f}x",
                ok=c_lint <= GOAL * c_check if not quick else None,
            )
        )
    return rows
