"""Campaign to Drafts: one Draft per (post, account), exactly as it would be sent.

Texts are Jinja2 templates run in a sandbox with StrictUndefined, so a template cannot reach
Python internals and a misspelt variable is an error, not an empty string. A template error
points at the line of the YAML file where the template text is.

How a post's text is assembled, per account:

1. the content: the post's own, overridden field by field by a variant for the account's
   platform, then by a variant for the account itself;
2. each part's template rendered with the campaign vars, the post vars, ``post``,
   ``account``, ``platform`` and ``campaign`` in scope (``snippet('name')`` inserts a
   snippet, rendered in the same scope);
3. the footer snippet (the post's ``footer``, else ``defaults.footer``) appended to the
   last part;
4. the link URL appended to the first part when the text does not contain it already;
5. hashtags: the campaign's (unless ``campaign_hashtags: false``) then the post's, without
   repeats (case-insensitive) and without any tag the text already contains, on a line of
   their own at the end of the first part (or the last: ``defaults.hashtags_at``);
6. on platforms without a content warning field, ``CW: <warning>`` as the first line
   (unless ``defaults.cw_prefix: false``).

Every part is then counted with the platform's rules; over-limit parts, missing or
unsuitable media are problems, all reported together in one CampaignError.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from scheduler.campaign.account import Account
from scheduler.campaign.media import MediaFile, MediaProblem, inspect
from scheduler.campaign.model import Campaign, Content, PartSpec, Post
from scheduler.campaign.problems import Problem, where_of
from scheduler.campaign.schedule import TimeProblem, resolve_post
from scheduler.campaign.yamlread import Loc
from scheduler.clock import Clock
from scheduler.descriptors import destination_of
from scheduler.descriptors.fits import MediaFacts
from scheduler.draft import Draft, LinkCard, Media, Part
from scheduler.errors import CampaignError
from scheduler.render.after import FUNCTION, addresses_for
from scheduler.render.budgets import Limits, cpu_time
from scheduler.render.misfits import first_comment, part_fits
from scheduler.render.story import kind_problem, story_draft
from scheduler.render.templates import (
    ACCOUNT_NAMES,
    TEMPLATE_ERRORS,
    TEMPLATE_MARKS,
    Compiled,
    TemplateFailure,
    failure_from,
    make_environment,
    names_in,
    render_simple,
    simple_pieces,
)
from scheduler.text import facets

_OVERRIDABLE = tuple(Content.model_fields)


# --- the renderer ----------------------------------------------------------------------------


class Renderer:
    def __init__(
        self, campaign: Campaign, limits: Limits | None = None, clock: Clock | None = None
    ) -> None:
        self.campaign = campaign
        self.env = make_environment(
            dict(campaign.snippets), limits, cpu_time if clock is None else clock.monotonic
        )
        self.templates: dict[str, Compiled] = {}
        self.rendered: dict[tuple[Any, ...], str | TemplateFailure] = {}
        self._snippets_per_account: bool | None = None
        self.media: dict[str, MediaFile | MediaProblem] = {}
        self.problems: list[Problem] = []
        self.reported: set[tuple[str, int, int, str]] = set()
        self.base_vars: dict[str, Any] = dict(campaign.vars)
        self.base_vars["campaign"] = {
            "id": campaign.id,
            "title": campaign.title,
            "timezone": campaign.timezone,
            "language": campaign.language,
            "week_start": campaign.week_start,
            "hashtags": list(campaign.hashtags),
        }

    # -- problems --

    def add(self, problem: Problem) -> None:
        key = (problem.path, problem.line, problem.col, problem.message)
        if key not in self.reported:
            self.reported.add(key)
            self.problems.append(problem)

    def post_problem(self, index: int, loc: Loc, message: str, hint: str | None = None) -> None:
        src = self.campaign.sources
        if src is None:
            where = where_of(("posts", index, *loc))
            self.add(Problem("<campaign>", 0, 0, where, message, hint))
        else:
            self.add(src.post_problem(index, loc, message, hint))

    def template_problem(self, index: int, loc: Loc, failure: TemplateFailure) -> None:
        src = self.campaign.sources
        if src is None:
            self.post_problem(index, loc, failure.message, failure.hint)
            return
        if failure.snippet is not None:
            sloc: Loc = ("snippets", failure.snippet)
            path, line = src.header_text_line(sloc)
            _, key_line, key_col = src.header_place(sloc)
            line += (failure.lineno or 1) - 1
            col = key_col if line == key_line else 1
            self.add(Problem(path, line, col, where_of(sloc), failure.message, failure.hint))
            return
        path, line = src.post_text_line(index, loc)
        _, key_line, key_col = src.post_place(index, loc)
        line += (failure.lineno or 1) - 1
        col = key_col if line == key_line else 1
        prefix = src.posts[index].prefix
        self.add(Problem(path, line, col, where_of(prefix + loc), failure.message, failure.hint))

    # -- templates --

    def _per_account(self, names: set[str]) -> bool:
        """Whether a template using ``names`` can render differently per account."""
        if names & ACCOUNT_NAMES:
            return True
        if "snippet" in names:
            if self._snippets_per_account is None:
                self._snippets_per_account = False
                for source in self.campaign.snippets.values():
                    if names_in(source) & ACCOUNT_NAMES:
                        self._snippets_per_account = True
            return self._snippets_per_account
        return False

    def render_text(self, source: str, scope: dict[str, Any], key: tuple[Any, ...]) -> str:
        """Render ``source``; ``key`` names the post (and its hashtags) so that a template
        that does not depend on the account is rendered once per post, not per account."""
        if not any(mark in source for mark in TEMPLATE_MARKS):
            return source
        compiled = self.templates.get(source)
        if compiled is None:
            simple = simple_pieces(source)
            compiled = Compiled(None, self._per_account(names_in(source)), simple)
            self.templates[source] = compiled

        def render() -> str:
            assert compiled is not None
            text = None if compiled.simple is None else render_simple(compiled.simple, scope)
            if text is None:
                if compiled.template is None:
                    compiled.template = self.env.from_text(source)
                text = compiled.template.render(scope)
            return text

        return self._once((source, *key), compiled.per_account, render)

    def snippet_text(self, name: str, scope: dict[str, Any], key: tuple[Any, ...]) -> str:
        def render() -> str:
            return self.env.get_template(name).render(scope).strip()

        return self._once(("\x00snippet", name, *key), self._per_account({"snippet"}), render)

    def _once(self, key: tuple[Any, ...], per_account: bool, render: Callable[[], str]) -> str:
        """The text ``render`` makes, or its failure, kept for the post's other accounts
        unless it depends on the account (a template over its budget fails once, not once
        per account)."""
        if not per_account:
            done = self.rendered.get(key)
            if isinstance(done, TemplateFailure):
                raise replace(done)
            if done is not None:
                return done
        try:
            text = render()
        except TEMPLATE_ERRORS as exc:
            failure = failure_from(exc, set(self.campaign.snippets))
            if not per_account:
                self.rendered[key] = failure
            raise failure from exc
        if not per_account:
            self.rendered[key] = text
        return text

    # -- media --

    def media_file(self, name: str) -> MediaFile | MediaProblem:
        found = self.media.get(name)
        if found is None:
            try:
                found = inspect(self.campaign.root, name)
            except MediaProblem as exc:
                found = exc
            except OSError as exc:
                found = MediaProblem(f"cannot read {name!r}: {exc.strerror or exc}")
            self.media[name] = found
        return found

    # -- one draft --

    def content_for(
        self, post: Post, account_name: str, account: Account
    ) -> tuple[dict[str, Any], dict[str, Loc]]:
        """The effective content fields, and for each the loc it came from."""
        values: dict[str, Any] = {name: getattr(post, name) for name in _OVERRIDABLE}
        origin: dict[str, Loc] = {name: () for name in _OVERRIDABLE}
        for key in (account.platform, account.text_platform, account_name):
            variant = post.variants.get(key)
            if variant is None:
                continue
            for name in variant.model_fields_set:
                values[name] = getattr(variant, name)
                origin[name] = ("variants", key)
                if name == "text":
                    values["thread"] = None
                elif name == "thread":
                    values["text"] = None
                    values["media"] = None
        return values, origin

    def draft(self, index: int, post: Post, account_name: str, account: Account) -> Draft | None:
        c = self.campaign
        rules = account.rules
        if kind_problem(self, index, post, account_name, rules):
            return None
        if post.kind == "story":
            return story_draft(self, index, post, account_name, account)
        values, origin = self.content_for(post, account_name, account)
        platform = rules.name
        scope = dict(self.base_vars)
        scope.update(post.vars)
        scope["post"] = {
            "id": post.id,
            "day": post.day,
            "weekday": post.local.strftime("%A") if post.local else post.weekday,
            "date": post.local.date() if post.local else post.date,
            "time": post.local.strftime("%H:%M") if post.local else post.time,
            "hashtags": list(values["hashtags"] or []),
        }
        scope["account"] = {"name": account_name, "platform": account.platform, **account.settings}
        scope["platform"] = platform
        addresses = addresses_for(c, post, account_name)
        scope[FUNCTION] = addresses
        key = (index, tuple(scope["post"]["hashtags"]))

        specs: list[tuple[PartSpec, Loc]]
        if values["thread"] is not None:
            base: Loc = origin["thread"]
            specs = [(p, (*base, "thread", k)) for k, p in enumerate(values["thread"])]
        else:
            text_loc: Loc = (*origin["text"], "text")
            specs = [
                (PartSpec(text=values["text"] or "", media=values["media"] or []), text_loc[:-1])
            ]

        texts: list[str] = []
        ok = True
        for spec, loc in specs:
            text_loc = (*loc, "text")
            try:
                texts.append(self.render_text(spec.text, scope, key).strip())
            except TemplateFailure as failure:
                self.template_problem(index, text_loc, failure)
                ok = False
                texts.append("\ufffd")  # a stand-in, so the part is not also called empty

        footer = values["footer"] if values["footer"] is not None else c.defaults.footer
        if footer:
            try:
                extra = self.snippet_text(footer, scope, key)
            except TemplateFailure as failure:
                self.template_problem(index, (*origin["footer"], "footer"), failure)
                ok = False
                extra = ""
            if extra:
                texts[-1] = f"{texts[-1]}\n\n{extra}" if texts[-1] else extra

        link = values["link"]
        if link is not None and not any(link.url in t for t in texts):
            texts[0] = f"{texts[0]}\n\n{link.url}" if texts[0] else link.url

        tags = list(c.hashtags) if post.campaign_hashtags else []
        tags += list(values["hashtags"] or [])
        line = hashtag_line(tags, "\n".join(texts))
        if line:
            at = 0 if c.defaults.hashtags_at == "first" else len(texts) - 1
            texts[at] = f"{texts[at]}\n\n{line}" if texts[at] else line

        cw: str | None = values["cw"]
        content_warning: str | None = None
        if cw:
            if rules.content_warning:
                content_warning = cw
            elif c.defaults.cw_prefix:
                texts[0] = f"CW: {cw}\n\n{texts[0]}"

        comment = first_comment(self, index, values, origin, rules, scope, key)
        if comment is False:
            ok = False
            comment = None

        parts: list[Part] = []
        total = len(specs)
        for k, ((spec, loc), text) in enumerate(zip(specs, texts, strict=True)):
            media: list[Media] = []
            found: list[tuple[int, MediaFacts]] = []  # (index in the file, what the rule needs)
            for m, item in enumerate(spec.media):
                got = self.media_file(item.file)
                if isinstance(got, MediaProblem):
                    self.post_problem(index, (*loc, "media", m, "file"), got.message, got.hint)
                    ok = False
                    continue
                found.append((m, MediaFacts(item.file, got.mime, got.size, item.alt)))
                media.append(
                    Media(
                        path=got.path,
                        sha256=got.sha256,
                        mime=got.mime,
                        size=got.size,
                        alt=item.alt,
                        width=got.width,
                        height=got.height,
                    )
                )
            ok = part_fits(
                self, index, loc, (k, total), text, media, found, rules, account_name,
                content_warning, ok,
            )  # fmt: skip
            part_facets = facets(text) if rules.facets else ()
            parts.append(Part(text=text, media=tuple(media), facets=part_facets))
        if not ok:
            return None

        labels = tuple(values["labels"] or ()) if rules.labels else ()
        visibility = None
        if rules.visibility:
            visibility = (
                values["visibility"] or account.setting("visibility") or c.defaults.visibility
            )
        reply_settings = None
        if rules.reply_settings:
            wanted = (
                values["reply_settings"]
                or account.setting("reply_settings")
                or c.defaults.reply_settings
            )
            reply_settings = None if wanted is None else rules.reply_value(wanted)
            if wanted is not None and reply_settings is None:
                takes = ", ".join(value for value, _ in rules.reply_values)
                self.post_problem(
                    index,
                    ("reply_settings",),
                    f"{platform} has no reply setting {wanted!r} (account {account_name!r})",
                    f"use one of: {takes}, or add a variant for {platform}",
                )
                return None
        assert post.due is not None
        return Draft(
            campaign=c.id,
            post_id=post.id,
            account=account_name,
            platform=account.platform,
            due=post.due,
            timezone=c.timezone,
            parts=tuple(parts),
            content_warning=content_warning,
            language=values["language"] or c.language,
            labels=labels,
            visibility=visibility,
            reply_settings=reply_settings,
            link=None
            if link is None
            else LinkCard(url=link.url, title=link.title, description=link.description),
            author=post.author,
            latest=post.latest_due,
            source=post.source,
            destination=destination_of(account.spec(account_name)),
            first_comment=comment,
            after=addresses.after(),
        )

    def render(self) -> list[Draft]:
        drafts: list[Draft] = []
        for index, post in enumerate(self.campaign.posts):
            if post.due is None:  # a campaign built in code rather than by the loader
                try:
                    post.local, post.due, post.latest_due = resolve_post(post, self.campaign)
                except TimeProblem as exc:
                    self.post_problem(
                        index, (exc.where,), f"post {post.id!r}: {exc.message}", exc.hint
                    )
                    continue
            for name in self.campaign.accounts_of(post):
                account = self.campaign.accounts.get(name)
                if account is None:
                    continue  # the loader reports unknown accounts
                d = self.draft(index, post, name, account)
                if d is not None:
                    drafts.append(d)
        if self.problems:
            raise CampaignError([*self.problems])
        return drafts


def hashtag_line(tags: list[str], text: str) -> str:
    """'#A #B' for the tags not yet in ``text``, first spelling kept, no repeats."""
    present = {m.lower() for m in re.findall(r"(?<![\w#])#(\w+)", text)}
    out: list[str] = []
    for tag in tags:
        low = tag.lower()
        if low in present:
            continue
        present.add(low)
        out.append("#" + tag)
    return " ".join(out)


def render_campaign(
    campaign: Campaign, limits: Limits | None = None, clock: Clock | None = None
) -> list[Draft]:
    """One Draft per (post, account). Raises CampaignError listing every problem. Each text's
    template is held to ``limits`` (``Limits()`` unless given), timed on ``clock``'s monotonic
    time if given, else on the CPU time of the rendering thread."""
    return Renderer(campaign, limits, clock).render()
