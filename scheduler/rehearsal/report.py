"""The rehearsal's terminal summary: the timeline, the tokens, then every problem and its fix."""

from __future__ import annotations

from typing import TextIO

from scheduler.rehearsal.base import Rehearsal

OUTCOME_WORDS = {"published": "published", "late": "LATE", "not published": "NOT PUBLISHED"}


def headline(result: Rehearsal) -> str:
    return (
        f"Rehearsal of {result.campaign} ({result.title}): the week of "
        f"{result.original_start:%a %d %b %Y} moved to {result.start:%a %d %b %Y}, "
        f"times in {result.timezone}"
    )


def verdict(result: Rehearsal) -> str:
    if result.clean:
        return "No problems: the week would go out as planned."
    count = len(result.problems)
    return f"{count} problem{'s' if count != 1 else ''} to deal with before the week starts."


def write_summary(result: Rehearsal, out: TextIO, *, page: str | None = None) -> None:
    out.write(headline(result) + "\n")
    days = result.simulated_seconds / 86400
    out.write(
        f"The real daemon ran {days:.1f} simulated days in {result.wall_seconds:.1f} s against "
        "simulated platforms, on a throwaway ledger; nothing was sent or stored.\n\n"
    )
    out.write("What would be published when:\n")
    for slot in result.slots:
        when = f"{slot.local:%a %d %b %H:%M %Z}"
        words = OUTCOME_WORDS[slot.outcome]
        line = f"  {when:<22} {slot.post:<28} {slot.account:<18} {words}"
        if slot.why:
            line += f" ({slot.why})"
        out.write(line.rstrip() + "\n")
    out.write("\nAccount tokens:\n")
    for token in result.tokens:
        when = f"expires {token.expires:%Y-%m-%d %H:%M} UTC" if token.expires else "expiry unknown"
        out.write(f"  {token.account:<18} {when} ({token.source})\n")
    problems = result.sorted_problems()
    if problems:
        out.write("\nProblems:\n")
        for number, problem in enumerate(problems, 1):
            out.write(f"  {number}. [{problem.title}] {problem.cause}\n")
            out.write(f"     fix: {problem.fix}\n")
    out.write("\n" + verdict(result) + "\n")
    if page:
        out.write(f"The report as a page: {page}\n")
