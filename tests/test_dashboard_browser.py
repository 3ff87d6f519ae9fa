"""The dashboard in a real browser: `blueline dashboard` served, driven with Playwright and Debian's chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboards import assets
from dashboards.commands import free_port

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 90  # seconds for the server to answer (a cold start imports solara, mesa, matplotlib)


def _blueline() -> list[str]:
    script = Path(sys.executable).with_name("blueline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scenarios.cli"]


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory):
    """`blueline dashboard` on a free port; the server is always stopped afterwards."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the browser test needs it")
    if shutil.which("npm") is None and assets.missing_packages():
        pytest.fail(
            "Solara's page assets are missing and npm is not there to fetch them (python -m dashboards.assets)"
        )
    assets.ensure()  # no-op once the files are in place; otherwise fetched from the npm registry
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*_blueline(), "dashboard", "--port", str(port), "--no-browser"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so the whole server goes down with it
            env={**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"},
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"the dashboard exited with code {server.returncode}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the dashboard did not answer within {START_TIMEOUT} s:\n{log.read_text()[-2000:]}"
                )
            time.sleep(0.5)
        assert f"serving on http://127.0.0.1:{port}" in log.read_text()
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)


@pytest.fixture
def browser_page():
    """A headless chromium page (Debian's chromium, not a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def _week(page) -> int:
    text = page.get_by_text(re.compile(r"^Week \d+ of \d+$")).inner_text()
    return int(text.split()[1])


def _wait_for_week(page, week: int) -> None:
    page.get_by_text(re.compile(rf"^Week {week} of \d+$")).wait_for()


def test_preset_then_steps_change_the_pictures_and_the_summary(dashboard_url, browser_page, tmp_path):
    page = browser_page
    page.goto(dashboard_url)
    page.get_by_role("button", name="Step").wait_for()

    # choose a classroom preset from the drop-down: one plan, the pilot
    page.locator(".v-select", has_text="Classroom preset").click()
    page.get_by_role("option", name="the pilot gets pulled back").click()
    expect(page.get_by_text("The call center goes first")).to_be_visible()
    images = page.get_by_role("img")
    expect(images).to_have_count(3)  # one plan: network, culture over time, customers
    summary = page.locator(".v-card", has_text=re.compile(r"week \d+ of 156"))
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("week 0 of 156")
    expect(summary).to_contain_text("pilot")
    assert _week(page) == 0
    summary_before = summary.inner_text()
    pictures_before = [images.nth(i).screenshot() for i in range(3)]

    for week in range(1, 6):
        page.get_by_role("button", name="Step").click()
        _wait_for_week(page, week)
    expect(summary).to_contain_text("week 5 of 156")

    assert summary.inner_text() != summary_before
    pictures_after = [images.nth(i).screenshot() for i in range(3)]
    assert all(a != b for a, b in zip(pictures_after, pictures_before, strict=True))
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_play_runs_weeks_until_paused(dashboard_url, browser_page):
    page = browser_page
    page.goto(dashboard_url)
    page.get_by_role("button", name="Play").wait_for()
    page.get_by_role("button", name="fast", exact=True).click()
    page.get_by_role("button", name="Play").click()
    _wait_for_week(page, 3)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    paused_at = _week(page)
    assert paused_at >= 3
    page.wait_for_timeout(1500)
    assert _week(page) == paused_at  # paused means paused
