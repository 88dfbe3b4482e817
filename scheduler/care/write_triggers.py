"""Regenerate data/triggers.json after editing a word list: ``python -m
scheduler.care.write_triggers`` (tests/care/test_prefilter.py fails while it is stale)."""

from __future__ import annotations

import json
from importlib import resources

from scheduler.care.lexicon import TRIGGERS_FILE, trigger_table


def main() -> None:
    target = resources.files("scheduler.care").joinpath("data").joinpath(TRIGGERS_FILE)
    with resources.as_file(target) as out:
        out.write_text(json.dumps({"lists": trigger_table()}, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
