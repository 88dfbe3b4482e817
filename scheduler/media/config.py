"""The operator's choice of public media host, read from the ``SCHEDULER_MEDIA_*`` settings.

    SCHEDULER_MEDIA_HOST           s3 | site (unset: no public media; Instagram and Threads
                                   posts with images then fail with a clear message)
    SCHEDULER_MEDIA_S3_BUCKET      the bucket (required for s3)
    SCHEDULER_MEDIA_S3_ENDPOINT    the provider's endpoint (unset: AWS)
    SCHEDULER_MEDIA_S3_REGION      the bucket's region (R2: auto)
    SCHEDULER_MEDIA_S3_PREFIX      a folder in the bucket for the files
    SCHEDULER_MEDIA_S3_EXPIRES     seconds a presigned URL lasts (3600 to 604800; 3600)
    SCHEDULER_MEDIA_S3_PATH_STYLE  bucket in the path rather than the host name (MinIO)
    SCHEDULER_MEDIA_SITE_URL       the review site's public https address (required for site)

Each value is checked by ``scheduler.settings.read`` (its type and range); the combination is
checked here, so that a setting for the other host, or a host without its one required
setting, is one clear line before anything is published.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from scheduler.credentials import CredentialStore
from scheduler.errors import ConfigError
from scheduler.platforms.public_media import PublicMedia
from scheduler.settings import MEDIA_PREFIX, VARIABLES, api_base, family

CREDENTIALS_ENTRY = "media-s3"
DEFAULT_EXPIRES = 3600
# The platforms may fetch a while after the container is made; SigV4 presigned URLs cannot
# live longer than seven days. The settings table holds the bounds.
_EXPIRES = VARIABLES[MEDIA_PREFIX + "S3_EXPIRES"]
MIN_EXPIRES = int(_EXPIRES.low or 0)
MAX_EXPIRES = int(_EXPIRES.high or 0)


@dataclass(frozen=True, slots=True)
class S3Config:
    """Where the bucket is and how its URLs are made."""

    bucket: str
    endpoint_url: str | None = None  # None: AWS itself; else the provider's https endpoint
    region: str | None = None
    prefix: str = ""  # a folder in the bucket, e.g. "campaign-media/"
    expires: int = DEFAULT_EXPIRES  # seconds a presigned URL stays valid
    path_style: bool = False

    def __post_init__(self) -> None:
        if not self.bucket.strip():
            raise ConfigError("the S3 bucket name is empty")
        if not MIN_EXPIRES <= self.expires <= MAX_EXPIRES:
            raise ConfigError(
                f"a presigned URL must last from {MIN_EXPIRES} to {MAX_EXPIRES} seconds, "
                f"not {self.expires}",
                hint="an hour (3600) is enough for the platforms to fetch an image",
            )


@dataclass(frozen=True, slots=True)
class S3Keys:
    """An access key pair (and a session token for temporary credentials)."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return "S3Keys(***)"


def keys_from(store: CredentialStore) -> S3Keys | None:
    """The ``media-s3`` entry of the credential store, or None when it has none (then boto3's
    own chain is used)."""
    fields = store.fields(CREDENTIALS_ENTRY)
    if not fields.get("access_key_id") and not fields.get("secret_access_key"):
        return None
    have = store.require(CREDENTIALS_ENTRY, "access_key_id", "secret_access_key")
    token = have.get("session_token")
    return S3Keys(
        have["access_key_id"].reveal(),
        have["secret_access_key"].reveal(),
        token.reveal() if token else None,
    )


HOSTS = ("s3", "site")
_PREFIX_CHARS = re.compile(r"^[A-Za-z0-9._/-]*$")


@dataclass(frozen=True, slots=True)
class MediaSettings:
    """What the settings say; ``host`` None when the operator chose none."""

    host: str | None
    s3: S3Config | None = None
    site_url: str | None = None


def media_settings(env: Mapping[str, str]) -> MediaSettings:
    """The public media settings in ``env``, checked; ConfigError naming what to change."""
    found = family(MEDIA_PREFIX, env)
    host = found.pop("host", None)
    if host is None:
        if found:
            names = ", ".join(MEDIA_PREFIX + name.upper() for name in sorted(found))
            raise ConfigError(
                f"{names} set without {MEDIA_PREFIX}HOST",
                hint=f"set {MEDIA_PREFIX}HOST to s3 or site",
            )
        return MediaSettings(None)
    host = str(host).lower()
    if host not in HOSTS:
        raise ConfigError(f"{MEDIA_PREFIX}HOST={host!r} is not a media host; allowed: s3, site")
    if host == "site":
        _only(found, "site_", host)
        url = found.get("site_url")
        if not url:
            raise ConfigError(
                f"{MEDIA_PREFIX}HOST=site needs {MEDIA_PREFIX}SITE_URL",
                hint="the review site's public https address, e.g. https://review.example.org",
            )
        name = MEDIA_PREFIX + "SITE_URL"
        return MediaSettings(host, site_url=api_base(name, str(url)))
    _only(found, "s3_", host)
    bucket = found.get("s3_bucket")
    if not bucket:
        raise ConfigError(f"{MEDIA_PREFIX}HOST=s3 needs {MEDIA_PREFIX}S3_BUCKET")
    raw_endpoint = found.get("s3_endpoint")
    endpoint_url = (
        api_base(MEDIA_PREFIX + "S3_ENDPOINT", str(raw_endpoint)) if raw_endpoint else None
    )
    return MediaSettings(
        host,
        s3=S3Config(
            bucket=str(bucket),
            endpoint_url=endpoint_url,
            region=str(found["s3_region"]) if "s3_region" in found else None,
            prefix=_prefix(str(found.get("s3_prefix", ""))),
            expires=int(found.get("s3_expires", DEFAULT_EXPIRES)),
            path_style=bool(found.get("s3_path_style", False)),
        ),
    )


def public_media(
    env: Mapping[str, str], credentials: CredentialStore, *, timeout: float = 30.0
) -> PublicMedia | None:
    """The public media host the settings in ``env`` choose, ready to use; None when none."""
    chosen = media_settings(env)
    # Imported only when chosen: boto3 takes a while to import, and most runs need no bucket.
    if chosen.s3 is not None:
        from scheduler.media.s3 import S3Media

        return S3Media(chosen.s3, keys=keys_from(credentials), timeout=timeout)
    if chosen.site_url is not None:
        from scheduler.media.site import SiteMedia

        return SiteMedia(chosen.site_url, timeout=timeout)
    return None


def _only(found: Mapping[str, object], prefix: str, host: str) -> None:
    other = sorted(name for name in found if not name.startswith(prefix))
    if other:
        names = ", ".join(MEDIA_PREFIX + name.upper() for name in other)
        raise ConfigError(
            f"{names} does not apply to {MEDIA_PREFIX}HOST={host}",
            hint="remove it, or choose the host it belongs to",
        )


def _prefix(value: str) -> str:
    """A folder in the bucket: no leading slash, one trailing slash (or empty)."""
    cleaned = value.strip().strip("/")
    if not _PREFIX_CHARS.match(cleaned) or ".." in cleaned.split("/"):
        raise ConfigError(
            f"{MEDIA_PREFIX}S3_PREFIX={value!r} is not a folder name",
            hint="use letters, digits, '.', '_', '-' and '/'",
        )
    return f"{cleaned}/" if cleaned else ""
