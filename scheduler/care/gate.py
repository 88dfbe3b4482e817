"""What the care lint says about approving one draft: which rules block it.

``scheduler.approval`` subtracts the rules someone other than the author has overridden (for
this exact version) and refuses the approval while any remain.
"""

from __future__ import annotations

import functools

from scheduler.care.engine import Linter
from scheduler.care.policy import CarePolicy
from scheduler.draft import Draft


@functools.cache
def _default_linter() -> Linter:
    return Linter(CarePolicy())


def block_rules(draft: Draft, linter: Linter | None = None) -> list[str]:
    """The ids of the rules with a block finding on this draft, sorted.

    Without a linter the default policy is used: a campaign can only raise rules to block,
    never lower them, so the default's block findings are always a subset of the campaign's.
    """
    found = (linter or _default_linter()).lint(draft)
    return sorted({f.rule for f in found if f.severity == "block"})
