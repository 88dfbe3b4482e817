"""The descriptors agree with themselves: what one fact names, another holds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler import descriptors
from scheduler.descriptors import Descriptor
from scheduler.descriptors.fits import part_misfits
from scheduler.errors import UsageError
from scheduler.platforms import factory_for

ALL = [pytest.param(d, id=d.name) for d in descriptors.descriptors()]


@pytest.mark.parametrize("descriptor", ALL)
def test_settings_named_by_other_facts_are_settings(descriptor: Descriptor) -> None:
    named = {name for name, _ in descriptor.required}
    if descriptor.endpoint_setting is not None:
        named.add(descriptor.endpoint_setting)
    assert named <= set(descriptor.settings)


@pytest.mark.parametrize("descriptor", ALL)
def test_limits_and_quotas_are_positive(descriptor: Descriptor) -> None:
    media = descriptor.media
    assert descriptor.max_chars > 0 and media.max_media > 0 and media.max_alt_chars > 0
    assert all(q.requests > 0 and q.per.total_seconds() > 0 for q in descriptor.rate_limits.quotas)
    limits = descriptor.rate_limits
    assert limits.reset_header is None or limits.reset_header in limits.headers
    assert limits.reset_format in ("epoch", "iso8601", "seconds")


@pytest.mark.parametrize("descriptor", ALL)
def test_what_dedupes_a_post_is_said(descriptor: Descriptor) -> None:
    dedupe = descriptor.dedupe
    if descriptor.preview_only:
        return
    # Without a key of ours the only protection is looking on the account.
    assert dedupe.key is not None or dedupe.lookup
    assert dedupe.window is None or dedupe.window.total_seconds() > 0


@pytest.mark.parametrize("descriptor", ALL)
def test_a_card_beside_images_needs_cards(descriptor: Descriptor) -> None:
    assert descriptor.card_beside_images or descriptor.link_cards


@pytest.mark.parametrize("descriptor", ALL)
def test_a_platform_without_threads_refuses_a_second_part(descriptor: Descriptor) -> None:
    # The daemon posts a thread part by part, each replying to the one before; where the
    # platform has no threads, the one rule refuses a second part (``check`` and preflight).
    found = part_misfits(descriptor, 1, "two", [])
    assert any(m.kind == "thread" for m in found) is not descriptor.threads


def test_the_default_endpoint_is_https() -> None:
    for descriptor in descriptors.descriptors():
        assert descriptor.default_endpoint is None or descriptor.default_endpoint.startswith(
            "https://"
        )


def test_a_preview_only_platform_says_it_cannot_be_sent_to() -> None:
    """A platform known by its facts before it has a publisher (none ships as one now, so
    one is made here from another's facts)."""
    made = replace(
        descriptors.get("mastodon"), name="preview-only", publisher=None, preview_only=True
    )
    descriptors.register(made)
    try:
        with pytest.raises(UsageError, match="not yet published to"):
            factory_for(made.name)
    finally:
        descriptors.unregister(made.name)
