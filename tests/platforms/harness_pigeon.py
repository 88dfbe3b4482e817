"""Pigeon Post, the platform defined only in the tests, against its fake loft."""

from __future__ import annotations

from scheduler.credentials import env_name
from scheduler.platforms.base import AccountSpec
from tests.fakes.base import Fault
from tests.pigeon import descriptor
from tests.pigeon.fake import BY_KEY, NOTES, FakeLoft
from tests.platforms.harness import SLOW, Harness, Posted


class PigeonHarness(Harness):
    name = "pigeon"
    create_path = NOTES
    faults = ("rate_limited", "server_error", "timeout", "drop_before", "drop_after")
    secret = "pigeon-token-0123456789"

    def start(self) -> None:
        descriptor.register()
        self.fake = FakeLoft(self.secret or "").start()

    def stop(self) -> None:
        self.fake.stop()
        descriptor.unregister()

    def spec(self) -> AccountSpec:
        return AccountSpec(self.account, "pigeon", {"loft": self.fake.base_url})

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "token"): self.secret or ""}

    def inject(self, fault: str, *, at: int = 0) -> None:
        faults = {
            "rate_limited": self.fake.refusal(429, "the birds are resting"),
            "server_error": Fault.status(500, {"error": "the loft is on fire"}),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", NOTES, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" (token {self.secret})" if echo_secret else ""
        status, message = {
            "auth": (401, "unknown bird keeper"),
            "invalid": (422, "too heavy for a pigeon"),
            "forbidden": (403, "this loft is closed to you"),
            "rate_limited": (429, "the birds are resting"),
        }[kind]
        self.fake.inject("POST", NOTES, self.fake.refusal(status, message + echo))

    def inject_lookup(self, fault: str) -> None:
        faults = {
            "rate_limited": self.fake.refusal(429, "the birds are resting"),
            "server_error": Fault.status(500, {"error": "the loft is on fire"}),
        }
        self.fake.inject("GET", BY_KEY, faults[fault])

    def posted(self) -> list[Posted]:
        return [
            Posted(
                remote_id=n.id,
                text=n.text,
                reply_to=n.reply_to,
                media_alts=tuple(i["alt"] for i in n.images),
            )
            for n in self.fake.notes
        ]


HARNESS = PigeonHarness
