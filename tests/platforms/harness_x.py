"""X against tests.fakes.x, reached through the account's ``api_base`` setting.

The account signs with OAuth 2.0 user tokens, so expired tokens are refreshed (and rotated)
during the suite. X has no idempotency key: ``dedupes`` is False, and every ambiguous create
in the suite surfaces as OutcomeUnknown that ``find`` resolves from the account's timeline
(test_contract's reconciliation test checks exactly that for non-deduping platforms). Still
images are ready once the one-shot upload answers; a GIF goes through the chunked upload, and
``unfinished_media`` keeps it processing for a few STATUS polls.
"""

from __future__ import annotations

from scheduler.credentials import env_name
from scheduler.platforms.base import PAGE_TRIES, AccountSpec, MediaUpload
from tests.fakes.base import Fault
from tests.fakes.x import CREATE, TIMELINE, TOO_LONG, FakeX, problem
from tests.platforms.harness import RESET_SECONDS, SLOW, Harness, Posted

UNAUTHORIZED = problem(401, "Unauthorized", "Unauthorized")


class XHarness(Harness):
    name = "x"
    create_path = CREATE  # where each part is created, for the sandbox parity test
    faults = (
        "rate_limited",
        "server_error",
        "timeout",
        "drop_before",
        "drop_after",
        "expired_token",
        "unfinished_media",
    )
    dedupes = False
    secret = "x-access-token-0123456789"
    refresh = "x-refresh-token-9876543210"

    def start(self) -> None:
        self.fake = FakeX(clock=self.clock).start()
        self.fake.issue_tokens(self.secret, self.refresh)

    def stop(self) -> None:
        self.fake.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(
            self.account,
            "x",
            {"api_base": self.fake.base_url, "auth": "oauth2", "username": self.fake.username},
        )

    def env(self) -> dict[str, str]:
        return {
            env_name(self.account, "client_id"): "x-client-id",
            env_name(self.account, "access_token"): self.secret or "",
            env_name(self.account, "refresh_token"): self.refresh,
        }

    def processed_media(self) -> MediaUpload:
        return self.gif()

    def inject(self, fault: str, *, at: int = 0) -> None:
        if fault == "unfinished_media":
            self.fake.processing_polls = 3
            return
        if fault == "rate_limited":
            self.fake.inject("POST", CREATE, *([Fault.passthrough()] * at))
            self.fake.rate_limit("POST", CREATE, reset_in=int(RESET_SECONDS))
            return
        faults = {
            "server_error": Fault.status(
                503, problem(503, "Service Unavailable", "Service Unavailable")
            ),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
            "expired_token": Fault.status(401, UNAUTHORIZED),
        }
        self.fake.inject("POST", CREATE, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" (token {self.secret})" if echo_secret else ""
        if kind == "rate_limited":
            self.fake.rate_limit("POST", CREATE, reset_in=int(RESET_SECONDS))
            return
        if kind == "auth":
            # Refused before and after the refresh: the account must be reconnected.
            body = problem(401, "Unauthorized", "Unauthorized" + echo)
            self.fake.inject("POST", CREATE, Fault.status(401, body), times=2)
            return
        status, body = {
            "invalid": (400, problem(400, "Bad Request", TOO_LONG + echo)),
            "forbidden": (
                403,
                problem(
                    403,
                    "Forbidden",
                    "You are not permitted to perform this action." + echo,
                    "https://api.twitter.com/2/problems/client-forbidden",
                ),
            ),
        }[kind]
        self.fake.inject("POST", CREATE, Fault.status(status, body))

    def inject_lookup(self, fault: str) -> None:
        if fault == "rate_limited":
            self.fake.rate_limit("GET", TIMELINE, reset_in=int(RESET_SECONDS))
        else:  # a page is read again after a 5xx: the fault lasts for every try
            for _ in range(PAGE_TRIES):
                self.fake.server_error("GET", TIMELINE, 503)

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            return [
                Posted(
                    remote_id=t.id,
                    text=t.text,
                    reply_to=t.in_reply_to,
                    media_alts=tuple(self.fake.media[m].alt or "" for m in t.media_ids),
                )
                for t in self.fake.tweets
            ]


HARNESS = XHarness
