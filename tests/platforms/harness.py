"""What the contract suite needs from each publisher: a Harness.

A harness starts the platform's fake (or, for the sandbox, an outbox folder), builds
publishers through ``scheduler.platforms.build_publisher`` exactly as the daemon does, with
credentials from a CredentialStore and the fake's address in the account settings, injects
faults, and lists what the platform holds so that tests can assert exactly-once.

To add a platform, write ``tests/platforms/harness_NAME.py`` defining ``HARNESS = YourHarness``;
test_contract.py collects every such module.

Fault kinds (``inject``), each hitting the ``at``-th create call from now (0 = the next):

    rate_limited      429 with the platform's reset headers; nothing stored
    server_error      a 5xx answer; nothing stored
    timeout           the post is stored but the answer comes after the client's timeout
    drop_before       the connection closes before the request is handled; nothing stored
    drop_after        the post is stored, then the connection closes without an answer
    expired_token     the access token has expired (refreshable platforms)
    unfinished_media  uploaded media (``processed_media``) is still being processed after the
                      upload: the publisher must wait for it, on the injected clock

Error kinds (``inject_error``): auth, invalid, forbidden, rate_limited; each is the
platform's real answer for that case, expected as AuthFailed, Invalid, Forbidden,
RateLimited(retry_after=RESET_SECONDS).
"""

from __future__ import annotations

import struct
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import ClassVar

from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore
from scheduler.platforms import build_publisher
from scheduler.platforms.base import (
    OPEN_GATE,
    AccountSpec,
    AuthFailed,
    CannotTell,
    Forbidden,
    Found,
    Invalid,
    Lookup,
    MediaUpload,
    OutcomeUnknown,
    PartRequest,
    PartResult,
    PlatformContext,
    Publisher,
    PublishError,
    PublishRequest,
    PublishResult,
    RateLimited,
    RequestGate,
    Transient,
)

