"""Drafts that wait on others (``after:``), on the daemon's side.

A draft that waits is not claimed until every draft it waits on is published (the claim
condition, ``ledger.after.waits_over``). Once claimed, the address the ledger recorded for
the waited-on draft's first part takes the place of the stand-in in its text (``fill``):
that address never changes once recorded, so an attempt resumed after a crash sends the same
text, under the same idempotency keys (they are taken over the approved hash, which covers
everything but the address). The text is counted again with the real address; one that no
longer fits is not sent (``NoLongerFits``), rather than cut by the platform.

While a due draft waits on one that failed, was missed, has an unknown outcome, or is held
or paused, a person is told, naming both (``stuck`` and ``waiting_notice``). A dependant
keeps its own lateness rules: if what it waits on goes out late but within the dependant's
window, the dependant goes out then; after its window it is missed, saying what it waited on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from scheduler import descriptors
from scheduler.daemon.report import Reporter
from scheduler.daemon.request import NotPublishable
from scheduler.descriptors import Descriptor
from scheduler.descriptors.fits import MediaFacts, part_misfits
from scheduler.draft import Draft, DraftKey
from scheduler.errors import LedgerError
from scheduler.ledger.base import Ledger, Wait
from scheduler.notify.base import Notice
from scheduler.platforms.base import PublishRequest
from scheduler.text import facets


class WaitingOn(Exception):
    """Claimed, but a draft it waits on is not published (it was resolved back meanwhile)."""


class NoLongerFits(NotPublishable):
    """With the real address the text is over the platform's limit: not sent."""


def addresses(ledger: Ledger, draft: Draft) -> dict[str, str]:
    """The real address for each stand-in in ``draft``'s text; WaitingOn if one is not live."""
    found: dict[str, str] = {}
    by_key = {w.key: w for w in ledger.waits(draft.key)}
    for a in draft.after:
        wait = by_key.get(DraftKey(draft.campaign, a.post_id, a.account))
        if wait is None or not wait.over:
            raise WaitingOn(f"{draft.key} waits on {draft.campaign}/{a.post_id}@{a.account}")
        if not a.placeholder:
            continue
        if not wait.url:
            raise NotPublishable(
                f"{draft.key}: {a.post_id}@{a.account} is published but no address was "
                "recorded for it, so its address cannot go in this post",
                hint=f"run `scheduler resolve` for {a.post_id} with --published URL",
            )
        found[a.placeholder] = wait.url
    return found


def fill(ledger: Ledger, draft: Draft, request: PublishRequest) -> PublishRequest:
    """``request`` with the real addresses in place of the stand-ins, counted again."""
    if not draft.after:
        return request
    urls = addresses(ledger, draft)
    if not urls:
        return request
    # Imported on use: the render package brings Jinja2 and markdown-it, which the running
    # daemon leaves to its loader process until a post waits on another.
    from scheduler.render.after import substitute

    texts = substitute(draft.parts, draft.after, urls)
    rules = descriptors.find(draft.platform)
    parts = []
    for index, (part, text) in enumerate(zip(request.parts, texts, strict=True)):
        if rules is not None and _grew(rules, part.text, text, request.content_warning):
            # Checked again only where the address takes more than the room kept: the text
            # fitted with the stand-in (``check``), against the account's own limit, which
            # the publisher's pre-flight applies too.
            media = [MediaFacts(m.file.name, m.mime, m.size, m.alt) for m in part.media]
            for misfit in part_misfits(rules, index, text, media, request.content_warning):
                if misfit.count is not None:
                    raise NoLongerFits(
                        f"{draft.key}: held, not sent: with the real address of "
                        f"{_waited(draft)} part {index + 1} is too long for {rules.label} "
                        f"({misfit.count})",
                        hint="shorten the text or give the post a larger url_max; the edit "
                        "goes back to review",
                    )
        new_facets = part.facets
        if rules is not None and rules.facets:  # offsets move with the address
            new_facets = tuple((f.kind, f.start, f.end, f.value) for f in facets(text))
        parts.append(replace(part, text=text, facets=new_facets))
    return replace(request, parts=tuple(parts))


def _grew(rules: Descriptor, before: str, after: str, content_warning: str | None) -> bool:
    if rules.stands_in:
        return False  # a sandbox's rules are those of the platform it stands in for
    old, new = rules.count(before, content_warning), rules.count(after, content_warning)
    return new.used > old.used or (new.extra_used or 0) > (old.extra_used or 0)


def _waited(draft: Draft) -> str:
    return ", ".join(sorted({a.post_id for a in draft.after if a.placeholder}))


def still_waits(
    ledger: Ledger,
    reporter: Reporter,
    pause_of: Callable[[str], object | None],
    key: DraftKey,
    now: datetime,
) -> list[Wait]:
    """What ``key`` still waits on; a person is told, once, of each one that will not be
    published without one (failed, missed, outcome unknown, gone), or whose account is
    paused or held (``pause_of`` an account: its pause in force, or None)."""
    try:
        pending = [w for w in ledger.waits(key) if not w.over]
    except LedgerError:
        return []
    for wait in pending:
        paused = pause_of(wait.key.account) is not None
        if wait.needs_person or paused:
            reporter.notice(
                waiting_notice(key, wait, now, paused=paused),
                once_key=f"{wait.key}:{wait.state}",
            )
    return pending


def waiting_notice(key: DraftKey, wait: Wait, now: datetime, *, paused: bool) -> Notice:
    state = "not in the ledger" if wait.state is None else str(wait.state)
    if paused and not wait.needs_person:
        state = f"{state}, its account is paused or held"
    return Notice(
        kind="waiting_on",
        draft=str(key),
        summary=f"waiting on {wait.key} ({state}): it goes out only once that is published",
        when=now,
        detail=f"settle {wait.key} first (`scheduler status`, then `scheduler resolve` or a "
        "fix and a new approval); this post follows within its own window",
    )
