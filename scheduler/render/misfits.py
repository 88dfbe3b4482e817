"""Reporting what does not fit a platform: a part's text, media and first comment, each
problem at the line of the campaign file it comes from, with what to do about it.

The rule itself (``descriptors.fits.part_misfits``) is the one publishers apply before
sending; this module only turns its findings into the renderer's problems.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from scheduler.campaign.yamlread import Loc
from scheduler.descriptors import Descriptor
from scheduler.descriptors.fits import MediaFacts, Misfit, is_gif_limit, part_misfits
from scheduler.draft import Media
from scheduler.render.templates import TemplateFailure

if TYPE_CHECKING:
    from scheduler.render.drafts import Renderer


def part_fits(
    renderer: Renderer,
    index: int,
    loc: Loc,
    position: tuple[int, int],
    text: str,
    media: list[Media],
    found: list[tuple[int, MediaFacts]],
    rules: Descriptor,
    account_name: str,
    content_warning: str | None,
    ok: bool,
) -> bool:
    """Report what of part ``position`` (index, of how many) does not fit; ``ok`` is whether
    the draft had no problem so far (a length is reported only then: the other problems
    change the text). Returns whether it still has none."""
    k, total = position
    platform = rules.name
    # The one rule publishers apply before sending, with the same inputs.
    misfits = part_misfits(rules, k, text, [facts for _, facts in found], content_warning)
    for misfit in misfits:
        if misfit.kind == "thread":
            ok = False
            renderer.post_problem(
                index,
                (*loc, "text"),
                f"{platform} has no threads, but this post has {total} parts",
                f"make it one post, or add a variant for {platform}",
            )
        elif misfit.kind in _MEDIA_KINDS:
            ok = False
            media_misfit(renderer, index, loc, misfit, found, rules)
        elif misfit.kind in _TEXT_KINDS:
            ok = False
            renderer.post_problem(index, (*loc, "text"), *text_misfit(misfit, platform))
    if not text and not media:
        renderer.post_problem(index, (*loc, "text"), "this part is empty", "write some text")
        ok = False
    for misfit in misfits:
        if ok and misfit.count is not None:
            count = misfit.count
            which = f"part {k + 1} of {total}" if total > 1 else "the post"
            over = count.used - count.limit
            if over <= 0 and count.extra_used is not None and count.extra_limit is not None:
                over_text = amount(count.extra_used - count.extra_limit, count.extra_unit)
            else:
                over_text = amount(over, count.unit)
            renderer.post_problem(
                index,
                (*loc, "text"),
                f"too long for {platform} (account {account_name!r}, {which}): {count}",
                f"shorten it by {over_text}, split it into a thread, "
                f"or add a variant for {platform}",
            )
            ok = False
    return ok


def first_comment(
    renderer: Renderer,
    index: int,
    values: dict[str, Any],
    origin: dict[str, Loc],
    rules: Descriptor,
    scope: dict[str, Any],
    key: Any,
) -> str | Literal[False] | None:
    """The post's first comment where its platform has them (None elsewhere); False
    after reporting a problem with it. It is held to the platform's limits for a post's
    text (a comment there takes what a caption takes)."""
    template = values["first_comment"]
    if not template or not rules.first_comment:
        return None
    loc: Loc = (*origin["first_comment"], "first_comment")
    try:
        comment = renderer.render_text(template, scope, key).strip()
    except TemplateFailure as failure:
        renderer.template_problem(index, loc, failure)
        return False
    misfits = [m for m in part_misfits(rules, 0, comment, ()) if m.kind != "no_media"]
    if misfits:
        misfit = misfits[0]
        what = {"hashtags": "hashtags", "mentions": "@mentions"}.get(misfit.kind, rules.unit)
        renderer.post_problem(
            index,
            loc,
            f"the first comment has {misfit.used} {what}; {rules.name} takes at most "
            f"{misfit.limit}",
            "shorten it",
        )
        return False
    return comment or None


def media_misfit(
    renderer: Renderer,
    index: int,
    loc: Loc,
    misfit: Misfit,
    found: list[tuple[int, MediaFacts]],
    rules: Descriptor,
) -> None:
    platform = rules.name
    if misfit.kind == "media_count":
        renderer.post_problem(
            index,
            (*loc, "media"),
            f"{misfit.used} images, but {platform} takes at most {misfit.limit} per post",
            "split them over thread parts",
        )
        return
    if misfit.kind == "gif_mix":
        renderer.post_problem(
            index,
            (*loc, "media"),
            f"{misfit.used} in one post, but {platform} takes a GIF only on its own",
            "give each GIF a thread part of its own, or turn a still GIF into a PNG",
        )
        return
    assert misfit.media is not None
    m, item = found[misfit.media]
    where = (*loc, "media", m)
    if misfit.kind == "mime":
        renderer.post_problem(
            index, (*where, "file"), f"{platform} does not take {item.mime} images", None
        )
    elif misfit.kind == "size":
        gif = is_gif_limit(rules, item.mime)
        renderer.post_problem(
            index,
            (*where, "file"),
            f"{item.name!r} is {item.size:,} bytes; {platform} takes "
            f"{'GIFs' if gif else 'images'} of at most {misfit.limit:,}",
            "make the GIF smaller (fewer frames or colours)" if gif else "make the image smaller",
        )
    elif misfit.kind == "alt":
        renderer.post_problem(
            index,
            (*where, "alt"),
            f"alt text is {misfit.used} characters; {platform} takes at most {misfit.limit}",
            "describe the key content more briefly",
        )


_MEDIA_KINDS = frozenset({"media_count", "gif_mix", "mime", "size", "alt"})
_TEXT_KINDS = frozenset({"hashtags", "mentions", "no_media"})


def text_misfit(misfit: Misfit, platform: str) -> tuple[str, str]:
    """(what is wrong, what to do) for a part's hashtags, mentions or missing image."""
    if misfit.kind == "no_media":
        return (
            f"{platform} has no text-only posts: this part needs an image",
            "add `media:` with a JPEG and its alt text, or leave the account out of this post",
        )
    what = "hashtags" if misfit.kind == "hashtags" else "@mentions"
    return (
        f"{misfit.used} {what}, but {platform} takes at most {misfit.limit} per post",
        f"use fewer {what}, or add a variant for {platform}",
    )


def amount(n: int, unit: str) -> str:
    return f"{n} {unit.removesuffix('s') if n == 1 else unit}"
