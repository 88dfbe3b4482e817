"""The sandbox publisher: each post is written, exactly as it would be sent, to a local outbox.

Layout: ``<outbox>/<account>/<idempotency key>.json``, one file per thread part. A file is
written to a temporary name and hard-linked into place, so it appears whole or not at all and
a second writer of the same part finds the first one's file instead of replacing it: a
repeated publish returns the stored result, exactly once, as on a real platform.

With ``as_platform`` in the account settings (any platform whose publisher module defines a
``sandbox_body``) the sandbox applies that platform's rules and writes the request body that
platform's own publisher builds. Failures can be
injected for rehearsals through the account settings:

    fail_first: transient | rate_limited | outcome_unknown | invalid | auth | forbidden | duplicate
    fail_times: how many attempts fail (default 1)
    fail_part:  which thread part fails (default 0, the first)
    retry_after: seconds a rate_limited failure asks to wait (default 60)

The attempt count is kept in the outbox, so injected failures behave the same when the
publisher is rebuilt between attempts. ``outcome_unknown`` writes the post and then fails,
like a connection dropped after the platform stored it; ``find`` then reports the post.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib
import json
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from scheduler import descriptors
from scheduler.descriptors.sandbox import SANDBOX
from scheduler.errors import ConfigError
from scheduler.platforms.base import (
    CREATE,
    READ,
    Absent,
    AccountInfo,
    AccountSpec,
    AuthFailed,
    BeforeCreate,
    CannotTell,
    Coverage,
    Duplicate,
    Forbidden,
    Found,
    Invalid,
    Lookup,
    OutcomeUnknown,
    PartCallback,
    PartResult,
    PlatformContext,
    PublishError,
    PublishRequest,
    PublishResult,
    RateLimited,
    StagedCallback,
    Transient,
)
from scheduler.platforms.rules import check_request

FAULTS: dict[str, type[PublishError]] = {
    "transient": Transient,
    "rate_limited": RateLimited,
    "outcome_unknown": OutcomeUnknown,
    "invalid": Invalid,
    "auth": AuthFailed,
    "forbidden": Forbidden,
    "duplicate": Duplicate,
}
# What a publisher would send for one part, for the outbox: (body, extra result fields). A
# publisher module that can stand behind the sandbox defines ``sandbox_body`` of this type.
BodyBuilder = Callable[
    [PublishRequest, int, Sequence[PartResult], str], tuple[dict[str, Any], dict[str, str]]
]


def own_body(
    request: PublishRequest, index: int, earlier: Sequence[PartResult], handle: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """The sandbox's own record of a part: every field of the request."""
    part = request.parts[index]
    parent = earlier[index - 1] if index > 0 else None
    body: dict[str, Any] = {
        "text": part.text,
        "media": [
            {
                "file": m.file.name,
                "mime": m.mime,
                "size": m.size,
                "sha256": m.sha256,
                "alt": m.alt,
                "width": m.width,
                "height": m.height,
            }
            for m in part.media
        ],
        "content_warning": request.content_warning,
        "language": request.language,
        "labels": list(request.labels),
        "visibility": request.visibility,
        "reply_settings": request.reply_settings,
        "in_reply_to": None if parent is None else parent.remote_id,
        "link": None
        if request.link is None
        else {
            "url": request.link.url,
            "title": request.link.title,
            "description": request.link.description,
        },
    }
    if request.story is not None:
        body["story"] = request.story.to_data()
    return body, {}


def body_builder(platform: str) -> BodyBuilder | None:
    """The body builder of ``platform``'s own publisher; None if it has none."""
    descriptor = descriptors.get(platform)
    if descriptor.stands_in:
        return own_body
    if descriptor.publisher is None:
        return None
    module = importlib.import_module(descriptor.publisher.partition(":")[0])
    builder: BodyBuilder | None = getattr(module, "sandbox_body", None)
    return builder


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


def folder_name(account: str) -> str:
    name = _UNSAFE.sub("_", account).lstrip(".")
    return name or "_"


