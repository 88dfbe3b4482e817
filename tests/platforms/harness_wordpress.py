"""WordPress against tests.fakes.wordpress, reached through the account's ``site`` setting.

Every request is a story: its title is the request's first text (what ``posted`` lists),
its slug made from the request's key, so that requests with other keys are other stories.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

from scheduler.credentials import env_name
from scheduler.platforms.base import PAGE_TRIES, AccountSpec, PublishRequest, Story
from tests.fakes.base import Fault
from tests.fakes.wordpress import POSTS, FakeWordPress
from tests.platforms.harness import SLOW, Harness, MediaUpload, Posted

USERNAME = "campaign-bot"


class WordPressHarness(Harness):
    name = "wordpress"
    create_path = POSTS
    threads = False
    dedupes = False  # no idempotency key: the slug is looked up before and after a create
    faults = ("rate_limited", "server_error", "timeout", "drop_before", "drop_after")
    secret = "abcd1234EFGH5678ijkl9012"

    def start(self) -> None:
        self.fake = FakeWordPress(self.clock, USERNAME, self.secret or "").start()

    def stop(self) -> None:
        self.fake.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(
            self.account, "wordpress", {"site": self.fake.base_url, "username": USERNAME}
        )

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "app_password"): self.secret or ""}

    def request(
        self, *texts: str, media: tuple[MediaUpload, ...] = (), key: str = "k", **kw: Any
    ) -> PublishRequest:
        request = super().request(*texts, media=media, key=key, **kw)
        first = texts[0] if texts else ""
        story = Story(
            title=first,
            html=f"<p>{html.escape(first)}</p>\n",
            slug=f"story-{key.lower()}",
            excerpt=first[:40],
        )
        return replace(request, story=story)

    def inject(self, fault: str, *, at: int = 0) -> None:
        faults = {
            "rate_limited": self.fake.refusal(429, "rest_too_many", "Too many requests"),
            "server_error": Fault.status(500, {"code": "internal_server_error", "message": "x"}),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", POSTS, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" ({self.secret})" if echo_secret else ""
        status, code, message = {
            "auth": (401, "rest_not_logged_in", "You are not currently logged in."),
            "invalid": (400, "rest_invalid_param", "Invalid parameter(s): status"),
            "forbidden": (403, "rest_cannot_create", "Sorry, you are not allowed to do that."),
            "rate_limited": (429, "rest_too_many", "Too many requests"),
        }[kind]
        self.fake.inject("POST", POSTS, self.fake.refusal(status, code, message + echo))

    def inject_lookup(self, fault: str) -> None:
        if fault == "rate_limited":
            self.fake.inject("GET", POSTS, self.fake.refusal(429, "rest_too_many", "Slow down"))
            return
        unavailable = Fault.status(503, {"code": "unavailable", "message": "Unavailable"})
        self.fake.inject("GET", POSTS, unavailable, times=PAGE_TRIES)

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            return [
                Posted(
                    remote_id=str(p.id),
                    text=html.unescape(p.title),
                    reply_to=None,
                    media_alts=self.fake.alts(p),
                )
                for p in self.fake.posts
            ]


HARNESS = WordPressHarness
