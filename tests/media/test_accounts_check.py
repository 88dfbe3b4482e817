"""``scheduler accounts check`` tries the public media host for the accounts whose platform
fetches images from a URL: a bucket gets a probe image back, a missing bucket is a problem,
and no host at all is a note (text posts still work)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler import descriptors
from scheduler.cli import main
from scheduler.credentials import env_name
from tests.fakes.s3 import MotoS3
from tests.pigeon.descriptor import PIGEON
from tests.pigeon.fake import FakeLoft

# Pigeon Post, but fetching its images from a URL as Instagram and Threads do.
FETCHING = replace(PIGEON, name="fetching-pigeon", media_by_url=True)

CAMPAIGN = """\
id: fetching
title: Fetching pigeons
timezone: Etc/UTC
language: en
accounts:
  loft: {{platform: fetching-pigeon, loft: "{loft}"}}
team:
  - {{name: Ana, email: ana@example.org}}
posts:
  - {{id: hello, day: 1, time: "09:00", text: "Hello"}}
week_start: 2026-05-11
"""


@pytest.fixture
def loft(monkeypatch: pytest.MonkeyPatch, data_home: Path) -> Iterator[FakeLoft]:
    descriptors.register(FETCHING)
    with FakeLoft() as fake:
        monkeypatch.setenv(env_name("loft", "token"), fake.token)  # type: ignore[attr-defined]
        yield fake  # type: ignore[misc]
    descriptors.unregister(FETCHING.name)


def check(tmp_path: Path, loft: FakeLoft, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    folder = tmp_path / "campaign"
    folder.mkdir()
    (folder / "campaign.yaml").write_text(CAMPAIGN.format(loft=loft.base_url), encoding="utf-8")
    code = main(["accounts", "check", str(folder), "--timeout", "2"])
    out = capsys.readouterr()
    return code, out.out + out.err


def use_bucket(monkeypatch: pytest.MonkeyPatch, moto: MotoS3, bucket: str) -> None:
    for name, value in {
        "SCHEDULER_MEDIA_HOST": "s3",
        "SCHEDULER_MEDIA_S3_BUCKET": bucket,
        "SCHEDULER_MEDIA_S3_ENDPOINT": moto.endpoint,
        "SCHEDULER_MEDIA_S3_REGION": "us-east-1",
        "SCHEDULER_MEDIA_S3_PATH_STYLE": "1",
        env_name("media-s3", "access_key_id"): moto.keys.access_key_id,
        env_name("media-s3", "secret_access_key"): moto.keys.secret_access_key,
    }.items():
        monkeypatch.setenv(name, value)


def test_a_working_bucket_is_said_after_a_probe_image_went_round(
    loft: FakeLoft,
    moto_s3: MotoS3,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bucket = moto_s3.bucket()
    use_bucket(monkeypatch, moto_s3, bucket)
    code, said = check(tmp_path, loft, capsys)
    assert code == 0, said
    assert f"public media: bucket {bucket} takes an image and hands it back" in said
    assert len(moto_s3.client().list_objects_v2(Bucket=bucket)["Contents"]) == 1


def test_a_missing_bucket_is_a_problem_of_the_account(
    loft: FakeLoft,
    moto_s3: MotoS3,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_bucket(monkeypatch, moto_s3, "never-created")
    code, said = check(tmp_path, loft, capsys)
    assert code == 1, said
    assert "never-created does not exist" in said


def test_no_host_is_a_note(
    loft: FakeLoft, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = check(tmp_path, loft, capsys)
    assert code == 0, said
    assert "posts with images need a public media host: set SCHEDULER_MEDIA_HOST" in said
