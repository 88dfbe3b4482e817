"""The rehearsal page: a standalone file without scripts, opened in headless Chromium (the
system browser, driven by Playwright), with the week's timeline and every problem in words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scheduler.rehearsal.page import render_page
from tests.rehearsal.support import make_rig
from tests.web.test_browser import CHROMIUM_ARGS, chromium_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: install Debian's chromium or set SCHEDULER_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def written(tmp_path: Path) -> tuple[Path, str]:
    rig = make_rig(tmp_path, env={"SCHEDULER_SECRET_SKY_EXPIRES_AT": "2027-01-07"})
    rig.approve(skip={"wednesday-thread"})
    html = render_page(rig.rehearse(date(2027, 1, 4)))
    page = tmp_path / "rehearsal.html"
    page.write_text(html, encoding="utf-8")
    return page, html


def test_the_page_stands_alone(tmp_path: Path) -> None:
    _, html = written(tmp_path)
    assert "<script" not in html.lower()
    assert "src=" not in html and "<link" not in html  # nothing fetched from anywhere
    assert html.startswith('<!doctype html>\n<html lang="en">')


@pytest.mark.browser
def test_the_page_in_the_browser_shows_the_timeline_and_the_problems(
    tmp_path: Path, browser: Any
) -> None:
    path, _ = written(tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        assert page.title() == "Rehearsal of Rehearsal test week"
        assert page.locator("h1").inner_text() == "Rehearsal of Rehearsal test week"
        headings = page.locator("h2").all_inner_texts()
        assert headings == ["What would be published when", "Problems (2)", "Account tokens"]
        days = page.locator("#timeline ~ h3").all_inner_texts()
        assert days == [
            "Monday 04 January 2027",
            "Wednesday 06 January 2027",
            "Sunday 10 January 2027",
        ]
        rows = page.locator("table.timeline tbody tr")
        assert rows.count() == 5
        cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
        assert cells[0][:4] == ["08:30 GMT", "monday", "masto (mastodon)", "✓ published"]
        wednesday = cells[2]
        assert wednesday[1] == "wednesday-thread, 2 parts"
        assert wednesday[3] == "✗ not published"  # said in words, not only in red
        assert wednesday[4] == "not approved"
        sunday_sky = cells[4]
        assert sunday_sky[3] == "✗ not published"
        problems = page.locator("li.problem h3").all_inner_texts()
        assert problems == [
            "not approved: post wednesday-thread on masto",
            "account token expires: on sky",
        ]
        assert page.locator("li.problem").nth(1).inner_text().count("Fix:") == 1
        assert page.locator("script").count() == 0
        assert page.locator("table th[scope=col]").count() >= 5
    finally:
        context.close()


def test_the_day_of_a_clock_change_says_so_under_its_heading(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.approve()
    html = render_page(rig.rehearse(date(2027, 3, 22)))
    sunday = html.index("<h3>Sunday 28 March 2027</h3>")
    note = html.index("<p><strong>Clocks change:</strong> the clocks go forward")
    assert note > sunday
    assert html.count("Clocks change:") == 1
