"""End to end in headless Chromium (the system browser, driven by Playwright): sign in from
an invite, approve drafts, see an approval voided by an edit of the campaign file, and take
screenshots of the calendar and a preview."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scheduler.draft import DraftKey
from tests.web.conftest import Web
from tests.web.server import serving

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    wanted = os.environ.get("SCHEDULER_CHROMIUM") or "/usr/bin/chromium"
    found = shutil.which(wanted) or (wanted if Path(wanted).is_file() else None)
    return found


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


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def sign_in(page: Any, base: str, web: Web, email: str = "rui@example.org") -> None:
    page.goto(f"{base}/signin/{web.invite(email)}")
    page.get_by_role("button", name=f"Sign in as {email}").click()
    page.wait_for_url(f"{base}/c/mhaw-test")


def state(web: Web, post: str, account: str) -> str:
    return str(web.ledger.get(DraftKey("mhaw-test", post, account)).state)


def test_invite_approve_edit_voids_and_screenshots(web: Web, page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with serving(web.app) as base:
        sign_in(page, base, web)
        cookies = {c["name"]: c for c in page.context.cookies()}
        session = cookies["review_session"]
        assert session["httpOnly"] and session["sameSite"] == "Lax"
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Mental Health Awareness Week (test)"
        )
        expect(page.locator("table.calendar caption")).to_have_text("Week of Monday 11 May 2026")
        page.screenshot(path=str(tmp_path / "calendar.png"), full_page=True)

        page.get_by_role("link", name=re.compile("day1-story")).click()
        masto = page.locator("#draft-masto")
        expect(masto.locator("summary").first).to_contain_text("eating disorders")
        image = masto.get_by_role("img", name="A pair of worn blue running shoes by a front door.")
        expect(image).to_be_visible()
        # Every image loads (served from the campaign folder through the media route).
        page.wait_for_function(
            "() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )
        page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)

        masto.get_by_label("Note with your approval (optional)").fill("Kind and clear")
        masto.get_by_role("button", name="Approve this version").click()
        expect(page.get_by_role("status")).to_have_text("Your approval is recorded.")
        expect(page.locator("#draft-masto .state").first).to_have_text("approved")
        assert state(web, "day1-story", "masto") == "approved"

        web.edit("running as part of recovery.", "running as part of my recovery.")
        page.reload()
        expect(page.get_by_role("status")).to_have_count(0)  # no stale "recorded" notice
        masto = page.locator("#draft-masto")
        expect(masto.locator("h2 .state")).to_have_text("draft")
        expect(masto).to_contain_text("running as part of my recovery.")
        expect(masto).to_contain_text("0 of 1 needed for this version.")
        expect(masto.locator(".history")).to_contain_text("(an earlier version)")
        expect(masto.locator(".diff .removed")).to_contain_text(["running as part of recovery."])
        expect(masto.locator(".diff .added")).to_contain_text(["running as part of my recovery."])
        assert state(web, "day1-story", "masto") == "draft"
        page.screenshot(path=str(tmp_path / "voided.png"), full_page=True)

    for name in ("calendar.png", "preview.png", "voided.png"):
        shot = tmp_path / name
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000


def test_a_stale_approval_is_refused_and_the_new_text_shown(web: Web, page: Any) -> None:
    from playwright.sync_api import expect

    with serving(web.app) as base:
        sign_in(page, base, web)
        page.goto(f"{base}/c/mhaw-test/post/day1-story")
        web.edit("running as part of recovery.", "running as part of my recovery.")
        page.locator("#draft-masto").get_by_role("button", name="Approve this version").click()
        expect(page.get_by_role("alert").first).to_contain_text("changed after you loaded the page")
        expect(page.locator("#draft-masto")).to_contain_text("running as part of my recovery.")
        assert state(web, "day1-story", "masto") == "draft"
        page.locator("#draft-masto").get_by_role("button", name="Approve this version").click()
        expect(page.get_by_role("status")).to_have_text("Your approval is recorded.")
        assert state(web, "day1-story", "masto") == "approved"


def test_a_week_approved_without_javascript(web: Web, browser: Any, tmp_path: Path) -> None:
    """The whole journey from the invite link: every draft of the week approved in turn."""
    from playwright.sync_api import expect

    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        with serving(web.app) as base:
            sign_in(page, base, web)
            with page.expect_navigation():
                page.locator("table.calendar a").first.click()
            while True:
                approve = page.get_by_role("button", name="Approve this version")
                while approve.count() > 0:
                    # Wait for the new page: the old one may show the notice already.
                    with page.expect_navigation():
                        approve.first.click()
                    expect(page.get_by_role("status")).to_have_text("Your approval is recorded.")
                following = page.get_by_role("link", name="Next post")
                if following.count() == 0:
                    break
                with page.expect_navigation():
                    following.click()
            page.get_by_role("link", name=re.compile("the week")).click()
            expect(page.locator("main")).to_contain_text("Nothing awaits your decision.")
            page.screenshot(path=str(tmp_path / "week-approved.png"), full_page=True)
        records = web.ledger.list(campaign="mhaw-test")
        assert records and {str(r.state) for r in records} == {"approved"}
    finally:
        context.close()


def test_signing_out_in_the_browser(web: Web, page: Any) -> None:
    from playwright.sync_api import expect

    with serving(web.app) as base:
        sign_in(page, base, web)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out")
        response = page.goto(f"{base}/c/mhaw-test")
        assert response is not None and response.status == 401
        expect(page.get_by_role("heading", level=1)).to_have_text("Please sign in")


def test_the_calendar_marks_a_blocked_post_in_words(web: Web, page: Any) -> None:
    from playwright.sync_api import expect

    from tests.web.test_care import _block_capitals

    _block_capitals(web)
    with serving(web.app) as base:
        sign_in(page, base, web)
        expect(page.locator("main")).to_contain_text("1 draft is blocked by a care finding")
        # The post's link says so too, for those who move from link to link.
        link = page.get_by_role("link", name=re.compile(r"day3-mind\s*\(care: blocked\)"))
        expect(link).to_have_count(1)
        mark = page.locator("table.calendar .slots .care-mark")
        expect(mark).to_have_count(1)
        expect(mark).to_contain_text("care: blocked")
        expect(mark).to_contain_text("a11y-all-caps: it cannot be approved")


def test_the_calendar_reads_on_a_phone(web: Web, page: Any) -> None:
    """On a narrow screen the week is a list of days; its caption stays one readable line."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    with serving(web.app) as base:
        sign_in(page, base, web)
        caption = page.locator("table.calendar caption").first
        expect(caption).to_have_text("Week of Monday 11 May 2026")
        box = caption.bounding_box()
        line_height = "getComputedStyle(document.querySelector('caption')).lineHeight"
        line = page.evaluate(f"() => parseFloat({line_height}) || 24")
        assert box is not None and box["height"] < 2 * line, box
        # nothing is wider than the screen
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_pausing_and_resuming_in_the_browser(web: Web, page: Any) -> None:
    from playwright.sync_api import expect

    with serving(web.app) as base:
        sign_in(page, base, web)
        page.get_by_role("link", name="Pause all publishing…").click()
        page.wait_for_url(f"{base}/c/mhaw-test/pause")
        expect(page.get_by_role("alert")).to_have_count(0)
        page.get_by_label("Why are you pausing?").fill("News of a death in the community")
        page.get_by_role("button", name="Yes, pause publishing now").click()
        page.wait_for_url(f"{base}/c/mhaw-test")
        banner = page.locator(".notice-paused")
        expect(banner).to_contain_text("Publishing is paused")
        expect(banner).to_contain_text("by rui@example.org: News of a death in the community")
        assert web.ledger.paused("mhaw-test") is not None

        page.get_by_role("link", name=re.compile("day2-support")).click()
        expect(page.locator(".notice-paused")).to_contain_text("Publishing is paused")

        page.locator(".notice-paused").get_by_role("link", name="Resume…").click()
        page.wait_for_url(f"{base}/c/mhaw-test/resume")
        page.get_by_label(re.compile("Move the rest of the week later")).check()
        page.get_by_role("button", name="Resume publishing").click()
        page.wait_for_url(f"{base}/c/mhaw-test")
        expect(page.locator(".notice-paused")).to_have_count(0)
        assert web.ledger.paused("mhaw-test") is None
        assert web.ledger.pause_history("mhaw-test")[-1].detail["choice"] == "shift"


