"""Scraping ``/healthz`` and ``/metrics`` over real HTTP, and reading the samples back."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

from prometheus_client.parser import text_string_to_metric_families


def get(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET on a loopback URL."""
    assert urlsplit(url).hostname in ("127.0.0.1", "::1")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page: (name, sorted labels) -> value."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(
    page: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


def through(url: str, port: int) -> str:
    """A PostgreSQL ledger URL with its host and port replaced by 127.0.0.1:``port``."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    auth = f"{credentials}@" if credentials else ""
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{port}"))
