"""Safe-messaging rules: suicide and self-harm, eating disorders, and content warnings where a
platform's readers expect them.

Grounded in Samaritans, WHO/IASP, reportingonsuicide.org/AFSP and #chatsafe (suicide and
self-harm), Beat, NEDA, Mindframe and headline.ie (eating disorders). Messages are written
for the advocate who wrote the post: what to change, and why it matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scheduler import descriptors
from scheduler.care.base import Finding, RuleInfo, Severity
from scheduler.care.context import DraftContext
from scheduler.care.phrase import PhraseRule
from scheduler.care.support import suggestion_text
from scheduler.care.text import Analysis, Span

SM_METHOD = PhraseRule(
    RuleInfo("sm-method", "block", "suicide or self-harm method or means", adjustable=False),
    "sm_method",
    "This describes how someone harmed themselves. Details of method can put readers who are "
    "struggling at risk; say what happened in general terms (e.g. 'attempted suicide', "
    "'self-harmed') and focus on recovery and support.",
    gate="suicide",
)
SM_SCENE = PhraseRule(
    RuleInfo("sm-scene", "block", "where a suicide happened, or a note's contents", False),
    "sm_scene",
    "Naming the place of a suicide, or quoting a note, is linked to copycat deaths. Keep the "
    "location general and leave the note's words out.",
    gate="suicide",
)
SM_COMMITTED = PhraseRule(
    RuleInfo("sm-committed", "warn", "'committed suicide'"),
    "sm_committed",
    "'Committed' suggests a crime or a sin. Say 'died by suicide' or 'took their own life'.",
    gate="suicide",
    mention=True,
)
SM_OUTCOME = PhraseRule(
    RuleInfo("sm-outcome", "warn", "'successful', 'failed' or 'completed' suicide or attempt"),
    "sm_outcome",
    "Calling an attempt 'failed' or a death 'successful' or 'completed' sends a harmful "
    "message. Say 'attempted suicide' or 'died by suicide'.",
    gate="suicide",
    mention=True,
)
SM_SENSATIONAL = PhraseRule(
    RuleInfo("sm-sensational", "warn", "sensational words about suicide rates"),
    "sm_sensational",
    "Words like 'epidemic' or 'soaring' can make suicide seem common or unstoppable. Use "
    "neutral wording for figures, and say what helps.",
    gate="suicide",
    sentence=True,
    mention=True,
    negation=True,
)
SM_SOLUTION = PhraseRule(
    RuleInfo("sm-solution", "block", "suicide framed as a solution, escape or peace", False),
    "sm_solution",
    "This can read as if suicide solved something or brought peace. Talk about the person's "
    "life and the loss, and say that help and recovery are possible.",
    gate="suicide",
    mention=True,
    negation=True,
)
SM_SINGLE_CAUSE = PhraseRule(
    RuleInfo("sm-single-cause", "warn", "suicide put down to one event, or 'without warning'"),
    "sm_single_cause",
    "Suicide is almost never caused by one thing, and there are usually signs. Avoid linking "
    "it to a single event or saying it came without warning; say that many things are "
    "involved and that help exists.",
    gate="suicide",
    sentence=True,
    mention=True,
    negation=True,
)
SM_STIGMA = PhraseRule(
    RuleInfo("sm-stigma", "warn", "judgemental words about suicide or self-harm"),
    "sm_stigma",
    "Words like 'selfish', 'attention seeking' or 'cry for help' can stop people asking for "
    "help. Describe the pain, or the need for support, instead.",
    gate="suicide",
    mention=True,
    negation=True,
)
ED_DIET_TALK = PhraseRule(
    RuleInfo("ed-diet-talk", "warn", "diet-culture talk: earning or burning off food"),
    "ed_diet_talk",
    "Talk of earning food, burning it off, cheat days or 'beach bodies' can be hard for people "
    "with eating disorders. Celebrate how moving makes you feel instead.",
    mention=True,
    negation=True,
)


@dataclass(frozen=True)
class NoSupport:
    info: RuleInfo
    topic: str  # "suicide" | "ed"
    what: str

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        hits = ctx.gate_hits(self.topic)
        if not hits or ctx.gives_support:
            return
        field, span = hits[0]
        advice = suggestion_text(self.topic, ctx.policy.locale, ctx.language)
        yield ctx.finding(
            self.info.id,
            self.info.severity,
            f"Posts about {self.what} should say where to get help, in the post or its thread. "
            f"Add {advice}.",
            field,
            span,
        )


SM_NO_SUPPORT = NoSupport(
    RuleInfo("sm-no-support", "block", "suicide or self-harm post with no support line", False),
    "suicide",
    "suicide or self-harm",
)
ED_NO_SUPPORT = NoSupport(
    RuleInfo("ed-no-support", "block", "eating-disorder post with no support line", False),
    "ed",
    "eating disorders",
)

GRAPHIC_LABELS = frozenset({"graphic-media", "gore"})


class GraphicMedia:
    needs = "media"
    topic = "suicide"
    info = RuleInfo(
        "sm-graphic-media", "block", "images of injuries, scars, means or the scene", False
    )
    message = (
        "Images of injuries, scars, means or the place of a death can harm people who are "
        "struggling. Use a neutral or hopeful image."
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        if not ctx.suicide:
            return
        for field in ctx.alts:
            for span in field.text.scan("sm_graphic_alt"):
                yield ctx.finding(self.info.id, "block", self.message, field, span)
        marked = GRAPHIC_LABELS.intersection(ctx.draft.labels)
        if marked and ctx.media:
            yield ctx.finding(
                self.info.id,
                "block",
                f"This post's images are labelled {', '.join(sorted(marked))}. " + self.message,
                where="draft",
            )


class EdNumbers:
    info = RuleInfo("ed-numbers", "block", "weights, sizes, calories, BMI", adjustable=False)
    message = (
        "Numbers like weights, sizes, BMI or calories can become targets for people with "
        "eating disorders. Describe how recovery feels instead."
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        severity: Severity = "block" if ctx.ed else "warn"
        for field in ctx.fields:
            text = field.text
            for span in text.scan("ed_numbers"):
                if _is_money(text.view[span[0] : span[1]]) and _money_sentence(text, span):
                    continue
                yield ctx.finding(self.info.id, severity, self.message, field, span)


_POUNDS = re.compile(r"pounds?|libras?|livres?|pwys", re.IGNORECASE)


def _is_money(matched: str) -> bool:
    return bool(_POUNDS.search(matched))


def _money_sentence(text: Analysis, span: Span) -> bool:
    s_start, s_end = text.sentence(span[0])
    money = text.lex.list("money_cues")
    sentence = text.view[s_start:s_end]
    return money.search(sentence) is not None or "£" in sentence


class EdBehaviours:
    info = RuleInfo("ed-behaviours", "block", "detailed eating-disorder behaviours", False)
    message = (
        "Describing eating-disorder behaviours can give ideas to someone who is unwell. Say "
        "what the illness felt like and what helped, not what was done."
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        for field in ctx.fields:
            text = field.text
            for span in text.scan("ed_behaviours"):
                if ctx.ed or text.first_person(span):
                    yield ctx.finding(self.info.id, "block", self.message, field, span)
            if ctx.ed:
                for span in text.scan("ed_behaviours_gated"):
                    yield ctx.finding(self.info.id, "block", self.message, field, span)


class EdBeforeAfter:
    needs = "media"
    info = RuleInfo(
        "ed-before-after", "block", "before/after or lowest-weight images", adjustable=False
    )
    message = (
        "Before-and-after or 'at my lowest' images suggest eating disorders look one way and "
        "invite comparison. Share a photo from now, or none."
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        if not ctx.media:
            return
        body = ctx.ed or any(f.text.scan("body_cues") for f in ctx.fields)
        if ctx.has_images and body:
            for field in ctx.texts:
                for span in field.text.scan("ed_before_after_text"):
                    if not field.text.mentioned(span):
                        yield ctx.finding(self.info.id, "block", self.message, field, span)
        for field in ctx.alts:
            for span in field.text.scan("ed_before_after_alt"):
                yield ctx.finding(self.info.id, "block", self.message, field, span)
            if body:
                for span in field.text.scan("ed_compare_alt"):
                    yield ctx.finding(self.info.id, "block", self.message, field, span)


class CwMissing:
    per_platform = True  # reads the draft's platform
    topic = "either"
    # Which platforms: those whose descriptor says ``cw_expected``.
    info = RuleInfo(
        "cw-missing",
        "block",
        "post on these topics without a content warning, where the platform's readers expect one",
        False,
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        if not ctx.cw_expected or ctx.cw is not None or not (ctx.suicide or ctx.ed):
            return
        topics = []
        if ctx.suicide:
            selfharm = any(
                _is_selfharm(f.text.view[s[0] : s[1]]) for f, s in ctx.gate_hits("suicide")
            )
            topics.append("self-harm mention" if selfharm else "suicide mention")
        if ctx.ed:
            topics.append("eating disorder mention")
        suggestion = "mh, " + ", ".join(topics)
        field, span = (ctx.gate_hits("suicide") or ctx.gate_hits("ed"))[0]
        yield ctx.finding(
            self.info.id,
            "block",
            f"On {descriptors.label_of(ctx.draft.platform)}, posts about these topics go "
            f"behind a content warning, so readers can choose when to read. Add one such as "
            f"'{suggestion}'.",
            field,
            span,
        )


def _is_selfharm(words: str) -> bool:
    lower = words.lower()
    return any(cue in lower for cue in ("harm", "injur", "niwed", "autoles", "automutil"))


RULES = (
    SM_METHOD,
    SM_SCENE,
    SM_COMMITTED,
    SM_OUTCOME,
    SM_SENSATIONAL,
    SM_SOLUTION,
    SM_SINGLE_CAUSE,
    SM_STIGMA,
    SM_NO_SUPPORT,
    GraphicMedia(),
    EdNumbers(),
    EdBehaviours(),
    EdBeforeAfter(),
    ED_NO_SUPPORT,
    ED_DIET_TALK,
    CwMissing(),
)
