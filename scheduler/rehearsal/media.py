"""The rehearsal's check of public media: posts with images on a platform that fetches them
from a URL (Instagram, Threads) need the operator's media host, and a setting that is wrong.

The week itself runs against simulated platforms, which fetch nothing, so the host is not
called here: ``scheduler accounts check`` and the daemon's pre-flight do that. What can be
known without calling it is said before the week, not when the first such post fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from scheduler import descriptors
from scheduler.accounts import AccountSpec
from scheduler.draft import Draft
from scheduler.errors import ConfigError
from scheduler.media.config import media_settings
from scheduler.rehearsal.base import Problem
from scheduler.rehearsal.simulate import simulated_platform


def media_problems(
    drafts: Sequence[Draft],
    accounts: Mapping[str, AccountSpec],
    env: Mapping[str, str],
    path: Path | str,
) -> list[Problem]:
    """One problem per account whose images would have no public address, or one for
    settings that do not hold together."""
    needing: dict[str, list[Draft]] = {}
    for draft in drafts:
        spec = accounts.get(draft.account)
        if spec is None or not any(part.media for part in draft.parts):
            continue
        if descriptors.get(simulated_platform(spec)).media_by_url:
            needing.setdefault(draft.account, []).append(draft)
    if not needing:
        return []
    try:
        host = media_settings(env).host
    except ConfigError as exc:
        return [
            Problem(
                kind="media_host",
                cause=f"the public media settings are wrong: {exc}",
                fix="correct them (see the README's Public media section), then rehearse again",
            )
        ]
    if host is not None:
        return []
    found: list[Problem] = []
    for account, posts in sorted(needing.items()):
        first = min(posts, key=lambda d: d.due)
        platform = simulated_platform(accounts[account])
        found.append(
            Problem(
                kind="media_host",
                account=account,
                post=first.post_id,
                at=first.due,
                cause=(
                    f"{len(posts)} post(s) of {account} have images, which {platform} fetches "
                    "from a public address, and no public media host is set; they would fail"
                ),
                fix=(
                    "set SCHEDULER_MEDIA_HOST=s3 (a bucket) or site (the review site over "
                    f"https), then run `scheduler accounts check {path}`"
                ),
            )
        )
    return found
