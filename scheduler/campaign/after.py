"""Dependencies between posts: ``after: <post id>`` checked across the campaign.

A post that says ``after: d1-story`` goes out only once ``d1-story`` is live, and its texts
may use that post's address (``{{ story('d1-story').url }}``, ``render.after``). Here the
ids are checked against the campaign: an unknown id, a post waiting on itself, a cycle (which
could never start), and a dependency due after the dependant's own window has closed (which
could never go out in time) are problems at the line of ``after``.

A dependency due later than its dependant, but within the dependant's window, is allowed:
the dependant waits for it, and ``notes`` says so, so that nobody is surprised.
"""

from __future__ import annotations

from collections.abc import Sequence

from scheduler.campaign.model import Post
from scheduler.campaign.problems import Problem, SourceMap, did_you_mean

Loc = tuple[str | int, ...]


def _loc(post: Post, j: int) -> Loc:
    # ``after: x`` (one id) points at the key; a list points at the item.
    return ("after",) if len(post.after) == 1 else ("after", j)


def after_problems(posts: Sequence[Post], src: SourceMap) -> list[Problem]:
    """Unknown ids, self-dependencies, repeats, cycles and impossible waits, at file:line.

    Times are read from the posts (``due``, ``latest_due``) where the loader resolved them."""
    problems: list[Problem] = []
    index = {p.id: i for i, p in enumerate(posts)}
    for i, post in enumerate(posts):
        seen: set[str] = set()
        for j, target in enumerate(post.after):
            where = _loc(post, j)
            if target == post.id:
                problems.append(
                    src.post_problem(
                        i,
                        where,
                        f"post {post.id!r} waits on itself",
                        "name the post this one waits on, e.g. the story it links to",
                    )
                )
            elif target not in index:
                problems.append(
                    src.post_problem(
                        i,
                        where,
                        f"no post with id {target!r} to wait on",
                        did_you_mean(target, index) or "'after' names a post of this campaign",
                    )
                )
            elif target in seen:
                problems.append(
                    src.post_problem(i, where, f"{target!r} is named twice", "name it once")
                )
            else:
                problems.extend(_too_late(i, post, j, posts[index[target]], src))
            seen.add(target)
    problems.extend(_cycles(posts, index, src))
    return problems


def _too_late(i: int, post: Post, j: int, target: Post, src: SourceMap) -> list[Problem]:
    if target.due is None or post.latest_due is None or target.due <= post.latest_due:
        return []
    closes = post.latest_due
    if post.local is not None:
        closes = closes.astimezone(post.local.tzinfo)
    return [
        src.post_problem(
            i,
            _loc(post, j),
            f"waits on {target.id!r}, which is due after this post's window closes "
            f"({closes:%Y-%m-%d %H:%M}): it could never go out",
            "move this post after the one it waits on, or give it a later 'latest' "
            "or a longer 'max_lateness'",
        )
    ]


def _cycles(posts: Sequence[Post], index: dict[str, int], src: SourceMap) -> list[Problem]:
    """Each cycle once, reported at the ``after`` of its first post in file order."""
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    reported: set[frozenset[str]] = set()

    def visit(pid: str, path: list[str]) -> None:
        state[pid] = 1
        path.append(pid)
        for target in posts[index[pid]].after:
            if target not in index or target == pid:
                continue  # reported above
            if state.get(target) == 1:
                cycle = path[path.index(target) :]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    first = min(cycle, key=lambda p: index[p])
                    at = cycle.index(first)
                    ordered = cycle[at:] + cycle[:at]
                    post = posts[index[first]]
                    nxt = ordered[1] if len(ordered) > 1 else ordered[0]
                    problems.append(
                        src.post_problem(
                            index[first],
                            _loc(post, post.after.index(nxt)),
                            "posts wait on each other in a circle: "
                            + " -> ".join([*ordered, first])
                            + "; none of them could ever go out",
                            f"remove one 'after' of the circle, e.g. this one ({nxt!r})",
                        )
                    )
            elif state.get(target) is None:
                visit(target, path)
        path.pop()
        state[pid] = 2

    for post in posts:
        if post.id in index and state.get(post.id) is None:
            visit(post.id, [])
    return problems


def notes(posts: Sequence[Post], src: SourceMap | None) -> list[Problem]:
    """What ``check`` says about waits that are allowed but may surprise: a post waiting on
    one due later goes out when that one is live (inside its own window), not at its time."""
    out: list[Problem] = []
    index = {p.id: i for i, p in enumerate(posts)}
    for i, post in enumerate(posts):
        for j, target_id in enumerate(post.after):
            target = posts[index[target_id]] if target_id in index else None
            if target is None or target.due is None or post.due is None:
                continue
            if target.due <= post.due:
                continue
            when = target.local or target.due
            message = (
                f"note: waits on {target_id!r}, which is due later ({when:%Y-%m-%d %H:%M}): "
                f"this post goes out when {target_id!r} is live, not at its own time, and is "
                "missed if that is after its window closes"
            )
            hint = "give it the same or a later time than the post it waits on"
            if src is None:
                out.append(Problem("<campaign>", 0, 0, f"posts[{i}].after", message, hint))
            else:
                out.append(src.post_problem(i, _loc(post, j), message, hint))
    return out
