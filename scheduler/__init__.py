"""Campaign scheduler: plan posts as YAML, review the exact drafts, publish them exactly once."""

from __future__ import annotations

__version__ = "0.1.0"
