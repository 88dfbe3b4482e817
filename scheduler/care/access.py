"""Accessibility rules: alt text, hashtags, emoji, link wording, capitals, plain language.

Grounded in common alt-text practice (describe the content, no "image of", no file names),
screen-reader behaviour with hashtags and emoji, and plain-language guidance.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from importlib import resources
from typing import TypeVar

from scheduler import descriptors
from scheduler.care.base import Finding, RuleInfo
from scheduler.care.context import DraftContext, Field
from scheduler.care.lexicon import LANGUAGES, raw_language
from scheduler.care.text import LONG_SENTENCE, WORD, Analysis, Span

FILE_NAME = re.compile(r"^[\w\-. ]+\.(?:jpe?g|png|gif|webp|heic|bmp|tiff?|svg)$", re.IGNORECASE)
# Cheap pre-check before the exact (slower) emoji tokenizer: symbols and pictographs.
LIKELY_EMOJI = re.compile("[\u2190-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001faff]")
# Three capitalised words in a row, for a quick test on ASCII text before the word scan.
ASCII_CAPS_RUN = re.compile(r"[A-Z][A-Z']+[^A-Za-z]+[A-Z][A-Z']*[^A-Za-z]+[A-Z][A-Z']*")
EmojiAt = tuple[int, int, str]  # start, end, the emoji
LETTERS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


T = TypeVar("T")


def memo(text: Analysis, key: str, compute: Callable[[Analysis], T]) -> T:
    """What a rule found in one text, computed once per distinct text."""
    if key not in text.memo:
        text.memo[key] = compute(text)
    found: T = text.memo[key]
    return found


class AltMissing:
    needs = "media"
    info = RuleInfo("a11y-alt-missing", "block", "image without alt text", adjustable=False)

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        for i, j, media in ctx.media:
            if media.mime.startswith("image/") and not media.alt.strip():
                yield ctx.finding(
                    self.info.id,
                    "block",
                    f"Image {j + 1} ({media.path}) has no description. Add alt text that says "
                    "what the image shows, for people using screen readers.",
                    where="alt",
                    part=i,
                    media=j,
                )


class AltLimit:
    per_platform = True  # reads the draft's platform
    needs = "media"
    info = RuleInfo("a11y-alt-limit", "block", "alt text over the platform's limit", False)

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        # ``check`` refuses such a draft already; drafts stored or made elsewhere meet this.
        platform = descriptors.find(ctx.draft.platform)
        if platform is None:
            return
        limit = platform.media.max_alt_chars
        for field in ctx.alts:
            n = len(field.text.raw)
            if n > limit:
                yield ctx.finding(
                    self.info.id,
                    "block",
                    f"This alt text is {n} characters; {ctx.draft.platform} accepts {limit}. "
                    "Shorten it to what matters in the image; put longer text in the post.",
                    field,
                    (limit, n),
                )


class AltWeak:
    needs = "media"
    info = RuleInfo("a11y-alt-weak", "warn", "alt text that does not describe the image")

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        for field in ctx.alts:
            reason = self._weakness(ctx, field)
            if reason:
                yield ctx.finding(
                    self.info.id,
                    "warn",
                    f"{reason} Describe the key content of the image in a sentence.",
                    field,
                    (0, len(field.text.raw)),
                )

    def _weakness(self, ctx: DraftContext, field: Field) -> str | None:
        text = field.text
        alt = text.raw.strip()
        words = WORD.findall(alt)
        if FILE_NAME.match(alt):
            return "This alt text is a file name, which tells a listener nothing."
        if alt.lower().strip(" .!") in ctx.lex.words["alt_generic"]:
            return "A single word like 'image' or 'photo' doesn't say what the image shows."
        first = ctx.lex.list("alt_prefix").search(text.view)
        if first is not None and not text.view[: first.start()].strip():
            return (
                "Screen readers already say it's an image, so 'image of' or 'photo of' is "
                "wasted; start with what it shows."
            )
        if not re.search(r"[^\W_]", re.sub(r"#\w+", " ", alt)):
            return "This alt text is only hashtags or emoji."
        part = ctx.draft.parts[field.part or 0].text
        if " ".join(alt.lower().split()) == " ".join(part.strip().lower().split()):
            return "This alt text repeats the post, so a listener hears it twice."
        if len(words) < 3:
            return "This alt text is too short to describe the image."
        return None


class HashtagCase:
    needs = "hashtags"
    info = RuleInfo("a11y-hashtag-case", "warn", "multi-word hashtag not in CamelCase")

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        allow = ctx.lex.hashtags_ok
        for field in ctx.texts:
            for tag in field.text.hashtags:
                camel = camel_case_for(tag.body, allow)
                if camel is None:
                    continue
                yield ctx.finding(
                    self.info.id,
                    "warn",
                    f"Capitalise each word ({camel}) so screen readers read the words "
                    "instead of spelling out or slurring the tag.",
                    field,
                    tag.view,
                )


class EmojiRun:
    needs = "nonascii"
    info = RuleInfo("a11y-emoji-run", "warn", "runs of emoji, or emoji between words")
    message = (
        "Screen readers read out every emoji's name, so runs of emoji or emoji between words "
        "are slow and confusing to hear. Keep one or two, at the end."
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        for field in ctx.texts:
            raw = field.text.raw
            if raw.isascii() or len(LIKELY_EMOJI.findall(raw)) < 2:
                continue
            import emoji  # only for text that may hold emoji: the import is not free

            found = [(e["match_start"], e["match_end"], e["emoji"]) for e in emoji.emoji_list(raw)]
            if not found:
                continue
            yield from self._runs(ctx, field, found)
            yield from self._between_words(ctx, field, found)

    def _runs(self, ctx: DraftContext, field: Field, found: list[EmojiAt]) -> Iterator[Finding]:
        raw = field.text.raw
        run = [found[0]]
        for item in [*found[1:], None]:
            if item is not None and not raw[_end(run[-1]) : _start(item)].strip():
                run.append(item)
                continue
            if len(run) >= 3:
                yield ctx.finding(
                    self.info.id, "warn", self.message, field, (_start(run[0]), _end(run[-1]))
                )
            if item is not None:
                run = [item]

    def _between_words(
        self, ctx: DraftContext, field: Field, found: list[EmojiAt]
    ) -> Iterator[Finding]:
        raw = field.text.raw
        inner: dict[str, list[EmojiAt]] = {}
        for item in found:
            before = raw[: _start(item)].rstrip()
            after = raw[_end(item) :].lstrip()
            if before[-1:].isalnum() and after[:1].isalnum():
                inner.setdefault(item[2], []).append(item)
        for items in inner.values():
            if len(items) >= 2:
                yield ctx.finding(
                    self.info.id, "warn", self.message, field, (_start(items[0]), _end(items[-1]))
                )


def _start(item: EmojiAt) -> int:
    return item[0]


def _end(item: EmojiAt) -> int:
    return item[1]


class LinkText:
    info = RuleInfo("a11y-link-text", "warn", "'click here' and other link wording")
    message = (
        "'Click here' or 'this link' means nothing to someone hearing the post or scanning "
        "links. Say what the link is first (e.g. 'Our volunteering page: ...')."
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        for field in ctx.texts:
            for span in memo(field.text, self.info.id, self._spans):
                yield ctx.finding(self.info.id, "warn", self.message, field, span)

    def _spans(self, text: Analysis) -> list[Span]:
        url_only = text.lex.list("link_before_url_only")
        found = []
        for span in text.scan("link_text"):
            phrase = text.view[span[0] : span[1]]
            if url_only.search(phrase) and not any(
                span[1] <= u_start <= span[1] + 6 for u_start, _ in text.urls
            ):
                continue
            found.append(span)
        return found


class AllCaps:
    info = RuleInfo("a11y-all-caps", "warn", "three or more words in capitals")
    message = (
        "Long stretches of capitals are hard to read, and screen readers may spell them out "
        "letter by letter. Use normal case; put emphasis in the words."
    )

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        for field in ctx.texts:
            for span in memo(field.text, self.info.id, self._spans):
                yield ctx.finding(self.info.id, "warn", self.message, field, span)

    def _spans(self, text: Analysis) -> list[Span]:
        allow = text.lex.words["caps_allow"]
        main = text.view[: text.main_len]
        if main.isascii() and not ASCII_CAPS_RUN.search(main):
            return []
        found: list[Span] = []
        run: list[tuple[int, int]] = []
        for m in [*LETTERS.finditer(main), None]:
            word = m.group() if m is not None else ""
            capitals = word.isupper()
            if capitals and len(word) >= 2 and word.lower() not in allow and m is not None:
                run.append((m.start(), m.end()))
                continue
            if capitals and run:
                continue  # "A", "I", "US" inside a shouted run: neither count nor break it
            if len(run) >= 3:
                found.append((run[0][0], run[-1][1]))
            run = []
        return found


class PlainLanguage:
    info = RuleInfo("a11y-plain-language", "warn", "clinical jargon, very long sentences")
    max_words = LONG_SENTENCE

    def check(self, ctx: DraftContext) -> Iterator[Finding]:
        for field in ctx.texts:
            for message, span in self._found(field.text):
                yield ctx.finding(self.info.id, "warn", message, field, span)

    def _found(self, text: Analysis) -> list[tuple[str, Span]]:
        return memo(text, self.info.id, lambda t: list(self._search(t)))

    def _search(self, text: Analysis) -> Iterator[tuple[str, Span]]:
        for start, end in text.scan("jargon"):
            phrase = text.view[start:end]
            plain = next((p for rx, p in text.lex.jargon if rx.fullmatch(phrase)), None)
            yield (
                f"Plain words reach more people: try '{plain}' instead of '{phrase}'.",
                (
                    start,
                    end,
                ),
            )
        for span, words in text.sentence_lengths():
            if words > self.max_words:
                yield (
                    f"This sentence is over {self.max_words} words. Shorter sentences are "
                    "easier to read, especially for someone who is struggling.",
                    span,
                )


# --- splitting lower-case hashtags ----------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def camel_case_for(body: str, allow: frozenset[str]) -> str | None:
    """'#mentalhealth' -> '#MentalHealth'; None when the tag is fine as it is."""
    letters = "".join(ch for ch in body if ch.isalpha())
    if len(letters) < 6 or not (letters.islower() or letters.isupper()):
        return None
    if body.lower() in allow:
        return None
    pieces = segment(body.lower())
    if len(pieces) < 2:
        return None
    return "#" + "".join(p[:1].upper() + p[1:] for p in pieces)


TWO_LETTER = frozenset(
    [
        "of",
        "in",
        "on",
        "to",
        "at",
        "we",
        "me",
        "my",
        "up",
        "is",
        "it",
        "be",
        "do",
        "go",
        "no",
        "so",
        "us",
        "or",
        "an",
        "as",
        "by",
        "he",
        "if",
        "am",
        "ok",
        "de",
        "la",
    ]
)
TOP_WORDS = 50000


@functools.cache
def _dictionary() -> frozenset[str]:
    words: set[str] = set()
    try:
        data = resources.files("wordsegment").joinpath("unigrams.txt").read_text("utf-8")
    except (OSError, ModuleNotFoundError):
        data = ""
    for n, line in enumerate(data.splitlines()):
        if n >= TOP_WORDS:
            break
        word = line.split("\t", 1)[0]
        if len(word) >= 3:
            words.add(word)
    for lang in LANGUAGES:
        words.update(str(w).lower() for w in raw_language(lang).get("hashtag_words") or ())
    return frozenset(words | TWO_LETTER)


@functools.cache
def segment(compact: str) -> tuple[str, ...]:
    """Split a lower-case tag into the fewest known words; one piece if it is a word or
    cannot be split into known words."""
    words = _dictionary()
    if compact in words or not compact.isalpha():
        return (compact,)
    n = len(compact)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for end in range(1, n + 1):
        for start in range(max(0, end - 20), end):
            prefix = best[start]
            if prefix is None:
                continue
            piece = compact[start:end]
            if piece in words:
                candidate = (*prefix, piece)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    found = best[n]
    return found if found else (compact,)


RULES = (
    AltMissing(),
    AltWeak(),
    AltLimit(),
    HashtagCase(),
    EmojiRun(),
    LinkText(),
    AllCaps(),
    PlainLanguage(),
)
