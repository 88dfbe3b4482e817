"""Bluesky against tests.fakes.bluesky, reached through the account's ``service``."""

from __future__ import annotations

from scheduler.credentials import env_name
from scheduler.platforms.base import AccountSpec
from tests.fakes.base import Fault
from tests.fakes.bluesky import CREATE_RECORD, GET_RECORD, FakeBluesky
from tests.platforms.harness import RESET_SECONDS, SLOW, Harness, Posted


class BlueskyHarness(Harness):
    name = "bluesky"
    create_path = CREATE_RECORD  # where each part is created, for the sandbox parity test
    faults = (
        "rate_limited",
        "server_error",
        "timeout",
        "drop_before",
        "drop_after",
        "expired_token",
    )
    supports_cw = False  # Bluesky has self-labels, not content warnings
    secret = "app-pass-abcd-efgh-ijkl"

    def start(self) -> None:
        self.fake = FakeBluesky(self.clock, password=self.secret or "").start()

    def stop(self) -> None:
        self.fake.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(
            self.account, "bluesky", {"handle": self.fake.handle, "service": self.fake.base_url}
        )

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "app_password"): self.secret or ""}

    def inject(self, fault: str, *, at: int = 0) -> None:
        if fault == "expired_token":
            # Sign in first so that there is a session to expire, then expire it.
            self.publisher().verify()
            self.fake.expire_access_tokens()
            return
        faults = {
            "rate_limited": self.fake.rate_limit_fault(RESET_SECONDS),
            "server_error": Fault.status(
                502, {"error": "UpstreamFailure", "message": "Upstream Failure"}
            ),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", CREATE_RECORD, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" ({self.secret})" if echo_secret else ""
        if kind == "rate_limited":
            self.fake.inject("POST", CREATE_RECORD, self.fake.rate_limit_fault(RESET_SECONDS))
            return
        status, name, message = {
            "auth": (401, "AccountTakedown", "Account has been taken down"),
            "invalid": (400, "InvalidRequest", "Invalid app.bsky.feed.post record"),
            "forbidden": (403, "Forbidden", "Not permitted"),
        }[kind]
        self.fake.inject(
            "POST", CREATE_RECORD, Fault.status(status, {"error": name, "message": message + echo})
        )

    def inject_lookup(self, fault: str) -> None:
        self.fake.inject(
            "GET",
            GET_RECORD,
            self.fake.rate_limit_fault(RESET_SECONDS)
            if fault == "rate_limited"
            else Fault.status(502, {"error": "UpstreamFailure", "message": "upstream"}),
        )

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            records = list(self.fake.records)
        out = []
        for r in records:
            embed = r.value.get("embed") or {}
            reply = r.value.get("reply")
            out.append(
                Posted(
                    remote_id=r.uri,
                    text=r.text,
                    reply_to=reply["parent"]["uri"] if reply else None,
                    media_alts=tuple(i["alt"] for i in embed.get("images", [])),
                )
            )
        return out


HARNESS = BlueskyHarness
