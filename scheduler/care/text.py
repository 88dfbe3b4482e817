"""One piece of post text prepared for the rules: masked, split, with its hashtags spelled out.

The rules search a *view* of the text, not the text itself. The view has the same length as
the text up to ``main_len`` (so offsets map straight back), with links, @mentions, hashtags
and benign idioms ("killing it", "dying to") blanked out; after it come the hashtags spelled
as words ("#SuicidePrevention" -> "Suicide Prevention"), one per line, each mapped back to
the hashtag. Sentences, quotations, topic words and word-start prefixes are computed once
per distinct text and shared by every draft (and every account) that uses it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from scheduler.care.lexicon import Lexicon
from scheduler.care.support import gives_support

# Patterns open with their literal ("#", "@", ".") so the regex engine can jump between
# candidates; a leading lookbehind would make it try every position of every text.
HASHTAG = re.compile(r"#(?<![\w&/]#)(\w+)")
_TLD = r"(?:org|com|net|uk|ie|fr|es|au|nz|ca|us|wales|cymru|info|io|scot|eu|gov|nhs)"
DOMAIN_END = re.compile(r"\." + _TLD + r"(?:\." + _TLD + r")*(?:/\S*)?(?!\w)")  # on lower case
URL_STARTS = ("https://", "http://", "www.")
NON_SPACE = re.compile(r"\S*")
NOT_NEWLINE = re.compile(r"[^\n]")
QUOTE_CHAR = re.compile("[\"“«„‘']")
MENTION = re.compile(r"@(?<!\w@)[\w.-]+(?:@[\w.-]+)?")
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)]*\s+|\n+")
WORD = re.compile(r"[\w']+")
CLAUSE_BREAK = re.compile(r"[;:—–]|,\s+(?:but|and|so|yet)\s|\s-\s")
QUOTES = re.compile(
    r"\"[^\"\n]{1,240}\"|“[^”\n]{1,240}”|«[^»\n]{1,240}»|„[^“”\n]{1,240}[“”]"
    r"|(?<!\w)‘.{1,240}?’(?!\w)|(?<!\w)'.{1,240}?'(?!\w)"
)
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
APOSTROPHE_MARKS = tuple(chr(code) for code in APOSTROPHES)

Span = tuple[int, int]
LONG_SENTENCE = 30  # words; plain-language guidance for posts


@functools.lru_cache(maxsize=4096)
def split_camel(body: str) -> tuple[str, ...]:
    """'MentalHealthAwarenessWeek2026' -> ['Mental', 'Health', 'Awareness', 'Week', '2026']."""
    words: list[str] = []
    cur = ""
    for i, ch in enumerate(body):
        if not cur:
            cur = ch
            continue
        prev = cur[-1]
        nxt = body[i + 1] if i + 1 < len(body) else ""
        boundary = (
            (ch.isupper() and prev.islower())
            or (ch.isupper() and prev.isupper() and nxt.islower())
            or (ch.isdigit() != prev.isdigit())
            or ch == "_"
        )
        if boundary:
            words.append(cur)
            cur = "" if ch == "_" else ch
        else:
            cur += ch
    if cur:
        words.append(cur)
    return tuple(w for w in words if w and w != "_")


@dataclass(frozen=True)
class Hashtag:
    raw: Span  # "#Tag" in the original text
    body: str  # without "#"
    view: Span  # its spelled-out words in the view


@dataclass
class Analysis:
    """A text's view and everything about it that does not depend on the draft."""

    raw: str
    view: str
    main_len: int
    lex: Lexicon
    hashtags: list[Hashtag]
    urls: list[Span]
    lower: str  # the view in lower case, for the lexicons' cheap tests
    possible: frozenset[str]  # the lists whose triggers occur in the view
    gates: dict[str, list[Span]] = field(default_factory=dict)
    _scans: dict[str, list[Span]] = field(default_factory=dict)
    _lengths: list[tuple[Span, int]] | None = None
    _sentences: list[Span] | None = None
    _quotes: list[Span] | None = None
    # Rules keep what they found in this text here (by rule id), so the same words on
    # another account or in another draft are not searched again.
    memo: dict[str, Any] = field(default_factory=dict)
    _support: bool | None = None

    # --- finding things -------------------------------------------------------------------

    def scan(self, list_name: str) -> list[Span]:
        """View spans where the named lexicon list matches (memoised per text)."""
        if list_name not in self.possible:
            return []
        found = self._scans.get(list_name)
        if found is None:
            matches = self.lex.lists[list_name].finditer(self.view)
            found = self._scans[list_name] = [(m.start(), m.end()) for m in matches]
        return found

    @property
    def gives_support(self) -> bool:
        """Does this text point to a support service (memoised)?"""
        if self._support is None:
            self._support = gives_support([self.raw])
        return self._support

    @property
    def sentences(self) -> list[Span]:
        """Sentence spans in the view: the text's sentences, then each hashtag on its own."""
        if self._sentences is None:
            main = self.view[: self.main_len]
            found: list[Span] = []
            start = 0
            for m in SENTENCE_END.finditer(main):
                if m.start() > start:
                    found.append((start, m.start()))
                start = m.end()
            if start < len(main):
                found.append((start, len(main)))
            found.extend(tag.view for tag in self.hashtags)
            self._sentences = found
        return self._sentences

    @property
    def quotes(self) -> list[Span]:
        """Quoted stretches of the original text."""
        if self._quotes is None:
            raw = self.raw
            self._quotes = (
                [(m.start(), m.end()) for m in QUOTES.finditer(raw)]
                if QUOTE_CHAR.search(raw)
                else []
            )
        return self._quotes

    def sentence_lengths(self) -> list[tuple[Span, int]]:
        """Each sentence of the text itself (not the hashtags) with its number of words."""
        if self._lengths is None and len(self.view[: self.main_len].split()) <= LONG_SENTENCE:
            self._lengths = []  # no sentence can be long: skip the split
        if self._lengths is None:
            self._lengths = [
                ((start, end), len(self.view[start:end].split()))
                for start, end in self.sentences
                if start < self.main_len
            ]
        return self._lengths

    def raw_span(self, span: Span) -> Span:
        """Map a view span to the original text (a hashtag's words map to the hashtag)."""
        start, end = span
        if start < self.main_len:
            return start, min(end, self.main_len)
        for tag in self.hashtags:
            if tag.view[0] <= start < tag.view[1] + 1:
                return tag.raw
        return 0, 0

    def excerpt(self, span: Span) -> str:
        start, end = self.raw_span(span)
        return self.raw[start:end]

    def in_hashtag(self, span: Span) -> bool:
        return span[0] >= self.main_len

    # --- context of a match ---------------------------------------------------------------

    def sentence(self, pos: int) -> Span:
        for start, end in self.sentences:
            if start <= pos < end:
                return start, end
        return pos, pos

    def topical(self, span: Span, topic: str) -> bool:
        """Is a topic word (of gate ``topic``) in the sentence around ``span``?"""
        s_start, s_end = self.raw_span(self.sentence(span[0]))
        for gate_span in self.gates.get(topic, ()):
            g_start, _ = self.raw_span(gate_span)
            if s_start <= g_start < max(s_end, s_start + 1):
                return True
        return False

    def words_before(self, span: Span, n: int = 3) -> list[str]:
        """Up to n words before the span, within its clause (a negator before a colon or
        semicolon does not reach past it: "not brave: it's selfish")."""
        s_start, _ = self.sentence(span[0])
        before = CLAUSE_BREAK.split(self.view[s_start : span[0]])[-1]
        return [w.lower() for w in WORD.findall(before)][-n:]

    def sentence_words(self, span: Span) -> list[str]:
        s_start, s_end = self.sentence(span[0])
        return [w.lower() for w in WORD.findall(self.view[s_start:s_end])]

    def negated(self, span: Span) -> bool:
        """A negator just before the cue ("is never the answer", "not selfish"), or a
        debunking sentence ("it's a myth that ...")."""
        if self.in_hashtag(span):
            return False
        words = self.lex.words
        for w in self.words_before(span, 3):
            if w in words["negators"] or w.endswith("n't") or w.startswith("n'"):
                return True
        s_start, _ = self.sentence(span[0])
        before = {w.lower() for w in WORD.findall(self.view[s_start : span[0]])}
        return not before.isdisjoint(words["debunk_cues"])

    def mentioned(self, span: Span) -> bool:
        """Is the phrase quoted as language to avoid ("we say 'died by suicide', not
        'committed suicide'") rather than used?"""
        if self.in_hashtag(span):
            return False
        before = " ".join(self.words_before(span, 3))
        mention = self.lex.mention_before
        if mention is not None and before and mention.search(before):
            return True
        quoted = any(q_start <= span[0] and span[1] <= q_end for q_start, q_end in self.quotes)
        if not quoted:
            return False
        return not set(self.sentence_words(span)).isdisjoint(self.lex.words["meta_cues"])

    def first_person(self, span: Span) -> bool:
        return not set(self.sentence_words(span)).isdisjoint(self.lex.words["first_person"])


