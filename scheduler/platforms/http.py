"""Shared HTTP plumbing for the requests-based publishers.

Every call has explicit connect and read timeouts. requests' exceptions and the platforms'
HTTP statuses are translated here into the errors of ``platforms.base``, chained with
``from``, with every credential redacted from messages (``scheduler.redact``). What a
failure means depends on whether the request may have been applied:

* the connection could not be opened (refused, name not resolved, connect timeout): nothing
  was sent -> Transient;
* anything later (read timeout, reset, dropped connection) on a call that creates something
  (``creates=True``) -> OutcomeUnknown; on a read or an upload -> Transient.

Every request passes the account's gate (``platforms.base.RequestGate``) first, and every
answer's rate-limit headers go to it afterwards.

The environment's proxies (``HTTPS_PROXY``, ``NO_PROXY`` ...) and CA bundle
(``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) are read once per client and host, not at every
request as requests does by default: scanning the environment cost about a tenth of a post's
CPU. A ``.netrc`` file is never read: its password would replace the account's token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from scheduler import __version__
from scheduler.errors import ConfigError
from scheduler.platforms.base import (
    CREATE,
    READ,
    WRITE,
    AuthFailed,
    Forbidden,
    Invalid,
    OutcomeUnknown,
    PlatformContext,
    PublishError,
    RateLimited,
    RequestGate,
    Transient,
)
from scheduler.platforms.sent import never_sent
from scheduler.redact import redact, redact_optional, register

log = logging.getLogger("scheduler.platforms.http")

USER_AGENT = f"campaign-scheduler/{__version__}"

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
        account: str,
        gate: RequestGate,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # ``account`` and ``gate`` have no default: every platform's requests pass the
        # account's gate (``PlatformContext.gate``), so a publisher cannot forget to.
        self.platform = platform
        self.account = account
        self.gate = gate
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # The environment is read once per host, by ``_environment`` (see the docstring).
        self.session.trust_env = False
        self._by_host: dict[tuple[str, str], dict[str, Any]] = {}
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if headers:
            self.session.headers.update(headers)

    @classmethod
    def for_account(
        cls,
        context: PlatformContext,
        account: str,
        *,
        platform: str,
        base_url: str,
        bearer: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpClient:
        """A client for one account's requests: the context's timeout and gate, and, when
        ``bearer`` is given, that token as the Authorization header (and masked in output)."""
        client = cls(
            platform=platform,
            base_url=base_url,
            timeout=context.timeout,
            account=account,
            gate=context.gate,
            headers=headers,
        )
        if bearer is not None:
            client.use_bearer(bearer)
        return client

    def use_bearer(self, token: str) -> None:
        """Send ``token`` as the bearer from now on (a renewed token replaces the old)."""
        # Registered before it is set: no message this client builds may show it.
        register(token)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:
        return f"HttpClient({self.platform}, {self.base_url})"

    def close(self) -> None:
        self.session.close()

    def _environment(self, url: str) -> dict[str, Any]:
        """The proxies (none where NO_PROXY exempts the host) and the CA bundle the
        environment gives ``url``'s host, as requests itself would work them out."""
        parts = urlsplit(url)
        host = (parts.scheme, parts.netloc)
        found = self._by_host.get(host)
        if found is None:
            with requests.Session() as reader:  # trusts the environment, as by default
                merged = reader.merge_environment_settings(url, {}, None, None, None)
            found = {"proxies": dict(merged["proxies"]), "verify": merged["verify"]}
            self._by_host[host] = found
        return found

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
        for name, value in self._environment(url).items():
            kwargs.setdefault(name, value)
        kind = CREATE if creates else READ if method.upper() in ("GET", "HEAD") else WRITE
        self.gate.before(self.account, self.platform, kind)
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
        self.gate.after(self.account, self.platform, kind, response.status_code, response.headers)
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
