"""Campaign files: the model, the loader and time resolution.

``load_campaign(path)`` is the entry point; everything a caller needs is re-exported here.
"""

from __future__ import annotations

from scheduler.campaign.account import Account
from scheduler.campaign.loader import load_campaign
from scheduler.campaign.model import (
    ApprovalPolicy,
    Campaign,
    CareSettings,
    Defaults,
    LinkSpec,
    MediaItem,
    Member,
    PartSpec,
    Post,
    RuleSetting,
    Variant,
)
from scheduler.campaign.problems import Problem

__all__ = [
    "Account",
    "ApprovalPolicy",
    "Campaign",
    "CareSettings",
    "Defaults",
    "LinkSpec",
    "MediaItem",
    "Member",
    "PartSpec",
    "Post",
    "Problem",
    "RuleSetting",
    "Variant",
    "load_campaign",
]
