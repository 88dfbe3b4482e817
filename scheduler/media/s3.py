"""Public media in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Backblaze B2).

Each file is uploaded once under its content-addressed name (``<prefix><sha256>.<ext>``) with
its Content-Type, and handed out as a presigned GET URL that expires after ``expires`` seconds
(an hour by default; S3 refuses more than seven days). The bucket itself stays private: only
someone holding a fresh URL can read one file. Requests are signed with SigV4; ``path_style``
puts the bucket in the path (``https://host/bucket/key``), which MinIO and most self-hosted
servers need.

The credentials come from the credential store (the ``media-s3`` entry: environment
``SCHEDULER_SECRET_MEDIA_S3_ACCESS_KEY_ID`` and ``..._SECRET_ACCESS_KEY``, or the secrets
file), else from boto3's own chain (``AWS_ACCESS_KEY_ID``, ``~/.aws``, an instance role).
Either way they are registered with ``scheduler.redact`` before any request is made, and a
presigned URL is only ever shown without its query (``names.shown``). botocore's errors are
translated here: a missing bucket or refused credentials are a ConfigError, anything that may
pass (a connection refused, a timeout, a 5xx) is Transient.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from scheduler.errors import ConfigError, SchedulerError
from scheduler.media.config import S3Config, S3Keys
from scheduler.media.names import public_name, shown
from scheduler.media.verify import Preflight
from scheduler.platforms.base import MediaUpload, Transient
from scheduler.redact import filter_loggers, register

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Codes that will not change by waiting: the operator must fix the bucket or the keys.
_CONFIG_CODES = frozenset(
    {
        "NoSuchBucket",
        "AccessDenied",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidBucketName",
        "AuthorizationHeaderMalformed",
        "PermanentRedirect",
        "403",
    }
)


class S3Media:
    """``PublicMedia`` in an S3-compatible bucket."""

    def __init__(
        self,
        config: S3Config,
        *,
        keys: S3Keys | None = None,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        filter_loggers(("botocore", "boto3", "urllib3"))
        if keys is not None:
            register(keys.access_key_id, keys.secret_access_key, keys.session_token)
        try:
            boto = boto3.session.Session(
                aws_access_key_id=keys.access_key_id if keys else None,
                aws_secret_access_key=keys.secret_access_key if keys else None,
                aws_session_token=keys.session_token if keys else None,
                region_name=config.region,
            )
            found = boto.get_credentials()
            if found is None:
                raise ConfigError(
                    f"no credentials for the S3 bucket {config.bucket}",
                    hint="set SCHEDULER_SECRET_MEDIA_S3_ACCESS_KEY_ID and "
                    "SCHEDULER_SECRET_MEDIA_S3_SECRET_ACCESS_KEY, or [accounts.media-s3] "
                    "in the secrets file",
                )
            frozen = found.get_frozen_credentials()
            register(frozen.access_key, frozen.secret_key, frozen.token)
            self._client: S3Client = boto.client(
                "s3",
                endpoint_url=config.endpoint_url,
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path" if config.path_style else "virtual"},
                    connect_timeout=timeout,
                    read_timeout=timeout,
                    retries={"max_attempts": 2, "mode": "standard"},
                ),
            )
            # Made locally, without a request: the host every URL of this bucket is on.
            sample = self._presign(config.prefix + "0" * 64 + ".png")
        except BotoCoreError as exc:
            raise ConfigError(
                f"the S3 settings for bucket {config.bucket} are not usable ({exc})"
            ) from exc
        self._preflight = Preflight(_base(sample), timeout=timeout, session=session)

    def url_for(self, upload: MediaUpload, *, account: str) -> str:
        key = self.config.prefix + public_name(upload.sha256, upload.mime)
        try:
            if not self._has(key, upload):
                self._put(key, upload, account)
            url = self._presign(key)
        except ClientError as exc:
            raise self._translate(exc, key, account) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise ConfigError(f"public media for {account}: S3 credentials: {exc}") from exc
        except BotoCoreError as exc:
            kind = (
                "cannot be reached"
                if isinstance(exc, (HTTPClientError, BotoConnectionError))
                else "failed"
            )
            raise Transient(
                f"public media for {account}: the S3 bucket {self.config.bucket} {kind} "
                f"({type(exc).__name__}); nothing was sent to the platform"
            ) from exc
        self._preflight.check(url, upload, account=account)
        return url

    # --- the bucket --------------------------------------------------------------------------

    def _has(self, key: str, upload: MediaUpload) -> bool:
        """The object exists with these bytes (its size and recorded digest) and type."""
        try:
            head = self._client.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return (
            head.get("ContentLength") == upload.size
            and head.get("ContentType", "").lower() == upload.mime.lower()
            and head.get("Metadata", {}).get("sha256") == upload.sha256.lower()
        )

    def _put(self, key: str, upload: MediaUpload, account: str) -> None:
        """Upload the file, streamed (a video may be large), if it still is what was approved."""
        try:
            with open(upload.file, "rb") as fh:
                digest = hashlib.sha256()
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                if digest.hexdigest() != upload.sha256.lower():
                    raise Transient(
                        f"public media for {account}: {upload.file.name} changed since it was "
                        "approved; not uploaded"
                    )
                fh.seek(0)
                self._client.put_object(
                    Bucket=self.config.bucket,
                    Key=key,
                    Body=fh,
                    ContentLength=upload.size,
                    ContentType=upload.mime,
                    Metadata={"sha256": upload.sha256.lower()},
                )
        except OSError as exc:
            raise Transient(
                f"public media for {account}: {upload.file.name} cannot be read ({exc.strerror})"
            ) from exc

    def _presign(self, key: str) -> str:
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.config.bucket, "Key": key},
            ExpiresIn=self.config.expires,
        )
        return url

    def _translate(self, exc: ClientError, key: str, account: str) -> SchedulerError:
        code = _code(exc)
        bucket = self.config.bucket
        where = f"public media for {account}: S3 bucket {bucket}"
        if code == "NoSuchBucket":
            return ConfigError(
                f"{where} does not exist at {self._endpoint()}",
                hint="create it, or correct SCHEDULER_MEDIA_S3_BUCKET and _ENDPOINT",
            )
        if code in _CONFIG_CODES:
            return ConfigError(
                f"{where} refused the request ({code})",
                hint="check the media-s3 credentials and that they may read and write "
                f"{self.config.prefix or 'the bucket'}",
            )
        return Transient(
            f"{where} answered {code} for {key}; nothing was sent to the platform",
            status=_status(exc),
        )

    def _endpoint(self) -> str:
        return shown(self._client.meta.endpoint_url)


def _code(exc: ClientError) -> str:
    error: Any = exc.response.get("Error", {})
    return str(error.get("Code", "")) or str(_status(exc) or "")


def _status(exc: ClientError) -> int | None:
    meta: Any = exc.response.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    return int(status) if status else None


def _base(url: str) -> str:
    """The scheme and host of a URL (where the preflight may go)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].split('?', 1)[0]}"
