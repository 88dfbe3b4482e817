"""The campaign file format as pydantic models.

Every model forbids unknown keys, so a typo is an error rather than a silently ignored
setting. Validators raise ``problem(message, hint)`` so that the loader can print a hint
next to the message. Fields the loader fills in after validation (``root``, ``files``, and a
post's resolved times and source) are refused when they appear in a file.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator
from pydantic import model_validator as _model_validator

from scheduler import descriptors
from scheduler.campaign.account import Account
from scheduler.campaign.fields import (
    _EMAIL,
    _ID,
    _LOCALE,
    Duration,
    Hashtags,
    ReplySettings,
    Strict,
    Visibility,
    _check_hhmm,
    _http_url,
    names,
)
from scheduler.campaign.problems import SourceMap, problem
from scheduler.campaign.story import StoryFields, takes


class RuleSetting(Strict):
    level: Literal["off", "warn", "block"]
    reason: str = ""


def _rule_setting(value: Any) -> Any:
    return {"level": value} if isinstance(value, str) else value


class CareSettings(Strict):
    locale: str | None = None  # BCP 47, e.g. "en-GB": chooses the support lines suggested
    rules: dict[str, Annotated[RuleSetting, BeforeValidator(_rule_setting)]] = Field(
        default_factory=dict
    )

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str | None) -> str | None:
        if v is not None and not _LOCALE.fullmatch(v):
            raise problem(
                f"{v!r} is not a language and region tag",
                "write the audience's language and country, e.g. en-GB, cy-GB, es-ES, fr-FR",
            )
        return v


class Member(Strict):
    name: str
    email: str
    roles: list[str] = Field(default_factory=list)

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL.fullmatch(v):
            raise problem(f"{v!r} is not an email address", "write it as name@example.org")
        return v.lower()


class ApprovalPolicy(Strict):
    required: int = Field(default=1, ge=1, le=10)
    approvers: list[str] | None = None  # emails or role names; None: any team member


class Defaults(Strict):
    max_lateness: Duration = timedelta(hours=2)  # a post not out by due + this is missed
    visibility: Visibility | None = None
    reply_settings: ReplySettings | None = None
    time: str | None = None  # default local time of day for posts that give only a day
    dst: Literal["earlier", "later"] | None = None  # how to settle DST gaps and overlaps
    hashtags_at: Literal["first", "last"] = "first"  # which part of a thread gets hashtags
    footer: str | None = None  # a snippet appended to the last part of every post
    cw_prefix: bool = True  # on platforms without a CW field, start the text with "CW: ..."
    min_gap: Duration = timedelta(minutes=30)  # plan flags closer posts on one account

    @field_validator("time")
    @classmethod
    def _time(cls, v: str | None) -> str | None:
        return None if v is None else _check_hhmm(v)


class MediaItem(Strict):
    file: str  # relative to the campaign folder
    alt: str

    @field_validator("alt")
    @classmethod
    def _alt(cls, v: str) -> str:
        if not v.strip():
            raise problem(
                "alt text is empty",
                "describe what the image shows for people using screen readers",
            )
        return v.strip()


class LinkSpec(Strict):
    url: str
    title: str | None = None
    description: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _http_url(v.strip(), "link")


class PartSpec(Strict):
    text: str
    # Ten at most: the largest post of any platform (a carousel); each platform's own limit
    # (four on most) is applied when the draft is rendered for it.
    media: list[MediaItem] = Field(default_factory=list, max_length=10)


def _labels(value: Any) -> Any:
    if isinstance(value, list):
        takers = [d for d in descriptors.descriptors() if d.labels]
        allowed = [label for d in takers for label in d.labels]
        for item in value:
            if item not in allowed:
                which = " or ".join(d.label for d in takers)
                raise problem(
                    f"{item!r} is not a {which} self-label", "allowed: " + ", ".join(allowed)
                )
    return value


Labels = Annotated[list[str], BeforeValidator(_labels)]


def _after(value: Any) -> Any:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, str) or not _ID.fullmatch(item):
                raise problem(
                    f"{item!r} is not a post id",
                    "write the id of the post this one waits on, e.g. after: d1-story",
                )
    return value


class Content(Strict):
    """What a post says; a variant overrides any of it for one platform or account."""

    text: str | None = None
    thread: list[PartSpec] | None = Field(default=None, min_length=1)
    media: list[MediaItem] | None = Field(default=None, max_length=10)
    # The platform's content warning field where it has one; a "CW:" line elsewhere
    # (defaults.cw_prefix).
    cw: str | None = None
    hashtags: Hashtags | None = None
    link: LinkSpec | None = None
    labels: Labels | None = None
    language: str | None = None
    visibility: Visibility | None = None
    reply_settings: ReplySettings | None = None
    footer: str | None = None  # snippet name; "" turns the default footer off
    # A comment the account posts under its own post, where the platform's descriptor says
    # it can (``first_comment``; the usual place for hashtags); other platforms leave it out.
    first_comment: str | None = None

    @_model_validator(mode="after")
    def _text_or_thread(self) -> Content:
        if self.text is not None and self.thread is not None:
            raise problem(
                "a post has either 'text' or 'thread', not both",
                "put the first part's text as the first item of 'thread'",
            )
        if self.thread is not None and self.media is not None:
            raise problem(
                "with 'thread', give 'media' inside each part", "move 'media' into a thread item"
            )
        return self


class Variant(Content):
    pass


# Keys the loader sets itself; a file may not.
RESERVED_POST_KEYS = frozenset({"due", "local", "latest_due", "source", "index"})


class Post(Content, StoryFields):
    id: str
    day: int | None = Field(default=None, ge=1, le=366)  # campaign day: 1 = week_start
    weekday: (
        Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None
    ) = None
    date: dt.date | None = None
    time: str | None = None  # local HH:MM
    at: dt.datetime | None = None  # local date and time in one
    dst: Literal["earlier", "later"] | None = None
    accounts: list[str] | None = None  # default: every account of the campaign
    variants: dict[str, Variant] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    campaign_hashtags: bool = True
    author: str | None = None  # a team member's email
    latest: dt.datetime | None = None  # local; after this the post is missed
    max_lateness: Duration | None = None
    # Posts (ids in this campaign) this one waits on: it goes out only once they are live,
    # and its texts may use their addresses, ``{{ story('id').url }}`` (``campaign.after``).
    after: Annotated[list[str], BeforeValidator(_after)] = Field(default_factory=list)
    # The longest such an address may be, where a platform counts URLs in full.
    url_max: int | None = Field(default=None, ge=12, le=2000)
    # Filled in by the loader:
    local: dt.datetime | None = None  # aware, campaign timezone
    due: dt.datetime | None = None  # aware, UTC
    latest_due: dt.datetime | None = None  # aware, UTC
    source: str = ""  # "path:line"

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.fullmatch(v):
            raise problem(
                f"post id {v!r} is not allowed",
                "use letters, digits, '-', '_' and '.', starting with a letter or digit",
            )
        return v

    @field_validator("weekday", mode="before")
    @classmethod
    def _weekday(cls, v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v

    @field_validator("time")
    @classmethod
    def _time(cls, v: str | None) -> str | None:
        return None if v is None else _check_hhmm(v)

    @field_validator("at", "latest")
    @classmethod
    def _naive(cls, v: dt.datetime | None) -> dt.datetime | None:
        if v is not None and v.tzinfo is not None:
            raise problem(
                "give a local date and time without a UTC offset",
                "times are read in the campaign's timezone, e.g. 2026-05-11 08:30",
            )
        if v is not None and (v.second or v.microsecond):
            # Posts are placed to the minute everywhere (plan, pages, the daemon); a second
            # dropped quietly would publish at a time the file does not say.
            raise problem(
                f"{v:%H:%M:%S} has seconds, but posts are placed to the minute",
                f"write {v:%Y-%m-%d %H:%M}",
            )
        return v

    @field_validator("author")
    @classmethod
    def _author(cls, v: str | None) -> str | None:
        return None if v is None else v.lower()

    @_model_validator(mode="after")
    def _when(self) -> Post:
        wrong = self.story_problem(self.model_fields_set)
        if wrong is not None:
            raise wrong
        if self.kind != "story" and self.text is None and self.thread is None:
            raise problem("a post needs 'text' or 'thread'", "add text: | and the words")
        placed = [k for k in ("day", "weekday", "date") if getattr(self, k) is not None]
        if self.at is not None and (placed or self.time is not None):
            raise problem(
                "'at' gives the date and time; do not combine it with day, weekday, date or time",
                "remove 'at', or remove the others",
            )
        if self.at is None and not placed:
            raise problem(
                "a post needs a day: 'day', 'weekday', 'date' or 'at'",
                "e.g. day: 1 and time: '08:30', or at: 2026-05-11 08:30",
            )
        if len(placed) > 1:
            raise problem(
                f"give only one of day, weekday and date (found {', '.join(placed)})",
                "keep the one you mean",
            )
        if self.latest is not None and self.max_lateness is not None:
            raise problem("give 'latest' or 'max_lateness', not both", "keep one")
        return self


class CampaignHeader(Strict):
    """Everything in the header file except posts."""

    id: str
    title: str
    timezone: str
    language: str = "en"
    week_start: dt.date | None = None  # day 1 of the campaign
    accounts: dict[str, Account] = Field(min_length=1)
    team: list[Member] = Field(default_factory=list)
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    # Who may pause publishing on the review pages: team emails or roles (default: approvers).
    pause_by: list[str] | None = Field(default=None, min_length=1)
    care: CareSettings = Field(default_factory=CareSettings)
    defaults: Defaults = Field(default_factory=Defaults)
    hashtags: Hashtags = Field(default_factory=list)
    vars: dict[str, Any] = Field(default_factory=dict)
    snippets: dict[str, str] = Field(default_factory=dict)
    include: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.fullmatch(v):
            raise problem(
                f"campaign id {v!r} is not allowed",
                "use letters, digits, '-', '_' and '.', e.g. mhaw-2026",
            )
        return v

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", v):
            raise problem(f"{v!r} is not a language code", "use an ISO 639-1 code such as en or cy")
        return v

    @field_validator("accounts")
    @classmethod
    def _account_names(cls, v: dict[str, Account]) -> dict[str, Account]:
        for name in v:
            if not _ID.fullmatch(name) or name in names():
                raise problem(
                    f"account name {name!r} is not allowed",
                    "use letters, digits, '-' and '_', and not a platform name (e.g. mhaw-main)",
                )
        return v


class Campaign(CampaignHeader):
    """A loaded campaign: the header, every post, and where it came from."""

    posts: list[Post] = Field(default_factory=list)
    root: Path = Path(".")
    files: list[Path] = Field(default_factory=list)
    _sources: SourceMap | None = PrivateAttr(default=None)
    # Posts by id, for the list they were read from (its identity and length): every post
    # that waits on or links to another looks it up, so a scan each time made rendering a
    # campaign quadratic in its posts.
    _by_id: tuple[int, int, dict[str, Post]] | None = PrivateAttr(default=None)

    @property
    def sources(self) -> SourceMap | None:
        """Where the header and each post came from (None for a campaign built in code)."""
        return self._sources

    def post(self, post_id: str) -> Post:
        posts = self.posts
        index = self._by_id
        if index is None or index[0] != id(posts) or index[1] != len(posts):
            found: dict[str, Post] = {}
            for p in posts:
                found.setdefault(p.id, p)  # the first of a repeated id, as a scan finds
            index = self._by_id = (id(posts), len(posts), found)
        try:
            return index[2][post_id]
        except KeyError:
            raise KeyError(post_id) from None

    def accounts_of(self, post: Post) -> list[str]:
        """The post's accounts; by default every account whose platform takes its kind (a
        story goes to the sites, a social post to the social accounts)."""
        if post.accounts is not None:
            return list(post.accounts)
        return [n for n, a in self.accounts.items() if takes(a.descriptor, post.kind)]