def same_length_lower(text: str) -> str:
    """``text`` in lower case, character for character, so offsets in it are offsets in
    ``text`` (``"İ".lower()`` is two characters; such a character is kept as it is)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def find_urls(raw: str) -> list[Span]:
    """Links with a scheme or www., and bare domains like samaritans.org (not emails)."""
    low = same_length_lower(raw)
    spans: list[Span] = []
    for marker in URL_STARTS:
        i = low.find(marker)
        while i != -1:
            j = NON_SPACE.match(raw, i).end()  # type: ignore[union-attr]
            if not any(start <= i < end for start, end in spans):
                spans.append((i, j))
            i = low.find(marker, j)
    if "." not in raw:
        return spans
    for m in DOMAIN_END.finditer(low):
        if any(start <= m.start() < end for start, end in spans):
            continue
        i = m.start()
        while i > 0 and (raw[i - 1].isalnum() or raw[i - 1] in ".-"):
            i -= 1
        if i == m.start() or (i > 0 and raw[i - 1] in "@._"):
            continue
        spans.append((i, m.end()))
    return sorted(spans)


def _blanked(text: str, spans: list[Span]) -> str:
    """``text`` with the spans (which may overlap) turned to spaces, newlines kept."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        out.append(text[pos:start])
        cut = text[start:end]
        out.append(" " * len(cut) if "\n" not in cut else NOT_NEWLINE.sub(" ", cut))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def analyse(raw: str, lex: Lexicon) -> Analysis:
    """Prepare one text for the rules (call through ``AnalysisCache``)."""
    urls = find_urls(raw)
    hidden = list(urls)
    if "@" in raw:
        hidden += [m.span() for m in MENTION.finditer(raw)]
    tag_matches = (
        [(m.start(), m.end(), m.group(1)) for m in HASHTAG.finditer(raw)] if "#" in raw else []
    )
    hidden += [(start, end) for start, end, _ in tag_matches]
    # translate() looks up every character; most texts have nothing to translate.
    same = not any(map(raw.__contains__, APOSTROPHE_MARKS))
    main = _blanked(raw if same else raw.translate(APOSTROPHES), hidden)
    pieces = [main]
    pos = len(main)
    hashtags: list[Hashtag] = []
    for start, end, body in tag_matches:
        spelled = " ".join(split_camel(body))
        pos += 1  # the newline before it
        hashtags.append(Hashtag((start, end), body, (pos, pos + len(spelled))))
        pieces.append(spelled)
        pos += len(spelled)
    view = "\n".join(pieces)
    lower = view.lower()
    possible = lex.prefilter.possible(lower)
    if "idioms" in possible:
        idioms = lex.lists["idioms"].finditer(main)
        if idioms:
            # Same length: the hashtags' places in the view do not move.
            main = _blanked(main, [m.span() for m in idioms])
            view = "\n".join([main, *pieces[1:]])
            lower = view.lower()
            possible = lex.prefilter.possible(lower)
    analysis = Analysis(
        raw=raw,
        view=view,
        main_len=len(main),
        lex=lex,
        hashtags=hashtags,
        urls=urls,
        lower=lower,
        possible=possible,
    )
    for topic in ("suicide", "ed"):
        spans = list(analysis.scan(f"gate_{topic}"))
        stems = lex.words[f"hashtag_stems_{topic}"]
        for tag in hashtags:
            if _has_stem(tag.body, stems) and not any(
                tag.view[0] <= s[0] < tag.view[1] for s in spans
            ):
                spans.append(tag.view)
        analysis.gates[topic] = spans
    return analysis


@functools.lru_cache(maxsize=4096)
def _has_stem(body: str, stems: frozenset[str]) -> bool:
    """Does a hashtag contain a topic stem ("#EDAwarenessWeek")? Campaigns repeat their tags."""
    compact = body.lower().replace("_", "")
    return any(map(compact.__contains__, stems))


class AnalysisCache:
    """Analyses by (text, language), shared across the drafts of one lint run."""

    def __init__(self, limit: int = 20000) -> None:
        self._items: dict[tuple[str, str], Analysis] = {}
        self._limit = limit

    def get(self, raw: str, lex: Lexicon) -> Analysis:
        key = (raw, lex.language)
        found = self._items.get(key)
        if found is None:
            if len(self._items) >= self._limit:
                self._items.clear()
            found = analyse(raw, lex)
            self._items[key] = found
        return found