def part_key(request: PublishRequest, index: int) -> str:
    """The part's idempotency key; one is derived from the content when the caller gave none."""
    given = request.parts[index].idempotency_key
    if given:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", given):
            # Keys name files: anything else is hashed into a safe name.
            return hashlib.sha256(given.encode("utf-8")).hexdigest()[:32]
        return given
    raw = f"{request.account}\x1f{request.created_at.isoformat()}\x1f{index}\x1f"
    raw += request.parts[index].text
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


class SandboxPublisher:
    platform = SANDBOX.name

    def __init__(self, spec: AccountSpec, context: PlatformContext) -> None:
        settings = spec.settings
        self.account = spec.name
        self.as_platform = settings.get("as_platform") or SANDBOX.name
        builder = None
        if descriptors.find(self.as_platform) is not None:
            builder = body_builder(self.as_platform)
        if builder is None:
            able = [d.name for d in descriptors.descriptors() if body_builder(d.name)]
            raise ConfigError(
                f"account {spec.name!r}: as_platform {self.as_platform!r} is not supported",
                hint=f"use one of {', '.join(able)}",
            )
        self._builder = builder
        max_chars = settings.get("max_chars")
        self.rules = descriptors.get(self.as_platform).with_limit(
            int(max_chars) if max_chars else None
        )
        self.handle = settings.get("handle") or settings.get("username") or spec.name
        self.folder = Path(context.outbox).absolute() / folder_name(spec.name)
        self._clock = context.clock
        # A rehearsal honours the account's pauses and its platform's quotas like the real
        # publisher: each create and lookup asks the gate, as one HTTP request would.
        self._gate = context.gate
        self._fail_kind = settings.get("fail_first") or None
        if self._fail_kind is not None and self._fail_kind not in FAULTS:
            raise ConfigError(
                f"account {spec.name!r}: fail_first {self._fail_kind!r} is not a failure kind",
                hint=f"use one of {', '.join(FAULTS)}",
            )
        try:
            self._fail_times = int(settings.get("fail_times", "1"))
            self._fail_part = int(settings.get("fail_part", "0"))
            self._retry_after = float(settings.get("retry_after", "60"))
        except ValueError as exc:
            raise ConfigError(
                f"account {spec.name!r}: fail_times, fail_part and retry_after must be numbers"
            ) from exc

    def __repr__(self) -> str:
        return f"SandboxPublisher(account={self.account!r}, as_platform={self.as_platform!r})"

    # --- the protocol ---------------------------------------------------------------------

    def preflight(self, request: PublishRequest) -> None:
        check_request(self.rules, request)

    def publish(
        self,
        request: PublishRequest,
        on_part: PartCallback | None = None,
        before_create: BeforeCreate | None = None,
        on_staged: StagedCallback | None = None,
    ) -> PublishResult:
        self.preflight(request)
        results = list(request.done)
        for index in range(len(request.done), len(request.parts)):
            key = part_key(request, index)
            result = self._read(key)
            if result is None:
                if before_create is not None:
                    before_create(index)
                self._gate.before(self.account, self.as_platform, CREATE)
                self._maybe_fail(key, index, before_write=True)
                body = self._body(request, index, results)
                result = self._write(key, request, index, body)
                self._maybe_fail(key, index, before_write=False)
                self._gate.after(self.account, self.as_platform, CREATE, 200, {})
            results.append(result)
            if on_part is not None:
                on_part(result)
        return PublishResult(tuple(results))

    def find(
        self, request: PublishRequest, part_index: int, since: datetime | None = None
    ) -> Lookup:
        """Exact: the outbox file of the part's key is there or it is not."""
        key = part_key(request, part_index)
        try:
            self._gate.before(self.account, self.as_platform, READ)
            found = self._read(key)
        except PublishError as exc:
            return CannotTell.because(exc, "reading the outbox")
        return Found(found) if found is not None else Absent(Coverage.record_key(key))

    def verify(self) -> AccountInfo:
        return AccountInfo(
            platform=self.as_platform,
            account=self.account,
            remote_id=f"sandbox:{self.account}",
            handle=self.handle,
            url=self.folder.as_uri(),
        )

    def close(self) -> None:
        pass

    # --- the outbox -----------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def _read(self, key: str) -> PartResult | None:
        try:
            data = json.loads(self.path_for(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise OutcomeUnknown(
                f"sandbox outbox file {self.path_for(key)} cannot be read",
                platform=self.platform,
                hint="look at the file; remove it only if the post must be written again",
            ) from exc
        return PartResult(
            index=int(data["part_index"]),
            remote_id=str(data["remote_id"]),
            url=str(data["url"]),
            extra={str(k): str(v) for k, v in data.get("extra", {}).items()},
        )

    def _write(
        self, key: str, request: PublishRequest, index: int, body: dict[str, Any]
    ) -> PartResult:
        final = self.path_for(key)
        extra: dict[str, str] = body.pop("_extra")
        remote_id = extra.get("uri", key)
        result = PartResult(index=index, remote_id=remote_id, url=final.as_uri(), extra=extra)
        document = {
            "platform": self.platform,
            "as_platform": self.as_platform,
            "account": self.account,
            "part_index": index,
            "parts": len(request.parts),
            "idempotency_key": key,
            "remote_id": result.remote_id,
            "url": result.url,
            "extra": result.extra,
            "due": request.created_at.isoformat(),
            "written_at": self._clock.now().isoformat(),
            "request": body,
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{uuid.uuid4().hex}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(document, fh, ensure_ascii=False, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            try:
                # A hard link fails if the name exists: the first writer wins, whole.
                os.link(tmp, final)
            except FileExistsError:
                return self._stored(key, index)
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINKS:
                    raise
                # A file system without hard links: an exclusive create still lets only
                # one writer through, though a reader may briefly see a partial file.
                try:
                    fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                except FileExistsError:
                    return self._stored(key, index)
                with os.fdopen(fd, "wb") as out:
                    out.write(tmp.read_bytes())
                    out.flush()
                    os.fsync(out.fileno())
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        except OSError as exc:
            raise Transient(
                f"cannot write to the sandbox outbox {self.folder}: {exc.strerror}",
                platform=self.platform,
                part_index=index,
            ) from exc
        return result

    def _stored(self, key: str, index: int) -> PartResult:
        stored = self._read(key)
        if stored is None:
            raise OutcomeUnknown(
                f"sandbox outbox file {self.path_for(key)} vanished while being written",
                platform=self.platform,
                part_index=index,
            )
        return stored

    # --- what would be sent ---------------------------------------------------------------

    def _body(
        self, request: PublishRequest, index: int, earlier: list[PartResult]
    ) -> dict[str, Any]:
        keyed = replace(
            request,
            parts=tuple(
                replace(p, idempotency_key=part_key(request, i))
                for i, p in enumerate(request.parts)
            ),
        )
        body, extra = self._builder(keyed, index, earlier, self.handle)
        body["_extra"] = extra
        return body

    # --- failure injection ----------------------------------------------------------------

    def _maybe_fail(self, key: str, index: int, *, before_write: bool) -> None:
        kind = self._fail_kind
        if kind is None or index != self._fail_part:
            return
        if (kind == "outcome_unknown") == before_write:
            return
        marker = self.folder / ".attempts" / key
        try:
            failed = int(marker.read_text(encoding="ascii"))
        except (FileNotFoundError, ValueError):
            failed = 0
        if failed >= self._fail_times:
            return
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(str(failed + 1), encoding="ascii")
        message = f"sandbox: injected {kind} failure {failed + 1} of {self._fail_times}"
        common: dict[str, Any] = {
            "platform": self.platform,
            "platform_message": f"injected {kind}",
            "part_index": index,
        }
        if kind == "rate_limited":
            headers = {"Retry-After": f"{self._retry_after:g}"}
            self._gate.after(self.account, self.as_platform, CREATE, 429, headers)
            raise RateLimited(message, retry_after=self._retry_after, status=429, **common)
        raise FAULTS[kind](message, **common)


def create(spec: AccountSpec, context: PlatformContext) -> SandboxPublisher:
    return SandboxPublisher(spec, context)
