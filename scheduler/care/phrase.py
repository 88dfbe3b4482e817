"""The common shape of most wording rules: a lexicon list, a topic gate, and three guards.

- gate: the rule applies only to posts about the topic (suicide/self-harm or eating
  disorders) - so an awareness post about low mood is not read as a crisis post;
- sentence: the topic word must be in the same sentence as the cue ("rates are soaring" only
  matters next to "suicide");
- mention: a phrase quoted as language to avoid ("we say 'died by suicide', not 'committed
  suicide'") is not a use of it;
- negation: a stance cue after a negator ("suicide is never the answer", "self-harm is not
  attention seeking") says the opposite of the cue.

Method, scene and number rules are never negation-guarded: the detail is on the page either
way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scheduler.care.base import Finding, RuleInfo, Severity, Where
from scheduler.care.context import DraftContext
from scheduler.care.text import Analysis, Span


@dataclass(frozen=True)
class PhraseRule:
    info: RuleInfo
    list_name: str
    message: str
    gate: str | None = None  # "suicide" | "ed" | None
    sentence: bool = False
    mention: bool = False
    negation: bool = False
    scope: tuple[Where, ...] = ("text", "alt")
    severity: Severity | None = None  # default: info.severity

    @property
    def topic(self) -> str | None:
        """The engine skips the rule for drafts not about this topic."""
        return self.gate

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        if self.gate == "suicide" and not ctx.suicide:
            return
        if self.gate == "ed" and not ctx.ed:
            return
        for field in ctx.fields:
            if field.where not in self.scope:
                continue
            for span in self.spans(field.text):
                yield ctx.finding(
                    self.info.id, self.severity or self.info.severity, self.message, field, span
                )

    def spans(self, text: Analysis) -> list[Span]:
        """Where this rule fires in one text (the guards only look at the text itself)."""
        found: list[Span] | None = text.memo.get(self.info.id)
        if found is None:
            found = [
                span
                for span in text.scan(self.list_name)
                if not (self.sentence and self.gate and not text.topical(span, self.gate))
                and not (self.mention and text.mentioned(span))
                and not (self.negation and text.negated(span))
            ]
            text.memo[self.info.id] = found
        return found