FAULTS = (
    "rate_limited",
    "server_error",
    "timeout",
    "drop_before",
    "drop_after",
    "expired_token",
    "unfinished_media",
)
ERRORS: dict[str, type[PublishError]] = {
    "auth": AuthFailed,
    "invalid": Invalid,
    "forbidden": Forbidden,
    "rate_limited": RateLimited,
}
RESET_SECONDS = 300.0  # what injected rate limits announce
TIMEOUT = 1.0  # the publishers' HTTP timeout in the suite
SLOW = 1.6  # how late a "timeout" fault answers
DUE = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Posted:
    """One post as the platform holds it."""

    remote_id: str
    text: str
    reply_to: str | None  # remote id of the post it replies to
    media_alts: tuple[str, ...] = ()
    content_warning: str | None = None


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def tiny_gif(frames: int = 2, pad: int = 0) -> bytes:
    """An animated GIF of 1x1 frames, looping; ``pad`` adds at least that many bytes of
    comment blocks, for a file of a chosen size that is still a valid GIF."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\xff\xff\xff\x00\x00\x00"
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    frame = (
        b"!\xf9\x04\x04\x0a\x00\x00\x00"  # 1/10 s per frame
        + b","
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"  # one pixel, LZW-coded
    )
    blocks = -(-pad // 255)
    comment = b"!\xfe" + (b"\xff" + b"c" * 255) * blocks + b"\x00" if blocks else b""
    return screen + loop + comment + frame * frames + b";"


class Harness(ABC):
    name: ClassVar[str]
    account: ClassVar[str] = "mhaw-test"
    faults: ClassVar[tuple[str, ...]]  # the fault kinds this harness can inject
    errors: ClassVar[tuple[str, ...]] = tuple(ERRORS)
    supports_cw: ClassVar[bool] = False
    # False where a post is one part only (LinkedIn): a thread is refused before sending.
    threads: ClassVar[bool] = True
    # False where the platform takes no GIFs (Threads): one is refused before sending.
    gifs: ClassVar[bool] = True
    # True when a blind retry of the same request cannot post twice (idempotency key, rkey,
    # outbox file); False when only reconciliation (find) protects against duplicates.
    dedupes: ClassVar[bool] = True
    secret: ClassVar[str | None] = None  # a credential value that must never be shown
    # The fake's path of the call that creates one part; the sandbox parity test compares
    # what arrives there with what the sandbox writes for the same request.
    create_path: ClassVar[str | None] = None
    # Faults the harness can put on the read a lookup (``find``) makes.
    lookup_faults: ClassVar[tuple[str, ...]] = ("rate_limited", "server_error")

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.clock = FixedClock(DUE)
        self.state_dir = tmp_path / "state"
        self.outbox = tmp_path / "outbox"
        self._publishers: list[Publisher] = []
        self.gate: RequestGate = OPEN_GATE  # what the publishers built from now on ask

    # --- to implement ---------------------------------------------------------------------

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def spec(self) -> AccountSpec:
        """The account as a campaign would name it, pointing at the fake."""

    @abstractmethod
    def env(self) -> dict[str, str]:
        """The environment holding the account's credentials."""

    @abstractmethod
    def inject(self, fault: str, *, at: int = 0) -> None: ...

    @abstractmethod
    def inject_error(self, kind: str, *, echo_secret: bool = False) -> None:
        """The next create call gets the platform's answer for ``kind``; with
        ``echo_secret`` the answer's message quotes the secret (servers do echo input)."""

    def inject_lookup(self, fault: str) -> None:
        """The next read a lookup makes gets ``fault`` (one of ``lookup_faults``)."""
        raise NotImplementedError(f"{self.name}: no lookup faults")

    @abstractmethod
    def posted(self) -> list[Posted]:
        """Every post the platform holds, oldest first."""

    def requests_received(self) -> int | None:
        """How many HTTP requests the platform's fake received (None: no HTTP at all)."""
        fake = getattr(self, "fake", None)
        return None if fake is None else len(list(fake.iter_requests()))

    # --- shared ---------------------------------------------------------------------------

    def context(self) -> PlatformContext:
        return PlatformContext(
            clock=self.clock,
            credentials=CredentialStore(self.env(), None),
            state_dir=self.state_dir,
            outbox=self.outbox,
            timeout=TIMEOUT,
            gate=self.gate,
        )

    def publisher(self) -> Publisher:
        """A new publisher, built as the daemon builds one (a restart between attempts)."""
        publisher = build_publisher(self.spec(), self.context())
        self._publishers.append(publisher)
        return publisher

    def close_publishers(self) -> None:
        for publisher in self._publishers:
            publisher.close()

    def image(self, name: str = "walk.png", alt: str = "A person running at dawn") -> MediaUpload:
        return self._media(name, tiny_png(), "image/png", alt, (4, 3))

    def gif(
        self, name: str = "wave.gif", alt: str = "A hand waving hello, looping", pad: int = 0
    ) -> MediaUpload:
        return self._media(name, tiny_gif(pad=pad), "image/gif", alt, (1, 1))

    def _media(
        self, name: str, data: bytes, mime: str, alt: str, size: tuple[int, int]
    ) -> MediaUpload:
        path = self.tmp_path / name
        path.write_bytes(data)
        return MediaUpload(
            file=path,
            mime=mime,
            alt=alt,
            size=len(data),
            sha256=sha256(data).hexdigest(),
            width=size[0],
            height=size[1],
        )

    def parts(self, texts: list[str]) -> list[str]:
        """``texts`` as one post of this platform: all of them where it has threads, else
        the first."""
        return texts if self.threads else texts[:1]

    def processed_media(self) -> MediaUpload:
        """A file the platform processes after the upload (what ``unfinished_media`` slows)."""
        return self.image()

    def request(
        self, *texts: str, media: tuple[MediaUpload, ...] = (), key: str = "k", **kw: object
    ) -> PublishRequest:
        parts = tuple(
            PartRequest(
                text=text,
                media=media if i == 0 else (),
                idempotency_key=f"{key}{i:02d}",
            )
            for i, text in enumerate(texts)
        )
        return PublishRequest(account=self.account, parts=parts, created_at=DUE, **kw)  # type: ignore[arg-type]


def found_part(answer: Lookup) -> PartResult:
    """The part a lookup found; fails the test on any other answer."""
    assert isinstance(answer, Found), answer
    return answer.part


def drive(
    harness: Harness, request: PublishRequest, *, reconcile: bool = True, attempts: int = 8
) -> tuple[PublishResult, list[PublishError]]:
    """Publish as the daemon does: store each part as it is reported, back off on
    RateLimited and Transient, and after OutcomeUnknown call ``find`` before trying again
    (or, with ``reconcile=False``, retry blindly: only safe where the platform dedupes)."""
    done: list[PartResult] = list(request.done)
    errors: list[PublishError] = []
    for _ in range(attempts):
        publisher = harness.publisher()
        current = replace(request, done=tuple(done))
        try:
            return publisher.publish(current, on_part=done.append), errors
        except OutcomeUnknown as exc:
            errors.append(exc)
            if not reconcile:
                continue
            index = len(done) if exc.part_index is None else exc.part_index
            # Only a found part or a proof of absence lets the next attempt go ahead.
            for _look in range(attempts):
                answer = harness.publisher().find(replace(request, done=tuple(done)), index)
                if not isinstance(answer, CannotTell):
                    break
                errors.append(OutcomeUnknown(answer.reason, part_index=index))
                harness.clock.advance(answer.retry_after or 30)
            else:
                raise AssertionError(f"cannot tell after {attempts} lookups: {errors}")
            if isinstance(answer, Found):
                done.append(answer.part)
        except RateLimited as exc:
            errors.append(exc)
            harness.clock.advance(exc.retry_after or 60)
        except Transient as exc:
            errors.append(exc)
            harness.clock.advance(30)
    raise AssertionError(f"not published after {attempts} attempts: {errors}")
