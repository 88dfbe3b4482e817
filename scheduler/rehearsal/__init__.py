"""``scheduler rehearse``: a campaign's real week, run ahead of time in simulated time."""

from __future__ import annotations

from scheduler.rehearsal.base import KINDS, Problem, Rehearsal, RehearsalError, Slot, TokenInfo
from scheduler.rehearsal.run import Setup, rehearse

__all__ = [
    "KINDS",
    "Problem",
    "Rehearsal",
    "RehearsalError",
    "Setup",
    "Slot",
    "TokenInfo",
    "rehearse",
]
