"""Run every benchmark and print one table: ``python -m bench.run [--quick] [AREA ...]``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from bench.harness import Row


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3g} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("areas", nargs="*", help="only these modules (e.g. campaign ledger)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    args = parser.parse_args(argv)
    here = Path(__file__).parent
    rows: list[Row] = []
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if not info.name.startswith("bench_"):
            continue
        area = info.name.removeprefix("bench_")
        if args.areas and area not in args.areas:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        print(f"running {area} ...", file=sys.stderr, flush=True)
        rows.extend(module.run(args.quick))
    header = ("area", "scenario", "value", "baseline", "ratio", "goal", "ok")
    table = [
        (
            r.area,
            r.scenario,
            _fmt(r.value, r.unit),
            f"{_fmt(r.baseline, r.unit)} {r.baseline_name}".strip() if r.baseline else "-",
            f"{r.ratio:.2f}x" if r.ratio is not None else "-",
            r.goal,
            {True: "yes", False: "NO", None: "-"}[r.ok],
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *table, strict=False)]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for row in table:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return 1 if any(r.ok is False for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
