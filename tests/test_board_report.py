"""The board report (``compare --html``, ``optimize --html``): one self-contained page that prints on A4."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from scenarios.cli import main

TINY = """
description = "Two small departments over 60 weeks"
budget = 20000
n_seeds = 6
weeks = 60
plans = ["none", "rocket", "pilot"]
[params]
n_customers = 100
silo_strength = 0.7
[[organization.departments]]
name = "front_desk"
frontline = 20
[[organization.departments]]
name = "back_office"
frontline = 15

[optimize]
roles = [["frontline", "managers", "executives"]]
blocks = ["all", "local"]
block_level = 0.6
education = 0.6
leadership = 0.6
staging = ["simultaneous", "one_at_a_time"]
first_stage_weeks = 8
first_stage_coverage = [0.1, 0.2, 0.4]
booster = [false]
sustaining_burn = [false]
"""

SECTIONS = (
    "The question",
    "The plans",
    "Why",
    "Where the answer would flip",
    "Assumptions",
    "Reproducibility",
)
CHROMIUM = Path("/usr/bin/chromium")
A4_WIDTH_PX = 794
"""An A4 page's width at 96 CSS pixels per inch."""


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    scenario = folder / "tiny.toml"
    scenario.write_text(TINY)
    out = folder / "cmp"
    assert main(["compare", str(scenario), "--out", str(out), "--workers", "1", "--quiet", "--html"]) == 0
    return out / "report.html"


def test_the_compare_report_has_every_section_and_says_what_it_assumes(compare_report):
    page = compare_report.read_text()
    for heading in (*SECTIONS, "The verdict"):
        assert f"<h2>{heading}</h2>" in page
    assert "each spends 20,000 over 60 weeks" in page
    assert "silo_strength" in page and "how closed departments are" in page  # a changed parameter, explained
    assert "n_customers" in page and "customers at the start" in page
    assert "w_peer" not in page  # parameters left at their defaults are not listed
    assert re.search(r"code version</td><td>\d", page)
    assert "Verdict" not in page.split("<h2>The verdict</h2>")[1][:40]  # plain words, not the report.md label


def test_the_report_embeds_its_figures_and_names_no_other_address(compare_report):
    page = compare_report.read_text()
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"url\(|@import|<script|<link", page)


@pytest.mark.browser
def test_the_report_renders_in_chromium_without_requests_or_overflow_and_prints_to_pdf(
    compare_report, tmp_path
):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); this test renders the report in it")
    from playwright.sync_api import sync_playwright

    url = compare_report.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": A4_WIDTH_PX, "height": 1123})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("load")
            images = page.evaluate(
                "() => [...document.images].map(i => ({w: i.naturalWidth, right: i.getBoundingClientRect().right}))"
            )
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
        finally:
            browser.close()
    assert [r for r in requests if not r.startswith(("data:", url))] == []
    assert len(images) >= 4 and all(i["w"] > 0 for i in images)  # every figure decoded
    assert all(i["right"] <= A4_WIDTH_PX for i in images)
    assert widths[0] <= widths[1]  # nothing wider than the page
    pdf = tmp_path / "report.pdf"
    profile = tmp_path / "profile"
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert pdf.exists(), done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 3  # a report of several A4 pages, not one long strip
    boxes = {
        tuple(round(float(x)) for x in m) for m in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
    }
    assert boxes == {(595, 842)}  # every page A4, in points


def test_the_optimizer_writes_a_board_report_too(tmp_path, capsys):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY)
    out = tmp_path / "opt"
    code = main(
        ["optimize", str(scenario), "--target", "0.5", "--n-seeds", "8", "--trials", "6", "--workers", "1",
         "--references", "rocket", "--verify-seeds", "100", "--out", str(out), "--quiet", "--html"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    page = (out / "report.html").read_text()
    for heading in (*SECTIONS, "The answer"):
        assert f"<h2>{heading}</h2>" in page
    assert "fresh futures" in page and "rocket_same_cost" in page
    assert all(s.startswith("data:image/png;base64,") for s in re.findall(r'(?:src|href)="([^"]*)"', page))
