"""Run every care rule over drafts, apply the campaign's levels, and sort what was found."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from scheduler.care import access, safe
from scheduler.care.base import SEVERITY_ORDER, Finding, Rule, RuleInfo
from scheduler.care.context import DraftContext
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
    """Lints drafts under one campaign's care policy; reuse it for all drafts of a campaign.

    Most rules read only a draft's content (texts, media, CW, language, labels, link), so
    they run once per distinct content and their findings are re-addressed to every draft
    (account, post) with the same content. Rules marked ``per_platform`` also read the
    platform; they run once per (content, platform)."""

    def __init__(self, policy: CarePolicy | None = None, rules: Sequence[Rule] = ALL_RULES):
        self.policy = policy or CarePolicy()
        self.rules = tuple(rules)
        self.infos: Mapping[str, RuleInfo] = rule_infos(self.rules)
        self.policy.validate(self.infos)
        self._cache = AnalysisCache()
        self._content: dict[tuple[object, ...], tuple[DraftContext, Found, list[Step]]] = {}
        self._platform: dict[tuple[object, ...], tuple[Draft, Found]] = {}
        # Each rule with its place in the order, its campaign setting and topic, worked out
        # once, not per draft. A rule may name a topic it is about and a thing the draft
        # must have ("media", "hashtags", "nonascii"); drafts without them skip the rule.
        self._common: list[Step] = []
        self._per_platform: list[Step] = []
        self._kinds: dict[tuple[bool, ...], tuple[list[Step], list[Step]]] = {}
        for order, rule in enumerate(self.rules):
            setting = self.policy.level_of(rule.info.id)
            if setting is None or setting.level != "off":
                topic, needs = getattr(rule, "topic", None), getattr(rule, "needs", None)
                step: Step = (order, rule, setting, topic, needs)
                plan = self._per_platform if getattr(rule, "per_platform", False) else self._common
                plan.append(step)

    def lint(self, draft: Draft) -> list[Finding]:
        key = _content_key(draft)
        known = self._content.get(key)
        if known is None:
            if len(self._content) >= LIMIT:
                self._content.clear()
                self._platform.clear()
            ctx = DraftContext(draft, self.policy, self._cache)
            common_steps, steps = self._steps(ctx)
            known = ctx, self._run(ctx, common_steps, language_note=True), steps
            self._content[key] = known
        ctx, common, steps = known
        per_platform: Found = ()
        if steps:
            platform_key = (draft.platform, key)
            done = self._platform.get(platform_key)
            if done is None:
                here = ctx if ctx.draft is draft else ctx.for_draft(draft)
                done = draft, self._run(here, steps)
                self._platform[platform_key] = done
            per_platform = _addressed(done[1], done[0], draft)
        found = _addressed(common, ctx.draft, draft)
        if per_platform:
            found = tuple(sorted((*found, *per_platform), key=lambda item: item[0]))
        return [finding for _, finding in found]

    def _steps(self, ctx: DraftContext) -> tuple[list[Step], list[Step]]:
        """The rules that apply to a draft, by what it is about and what it has (a campaign
        has few such kinds of draft, so this is worked out once per kind)."""
        kind = (ctx.suicide, ctx.ed, *ctx.has.values())
        steps = self._kinds.get(kind)
        if steps is None:
            steps = (
                [step for step in self._common if _applies(step, ctx)],
                [step for step in self._per_platform if _applies(step, ctx)],
            )
            self._kinds[kind] = steps
        return steps

    def _run(self, ctx: DraftContext, plan: list[Step], *, language_note: bool = False) -> Found:
        found: list[tuple[int, Finding]] = []
        seen: set[tuple[object, ...]] = set()
        if language_note and not ctx.has_lexicon:
            found.append(
                (
                    -1,
                    ctx.finding(
                        LANGUAGE_INFO.id,
                        "info",
                        f"The care lint has no word lists for '{ctx.language}', so it checked "
                        "this post with the English ones only. Ask someone who reads the "
                        "language to check it against the safe-messaging guidance.",
                    ),
                )
            )
        for order, rule, setting, _, _ in plan:
            for finding in rule.check(ctx):
                key = (finding.rule, finding.where, finding.part, finding.media, finding.start)
                if key in seen:
                    continue
                seen.add(key)
                if setting is not None and setting.level == "block" != finding.severity:
                    finding = finding.with_severity("block", setting.reason)
                found.append((order, finding))
        return tuple(found)

    def lint_all(self, drafts: Iterable[Draft]) -> list[Finding]:
        found: list[Finding] = []
        for draft in drafts:
            found.extend(self.lint(draft))
        return found


Step = tuple[int, Rule, RuleLevel | None, str | None, str | None]
Found = tuple[tuple[int, Finding], ...]  # findings with their rule's place in the order
LIMIT = 20000  # distinct contents remembered; a campaign has far fewer


def _applies(step: Step, ctx: DraftContext) -> bool:
    """Is the draft about the rule's topic, and does it have what the rule needs?"""
    topic, needs = step[3], step[4]
    if (topic == "suicide" and not ctx.suicide) or (topic == "ed" and not ctx.ed):
        return False
    if topic == "either" and not (ctx.suicide or ctx.ed):
        return False
    return needs is None or ctx.has[needs]


def _content_key(draft: Draft) -> tuple[object, ...]:
    """Everything a rule may look at, except which post and account the draft is for and
    (for rules not marked ``per_platform``) its platform."""
    return (
        tuple(p.text for p in draft.parts),
        tuple((i, m.path, m.mime, m.alt) for i, p in enumerate(draft.parts) for m in p.media),
        draft.content_warning,
        draft.language,
        draft.labels,
        draft.link,
    )


def _addressed(found: Found, source: Draft, draft: Draft) -> Found:
    """Findings made for ``source``, addressed to ``draft`` (which has the same content)."""
    if source is draft or not found or _address(source) == _address(draft):
        return found
    return tuple((order, _readdress(f, draft)) for order, f in found)


def _address(draft: Draft) -> tuple[str, ...]:
    return draft.campaign, draft.post_id, draft.account, draft.platform, draft.source


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
