"""A draft as the rules see it: its texts analysed, its topics, whether it gives support."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from scheduler import descriptors
from scheduler.care.base import Finding, Severity, Where
from scheduler.care.lexicon import BASE_LANGUAGE, LANGUAGES, Lexicon, lexicon_for, primary_language
from scheduler.care.policy import CarePolicy
from scheduler.care.support import gives_support
from scheduler.care.text import Analysis, AnalysisCache, Span
from scheduler.draft import Draft, Media


@dataclass(frozen=True)
class Field:
    """One text of a draft: a part's text, an image's alt text, or the content warning."""

    where: Where
    part: int | None
    media: int | None
    text: Analysis


class DraftContext:
    def __init__(self, draft: Draft, policy: CarePolicy, cache: AnalysisCache) -> None:
        self.draft = draft
        self.policy = policy
        declared = primary_language(draft.language) or primary_language(policy.locale)
        self.language = declared or BASE_LANGUAGE
        self.has_lexicon = self.language in LANGUAGES
        self.lex: Lexicon = lexicon_for(self.language)
        self.texts: list[Field] = []
        self.alts: list[Field] = []
        self.media: list[tuple[int, int, Media]] = []
        for i, part in enumerate(draft.parts):
            self.texts.append(Field("text", i, None, cache.get(part.text, self.lex)))
            for j, media in enumerate(part.media):
                self.media.append((i, j, media))
                if media.alt.strip():
                    self.alts.append(Field("alt", i, j, cache.get(media.alt, self.lex)))
        cw = (draft.content_warning or "").strip()
        self.cw: Field | None = Field("cw", None, None, cache.get(cw, self.lex)) if cw else None
        self.fields: list[Field] = self.texts + self.alts
        self._hits = {topic: self._gate_hits(topic) for topic in ("suicide", "ed")}
        # The post is about suicide or self-harm / eating disorders (text, hashtags, alt text
        # or content warning).
        self.suicide = bool(self._hits["suicide"])
        self.ed = bool(self._hits["ed"])
        self._support: bool | None = None
        # What the draft has, for the rules that need it ("media", "hashtags", "nonascii").
        self.has = {
            "media": bool(self.media),
            "hashtags": any(f.text.hashtags for f in self.texts),
            "nonascii": not all(f.text.raw.isascii() for f in self.texts),
        }

    def for_draft(self, draft: Draft) -> DraftContext:
        """This context for another draft with the same content (another platform or post)."""
        other = copy.copy(self)
        other.draft = draft
        return other

    # --- topics ---------------------------------------------------------------------------

    def _gate_hits(self, topic: str) -> list[tuple[Field, Span]]:
        found = [(f, s) for f in self.fields for s in f.text.gates[topic]]
        if self.cw is not None:
            found += [(self.cw, s) for s in self.cw.text.gates[topic]]
        return found

    def gate_hits(self, topic: str) -> list[tuple[Field, Span]]:
        """Where the topic words are, in text order (parts, alt texts, then the CW)."""
        return self._hits[topic]

    @property
    def gives_support(self) -> bool:
        """A support line anywhere in the thread (any part, alt text or link card)."""
        if self._support is None:
            link = self.draft.link
            self._support = any(f.text.gives_support for f in self.fields) or (
                link is not None
                and gives_support([link.url, link.title or "", link.description or ""])
            )
        return self._support

    @property
    def has_images(self) -> bool:
        return any(m.mime.startswith("image/") for _, _, m in self.media)

    @property
    def cw_expected(self) -> bool:
        """Whether the platform's readers expect a content warning on hard topics."""
        platform = descriptors.find(self.draft.platform)
        return platform is not None and platform.cw_expected

    # --- findings -------------------------------------------------------------------------

    def finding(
        self,
        rule: str,
        severity: Severity,
        message: str,
        field: Field | None = None,
        span: Span | None = None,
        *,
        where: Where | None = None,
        part: int | None = None,
        media: int | None = None,
    ) -> Finding:
        start = end = None
        excerpt = ""
        if field is not None:
            where = field.where
            part = field.part
            media = field.media
            if span is not None:
                start, end = field.text.raw_span(span)
                excerpt = field.text.raw[start:end]
        d = self.draft
        return Finding(
            rule=rule,
            severity=severity,
            message=message,
            campaign=d.campaign,
            post_id=d.post_id,
            account=d.account,
            platform=d.platform,
            where=where or "draft",
            part=part,
            media=media,
            start=start,
            end=end,
            excerpt=excerpt,
            source=d.source,
        )
