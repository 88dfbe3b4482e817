"""One descriptor per platform: every fact the rest of the scheduler asks about it.

Importing this package registers the platforms shipped here, in the order the help texts
list them.
"""

from __future__ import annotations

import importlib

from scheduler.descriptors.base import (
    Dedupe,
    Descriptor,
    Quota,
    RateLimits,
    descriptors,
    destination_of,
    endpoint_of,
    find,
    get,
    label_of,
    names,
    register,
    rules_of,
    stand_in,
    unregister,
)
from scheduler.descriptors.setting import Setting, SettingRefused

__all__ = [
    "Dedupe",
    "Descriptor",
    "Quota",
    "RateLimits",
    "Setting",
    "SettingRefused",
    "descriptors",
    "destination_of",
    "endpoint_of",
    "find",
    "get",
    "label_of",
    "names",
    "register",
    "rules_of",
    "stand_in",
    "unregister",
]

# The order the help texts list them in.
SHIPPED = (
    "x",
    "mastodon",
    "bluesky",
    "linkedin",
    "facebook",
    "instagram",
    "threads",
    "wordpress",
    "sandbox",
)
for _module in SHIPPED:
    importlib.import_module(f"scheduler.descriptors.{_module}")
