"""The sandbox: a local outbox that takes every field, for trying a campaign end to end.

An account may make it stand in for another platform (``as_platform``): it then counts,
checks and writes what that platform's publisher would send.
"""

from __future__ import annotations

from scheduler.descriptors.base import Dedupe, Descriptor, count_graphemes, register
from scheduler.descriptors.setting import Setting
from scheduler.text.base import MediaLimits

SANDBOX = register(
    Descriptor(
        name="sandbox",
        label="Sandbox",
        counter=count_graphemes,
        unit="characters",
        max_chars=5000,  # only a generous sanity limit
        media=MediaLimits(max_media=4, max_image_bytes=16_777_216, max_alt_chars=1500),
        content_warning=True,
        link_cards=True,
        language=True,
        stories=True,  # a story is written to the outbox like any post
        settings=("as_platform", "max_chars"),
        setting_rules=(Setting("max_chars", number=(1, 100_000)),),
        limit_setting="max_chars",
        dedupe=Dedupe(key="outbox file name", lookup=True),
        publisher="scheduler.platforms.sandbox:create",
        stands_in=True,
    )
)
