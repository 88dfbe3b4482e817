"""Mastodon against tests.fakes.mastodon, reached through the account's ``instance``."""

from __future__ import annotations

from scheduler.credentials import env_name
from scheduler.platforms.base import PAGE_TRIES, AccountSpec
from scheduler.platforms.mastodon import clear_instance_cache
from tests.fakes.base import Fault
from tests.fakes.mastodon import ACCOUNT_STATUSES, STATUSES, FakeMastodon
from tests.platforms.harness import RESET_SECONDS, SLOW, Harness, Posted


class MastodonHarness(Harness):
    name = "mastodon"
    create_path = STATUSES  # where each part is created, for the sandbox parity test
    faults = (
        "rate_limited",
        "server_error",
        "timeout",
        "drop_before",
        "drop_after",
        "unfinished_media",
    )
    supports_cw = True
    secret = "mastodon-token-0123456789"

    def start(self) -> None:
        clear_instance_cache()
        self.fake = FakeMastodon(self.clock, token=self.secret or "").start()

    def stop(self) -> None:
        self.fake.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(self.account, "mastodon", {"instance": self.fake.base_url})

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "access_token"): self.secret or ""}

    def inject(self, fault: str, *, at: int = 0) -> None:
        if fault == "unfinished_media":
            self.fake.media_polls = 2
            return
        faults = {
            "rate_limited": self.fake.rate_limit_fault(RESET_SECONDS),
            "server_error": Fault.status(500, {"error": "We're sorry, but something went wrong"}),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", STATUSES, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" (token {self.secret})" if echo_secret else ""
        if kind == "rate_limited":
            self.fake.inject("POST", STATUSES, self.fake.rate_limit_fault(RESET_SECONDS))
            return
        status, message = {
            "auth": (401, self.fake.msg("token")),
            "invalid": (422, self.fake.msg("too_long", limit=500)),
            "forbidden": (403, "This action is not allowed"),
        }[kind]
        self.fake.inject("POST", STATUSES, Fault.status(status, {"error": message + echo}))

    def inject_lookup(self, fault: str) -> None:
        if fault == "rate_limited":
            self.fake.inject("GET", ACCOUNT_STATUSES, self.fake.rate_limit_fault(RESET_SECONDS))
            return
        # A page is read again after a 5xx: the fault lasts for every try.
        unavailable = Fault.status(503, {"error": "Service Unavailable"})
        self.fake.inject("GET", ACCOUNT_STATUSES, unavailable, times=PAGE_TRIES)

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            return [
                Posted(
                    remote_id=s.id,
                    text=s.text,
                    reply_to=s.in_reply_to_id,
                    media_alts=tuple(m["description"] for m in s.media),
                    content_warning=s.spoiler_text or None,
                )
                for s in self.fake.statuses
            ]


HARNESS = MastodonHarness
