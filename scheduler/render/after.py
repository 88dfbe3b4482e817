"""The address of a post another one waits on, in that one's text: ``story('id').url``.

A post that says ``after: d1-story`` may write ``{{ story('d1-story').url }}``. The address
is not known until the story is live, so the draft holds a stand-in instead: a URL on a
reserved documentation domain, naming the post and account it stands for, padded to the
room the real address may take (``room``: the post's ``url_max``, else what the platform of
the post waited on foretells, else ``DEFAULT_URL_MAX``). Every count sees a URL there (a
platform that shortens URLs counts it at its fixed length; one that counts URLs in full
sees the padding, which reserves the room), the pages show where the address goes, and the
content hash covers everything but the address. The daemon swaps the stand-in for the
address the ledger recorded when the story went out (``substitute``) and counts again
before sending.

Which of the story's drafts a post waits on: the one on the same account when the story goes
there too, else the story's only account; a story on several other accounts is waited on
everywhere, and its address is ambiguous (a problem where a text asks for it).
"""

from __future__ import annotations

from typing import Any

from scheduler import descriptors
from scheduler.campaign.model import Campaign, Post
from scheduler.draft import After, Draft, Part
from scheduler.render.templates import TextProblem

PLACEHOLDER_HOST = "https://after.example.org/"
# The room kept for an address when the post gives no ``url_max``: a blog post's address
# with a date and a slug fits; a longer one is caught when it is known (``fits_after``).
DEFAULT_URL_MAX = 100
FUNCTION = "story"


def placeholder(post_id: str, account: str, length: int) -> str:
    """The stand-in for ``post_id``'s address on ``account``, ``length`` long (or longer
    when the names alone are longer)."""
    base = f"{PLACEHOLDER_HOST}{post_id}/{account}/"
    return base + "-" * max(0, length - len(base))


def waits_on(campaign: Campaign, post: Post, account: str) -> list[tuple[str, str]]:
    """(post id, account) of each draft the post's draft on ``account`` waits on."""
    out: list[tuple[str, str]] = []
    for target_id in post.after:
        try:
            target = campaign.post(target_id)
        except KeyError:
            continue  # the loader reports it
        accounts = campaign.accounts_of(target)
        if account in accounts:
            out.append((target_id, account))
        else:
            out.extend((target_id, a) for a in accounts)
    return out


def room(campaign: Campaign, post: Post, account: str) -> int:
    """How long the address of a post on ``account`` may be: the post's ``url_max``, else
    what the account's platform foretells (``Descriptor.address_room``), else the default.
    A sandbox standing in for another platform foretells nothing: its addresses are its own."""
    if post.url_max is not None:
        return post.url_max
    spec = campaign.accounts.get(account)
    if spec is not None:
        foretold = descriptors.get(spec.platform).address_room(spec.settings)
        if foretold is not None:
            return foretold
    return DEFAULT_URL_MAX


class Addresses:
    """The ``story`` function of one draft's templates, and the stand-ins it handed out."""

    def __init__(self, campaign: Campaign, post: Post, account: str) -> None:
        self.campaign = campaign
        self.post = post
        self.account = account
        self.targets = waits_on(campaign, post, account)
        self.used: dict[tuple[str, str], str] = {}

    def __call__(self, post_id: Any) -> dict[str, str]:
        pid = str(post_id)
        if pid not in self.post.after:
            raise TextProblem(
                f"{FUNCTION}({pid!r}) needs 'after: {pid}' on this post",
                f"add after: {pid} so that this post waits until {pid!r} is live",
            )
        found = [t for t in self.targets if t[0] == pid]
        if len(found) != 1:
            accounts = ", ".join(a for _, a in found)
            raise TextProblem(
                f"{pid!r} goes to several accounts ({accounts}) and not to "
                f"{self.account!r}: which address is meant is unclear",
                f"send {pid!r} to one account, or write a variant for {self.account!r} "
                f"without {FUNCTION}('{pid}')",
            )
        key = found[0]
        stand_in = self.used.get(key)
        if stand_in is None:
            stand_in = placeholder(key[0], key[1], room(self.campaign, self.post, key[1]))
            self.used[key] = stand_in
        return {"url": stand_in}

    def after(self) -> tuple[After, ...]:
        return tuple(After(pid, acc, self.used.get((pid, acc), "")) for pid, acc in self.targets)


def addresses_for(campaign: Campaign, post: Post, account: str) -> Addresses:
    """The ``story`` function for a post's draft on ``account``. A post without ``after``
    has one too, to say what is missing when a text calls it."""
    return Addresses(campaign, post, account)


def substitute(
    parts: tuple[Part, ...], after: tuple[After, ...], urls: dict[str, str]
) -> list[str]:
    """Each part's text with the stand-ins replaced by the real addresses (``urls`` by
    stand-in). Pure: the same stand-ins and addresses always give the same text."""
    texts: list[str] = []
    for part in parts:
        text = part.text
        for a in after:
            if a.placeholder:
                text = text.replace(a.placeholder, urls[a.placeholder])
        texts.append(text)
    return texts


def described(draft: Draft) -> list[str]:
    """What ``preview`` and the pages say of a draft that waits: on what, and where the
    address goes."""
    lines: list[str] = []
    for a in draft.after:
        line = f"waits on {a.post_id} (@{a.account}): goes out once that is live"
        if a.placeholder:
            line += (
                f"; its address replaces {a.placeholder.rstrip('-')}… "
                f"({len(a.placeholder)} characters kept for it)"
            )
        lines.append(line)
    return lines
