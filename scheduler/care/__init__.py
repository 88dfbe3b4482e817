"""Care lint: safe-messaging and accessibility checks over rendered drafts.

    from scheduler.care import CarePolicy, lint_drafts
    findings = lint_drafts(drafts, CarePolicy.from_settings(campaign.care))

A ``block`` finding stops approval until the wording is fixed or someone other than the
post's author records a reasoned override (see ``scheduler.approval``).
"""

from __future__ import annotations

from scheduler.care.base import CareError, CareSettingsError, Finding, Rule, RuleInfo, Severity
from scheduler.care.engine import ALL_RULES, Linter, blocking, lint_drafts, rule_infos, worst
from scheduler.care.gate import block_rules
from scheduler.care.policy import CarePolicy, RuleLevel

__all__ = [
    "ALL_RULES",
    "CareError",
    "CarePolicy",
    "CareSettingsError",
    "Finding",
    "Linter",
    "Rule",
    "RuleInfo",
    "RuleLevel",
    "Severity",
    "block_rules",
    "blocking",
    "lint_drafts",
    "rule_infos",
    "worst",
]
