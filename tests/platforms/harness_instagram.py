"""Instagram against tests.fakes.instagram, reached through the account's ``api`` setting,
its images served by a loopback public media host."""

from __future__ import annotations

import struct
from dataclasses import replace

from scheduler.credentials import env_name
from scheduler.platforms.base import (
    PAGE_TRIES,
    AccountSpec,
    MediaUpload,
    PlatformContext,
    PublishRequest,
)
from tests.fakes.base import Fault
from tests.fakes.instagram import CONTAINERS, PUBLISH, FakeInstagram, graph_error
from tests.fakes.public_media import LoopbackMedia
from tests.platforms.harness import SLOW, Harness, Posted

USER_ID = "17841400008460056"


def tiny_jpeg(width: int = 64, height: int = 48) -> bytes:
    """A JPEG header with its frame size: what the scheduler and the fake look at."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = (
        b"\xff\xc0\x00\x11\x08"
        + struct.pack(">HH", height, width)
        + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    )
    return b"\xff\xd8" + app0 + sof + b"\xff\xda\x00\x02" + b"\x00" * 32 + b"\xff\xd9"


class InstagramHarness(Harness):
    name = "instagram"
    # The post's body goes to the container call, not to media_publish (which names the
    # container); test_instagram.py compares it with the sandbox's.
    create_path = None
    threads = False
    dedupes = False  # no idempotency key: containers and the media listing settle it
    faults = (
        "rate_limited",
        "server_error",
        "timeout",
        "drop_before",
        "drop_after",
        "unfinished_media",
    )
    secret = "IGAA-instagram-token-0123456789"

    def start(self) -> None:
        self.fake = FakeInstagram(self.clock, token=self.secret or "", user_id=USER_ID).start()
        self.media_host = LoopbackMedia().start()

    def stop(self) -> None:
        self.fake.stop()
        self.media_host.stop()

    def spec(self) -> AccountSpec:
        return AccountSpec(
            self.account,
            "instagram",
            {"user_id": USER_ID, "username": "mhaw", "api": self.fake.base_url},
        )

    def env(self) -> dict[str, str]:
        return {env_name(self.account, "access_token"): self.secret or ""}

    def context(self) -> PlatformContext:
        return replace(super().context(), public_media=self.media_host)

    # Instagram has no text-only posts and takes JPEG only: every post here has a JPEG.
    def image(self, name: str = "walk.jpg", alt: str = "A person running at dawn") -> MediaUpload:
        return self._media(name, tiny_jpeg(), "image/jpeg", alt, (64, 48))

    def gif(
        self, name: str = "wave.jpg", alt: str = "A hand waving hello, looping", pad: int = 0
    ) -> MediaUpload:
        # Instagram takes no GIFs (``check`` refuses them, see test_instagram.py); the alt
        # text rule the suite checks with a GIF is checked here with a second JPEG.
        return self.image(name, alt)

    def request(
        self, *texts: str, media: tuple[MediaUpload, ...] = (), key: str = "k", **kw: object
    ) -> PublishRequest:
        return super().request(*texts, media=media or (self.image(),), key=key, **kw)

    def inject(self, fault: str, *, at: int = 0) -> None:
        if fault == "unfinished_media":
            self.fake.hold(3)
            return
        faults = {
            "rate_limited": self.fake.throttled(minutes=5),
            "server_error": Fault.status(
                500,
                {
                    "error": {
                        "message": "An unexpected error has occurred.",
                        "code": 2,
                        "is_transient": True,
                        "type": "OAuthException",
                    }
                },
            ),
            "timeout": Fault.delay(SLOW),
            "drop_before": Fault.drop_before(),
            "drop_after": Fault.drop_after(),
        }
        self.fake.inject("POST", PUBLISH, *([Fault.passthrough()] * at), faults[fault])

    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        echo = f" (token {self.secret})" if echo_secret else ""
        if kind == "rate_limited":
            self.fake.inject("POST", PUBLISH, self.fake.throttled(minutes=5))
            return
        status, code, message = {
            "auth": (400, 190, "Error validating access token: Session has expired"),
            "invalid": (400, 100, "Invalid parameter: caption is too long"),
            "forbidden": (403, 10, "Application does not have permission for this action"),
        }[kind]
        refusal = graph_error(status, code, message + echo)
        self.fake.inject("POST", PUBLISH, Fault("status", refusal))

    def inject_lookup(self, fault: str) -> None:
        if fault == "rate_limited":
            self.fake.inject("GET", CONTAINERS, self.fake.throttled(minutes=5))
            return
        unavailable = Fault.status(503, {"error": {"message": "Service unavailable", "code": 2}})
        self.fake.inject("GET", CONTAINERS, unavailable, times=PAGE_TRIES)

    def posted(self) -> list[Posted]:
        with self.fake.lock:
            return [
                Posted(remote_id=m.id, text=m.caption, reply_to=None, media_alts=m.alts)
                for m in self.fake.media
            ]


HARNESS = InstagramHarness
