"""Facebook Pages against tests.fakes.facebook, reached through the account's ``api`` setting."""

from __future__ import annotations

from scheduler.credentials import env_name
from scheduler.platforms.base import PAGE_TRIES, AccountSpec
from tests.fakes.base import Fault
from tests.fakes.facebook import FEED, PUBLISHED, VERSION, FakeFacebook, graph_fault, usage_headers
from tests.platforms.harness import SLOW, Harness, Posted

PAGE = "104233215612345"


class FacebookHarness(Harness):
    name = "facebook"
    # Every create is a POST under the Page: the feed (text, links, several photos) or its
    # photos (one photo).
    create_path = f"/{VERSION}/{PAGE}/"
    threads = False
    dedupes = False  # no idempotency key: a lost answer is settled by reading the Page's posts
    faults = ("rate_limited", "server_error", "timeout", "drop_before", "drop_after")
    secret = "EAAGuser-long-lived-token-0123456789"

    def start(self) -> None:
        self.fake = FakeFacebook(self.clock, user_token=self.secret or "", page=PAGE).start()

    def stop(self) -> None:
        self.fake.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(self.account, "facebook", {"page": PAGE, "api": self.fake.base_url})

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "access_token"): self.secret or ""}

    def throttled(self) -> Fault:
        return graph_fault(
            32,
            "Page request limit reached",
            status=400,
            headers=usage_headers(PAGE, regain_minutes=5),
        )

    def inject(self, fault: str, *, at: int = 0) -> None:
        faults = {
            "rate_limited": self.throttled(),
            "server_error": Fault.status(500, {"error": {"message": "An unknown error occurred"}}),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", FEED, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" (token {self.secret})" if echo_secret else ""
        if kind == "rate_limited":
            self.fake.inject("POST", FEED, self.throttled())
            return
        code, subcode, message = {
            "auth": (190, 463, "Error validating access token: Session has expired"),
            "invalid": (100, None, "Invalid parameter"),
            "forbidden": (200, None, "Permissions error: pages_manage_posts is required"),
        }[kind]
        self.fake.inject("POST", FEED, graph_fault(code, message + echo, subcode=subcode))

    def inject_lookup(self, fault: str) -> None:
        if fault == "rate_limited":
            self.fake.inject("GET", PUBLISHED, self.throttled())
            return
        unavailable = Fault.status(503, {"error": {"message": "Service temporarily unavailable"}})
        self.fake.inject("GET", PUBLISHED, unavailable, times=PAGE_TRIES)

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            return [
                Posted(remote_id=p.id, text=p.message, reply_to=None, media_alts=self.fake.alts(p))
                for p in self.fake.posts
            ]


HARNESS = FacebookHarness
