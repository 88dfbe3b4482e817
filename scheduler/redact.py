"""Credentials out of every text the scheduler writes: logs, errors, the ledger, notices, pages.

This is the one place that knows what a credential looks like. It sits beneath every other
module (it imports nothing from the package) so that the error tree itself can scrub each
message as it is made, and every edge that writes text (the event log, the ledger's error
columns, notices, the review pages, ``status``) passes what it writes through ``redact``.

Two kinds of knowledge:

* values: every secret the credential store hands out, and the tokens a publisher obtains
  later (sessions, refreshed pairs), are registered here as they appear. Their URL-encoded
  forms and the base64 of secret pairs (``client_id:client_secret``, as HTTP Basic sends
  them) are masked too; so is any base64 run that decodes to text holding a registered
  value, whichever way a server chose to echo it.
* shapes: ``Authorization`` headers (Basic, Bearer, OAuth 1.0a), credential fields in
  query strings, forms and JSON (``access_token=...``, ``"refreshJwt": "..."``), the
  userinfo of a URL (``https://user:pw@host``, ``https://token@host``) and webhook URLs whose
  path is the secret.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
# Shorter values would blank out ordinary words wherever they occur.
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_values: set[str] = set()
_ordered: tuple[str, ...] = ()  # longest first, so a secret inside another goes with it

# Fields whose value is a credential, in a query string, a form, JSON or a Python repr.
_FIELDS = (
    r"access_token|refresh_token|id_token|client_secret|code_verifier|app_password|password"
    r"|passwd|secret|api_key|apikey|api_secret|token|oauth_token|oauth_token_secret"
    r"|oauth_signature|oauth_consumer_key|oauth_verifier|accessJwt|refreshJwt|jwt"
    # An S3 presigned URL's signature, the key that made it and a temporary session's token.
    r"|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token"
)
_FIELD_NAMES = tuple(name.lower() for name in _FIELDS.split("|"))
_EXPLICIT = (
    r"access_token|refresh_token|client_secret|code_verifier|app_password|oauth_token_secret"
    r"|accessJwt|refreshJwt"
)
_EXPLICIT_NAMES = tuple(name.lower() for name in _EXPLICIT.split("|"))
# Each shape with the words (lower-case) without which it cannot match: most texts hold none
# of them, and a substring test is far cheaper than a regular expression's scan.
_SHAPES: list[tuple[tuple[str, ...], re.Pattern[str], str]] = [
    # "Authorization: Basic abc=", "'authorization': 'OAuth oauth_nonce=...'": the whole value.
    (
        ("authorization",),
        re.compile(r"(?i)(?P<keep>\b(?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\r\n}]+"),
        r"\g<keep>" + MASK,
    ),
    (
        ("bearer", "basic", "dpop"),
        re.compile(r"(?i)(?P<keep>\b(?:bearer|basic|dpop)\s+)[A-Za-z0-9._~+/=%-]{6,}"),
        r"\g<keep>" + MASK,
    ),
    (("oauth",), re.compile(r"(?P<keep>\bOAuth\s+)oauth_[^\r\n'\"}]*"), r"\g<keep>" + MASK),
    # JSON or a repr: "name": "value"; a query string or form: name=value.
    (
        _FIELD_NAMES,
        re.compile(rf"(?i)(?P<keep>['\"](?:{_FIELDS})['\"]\s*:\s*['\"]?)[^'\"&\s,;}}]+"),
        r"\g<keep>" + MASK,
    ),
    (
        _FIELD_NAMES,
        re.compile(rf"(?i)(?P<keep>(?<![A-Za-z0-9])(?:{_FIELDS})=['\"]?)[^'\"&\s,;}}]+"),
        r"\g<keep>" + MASK,
    ),
    # "access_token: abc" in a header dump or YAML-like text: only names that cannot be words.
    (
        _EXPLICIT_NAMES,
        re.compile(rf"(?i)(?P<keep>(?<![A-Za-z0-9])(?:{_EXPLICIT})\s*:\s*)[^'\"&\s,;}}]+"),
        r"\g<keep>" + MASK,
    ),
    # Webhook URLs whose path is the credential.
    (
        ("hooks.slack.com", "discord"),
        re.compile(
            r"(?i)(?P<keep>https?://(?:hooks\.slack\.com|discord(?:app)?\.com/api/webhooks))/\S+"
        ),
        r"\g<keep>/" + MASK,
    ),
]
# scheme://user:password@host keeps the user; http(s)://token@host loses the whole userinfo.
_USERINFO = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s?#]*)(?P<pw>:[^@/\s?#]*)?@", re.I
)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


# --- registering ------------------------------------------------------------------------------


def register(*values: str | None) -> None:
    """Mask these values (and their URL-encoded forms) wherever they appear from now on."""
    global _ordered
    fresh = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    forms = fresh | {quote(v, safe="") for v in fresh}
    with _lock:
        if forms <= _values:
            return
        _values.update(forms)
        _ordered = tuple(sorted(_values, key=len, reverse=True))


def register_pair(first: str | None, second: str | None) -> None:
    """Mask the base64 forms of ``first:second``, as HTTP Basic sends a client's id and secret."""
    if not first or not second:
        return
    joined = {f"{first}:{second}", f"{quote(first, safe='')}:{quote(second, safe='')}"}
    encoded: list[str] = []
    for raw in joined:
        data = raw.encode("utf-8")
        encoded += [base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()]
    register(*encoded, *(e.rstrip("=") for e in encoded))


