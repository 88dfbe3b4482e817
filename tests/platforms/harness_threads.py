"""Threads against tests.fakes.threads, reached through the account's ``api`` setting; its
images are served to the fake by a loopback public host (tests.fakes.public_files)."""

from __future__ import annotations

from dataclasses import replace

from scheduler.credentials import env_name
from scheduler.platforms.base import PAGE_TRIES, AccountSpec, PlatformContext
from tests.fakes.base import Fault
from tests.fakes.public_files import PublicFiles
from tests.fakes.threads import CONTAINERS, PUBLISH, FakeThreads
from tests.platforms.harness import RESET_SECONDS, SLOW, Harness, Posted

ERROR_AT = {"auth": CONTAINERS, "invalid": CONTAINERS, "forbidden": CONTAINERS}


class ThreadsHarness(Harness):
    name = "threads"
    faults = (
        "rate_limited",
        "server_error",
        "timeout",
        "drop_before",
        "drop_after",
        "unfinished_media",
    )
    dedupes = False  # no idempotency key: a lost answer is settled by the listing
    gifs = False  # Meta names JPEG and PNG only
    secret = "THAAlong-lived-threads-token-0123456789"

    def start(self) -> None:
        self.fake = FakeThreads(self.clock, token=self.secret or "").start()
        self.files = PublicFiles().start()

    def stop(self) -> None:
        self.fake.stop()
        self.files.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(
            self.account, "threads", {"username": "mhaw.stories", "api": self.fake.base_url}
        )

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "access_token"): self.secret or ""}

    def context(self) -> PlatformContext:
        return replace(super().context(), public_media=self.files)

    def inject(self, fault: str, *, at: int = 0) -> None:
        if fault == "unfinished_media":
            self.fake.stuck = 3
            return
        faults = {
            "rate_limited": self.fake.rate_limit_fault(int(RESET_SECONDS // 60)),
            "server_error": Fault.status(
                503, {"error": {"message": "Service temporarily unavailable", "code": 2}}
            ),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", PUBLISH, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" (access_token={self.secret})" if echo_secret else ""
        if kind == "rate_limited":
            self.fake.inject("POST", PUBLISH, self.fake.rate_limit_fault(int(RESET_SECONDS // 60)))
            return
        status, code, message = {
            "auth": (400, 190, "Error validating access token: Session has expired"),
            "invalid": (400, 100, "Param text must be at most 500 characters long"),
            "forbidden": (403, 10, "Application does not have permission for this action"),
        }[kind]
        refusal = self.fake.error(status, code, message + echo)
        self.fake.inject("POST", ERROR_AT[kind], Fault.status(status, refusal.body))

    def inject_lookup(self, fault: str) -> None:
        if fault == "rate_limited":
            self.fake.inject(
                "GET", CONTAINERS, self.fake.rate_limit_fault(int(RESET_SECONDS // 60))
            )
            return
        unavailable = Fault.status(503, {"error": {"message": "Service unavailable", "code": 2}})
        self.fake.inject("GET", CONTAINERS, unavailable, times=PAGE_TRIES)

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            return [
                Posted(remote_id=p.id, text=p.text, reply_to=p.reply_to, media_alts=p.alts)
                for p in self.fake.posts
            ]


HARNESS = ThreadsHarness
