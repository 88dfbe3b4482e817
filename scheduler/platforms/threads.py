"""Threads' publisher: text, image and carousel posts, and threads as reply chains.

Each part is published in two steps: a media container is made (``POST /{user}/threads``,
``threads_body``), Meta fetches its images and builds it, and ``POST /{user}/threads_publish``
makes it public. The container's id is handed to ``on_staged`` as soon as it exists, so the
ledger holds it before the publish call; a later attempt asks that container's status
first: ``PUBLISHED`` means the part is out (its id is read from the account's posts),
``FINISHED`` or ``IN_PROGRESS`` means it is published as it is, ``EXPIRED`` or ``ERROR`` means
a new one is made. Threads has no idempotency key, so a publish whose answer was lost is
``OutcomeUnknown`` and ``find`` settles it (``threads_find``).

The container's status is polled on the injected clock until it is ``FINISHED``. Errors are
Meta's Graph errors (``platforms.graph``); the account's token is the renewed one in the state
folder when there is one (``platforms.renewal``, shared with the daemon's renewals and
expiry warnings), and ``renew`` exchanges it for a fresh one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests

from scheduler.descriptors import endpoint_of
from scheduler.descriptors.threads import API_VERSION, THREADS
from scheduler.errors import ConfigError
from scheduler.platforms import graph, renewal
from scheduler.platforms.base import (
    Absent,
    AccountInfo,
    AccountSpec,
    BeforeCreate,
    CannotTell,
    Found,
    Invalid,
    Lookup,
    MediaUpload,
    OutcomeUnknown,
    PartCallback,
    PartResult,
    PlatformContext,
    PublishError,
    PublishRequest,
    PublishResult,
    StagedCallback,
    Transient,
    page_coverage,
    read_page,
)
from scheduler.platforms.http import HttpClient, json_body
from scheduler.platforms.rules import check_request
from scheduler.platforms.statefile import locked
from scheduler.platforms.threads_body import item_body, post_body, sandbox_body
from scheduler.platforms.threads_find import (
    PAGE_SIZE,
    POST_FIELDS,
    REPLY_FIELDS,
    Page,
    Wanted,
    comparable,
)
from scheduler.redact import register

__all__ = ["ThreadsPublisher", "create", "sandbox_body"]

# How long a container may take to be built before the attempt gives up (Meta suggests
# asking once a minute for no more than five); the next attempt asks the same container.
CONTAINER_WAIT_SECONDS = THREADS.poll_for
FIRST_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 30.0
REPLY_CONTROLS = frozenset(platform for _, platform in THREADS.reply_values)
# Meta's "the media is not ready to be published" (a publish before the container is built).
NOT_READY = 9007
# A container that failed on one of these will fail again: the content must change.
_CONTENT_ERRORS = ("INVALID_",)
# Where renewed tokens were kept before they joined the other platforms' (platforms.renewal).
OLD_TOKEN_FILE = "threads-{}.token.json"


class ThreadsPublisher:
    platform = THREADS.name
    rules = THREADS

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        self.account = spec.name
        self.user = spec.settings.get("user_id") or "me"
        self.username = (spec.settings.get("username") or "").removeprefix("@") or None
        self.clock = context.clock
        self.lookup_seconds = context.lookup_seconds
        self.public_media = context.public_media
        self.state_dir = context.state_dir
        stored = context.credentials.fields(spec.name).get("access_token")
        # The renewals begin from the stored token; a different one stored since wins.
        self._source = renewal.fingerprint(stored.reveal()) if stored is not None else ""
        renewal.adopt(context.state_dir, spec.name, OLD_TOKEN_FILE)
        self._token = renewal.current(context.credentials, context.state_dir, spec.name)
        self.host = endpoint_of(spec) or ""
        self.http = HttpClient.for_account(
            context, spec.name, platform=self.platform, base_url=self.host
        )
        self._use(self._token)

    def __repr__(self) -> str:
        return f"ThreadsPublisher(account={self.account!r}, host={self.host!r})"

    @property
    def expires_at(self) -> datetime | None:
        return self._token.expires_at

    def _use(self, token: renewal.Token) -> None:
        self._token = token
        self.http.use_bearer(token.value.reveal())

    def close(self) -> None:
        self.http.close()

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request)
        control = request.reply_settings
        if control is not None and control not in REPLY_CONTROLS:
            raise Invalid(
                f"threads: {control!r} is not a reply control Threads knows",
                platform=self.platform,
                part_index=len(request.done),
                hint="use one of: " + ", ".join(sorted(REPLY_CONTROLS)),
            )

    # --- requests -------------------------------------------------------------------------

    def _path(self, path: str) -> str:
        return f"/{API_VERSION}/{path.lstrip('/')}"

    def _failure(
        self,
        response: requests.Response,
        what: str,
        *,
        creates: bool = False,
        part_index: int | None = None,
    ) -> PublishError:
        return graph.failure(
            self.http,
            response,
            what=what,
            clock=self.clock,
            limits=THREADS.rate_limits,
            creates=creates,
            part_index=part_index,
        )

    def _get(self, path: str, what: str, index: int | None = None, **params: Any) -> Any:
        response = self.http.request(
            "GET", self._path(path), params=params, part_index=index, what=what
        )
        if response.status_code != 200:
            raise self._failure(response, what, part_index=index)
        return json_body(response, platform=self.platform, what=what)

    def _container(self, body: dict[str, Any], index: int, what: str) -> str:
        # Making a container publishes nothing: a lost answer leaves at most an unused
        # container, which expires after a day. So it is a write, not a create.
        response = self.http.request(
            "POST", self._path(f"{self.user}/threads"), json=body, part_index=index, what=what
        )
        if response.status_code != 200:
            raise self._failure(response, what, part_index=index)
        made = str(json_body(response, platform=self.platform, what=what).get("id") or "")
        if not made:
            raise Transient(f"threads: {what} answered without an id", platform=self.platform)
        return made

    # --- publishing -----------------------------------------------------------------------

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        self.preflight(request)
        results = list(request.done)
        for index in range(len(request.done), len(request.parts)):
            parent = results[index - 1].remote_id if index > 0 else None
            result = self._part(request, index, parent, before_create, on_staged)
            results.append(result)
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(results))

    def _part(
        self,
        request: PublishRequest,
        index: int,
        parent: str | None,
        before_create: BeforeCreate | None,
        on_staged: StagedCallback | None,
    ) -> PartResult:
        container = request.staged.get(index) if index == len(request.done) else None
        if container is not None:
            status, _ = self._status(container, index)
            if status == "PUBLISHED":
                # Out already, by an attempt whose answer was lost: its id is in the listing.
                found = self.find(request, index)
                if isinstance(found, Found):
                    return found.part
                raise OutcomeUnknown(
                    f"threads: part {index + 1} was published, but is not listed yet",
                    platform=self.platform,
                    part_index=index,
                    hint="look for it on the account again later",
                )
            if status in ("EXPIRED", "ERROR"):
                container = None
        if container is None:
            container = self._stage(request, index, parent)
            if on_staged is not None:
                on_staged(index, container)
        self._wait(container, index)
        if before_create is not None:
            before_create(index)
        what = f"publishing part {index + 1}"
        response = self.http.request(
            "POST",
            self._path(f"{self.user}/threads_publish"),
            json={"creation_id": container},
            creates=True,
            part_index=index,
            what=what,
        )
        if response.status_code != 200:
            error = graph.graph_error(response)
            if error is not None and error.code == NOT_READY:
                # Refused because the container is not built yet: nothing was published.
                raise Transient(
                    f"threads: part {index + 1} is not ready to be published yet",
                    platform=self.platform,
                    platform_message=error.words,
                    status=response.status_code,
                    part_index=index,
                    hint="the next attempt asks about the same container",
                )
            raise self._failure(response, what, creates=True, part_index=index)
        body = json_body(response, platform=self.platform, what=what, creates=True)
        media_id = str(body.get("id") or "")
        if not media_id:
            raise OutcomeUnknown(
                f"threads: part {index + 1} was published without its id",
                platform=self.platform,
                part_index=index,
                hint="look for it on the account before trying again",
            )
        return PartResult(index=index, remote_id=media_id, url=self._permalink(media_id, index))

    def _stage(self, request: PublishRequest, index: int, parent: str | None) -> str:
        part = request.parts[index]
        urls = [self._public_url(m, index) for m in part.media]
        children = []
        if len(part.media) > 1:
            for n, (url, media) in enumerate(zip(urls, part.media, strict=True)):
                what = f"staging image {n + 1} of part {index + 1}"
                children.append(self._container(item_body(url, media), index, what))
            for child in children:
                self._wait(child, index)
        body = post_body(request, index, parent, urls, children)
        return self._container(body, index, f"staging part {index + 1}")

    def _public_url(self, media: MediaUpload, index: int) -> str:
        """Where Meta fetches the image. No host, or one not usable as configured, is the
        operator's to fix (a ConfigError: the draft waits for a person, nothing is sent);
        once it is fixed the post goes out."""
        hint = "configure a public media host (README: Public media for Instagram and Threads)"
        if self.public_media is None:
            raise ConfigError(
                f"threads: part {index + 1} has images, and Threads fetches images from a "
                "public address: none is configured",
                hint=hint,
            )
        return self.public_media.url_for(media, account=self.account)

    def _status(self, container: str, index: int) -> tuple[str, str]:
        what = f"reading the status of part {index + 1}"
        body = self._get(container, what, index, fields="status,error_message")
        return str(body.get("status") or ""), str(body.get("error_message") or "")

    def _wait(self, container: str, index: int) -> None:
        """Until the container is FINISHED (or PUBLISHED), on the injected clock."""
        started = self.clock.monotonic()
        delay = FIRST_POLL_SECONDS
        while True:
            status, error = self._status(container, index)
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "ERROR":
                words = f"threads: Meta could not build part {index + 1} ({error or 'no reason'})"
                common: dict[str, Any] = {"platform": self.platform, "part_index": index}
                if error.startswith(_CONTENT_ERRORS):
                    raise Invalid(words, platform_message=error, **common)
                raise Transient(words, hint="a new container is made next time", **common)
            if status == "EXPIRED":
                raise Transient(
                    f"threads: the container of part {index + 1} expired unpublished",
                    hint="a new container is made next time",
                    platform=self.platform,
                    part_index=index,
                )
            if self.clock.monotonic() - started >= CONTAINER_WAIT_SECONDS:
                raise Transient(
                    f"threads: part {index + 1} is still being built after "
                    f"{CONTAINER_WAIT_SECONDS:g} s",
                    hint="the next attempt asks about the same container",
                    platform=self.platform,
                    part_index=index,
                )
            self.clock.sleep(delay)
            delay = min(delay * 2, MAX_POLL_SECONDS)

    def _permalink(self, media_id: str, index: int) -> str:
        """The post's address; the post exists whatever this read answers, so a failure here
        leaves the address empty rather than losing the post."""
        try:
            body = self._get(
                media_id, f"reading the address of part {index + 1}", index, fields="permalink"
            )
        except PublishError:
            return ""
        return str(body.get("permalink") or "")

    # --- reconciliation ---------------------------------------------------------------------

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """The staged container's status first: ``IN_PROGRESS`` may be a publish under way
        (cannot tell yet). Then the listing, which gives a published part's id, and proves
        absence for a container that was never published."""
        start = (since or request.created_at) - THREADS.dedupe.clock_margin
        staged = request.staged.get(part_index)
        status = ""
        if staged is not None:
            try:
                status, _ = self._status(staged, part_index)
            except PublishError as exc:
                return CannotTell.because(exc, "reading the staged container's status")
            if status == "IN_PROGRESS":
                return CannotTell(f"the container of part {part_index + 1} is still in progress")
        answer = self._search(request, part_index, start)
        if status == "PUBLISHED" and isinstance(answer, Absent):
            return CannotTell(
                f"the container of part {part_index + 1} was published, but the post is not "
                "listed yet"
            )
        return answer

    def _search(self, request: PublishRequest, part_index: int, since: datetime) -> Lookup:
        text = comparable(request.parts[part_index].text)
        if part_index == 0:
            path = f"{self.user}/threads"
            params: dict[str, Any] = {
                "fields": POST_FIELDS,
                "since": int(since.timestamp()),
                "limit": PAGE_SIZE,
            }
            wanted = Wanted(text, since)
        elif part_index > len(request.done):
            # The part before is not recorded: the account's own replies, newest first.
            path = f"{self.user}/replies"
            params = {"fields": POST_FIELDS, "since": int(since.timestamp()), "limit": PAGE_SIZE}
            wanted = Wanted(text, since)
        else:
            parent = request.done[part_index - 1].remote_id
            if self.username is None:
                try:
                    self.verify()
                except PublishError as exc:
                    return CannotTell.because(exc, "reading the account's name")
            path = f"{parent}/replies"
            params = {"fields": REPLY_FIELDS, "limit": PAGE_SIZE}
            wanted = Wanted(text, since, self.username)
        newest_first = "since" in params
        deadline = self.clock.monotonic() + self.lookup_seconds
        pages = 0
        after: str | None = None
        while True:
            what = f"reading page {pages + 1} of {path.split('/')[-1]}"
            query = dict(params, **({"after": after} if after else {}))
            read = read_page(
                lambda q=query, w=what: Page.of(self._get(path, w, part_index, **q)),  # type: ignore[misc]
                what=what,
                clock=self.clock,
                deadline=deadline,
            )
            if isinstance(read, CannotTell):
                return read
            pages += 1
            for post in read.posts:
                if wanted.matches(post):
                    media_id = str(post.get("id") or "")
                    url = str(post.get("permalink") or "")
                    return Found(PartResult(index=part_index, remote_id=media_id, url=url))
            # The account's own listings come newest first; the replies to a post in no
            # promised order, so only the end of their listing covers them.
            oldest = read.oldest if newest_first else None
            ended = read.after is None
            covered = page_coverage(since=since, oldest=oldest, empty=ended, pages=pages)
            if covered is not None:
                return Absent(covered)
            if self.clock.monotonic() >= deadline:
                return CannotTell(f"read {pages} page(s) of {path} without reaching the end")
            after = read.after

    # --- the account ------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The token's own profile (``GET /me?fields=id,username``)."""
        body = self._get("me", "checking the token", fields="id,username")
        username = str(body.get("username") or "")
        self.username = self.username or username or None
        return AccountInfo(
            platform=self.platform,
            account=self.account,
            remote_id=str(body.get("id") or ""),
            handle=username,
            url=f"https://www.threads.net/@{username}" if username else "",
            expires_at=self.expires_at,
        )

    def renew(self) -> datetime | None:
        """Exchange the token for a fresh one (valid 60 days from now) and keep it in the
        state folder. A token renewed less than a day ago is kept as it is: Meta refreshes
        only tokens at least a day old."""
        # One renewal at a time across processes (the file itself has its own write lock).
        path = renewal.path_for(self.state_dir, self.account)
        with locked(path.with_name(path.name + ".renewing")):
            kept = renewal.load(self.state_dir, self.account)
            if (
                kept is not None
                and kept.source == self._source
                and kept.value.reveal() != self._token.value.reveal()
            ):
                self._use(kept)  # another process renewed it meanwhile
            now = self.clock.now()
            issued = self._token.issued_at if self._token.renewed else None
            if issued is not None and now - issued < renewal.MIN_AGE:
                return self.expires_at
            what = "renewing the token"
            response = self.http.request(
                "GET",
                "/refresh_access_token",
                params={
                    "grant_type": "th_refresh_token",
                    "access_token": self._token.value.reveal(),
                },
                what=what,
            )
            if response.status_code != 200:
                raise self._failure(response, what)
            body = json_body(response, platform=self.platform, what=what)
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise Transient("threads: the renewal answered without a token")
            register(token)
            lasts = body.get("expires_in")
            expires = (
                now + timedelta(seconds=float(lasts)) if isinstance(lasts, int | float) else None
            )
            fresh = renewal.Token(
                renewal.Secret(token), expires, now, renewed=True, source=self._source
            )
            renewal.save(self.state_dir, self.account, fresh)
            self._use(fresh)
            return expires


def create(spec: AccountSpec, context: PlatformContext) -> ThreadsPublisher:
    return ThreadsPublisher(spec, context)
