"""Shared HTTP plumbing for the requests-based publishers (Mastodon, Bluesky).

Every call has explicit connect and read timeouts. requests' exceptions and the platforms'
HTTP statuses are translated here into the errors of ``platforms.base``, chained with
``from``, with every credential redacted from messages (``scheduler.redact``). What a
failure means depends on whether the request may have been applied:

* the connection could not be opened (refused, name not resolved, connect timeout): nothing
  was sent -> Transient;
* anything later (read timeout, reset, dropped connection) on a call that creates something
  (``creates=True``) -> OutcomeUnknown; on a read or an upload -> Transient.

Rate-limit headers differ per platform; the parsers below turn them into seconds from now.
"""

from __future__ import annotations

import email.utils
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from scheduler import __version__
from scheduler.errors import ConfigError
from scheduler.platforms.base import (
    AuthFailed,
    Forbidden,
    Invalid,
    OutcomeUnknown,
    PublishError,
    RateLimited,
    Transient,
)
from scheduler.platforms.sent import never_sent
from scheduler.redact import redact, redact_optional

log = logging.getLogger("scheduler.platforms.http")

USER_AGENT = f"campaign-scheduler/{__version__}"

# --- rate-limit headers -----------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """RFC 9110 Retry-After: delay seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_iso_reset(value: str | None, now: datetime) -> float | None:
    """An ISO 8601 instant (Mastodon's X-RateLimit-Reset) as seconds from ``now``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_epoch_reset(value: str | None, now: datetime) -> float | None:
    """Unix epoch seconds (X's x-rate-limit-reset, Bluesky's RateLimit-Reset) from ``now``."""
    if value is None or not value.strip():
        return None
    try:
        epoch = float(value.strip())
    except ValueError:
        return None
    return max(0.0, epoch - now.timestamp())


def mastodon_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    # Mastodon sends no Retry-After; the reset is ISO 8601 (some forks send epoch seconds).
    value = _header(headers, "X-RateLimit-Reset")
    found = parse_iso_reset(value, now)
    if found is None:
        found = parse_epoch_reset(value, now)
    return found if found is not None else parse_retry_after(_header(headers, "Retry-After"), now)


def bluesky_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    found = parse_retry_after(_header(headers, "Retry-After"), now)
    if found is None:
        found = parse_epoch_reset(_header(headers, "RateLimit-Reset"), now)
    return found


def x_retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    # The 24-hour caps come with their own reset; the later of the exhausted ones wins.
    candidates = []
    for name in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        remaining = _header(headers, f"{name}-remaining")
        reset = parse_epoch_reset(_header(headers, f"{name}-reset"), now)
        if reset is not None and (remaining is None or remaining.strip() == "0"):
            candidates.append(reset)
    if candidates:
        return max(candidates)
    return parse_epoch_reset(_header(headers, "x-rate-limit-reset"), now)


# --- the client -------------------------------------------------------------------------------


def error_text(response: requests.Response) -> tuple[str | None, str | None]:
    """(error code, message) from a JSON error body; the text of anything else, shortened."""
    status_line = f"{response.status_code} {response.reason or ''}".strip()
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        text = (response.text or "").strip()
        if not text or text.lstrip().startswith("<"):
            return None, status_line
        return None, text[:300]
    if not isinstance(body, dict):
        return None, status_line
    code = body.get("error")
    message = body.get("message") or body.get("error_description") or body.get("detail")
    if isinstance(code, str) and not isinstance(message, str):
        return None, code
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
    )


class HttpClient:
    """A requests Session bound to one base URL, with timeouts and error translation."""

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if headers:
            self.session.headers.update(headers)

    def __repr__(self) -> str:
        return f"HttpClient({self.platform}, {self.base_url})"

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        creates: bool = False,
        part_index: int | None = None,
        what: str = "",
        **kwargs: Any,
    ) -> requests.Response:
        """Send; return the response whatever its status. Raise only for transport failures."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        what = what or f"{method} {path.split('?', 1)[0]}"
        kwargs.setdefault("timeout", (self.timeout, self.timeout))
        try:
            response = self.session.request(method, url, **kwargs)
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as exc:
            raise ConfigError(
                f"{self.platform}: {self.base_url} is not a usable address",
                hint="check the account's address in the campaign (https://host)",
            ) from exc
        except requests.exceptions.RequestException as exc:
            detail = redact(f"{type(exc).__name__}: {exc}")
            log.debug("%s %s failed: %s", method, url, detail)
            common: dict[str, Any] = {
                "platform": self.platform,
                "platform_message": detail,
                "part_index": part_index,
            }
            if never_sent(exc):
                raise Transient(
                    f"{self.platform}: cannot reach {self.base_url} ({what})",
                    hint="check the address and the network; nothing was sent",
                    **common,
                ) from exc
            if creates:
                raise OutcomeUnknown(
                    f"{self.platform}: no answer to {what}; the post may exist",
                    hint="look for it on the account before trying again",
                    **common,
                ) from exc
            raise Transient(f"{self.platform}: {what} failed in transit", **common) from exc
        log.debug("%s %s -> %s", method, url, response.status_code)
        return response

    def failure(
        self,
        response: requests.Response,
        *,
        what: str,
        retry_after: float | None = None,
        creates: bool = False,
        part_index: int | None = None,
        override: type[PublishError] | None = None,
        hint: str | None = None,
    ) -> PublishError:
        """The error for a non-success answer, classified by status (never by its wording)."""
        status = response.status_code
        code, message = error_text(response)
        platform_message = redact_optional(" ".join(x for x in (code, message) if x) or None)
        words = f"{self.platform}: {what} was refused ({status}"
        words += f": {platform_message})" if platform_message else ")"
        common: dict[str, Any] = {
            "platform": self.platform,
            "platform_message": platform_message,
            "status": status,
            "part_index": part_index,
        }
        cls: type[PublishError]
        if override is not None:
            cls = override
        elif status == 429:
            return RateLimited(
                f"{self.platform}: rate limited during {what}",
                retry_after=retry_after,
                hint=hint or "wait until the limit resets",
                **common,
            )
        elif status == 401:
            cls = AuthFailed
            hint = hint or "the account's credentials were rejected: reconnect it"
        elif status == 403:
            cls = Forbidden
        elif status in (408, 425):
            cls = OutcomeUnknown if creates else Transient
        elif status >= 500:
            # A create that failed inside the server may still have been stored.
            cls = OutcomeUnknown if creates and status not in (503,) else Transient
        elif status >= 400:
            cls = Invalid
        else:
            cls = Transient  # an unexpected success code: treat as a hiccup
        return cls(words, hint=hint, **common)


def json_body(
    response: requests.Response, *, platform: str, what: str, creates: bool = False
) -> dict[str, Any]:
    """The JSON object of a success answer. A garbled one is a server fault; after a create
    it leaves the outcome unknown (the platform said yes, but not to what)."""
    cls = OutcomeUnknown if creates else Transient
    try:
        body = response.json()
    except ValueError as exc:
        raise cls(
            f"{platform}: {what} answered {response.status_code} without JSON",
            platform=platform,
            status=response.status_code,
        ) from exc
    if not isinstance(body, dict):
        raise cls(f"{platform}: {what} answered with unexpected JSON", platform=platform)
    return body