# --- masking ----------------------------------------------------------------------------------


def _userinfo(match: re.Match[str]) -> str:
    if match["pw"] is not None:
        return f"{match['head']}{match['user']}:{MASK}@"
    if match["head"].lower().startswith("http"):
        return f"{match['head']}{MASK}@"  # a web address's lone userinfo is a token
    return match.group(0)  # a database user without a password names, it does not unlock


def _decodes_to_secret(match: re.Match[str], secrets: tuple[str, ...]) -> str:
    run = match.group(0)
    padded = run + "=" * (-len(run) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            text = decode(padded).decode("utf-8", "ignore")
        except (binascii.Error, ValueError):
            continue
        if any(s in text for s in secrets):
            return MASK
    return run


def redact(text: str | None) -> str:
    """``text`` with every credential replaced by ``***``; None becomes ""."""
    if not text:
        return ""
    with _lock:
        secrets = _ordered
    for value in secrets:
        if value in text:
            text = text.replace(value, MASK)
    if "@" in text:
        text = _USERINFO.sub(_userinfo, text)
    lowered = text.lower()
    for words, pattern, replacement in _SHAPES:
        if any(word in lowered for word in words):
            text = pattern.sub(replacement, text)
    if secrets:
        text = _BASE64_RUN.sub(lambda m: _decodes_to_secret(m, secrets), text)
    return text


def redact_optional(text: str | None) -> str | None:
    """Like ``redact`` but keeps None as None (nullable columns and fields)."""
    return None if text is None else redact(text)


# --- logging ----------------------------------------------------------------------------------


class LogFilter(logging.Filter):
    """Rewrites each record's message with credentials masked; never drops a record."""

    def __init__(self) -> None:
        super().__init__("redact")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not a leak
            return True
        clean = redact(message)
        if clean != message:
            record.msg = clean
            record.args = None
        return True


_FILTER = LogFilter()
_filtered: set[str] = set()


def filter_loggers(names: Iterable[str]) -> LogFilter:
    """Put the redacting filter on these loggers (foreign libraries log headers); idempotent."""
    with _lock:
        for name in names:
            if name not in _filtered:
                logging.getLogger(name).addFilter(_FILTER)
                _filtered.add(name)
    return _FILTER
