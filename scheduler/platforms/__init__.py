"""Platform publishers behind one protocol, chosen by the platform's descriptor.

A descriptor names its publisher as ``"module:factory"``; the module is imported only when a
publisher is built, so that ``check``, ``preview`` and ``plan`` never import tweepy or
requests.
"""

from __future__ import annotations

import importlib

from scheduler import descriptors
from scheduler.errors import UsageError
from scheduler.platforms.base import AccountSpec, PlatformContext, Publisher, PublisherFactory


def factory_for(platform: str) -> PublisherFactory:
    descriptor = descriptors.get(platform)
    if descriptor.publisher is None:
        sendable = ", ".join(d.name for d in descriptors.descriptors() if d.publisher)
        raise UsageError(
            f"{descriptor.label} can be previewed and checked, but not yet published to",
            hint=f"platforms the scheduler publishes to: {sendable}",
        )
    module_name, _, attr = descriptor.publisher.partition(":")
    factory: PublisherFactory = getattr(importlib.import_module(module_name), attr)
    return factory


def build_publisher(spec: AccountSpec, context: PlatformContext) -> Publisher:
    return factory_for(spec.platform)(spec, context)
