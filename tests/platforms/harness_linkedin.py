"""LinkedIn against tests.fakes.linkedin, reached through the account's ``api`` setting."""

from __future__ import annotations

import re

from scheduler.credentials import env_name
from scheduler.platforms.base import PAGE_TRIES, AccountSpec
from tests.fakes.base import Fault
from tests.fakes.linkedin import POSTS, FakeLinkedIn
from tests.platforms.harness import SLOW, Harness, Posted

AUTHOR = "urn:li:organization:2414183"


def shown(commentary: str) -> str:
    """What readers see of little text: each escaped character as itself."""
    return re.sub(r"\\(.)", r"\1", commentary)


class LinkedInHarness(Harness):
    name = "linkedin"
    create_path = POSTS
    threads = False
    dedupes = False  # no idempotency key: a lost answer is settled by listing the posts
    faults = ("rate_limited", "server_error", "timeout", "drop_before", "drop_after")
    secret = "AQV-linkedin-token-0123456789"

    def start(self) -> None:
        self.fake = FakeLinkedIn(self.clock, token=self.secret or "").start()

    def stop(self) -> None:
        self.fake.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(self.account, "linkedin", {"author": AUTHOR, "api": self.fake.base_url})

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "access_token"): self.secret or ""}

    def inject(self, fault: str, *, at: int = 0) -> None:
        faults = {
            "rate_limited": self.fake.refusal(429, "TOO_MANY_REQUESTS", "Resource level throttle"),
            "server_error": Fault.status(500, {"status": 500, "message": "Internal Server Error"}),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", POSTS, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" (token {self.secret})" if echo_secret else ""
        status, code, message = {
            "auth": (401, "REVOKED_ACCESS_TOKEN", "The token used in the request has expired"),
            "invalid": (422, "INVALID_CONTENT", "/commentary :: length exceeds 3000"),
            "forbidden": (403, "ACCESS_DENIED", "Not enough permissions to post as author"),
            "rate_limited": (429, "TOO_MANY_REQUESTS", "Resource level throttle"),
        }[kind]
        self.fake.inject("POST", POSTS, self.fake.refusal(status, code, message + echo))

    def inject_lookup(self, fault: str) -> None:
        if fault == "rate_limited":
            refusal = self.fake.refusal(429, "TOO_MANY_REQUESTS", "Resource level throttle")
            self.fake.inject("GET", POSTS, refusal)
            return
        unavailable = Fault.status(503, {"status": 503, "message": "Service Unavailable"})
        self.fake.inject("GET", POSTS, unavailable, times=PAGE_TRIES)

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            return [
                Posted(
                    remote_id=p.id,
                    text=shown(p.commentary),
                    reply_to=None,
                    media_alts=self.fake.alts(p),
                )
                for p in self.fake.posts
            ]


HARNESS = LinkedInHarness
