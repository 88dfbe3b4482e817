"""A story's draft: its templates rendered, its Markdown body turned into HTML, its featured
image checked by the platform's one rule.

Templates run first (the same sandboxed engine and scope as a social post's text), then
markdown-it-py renders the body with raw HTML turned off: what the Markdown says is escaped
text, never markup of its own, and unsafe link schemes (``javascript:``) are refused by the
library. The byline and a content warning become the first paragraphs, escaped.

The draft's one part is the story as people and the care lint read it: the content warning,
title, byline, excerpt and the Markdown body (after its templates), with the featured image
as its media; ``Draft.story`` holds what the site is sent beside it.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt

from scheduler.campaign.account import Account
from scheduler.campaign.media import MediaProblem
from scheduler.campaign.model import Post
from scheduler.campaign.story import default_slug
from scheduler.campaign.yamlread import Loc
from scheduler.descriptors import Descriptor, descriptors, destination_of
from scheduler.descriptors.fits import MediaFacts, Misfit, part_misfits
from scheduler.draft import After, Draft, Media, Part, Story
from scheduler.render.after import waits_on
from scheduler.render.templates import TemplateFailure

if TYPE_CHECKING:
    from scheduler.render.drafts import Renderer

# CommonMark with tables and strikethrough; ``html`` off: raw HTML in a body is shown as text.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def story_html(markdown: str, *, byline: str | None = None, cw: str | None = None) -> str:
    """The HTML a site is sent for a story's body."""
    head = []
    if cw:
        head.append(f'<p class="content-warning"><strong>CW: {escape(cw)}</strong></p>\n')
    if byline:
        head.append(f'<p class="byline">{escape(byline)}</p>\n')
    body: str = _MARKDOWN.render(markdown)
    return "".join(head) + body


def reading_text(
    title: str, body: str, *, excerpt: str | None, byline: str | None, cw: str | None
) -> str:
    """The story as one text, in the order readers meet it."""
    pieces = [f"CW: {cw}" if cw else "", title, byline or "", excerpt or "", body]
    return "\n\n".join(p for p in pieces if p)


def sites() -> str:
    """The platforms a story can go to, as help texts name them."""
    found = [d.label for d in descriptors() if d.stories and not d.stands_in]
    return ", ".join(found) or "none"


def kind_problem(renderer: Renderer, index: int, post: Post, name: str, rules: Descriptor) -> bool:
    """Report a post whose kind the account's platform does not take; True when reported."""
    if post.kind == "story" and not rules.stories:
        renderer.post_problem(
            index,
            ("kind",) if "kind" in post.model_fields_set else ("accounts",),
            f"{rules.label} cannot take a story (account {name!r})",
            f"publish stories on a site ({sites()}), and link to them from social posts",
        )
        return True
    if post.kind != "story" and not rules.posts:
        renderer.post_problem(
            index,
            ("accounts",) if post.accounts is not None else ("text",),
            f"{rules.label} takes stories, not social posts (account {name!r})",
            "make it kind: story with a title and a body, or leave the account out",
        )
        return True
    return False


def story_draft(
    renderer: Renderer, index: int, post: Post, account_name: str, account: Account
) -> Draft | None:
    """The draft of a story for one account; None (problems reported) when it cannot be."""
    c = renderer.campaign
    rules = account.rules
    scope: dict[str, Any] = dict(renderer.base_vars)
    scope.update(post.vars)
    scope["post"] = {
        "id": post.id,
        "day": post.day,
        "weekday": post.local.strftime("%A") if post.local else post.weekday,
        "date": post.local.date() if post.local else post.date,
        "time": post.local.strftime("%H:%M") if post.local else post.time,
        "hashtags": [],
    }
    scope["account"] = {"name": account_name, "platform": account.platform, **account.settings}
    scope["platform"] = rules.name
    key = (index, "story")
    ok = True

    def text(field: str) -> str | None:
        nonlocal ok
        source = getattr(post, field)
        if source is None:
            return None
        try:
            return renderer.render_text(source, scope, (*key, field)).strip()
        except TemplateFailure as failure:
            renderer.template_problem(index, (field,), failure)
            ok = False
            return ""

    title, body = text("title") or "", text("body") or ""
    excerpt, byline = text("excerpt") or None, text("byline") or None
    if ok and not title:
        renderer.post_problem(index, ("title",), "the story's title is empty", "write a title")
        ok = False
    if ok and not body:
        renderer.post_problem(index, ("body",), "the story's body is empty", "write the story")
        ok = False
    media: list[Media] = []
    facts: list[MediaFacts] = []
    if post.image is not None:
        got = renderer.media_file(post.image.file)
        if isinstance(got, MediaProblem):
            renderer.post_problem(index, ("image", "file"), got.message, got.hint)
            ok = False
        else:
            facts.append(MediaFacts(post.image.file, got.mime, got.size, post.image.alt))
            media.append(
                Media(
                    got.path, got.sha256, got.mime, got.size, post.image.alt, got.width, got.height
                )
            )
    cw = post.cw or None
    reading = reading_text(title, body, excerpt=excerpt, byline=byline, cw=cw)
    for misfit in part_misfits(rules, 0, reading, facts, None):
        where: Loc = ("image", "file") if misfit.media is not None else ("body",)
        if misfit.kind == "alt":
            where = ("image", "alt")
        renderer.post_problem(index, where, _misfit_message(misfit, rules), None)
        ok = False
    if not ok:
        return None
    assert post.due is not None and post.title is not None
    return Draft(
        campaign=c.id,
        post_id=post.id,
        account=account_name,
        platform=account.platform,
        due=post.due,
        timezone=c.timezone,
        parts=(Part(text=reading, media=tuple(media)),),
        language=post.language or c.language,
        author=post.author,
        latest=post.latest_due,
        source=post.source,
        destination=destination_of(account.spec(account_name)),
        # A story may wait on another post too (it then goes out after it); its texts have
        # no use for that post's address.
        after=tuple(After(pid, acc) for pid, acc in waits_on(c, post, account_name)),
        story=Story(
            title=title,
            html=story_html(body, byline=byline, cw=cw),
            # The slug is the story's key on the site: the given one, else one made from
            # the title as readers see it (its templates rendered).
            slug=post.slug or default_slug(title, post.id),
            excerpt=excerpt,
            categories=tuple(post.categories or ()),
            tags=tuple(post.tags or ()),
            byline=byline,
        ),
    )


def _misfit_message(misfit: Misfit, rules: Descriptor) -> str:
    where, kind, used, limit = rules.label, misfit.kind, misfit.used, misfit.limit
    if kind == "media_count":
        return f"{where} takes {limit} featured image"
    if kind == "mime":
        return f"{where} does not take {used} images; it takes {', '.join(rules.media.mimes)}"
    if kind == "size":
        return f"the featured image is {used} bytes; {where} takes at most {limit:,}"
    if kind == "alt":
        return f"the alt text is {used} characters; {where} takes at most {limit}"
    return f"the story is {used} characters long; {where} takes at most {limit}"
