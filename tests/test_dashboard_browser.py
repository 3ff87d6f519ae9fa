"""The dashboard in a real browser: `blueline dashboard` served, driven with Playwright and Debian's chromium."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboards import assets
from dashboards.presets import PRESETS
from dashboards.served import CHROMIUM, ServeError, chart_option, chromium, served, wait_for_week

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "scenarios" / "examples"


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory):
    """`blueline dashboard` on a free port; the server is always stopped afterwards."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the browser tests need it")
    if shutil.which("npm") is None and assets.missing_packages():
        pytest.fail(
            "the page's assets are missing and npm is not there to fetch them (python -m dashboards.assets)"
        )
    try:
        with served(tmp_path_factory.mktemp("dashboard") / "server.log") as (url, _):
            yield url
    except ServeError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the browser tests need it")
    with chromium() as browser:
        yield browser


def _open(browser, url, width=1600, height=1000):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for()
    page.wait_for_function("() => document.querySelectorAll('.solara-echarts canvas').length >= 4")
    return page, errors


@pytest.fixture
def page(browser, dashboard_url):
    page, errors = _open(browser, dashboard_url)
    yield page
    page.close()
    assert not errors, f"console errors: {errors}"


def _choose_preset(page, title: str) -> None:
    page.locator(".v-select", has_text="Classroom preset").click()
    page.get_by_role("option", name=title, exact=True).click()


def _play_to_the_end(page) -> int:
    page.get_by_role("button", name="fastest", exact=True).click()
    page.get_by_role("button", name="Play").click()
    horizon = int(page.get_by_text(re.compile(r"^Week \d+ of \d+$")).inner_text().split()[-1])
    wait_for_week(page, horizon, timeout=120_000)
    return horizon


def _tipping_series(page) -> dict[str, list]:
    option = chart_option(page, "tipping")
    return {s["name"]: s for s in option["series"]}


@pytest.mark.parametrize("title", list(PRESETS))
def test_each_preset_plays_to_its_end(page, title):
    _choose_preset(page, title)
    expect(page.get_by_text(PRESETS[title].caption[:40])).to_be_visible()
    horizon = _play_to_the_end(page)
    page.get_by_role("button", name="Play").wait_for()  # stopped by itself at the horizon
    cards = page.locator(".blueline-summary", has_text=f"week {horizon} of {horizon}")
    expect(cards).to_have_count(len(PRESETS[title].settings.plan_names))
    series = _tipping_series(page)
    for plan in PRESETS[title].settings.plan_names:
        assert len(series[plan]["data"]) == horizon + 1  # every week reached the browser's chart


def test_side_by_side_shows_both_plans_and_the_baseline_on_one_chart(page):
    _choose_preset(page, "the rocket tips")
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
    wait_for_week(page, 3)
    page.wait_for_timeout(500)  # the last frame painted
    option = chart_option(page, "tipping")
    assert len(option["series"][0]["data"]) == 4
    names = [s["name"] for s in option["series"]]
    assert names[:3] == [*PRESETS["the rocket tips"].settings.plan_names, "no plan (baseline)"]
    assert len(option["xAxis"]) == 1 and len(option["yAxis"]) == 1  # one shared axis
    assert option["series"][2]["lineStyle"]["type"] == "dashed"
    assert option["legend"][0]["top"] < option["grid"][0]["top"]  # legend above the data


def test_a_lever_at_week_50_changes_the_run_from_week_50_only(page):
    _choose_preset(page, "leaders who excuse themselves")
    page.get_by_label("jump to week").fill("50")
    page.get_by_role("button", name="Go").click()
    wait_for_week(page, 50)
    page.get_by_role("button", name="the executives join now").click()
    page.get_by_role("button", name="To the end").click()
    horizon = int(page.get_by_text(re.compile(r"^Week \d+ of \d+$")).inner_text().split()[-1])
    wait_for_week(page, horizon)
    moved = _tipping_series(page)
    assert moved["levers"]["markLine"]["data"][0]["xAxis"] == 50
    page.get_by_role("button", name="Reset").click()
    wait_for_week(page, 0)
    page.get_by_role("button", name="To the end").click()
    wait_for_week(page, horizon)
    plain = _tipping_series(page)
    assert "levers" not in plain
    for plan in ("frontline_pilot", "pilot"):
        before, after = plain[plan]["data"], moved[plan]["data"]
        assert before[:51] == after[:51]
        assert before[51:] != after[51:]


