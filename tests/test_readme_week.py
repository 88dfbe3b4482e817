"""The README's walk through a campaign week uses commands and options that exist."""

from __future__ import annotations

import shlex

from scheduler.cli.parser import build_parser
from tests.conftest import ROOT


def week_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## A campaign week, step by step", 1)[1].split("\n## ", 1)[0]
    commands = []
    for line in section.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("scheduler "):
            commands.append(shlex.split(line)[1:])
    return commands


def test_the_week_walks_through_connect_rehearse_review_run_and_pause() -> None:
    used = {
        argv[0] if argv[0] not in ("accounts", "team") else " ".join(argv[:2])
        for argv in week_commands()
    }
    for step in ("accounts connect", "rehearse", "review", "approve", "run", "pause", "resume"):
        assert step in used


def test_every_command_of_the_week_parses() -> None:
    parser = build_parser()
    for argv in week_commands():
        args = parser.parse_args(argv)  # argparse exits 2 on anything unknown
        assert callable(args.handler), argv
