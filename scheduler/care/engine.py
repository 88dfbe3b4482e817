"""Run every care rule over drafts, apply the campaign's levels, and sort what was found."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from scheduler.care import access, safe
from scheduler.care.base import SEVERITY_ORDER, Finding, Rule, RuleInfo
from scheduler.care.context import MASTODON_LIKE, DraftContext
from scheduler.care.policy import CarePolicy, RuleLevel
from scheduler.care.text import AnalysisCache
from scheduler.draft import Draft

LANGUAGE_INFO = RuleInfo("care-language", "info", "no word lists for the post's language")

ALL_RULES: tuple[Rule, ...] = (*safe.RULES, *access.RULES)


def rule_infos(rules: Iterable[Rule] = ALL_RULES) -> dict[str, RuleInfo]:
    infos = {rule.info.id: rule.info for rule in rules}
    infos[LANGUAGE_INFO.id] = LANGUAGE_INFO
    return infos


class Linter:
    """Lints drafts under one campaign's care policy; reuse it for all drafts of a campaign."""

    def __init__(self, policy: CarePolicy | None = None, rules: Sequence[Rule] = ALL_RULES):
        self.policy = policy or CarePolicy()
        self.rules = tuple(rules)
        self.infos: Mapping[str, RuleInfo] = rule_infos(self.rules)
        self.policy.validate(self.infos)
        self._cache = AnalysisCache()
        self._results: dict[tuple[object, ...], tuple[Draft, tuple[Finding, ...]]] = {}
        # Each rule with its campaign setting and topic, worked out once, not per draft.
        # A rule may name a topic it is about and a thing the draft must have ("media",
        # "hashtags", "nonascii"); drafts without them skip the rule.
        self._plan: list[tuple[Rule, RuleLevel | None, str | None, str | None]] = []
        for rule in self.rules:
            setting = self.policy.level_of(rule.info.id)
            if setting is None or setting.level != "off":
                needs = getattr(rule, "needs", None)
                self._plan.append((rule, setting, getattr(rule, "topic", None), needs))

    def lint(self, draft: Draft) -> list[Finding]:
        # The same words on two accounts get the same findings: lint once, re-address.
        key = _content_key(draft)
        known = self._results.get(key)
        if known is not None:
            source, findings = known
            if source.key == draft.key:
                return list(findings)
            return [_readdress(f, draft) for f in findings]
        found = self._lint(draft)
        if len(self._results) >= 20000:
            self._results.clear()
        self._results[key] = (draft, tuple(found))
        return found

    def _lint(self, draft: Draft) -> list[Finding]:
        ctx = DraftContext(draft, self.policy, self._cache)
        found: list[Finding] = []
        seen: set[tuple[object, ...]] = set()
        if not ctx.has_lexicon:
            found.append(
                ctx.finding(
                    LANGUAGE_INFO.id,
                    "info",
                    f"The care lint has no word lists for '{ctx.language}', so it checked this "
                    "post with the English ones only. Ask someone who reads the language to "
                    "check it against the safe-messaging guidance.",
                )
            )
        has = {
            "media": bool(ctx.media),
            "hashtags": any(f.text.hashtags for f in ctx.texts),
            "nonascii": not all(f.text.raw.isascii() for f in ctx.texts),
        }
        for rule, setting, topic, needs in self._plan:
            if (topic == "suicide" and not ctx.suicide) or (topic == "ed" and not ctx.ed):
                continue
            if needs is not None and not has[needs]:
                continue
            for finding in rule.check(ctx):
                key = (finding.rule, finding.where, finding.part, finding.media, finding.start)
                if key in seen:
                    continue
                seen.add(key)
                if setting is not None and setting.level == "block" != finding.severity:
                    finding = finding.with_severity("block", setting.reason)
                found.append(finding)
        return found

    def lint_all(self, drafts: Iterable[Draft]) -> list[Finding]:
        found: list[Finding] = []
        for draft in drafts:
            found.extend(self.lint(draft))
        return found


def _content_key(draft: Draft) -> tuple[object, ...]:
    """Everything a rule may look at, except which post and account the draft is for.

    The platform only matters for Mastodon content warnings and for alt text over a
    platform's limit, so X and Bluesky drafts of the same words share a key."""
    alts = tuple(len(m.alt) for p in draft.parts for m in p.media)
    platform_matters = draft.platform in MASTODON_LIKE or any(
        n > min(access.ALT_LIMITS.values()) for n in alts
    )
    return (
        draft.platform if platform_matters else "",
        tuple(p.text for p in draft.parts),
        tuple((i, m.path, m.mime, m.alt) for i, p in enumerate(draft.parts) for m in p.media),
        draft.content_warning,
        draft.language,
        draft.labels,
        draft.link,
    )


def _readdress(finding: Finding, draft: Draft) -> Finding:
    return replace(
        finding,
        campaign=draft.campaign,
        post_id=draft.post_id,
        account=draft.account,
        platform=draft.platform,
        source=draft.source,
    )


def lint_drafts(drafts: Iterable[Draft], policy: CarePolicy | None = None) -> list[Finding]:
    """Every finding for these drafts, in draft order, then part and position."""
    return Linter(policy).lint_all(drafts)


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "block"]


def worst(findings: Iterable[Finding]) -> str | None:
    levels = [f.severity for f in findings]
    return max(levels, key=lambda s: SEVERITY_ORDER[s]) if levels else None
