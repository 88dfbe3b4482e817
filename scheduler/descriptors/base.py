"""What a platform is, as every other part of the scheduler asks about it.

One ``Descriptor`` per platform holds its facts: how it counts a post and against which
limits, which media it takes, what it supports (threads, a content warning field, link cards,
language, visibility, labels), how it keeps a post from going out twice, its rate-limit
headers and quotas, which account settings it takes and which one names its server, its label
on the review pages, and which publisher sends to it. The campaign model, render, the care
lint, the pages, the sandbox and the publishers read a descriptor; none of them names a
platform.

The registry is open: a descriptor module registers itself when imported, and a platform
shipped elsewhere (or defined by a test) calls ``register`` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from scheduler.accounts import AccountSpec
from scheduler.descriptors.setting import Setting, SettingRefused, Value
from scheduler.destination import Destination, UnsafeEndpoint, origin
from scheduler.destination import endpoint as checked_endpoint
from scheduler.errors import ConfigError, UsageError
from scheduler.text.base import Count, MediaLimits
from scheduler.text.graphemes import graphemes, utf8_len

# The length of one part's text as the platform counts it, given the length the platform
# gives every URL (a Mastodon instance's ``characters_reserved_per_url``).
Counter = Callable[[str, int], int]


def count_graphemes(text: str, url_length: int) -> int:
    """User-perceived characters, URLs counted in full."""
    return graphemes(text)


@dataclass(frozen=True, slots=True)
class Dedupe:
    """How the platform keeps a retried request from making a second post."""

    key: str | None  # what carries our idempotency key, e.g. "Idempotency-Key header"
    window: timedelta | None = None  # how long the platform honours it; None: for ever
    lookup: bool = True  # whether a lost answer can be settled by looking on the account
    # How far the platform's clock may be behind ours. A lookup reads back to the first
    # attempt less this margin, and takes a post stamped no earlier than that for ours: a
    # part posted at the due instant may carry an earlier time on the platform. Larger reads
    # more pages; smaller may prove a post absent that is there.
    clock_margin: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Quota:
    """A limit the platform counts over a rolling window of ``per``.

    ``counts`` says which of our published parts count toward it: "every part", "first
    part" (a platform that counts replies apart) or "replies"; None for a limit the ledger
    does not count (requests of every kind, uploads, an app's total), which the platform's
    headers report instead. Each counted part costs ``cost`` (Bluesky's write points: a
    created record costs 3). ``tier`` holds it to accounts whose ``tier`` setting names it
    (X's API tiers).
    """

    requests: int
    per: timedelta
    scope: str  # "account" | "app" | "user"
    what: str = "posts"
    cost: int = 1
    counts: str | None = "every part"  # | "first part" | "replies" | None: not counted by us
    tier: str | None = None

    @property
    def name(self) -> str:
        """How messages write it, e.g. "posts per 24 hours on the free tier"."""
        minutes = self.per.total_seconds() / 60
        if minutes % 60:
            span = f"{minutes:g} minutes"
        else:
            span = "hour" if minutes == 60 else f"{minutes / 60:g} hours"
        tier = f" on the {self.tier} tier" if self.tier else ""
        return f"{self.what} per {span}{tier}"


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The headers a rate-limited answer carries, and the published quotas.

    ``windows`` names each limit the headers report, by header prefix: the prefix takes
    ``-limit``, ``-remaining`` and ``-reset`` (``platforms.ratelimit`` reads them; the name is
    what a pause says, e.g. "X's 24-hour limit for the user").
    """

    reset_header: str | None = None
    reset_format: str = "epoch"  # "epoch" (Unix seconds) | "iso8601" | "seconds" (from now)
    headers: tuple[str, ...] = ()
    windows: tuple[tuple[str, str], ...] = ()  # (header prefix, name)
    # Headers of JSON percentages used (Meta's), as (header, name): 100 means spent.
    usage: tuple[tuple[str, str], ...] = ()
    quotas: tuple[Quota, ...] = ()


@dataclass(frozen=True, slots=True)
class LongLived:
    """A second exchange after the code flow: the short-lived token the code gave for a
    long-lived one (Meta's: an hour becomes 60 days). A GET on ``path`` (at ``base``, else
    where the code was exchanged) with ``grant_type`` = ``grant``, the app's client secret
    (and client id where ``client_id``), and the short token as ``token_param``."""

    path: str
    grant: str
    token_param: str = "access_token"
    client_id: bool = False
    base: str | None = None


@dataclass(frozen=True, slots=True)
class Connect:
    """How a person connects an account of the platform (``scheduler accounts connect``).

    ``oauth``: the authorisation-code flow in the person's browser, with PKCE S256 where the
    platform takes it (``pkce``); paths are on the account's server (``endpoint``) unless
    ``authorize_base`` names the site where people sign in and ``token_base`` the one that
    issues tokens. ``app_password``: a password made for one app, typed at a prompt.
    """

    kind: str  # "oauth" | "app_password"
    scopes: tuple[str, ...] = ()
    authorize_path: str | None = None
    token_path: str | None = None
    # Where the scheduler registers itself as an app first (Mastodon's per-server apps);
    # None where the operator registers the app once and gives its client id.
    register_path: str | None = None
    authorize_base: str | None = None
    # How a client with a secret authenticates at the token endpoint: HTTP Basic, or
    # client_id and client_secret in the form ("post", what every Mastodon version takes).
    client_auth: str = "basic"
    secret_field: str | None = None  # the field an app password is stored under
    # What an app password looks like (a regular expression over the typed value, spaces
    # removed), so that a main password typed by mistake is refused; how messages show it;
    # and where people make one.
    password_pattern: str = ".+"
    password_shape: str = ""
    password_where: str = ""
    token_base: str | None = None
    # Whether every app may use PKCE; without it the app's client secret proves the exchange.
    pkce: bool = True
    # Where the tokens go: the secrets file, or the publisher's own store ("publisher": a
    # platform that rotates refresh tokens keeps the one copy where its publisher reads it).
    token_store: str = "secrets"
    # The scopes for one account, from its settings, where they depend on them.
    scopes_for: Callable[[Mapping[str, str]], tuple[str, ...]] | None = None
    # How the code is exchanged: a form POST, or the same fields as a GET query (Facebook's).
    token_method: str = "POST"
    long_lived: LongLived | None = None
    # Said before the browser opens: what the app's settings must allow (a redirect rule).
    note: str = ""
    # (endpoint, way): an account whose endpoint is this one connects that way instead (an
    # Instagram account on Facebook Login's host signs in through Facebook, not Instagram).
    elsewhere: tuple[tuple[str, Connect], ...] = ()

    def at(self, endpoint: str) -> tuple[Connect, str | None]:
        """The way an account on ``endpoint`` connects, and the endpoint that chose it."""
        for known, way in self.elsewhere:
            if endpoint.rstrip("/") == known:
                return way, known
        return self, None

    def scopes_of(self, settings: Mapping[str, str]) -> tuple[str, ...]:
        return self.scopes if self.scopes_for is None else self.scopes_for(settings)


@dataclass(frozen=True, slots=True)
class Descriptor:
    name: str  # the name campaign files use: ``platform: <name>``
    label: str  # how the pages write it
    counter: Counter
    unit: str  # what the count is in, as people read it
    max_chars: int
    media: MediaLimits
    max_bytes: int | None = None  # a second limit on UTF-8 bytes (Bluesky)
    # How many hashtags and @mentions one post may carry (Instagram's caption); None: any.
    max_hashtags: int | None = None
    max_mentions: int | None = None
    # Every post needs an image (Instagram has no text-only posts).
    needs_media: bool = False
    # The platform shows a post's images first and the text under them (Instagram's
    # caption); the review pages lay a preview out the same way.
    media_first: bool = False
    # The account can comment under its own post right after it (a campaign's first_comment).
    first_comment: bool = False
    url_length: int = 23  # what a URL counts, where the platform shortens URLs
    # A content warning field of its own; the platform sends it with every part of a thread,
    # so it counts against each part's limit.
    content_warning: bool = False
    # Readers there expect a content warning on hard topics (the care lint asks for one).
    cw_expected: bool = False
    threads: bool = True
    link_cards: bool = False  # a card from the campaign's link
    card_beside_images: bool = True  # whether a card can go with a part that has images
    language: bool = False
    visibility: bool = False
    labels: tuple[str, ...] = ()  # the self-labels a post may carry (Bluesky)
    reply_settings: bool = False  # who may reply (X, Threads)
    # The campaign's ``reply_settings`` values the platform takes, each with what it is sent
    # as (Threads names "following" ``accounts_you_follow``); any other value is a ``check``
    # error. Empty: every value goes out as written.
    reply_values: tuple[tuple[str, str], ...] = ()
    facets: bool = False  # entities sent with the text, found by us (Bluesky)
    # The platform fetches images itself from a public URL (Instagram, Threads): posting one
    # needs the operator's public media host (scheduler.media, SCHEDULER_MEDIA_HOST).
    media_by_url: bool = False
    # What kinds of post it takes: social posts (text, threads) and long-form stories
    # (a title, an HTML body, an excerpt, a featured image, categories, tags and a slug).
    posts: bool = True
    stories: bool = False
    settings: tuple[str, ...] = ()  # account settings in campaign files
    # What those settings take where it is more than any text (see ``accept``).
    setting_rules: tuple[Setting, ...] = ()
    required: tuple[tuple[str, str], ...] = ()  # (setting, example) an account must give
    endpoint_setting: str | None = None  # the setting naming the server, if any
    default_endpoint: str | None = None
    identity_setting: str | None = None  # the setting naming who the account is there
    # The setting that gives a server's own character limit (a Mastodon instance's).
    limit_setting: str | None = None
    dedupe: Dedupe = field(default_factory=lambda: Dedupe(key=None))
    rate_limits: RateLimits = field(default_factory=RateLimits)
    # "module:factory" of the publisher; None with ``preview_only`` until one exists.
    publisher: str | None = None
    preview_only: bool = False
    # A stand-in (the sandbox) may take another platform's rules with ``as_platform``.
    stands_in: bool = False
    connect: Connect | None = None  # None: no way to connect it from the scheduler
    # How long the platform's long-lived tokens last, where it says (Meta's: 60 days); a
    # publisher that can exchange one for a fresh one implements ``platforms.base.Renewable``.
    token_lifetime: timedelta | None = None
    # The public address of one post: ``{who}`` is the identity setting's value, ``{id}`` the
    # post's id there, at most ``post_id_max`` characters. Posts that wait on one (``after:``)
    # keep room for its address from this; None where the address cannot be foretold.
    post_address: str | None = None
    post_id_max: int = 0
    # Its accent on the review pages ("#rrggbb", at least 4.5:1 against white); None: neutral.
    colour: str | None = None
    colour_tags: bool = False  # hashtags and mentions shown in that colour, as it does
    # How long one publishing step may poll the platform (a container being built, media
    # being processed), in seconds, and the account setting that changes it, if any: the
    # daemon's claim lease has to outlast it (``polls_for``).
    poll_for: float = 0.0
    poll_setting: str | None = None

    def polls_for(self, settings: Mapping[str, Any]) -> float:
        """How long one step of an account with ``settings`` may poll, in seconds."""
        own = settings.get(self.poll_setting) if self.poll_setting else None
        return float(own) if own not in (None, "") else self.poll_for

    def endpoint(self, settings: Mapping[str, str], override: str | None = None) -> str | None:
        """The server an account's requests go to, checked by the one endpoint rule: an
        operator's ``override``, else the account's own setting, else the platform's default
        (None where the platform has none). UnsafeEndpoint when the rule refuses it."""
        own = settings.get(self.endpoint_setting) if self.endpoint_setting else None
        raw = override or own or self.default_endpoint
        if not raw:
            return None
        return checked_endpoint(raw if "://" in raw else "https://" + raw)

    def reply_value(self, value: str) -> str | None:
        """What the campaign's ``reply_settings`` value is sent as; None when the platform
        has no such setting."""
        if not self.reply_values:
            return value
        return dict(self.reply_values).get(value)

    def address_of(self, who: str, post_id: str) -> str:
        """The public address of post ``post_id`` of account ``who`` (``post_address``)."""
        if self.post_address is None:
            raise ValueError(f"{self.name}: no post address form")
        return self.post_address.format(who=who, id=post_id)

    def address_room(self, settings: Mapping[str, str]) -> int | None:
        """The longest address a post of an account with ``settings`` can have; None when
        it cannot be foretold."""
        if self.post_address is None:
            return None
        who = settings.get(self.identity_setting or "", "")
        return len(self.address_of(who, "")) + self.post_id_max

    def accept(self, name: str, value: Value) -> Value:
        """An account's ``name`` setting as it is stored, checked by the platform's rules:
        the one endpoint rule for the server, no leading "@" on the identity, then the
        setting's own rule. SettingRefused says what is wrong and what to write."""
        if name == self.endpoint_setting:
            try:
                return checked_endpoint(str(value))
            except UnsafeEndpoint as exc:
                raise SettingRefused(f"{name} {exc}", "write it as https://host") from None
        if name == self.identity_setting and isinstance(value, str):
            value = value.removeprefix("@")
        for rule in self.setting_rules:
            if rule.name == name:
                return rule.accept(value)
        return value

    def with_limit(self, max_chars: int | None) -> Descriptor:
        """The same platform with a server's own limit (a Mastodon instance's)."""
        return self if max_chars is None else replace(self, max_chars=max_chars)

    def length(self, text: str, content_warning: str | None = None) -> int:
        used = self.counter(text, self.url_length)
        if content_warning and self.content_warning:
            used += graphemes(content_warning)
        return used

    def count(self, text: str, content_warning: str | None = None) -> Count:
        """One part against the limits; the content warning counts where the platform has a
        field for it (and sends it with every part)."""
        used = self.length(text, content_warning)
        if self.max_bytes is None:
            return Count(used, self.max_chars, self.unit)
        return Count(
            used,
            self.max_chars,
            self.unit,
            extra_used=utf8_len(text),
            extra_limit=self.max_bytes,
            extra_unit="bytes",
        )


_REGISTRY: dict[str, Descriptor] = {}


def register(descriptor: Descriptor) -> Descriptor:
    """Make ``descriptor`` known; registering a name again replaces it."""
    if descriptor.publisher is None and not descriptor.preview_only:
        raise ValueError(f"{descriptor.name}: no publisher, and not marked preview-only")
    _REGISTRY[descriptor.name] = descriptor
    return descriptor


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def get(name: str) -> Descriptor:
    """The descriptor of ``name``; UsageError naming the known ones if there is none."""
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(names())
        raise UsageError(f"unknown platform {name!r}", hint=f"known platforms: {known}") from None


def find(name: str) -> Descriptor | None:
    return _REGISTRY.get(name)


def label_of(name: str) -> str:
    """How the pages write ``name``; the name itself for a platform no longer known (a
    draft stored before it was removed)."""
    found = _REGISTRY.get(name)
    return name if found is None else found.label


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def descriptors() -> Iterator[Descriptor]:
    return iter(tuple(_REGISTRY.values()))


def stand_in() -> Descriptor:
    """The platform an account may name with ``as_platform`` standing in for another."""
    return next(d for d in _REGISTRY.values() if d.stands_in)


def rules_of(spec: AccountSpec) -> Descriptor:
    """The rules an account's posts are held to: its platform's, or for a stand-in the
    platform it stands in for (``as_platform``), with the account's own character limit."""
    own = get(spec.platform)
    stood_for = spec.settings.get("as_platform") if own.stands_in else None
    rules = get(stood_for) if stood_for else own
    limit = spec.settings.get(own.limit_setting) if own.limit_setting else None
    return rules.with_limit(int(limit) if limit else None)


def endpoint_of(spec: AccountSpec, override: str | None = None) -> str | None:
    """The account's endpoint by its platform's descriptor; a ConfigError naming the account
    when the one rule refuses the address."""
    descriptor = get(spec.platform)
    try:
        return descriptor.endpoint(spec.settings, override)
    except UnsafeEndpoint as exc:
        raise ConfigError(
            f"account {spec.name!r}: {descriptor.endpoint_setting or 'endpoint'} {exc}",
            hint="fix the account's address in the campaign",
        ) from None


def destination_of(spec: AccountSpec) -> Destination:
    """Where the campaign sends this account's posts (what reviewers approve)."""
    base = endpoint_of(spec)
    setting = get(spec.platform).identity_setting
    identity = spec.settings.get(setting) if setting else None
    return Destination(
        platform=spec.platform,
        host=origin(base) if base else None,
        identity=identity.removeprefix("@") if identity else None,
    )
