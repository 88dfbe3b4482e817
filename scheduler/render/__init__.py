"""Campaign to Drafts: one Draft per (post, account), exactly as it would be sent.

``render_campaign(campaign)`` is the entry point (see ``drafts`` for how a text is built);
``templates`` holds the sandboxed Jinja2 environment and its filters, ``sandbox`` makes that
environment keep within the ``budgets`` of a text (depth, size, loops, time).
"""

from __future__ import annotations

from scheduler.render.budgets import Limits
from scheduler.render.drafts import Renderer, hashtag_line, render_campaign
from scheduler.render.templates import camelcase, hashtag, join_and, make_environment

__all__ = [
    "Limits",
    "Renderer",
    "camelcase",
    "hashtag",
    "hashtag_line",
    "join_and",
    "make_environment",
    "render_campaign",
]