def test_a_phone_reviewer_approves_every_account_from_the_top(web: Web, page: Any) -> None:
    """The decision comes before the drafts: on a phone its button is on the first screen,
    however long the thread below."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    with serving(web.app) as base:
        sign_in(page, base, web)
        page.goto(f"{base}/c/mhaw-test/post/day1-story")
        button = page.get_by_role("button", name="Approve all 2 versions shown below")
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844, box  # no scrolling
        assert page.evaluate("() => window.scrollY") == 0
        button.click()
        expect(page.get_by_role("status")).to_have_text(
            "Your approval of every version shown is recorded."
        )
        assert state(web, "day1-story", "masto") == "approved"
        assert state(web, "day1-story", "bsky") == "approved"


def test_a_story_reads_in_its_sandboxed_frame(web: Web, page: Any) -> None:
    """The story's HTML is shown only inside a frame with no rights; under the pages' strict
    content security policy the words must still be there to read."""
    from playwright.sync_api import expect

    web.edit(
        "accounts:\n",
        "accounts:\n  blog:\n    platform: wordpress\n    site: https://stories.example.org\n"
        "    username: campaign-bot\n",
    )
    web.edit(
        "posts:\n",
        "posts:\n"
        "  - id: lou-story\n"
        "    kind: story\n"
        "    day: 1\n"
        '    time: "07:30"\n'
        "    title: Running alongside\n"
        "    body: |\n"
        "      For me, running is **maintenance**.\n\n"
        "      <script>document.title = 'ran'</script>\n",
    )
    with serving(web.app) as base:
        sign_in(page, base, web)
        page.goto(f"{base}/c/mhaw-test/post/lou-story")
        frame = page.frame_locator("iframe[sandbox]").first
        expect(frame.locator("strong")).to_have_text("maintenance")
        expect(frame.locator("body")).to_contain_text("running is maintenance")
        assert page.title() != "ran"
        assert frame.locator("script").count() == 0
