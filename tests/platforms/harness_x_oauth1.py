"""X again, signed with OAuth 1.0a user context (consumer key and secret, access token and
secret): nothing to refresh, so a 401 is at once a person's job."""

from __future__ import annotations

from scheduler.credentials import env_name
from scheduler.platforms.base import AccountSpec
from tests.fakes.base import Fault
from tests.fakes.x import CREATE, FakeX, problem
from tests.platforms.harness_x import XHarness


class XOAuth1Harness(XHarness):
    name = "x-oauth1"
    faults = tuple(f for f in XHarness.faults if f != "expired_token")
    secret = "x-access-token-secret-0123456789"

    def start(self) -> None:
        self.fake = FakeX(clock=self.clock).start()

    def spec(self) -> AccountSpec:
        return AccountSpec(self.account, "x", {"api_base": self.fake.base_url})

    def env(self) -> dict[str, str]:
        return {
            env_name(self.account, "consumer_key"): "x-consumer-key",
            env_name(self.account, "consumer_secret"): "x-consumer-secret-abcdef",
            env_name(self.account, "access_token"): self.fake.oauth1_token,
            env_name(self.account, "access_token_secret"): self.secret or "",
        }

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        if kind != "auth":
            super().inject_error(kind, echo_secret=echo_secret)
            return
        echo = f" (secret {self.secret})" if echo_secret else ""
        body = problem(401, "Unauthorized", "Unauthorized" + echo)
        self.fake.inject("POST", CREATE, Fault.status(401, body))


HARNESS = XOAuth1Harness
