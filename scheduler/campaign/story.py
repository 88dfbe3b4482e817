"""A story in a campaign file: a post of ``kind: story``, published long form on a site.

A story has a title, a body in Markdown, an excerpt, a featured image with its alt text,
categories and tags by name, a slug and the byline readers see (the person whose story it
is). The slug is part of what is published and what finds the story again after a lost
answer, so it is fixed here: the one given, or one derived from the title (else the post
id) by ``default_slug``, never left to the site.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scheduler.campaign.problems import problem

if TYPE_CHECKING:
    from scheduler.descriptors import Descriptor

KINDS = ("post", "story")
# Lower-case letters and digits in words joined by single hyphens: a site keeps such a slug
# exactly as given (it would rewrite anything else), so the slug we look for is the slug
# the site has.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 80  # long enough for a title, short enough for an address people read
STORY_FIELDS = ("title", "body", "excerpt", "image", "categories", "tags", "slug", "byline")
MAX_TERM = 200  # a category or tag name (the length sites keep)
# The content fields of a social post, which a story replaces with its own.
SOCIAL_FIELDS = ("text", "thread", "media", "hashtags", "link", "labels", "footer")
SOCIAL_HINTS = {
    "text": "write the story in 'body' (Markdown)",
    "thread": "write the story in 'body' (Markdown)",
    "media": "give the featured image as 'image' with its alt text",
    "hashtags": "give the site's tags as 'tags'",
    "link": "a story is the page a social post links to",
}


def default_slug(title: str, post_id: str) -> str:
    """The slug of a story that gives none: the title's words in lower-case ASCII, else the
    post id's; at most MAX_SLUG characters, cut at a word."""
    for source in (title, post_id):
        # An apostrophe joins its word ("Lou's" is "lous"), as people write such addresses.
        joined = re.sub(r"['\u2019]", "", source)
        ascii_text = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode()
        words = re.findall(r"[a-z0-9]+", ascii_text.lower())
        slug = ""
        for word in words:
            longer = f"{slug}-{word}" if slug else word
            if len(longer) > MAX_SLUG:
                break
            slug = longer
        if slug:
            return slug
    return "story"  # unreachable for a valid post id, which starts with a letter or digit


def _terms(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return value
    seen: set[str] = set()
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise problem(f"{item!r} is not a name", "write each name as words, e.g. Stories")
        name = " ".join(item.split())
        if len(name) > MAX_TERM:
            raise problem(f"{name[:40]!r}... is longer than {MAX_TERM} characters", None)
        # Sites match names without regard to case: two spellings would be one term.
        if name.lower() in seen:
            raise problem(f"{name!r} is given twice", "give each name once")
        seen.add(name.lower())
        out.append(name)
    return out


class FeaturedImage(BaseModel):
    """The story's featured image: a file in the campaign folder and what it shows."""

    model_config = ConfigDict(extra="forbid")
    file: str
    alt: str

    @field_validator("alt")
    @classmethod
    def _alt(cls, v: str) -> str:
        if not v.strip():
            raise problem(
                "the featured image's alt text is empty",
                "describe what the image shows, in a sentence, for people using screen readers",
            )
        return v.strip()


class StoryFields(BaseModel):
    """The fields a post of ``kind: story`` has (a social post has none of them)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["post", "story"] = "post"
    title: str | None = None
    body: str | None = None  # Markdown; templates run first
    excerpt: str | None = None
    image: FeaturedImage | None = None  # the featured image
    categories: list[str] | None = Field(default=None, max_length=20)
    tags: list[str] | None = Field(default=None, max_length=40)
    slug: str | None = None
    byline: str | None = None  # who the story is by, as readers see it

    @field_validator("categories", "tags", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        return _terms(v)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str | None) -> str | None:
        if v is not None and (not SLUG.fullmatch(v) or len(v) > MAX_SLUG):
            raise problem(
                f"slug {v!r} is not a slug",
                f"lower-case letters and digits joined by '-', at most {MAX_SLUG} "
                "characters, e.g. lous-story-running",
            )
        return v

    def story_problem(self, given: set[str]) -> Exception | None:
        """What is wrong with the story fields as a whole, given the keys the post set."""
        if self.kind != "story":
            extra = [k for k in STORY_FIELDS if k in given]
            if extra:
                return problem(
                    f"{extra[0]!r} is a field of a story, and this post is not one",
                    "add kind: story, or remove it",
                )
            return None
        social = [k for k in SOCIAL_FIELDS if k in given]
        if social:
            return problem(
                f"a story has no {social[0]!r}",
                SOCIAL_HINTS.get(social[0], f"remove {social[0]!r}"),
                key=social[0],
            )
        if "variants" in given:
            return problem("a story has no variants", "a story goes out as written", key="variants")
        for name, example in (("title", "title: Lou's story"), ("body", "body: |")):
            if not (getattr(self, name) or "").strip():
                return problem(f"a story needs a {name!r}", f"e.g. {example}")
        return None


def takes(descriptor: Descriptor, kind: str) -> bool:
    """Whether a platform takes posts of ``kind``."""
    return descriptor.stories if kind == "story" else descriptor.posts


__all__ = ["KINDS", "SLUG", "FeaturedImage", "StoryFields", "default_slug", "takes"]
