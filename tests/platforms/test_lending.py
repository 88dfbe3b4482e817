"""Publishers lent one attempt at a time: never to two threads at once, reused by the next."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from scheduler.platforms.lending import PublisherPool


class Made:
    """A stand-in publisher that notices two threads using it at once."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.users = 0
        self.overlaps = 0
        self._lock = threading.Lock()

    def use(self) -> None:
        with self._lock:
            self.users += 1
            if self.users > 1:
                self.overlaps += 1
        time.sleep(0)  # lets another thread run while this one holds the publisher
        with self._lock:
            self.users -= 1


def _lend(pool: PublisherPool, marker: str) -> Any:
    return pool.lend(marker, lambda: Made(marker))


def test_a_thread_asking_again_gets_its_publisher_back() -> None:
    pool = PublisherPool()
    first = _lend(pool, "a")
    assert _lend(pool, "a") is first
    assert pool.built == 1


def test_two_threads_at_once_never_share_one() -> None:
    pool = PublisherPool()
    lent: list[Any] = []
    both = threading.Barrier(2)

    def borrow() -> None:
        lent.append(_lend(pool, "a"))
        both.wait(5)  # each holds its publisher while the other borrows

    threads = [threading.Thread(target=borrow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lent[0] is not lent[1]
    assert pool.built == 2


def test_a_publisher_given_back_goes_to_the_next_thread() -> None:
    pool = PublisherPool()
    first = _lend(pool, "a")
    _lend(pool, "b")  # this thread moved on: its publisher for "a" is back on the shelf
    taken: list[Any] = []
    thread = threading.Thread(target=lambda: taken.append(_lend(pool, "a")))
    thread.start()
    thread.join()
    assert taken == [first]
    assert pool.built == 2


def test_many_workers_on_many_accounts_build_few_and_never_overlap() -> None:
    """16 workers posting to 100 accounts in random order: a publisher per worker per account
    would be up to 1,600; lent, an account needs at most as many as post to it at once."""
    pool = PublisherPool()
    made: list[Made] = []
    made_lock = threading.Lock()

    def build(marker: str) -> Made:
        publisher = Made(marker)
        with made_lock:
            made.append(publisher)
        return publisher

    wrong: list[tuple[str, str]] = []  # (asked, lent): an assert in a thread fails nothing

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(150):
            marker = f"a{rng.randrange(100):03d}"
            publisher = pool.lend(marker, lambda m=marker: build(m))  # type: ignore[misc]
            if publisher.marker != marker:
                wrong.append((marker, publisher.marker))
            publisher.use()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert sum(p.overlaps for p in made) == 0
    assert pool.built == len(made)
    assert pool.built < 16 * 100 / 2
    per_account: dict[str, int] = {}
    for publisher in made:
        per_account[publisher.marker] = per_account.get(publisher.marker, 0) + 1
    assert max(per_account.values()) <= 16