def _drop(page, files: dict[str, bytes]) -> None:
    """Drop files on the scenario drop zone, as a drag from the desktop does."""
    page.locator(".solara-file-drop").wait_for(state="attached")
    page.evaluate(
        """(files) => {
            const zone = document.querySelector('.solara-file-drop');
            const dt = new DataTransfer();
            for (const [name, text] of Object.entries(files)) {
                dt.items.add(new File([text], name, {type: 'text/plain'}));
            }
            // a synthetic DataTransfer has no file-system entries; give items the one a real drop has
            DataTransferItem.prototype.webkitGetAsEntry = function () {
                const file = this.getAsFile();
                return {isFile: true, file: (ok) => ok(file)};
            };
            const event = new DragEvent('drop', {bubbles: true, cancelable: true});
            Object.defineProperty(event, 'dataTransfer', {value: dt});
            zone.dispatchEvent(event);
        }""",
        {name: data.decode() for name, data in files.items()},
    )


def test_an_uploaded_scenario_runs_and_a_broken_one_shows_the_one_line_error(page):
    _drop(
        page, {"hospital.toml": b'budget = 80000\ncompare = ["none", "rocket"]\n[params]\nsilo_strengt = 1\n'}
    )
    error = page.locator(".blueline-error")
    expect(error).to_contain_text(
        "hospital.toml: params.silo_strengt: unknown key; did you mean 'silo_strength'?"
    )
    assert "\n" not in error.inner_text().strip()
    _drop(page, {p.name: p.read_bytes() for p in EXAMPLES.iterdir() if p.suffix in (".toml", ".csv")})
    expect(page.get_by_text("playing hospital.toml")).to_be_visible(timeout=30_000)
    expect(error).to_have_count(0)
    for _ in range(2):
        page.get_by_role("button", name="Step").click()
    wait_for_week(page, 2)
    expect(page.locator(".v-card", has_text="left: wards_first")).to_have_count(1)


def test_export_writes_the_weekly_csv_and_a_chart_png(page, tmp_path):
    for _ in range(4):
        page.get_by_role("button", name="Step").click()
    wait_for_week(page, 4)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the weekly data (CSV)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0][:3] == ["run", "week", "above_line"] and len(rows) == 1 + 3 * 5
    chart = page.locator(".blueline-tipping .solara-echarts")
    box = chart.bounding_box()
    with page.expect_download() as download:
        page.mouse.click(box["x"] + box["width"] - 18, box["y"] + 12)  # the chart's save-as-PNG corner icon
    png = tmp_path / "chart.png"
    download.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000


def test_no_control_is_narrower_than_80_px_at_1024x768(browser, dashboard_url):
    page, errors = _open(browser, dashboard_url, 1024, 768)
    page.get_by_text("show the weights of the weekly rule").click()
    page.locator(".blueline-controls .v-slider").nth(12).wait_for()
    narrow = page.evaluate(
        """() => [...document.querySelectorAll(
                '.blueline-controls .v-slider, .blueline-controls .v-btn, .blueline-controls .v-input, '
                + '.blueline-controls .solara-file-drop')]
            .map(e => ({text: (e.innerText || e.className).slice(0, 40), width: e.getBoundingClientRect().width}))
            .filter(c => c.width < 80)"""
    )
    tracks = page.evaluate(
        "() => [...document.querySelectorAll('.blueline-controls .v-slider-track')]"
        ".map(e => e.getBoundingClientRect().width)"
    )
    page.close()
    assert not narrow, narrow
    assert len(tracks) >= 10 and min(tracks) >= 80
    assert not errors


def test_the_weeks_per_second_benchmark_prints_its_figure(tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "dashboard_benchmark.py"),
            "--seconds",
            "4",
            "--clicks",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"side by side: \d+(\.\d+)? simulated weeks/s", done.stdout), done.stdout
