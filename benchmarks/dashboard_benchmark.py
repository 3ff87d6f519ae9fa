"""Speed of the dashboard as a class sees it: headless Chromium against a served dashboard.

Run by hand: ``.venv/bin/python benchmarks/dashboard_benchmark.py`` (about two
minutes; add ``--compare-with OTHER/dashboards/app.py`` to measure another
checkout of the dashboard in the same run and print the ratios). It reports

- start-up: seconds until the server answers; until the page shows the
  week and every one of its charts is drawn (first render, counted from the
  moment the server answered); and until the whole page is there, the
  controls below the fold included;
- Step: milliseconds from a click on Step until the page shows the next week
  (median of ``--clicks``);
- Reset during play: milliseconds from the click until the page shows week 0
  (median of three);
- play: simulated weeks per second at the fastest speed, side by side
  (the default preset: pilot, rocket and the baseline) and with one plan.

Step and Reset are timed inside the page: from the click event until the
week's text has changed and the browser has painted the next frame (two
animation frames later). Playwright's own waiting polls the page at 20, 50,
100, 100 and then 500 ms intervals, which rounds a 180 ms reaction up to
about 270 ms; its figures are printed too, as "(polled)".

Figures go into benchmarks/README.md by hand.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboards.served import chromium, served, wait_for_week, week  # noqa: E402

WEEK = re.compile(r"^Week \d+ of \d+$")


def _drawn(page: Any) -> None:
    """Wait until every chart of the page has its canvas (or, before issue 12, three PNG images are loaded)."""
    page.wait_for_function(
        """() => {
            const charts = [...document.querySelectorAll('.blueline-chart')];
            return (charts.length >= 4 && charts.every(c => c.querySelector('canvas')))
                || [...document.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth > 0).length >= 3;
        }""",
        timeout=120_000,
    )


TIMED_CLICK = """([label, week]) => new Promise((resolve, reject) => {
    const shown = new RegExp(`^Week ${week} of \\\\d+$`);
    const showing = () => [...document.querySelectorAll('.blueline-controls *')]
        .some(e => e.childElementCount === 0 && shown.test(e.textContent.trim()));
    const button = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === label);
    let clicked = 0;
    const observer = new MutationObserver(() => {
        if (!showing()) return;
        observer.disconnect();
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - clicked)));
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    setTimeout(() => reject(new Error(`${label}: week ${week} not shown within 60 s`)), 60000);
    clicked = performance.now();
    button.click();
})"""
"""Milliseconds from a click on the button ``label`` until week ``week`` is shown and painted."""


def _choose(page: Any, preset: str) -> None:
    page.locator(".v-select", has_text="Classroom preset").click()
    page.get_by_role("option", name=preset, exact=True).click()
    wait_for_week(page, 0)


def _step_ms(page: Any, clicks: int) -> tuple[float, float]:
    """Median milliseconds from Step to the next week on screen: timed in the page, and polled."""
    timed, polled = [], []
    for _ in range(clicks):
        timed.append(page.evaluate(TIMED_CLICK, ["Step", week(page) + 1]))
        page.wait_for_timeout(200)
        now = week(page)
        started = time.perf_counter()
        page.get_by_role("button", name="Step").click()
        wait_for_week(page, now + 1)
        polled.append(1000 * (time.perf_counter() - started))
        page.wait_for_timeout(200)
    return statistics.median(timed), statistics.median(polled)


def _weeks_per_second(page: Any, seconds: float) -> float:
    """Weeks the page shows per second of play, from the click on Play, over ``seconds`` or until the horizon."""
    horizon = int(page.get_by_text(WEEK).inner_text().split()[-1])
    page.get_by_role("button", name="fastest", exact=True).click()
    first, started = week(page), time.perf_counter()
    page.get_by_role("button", name="Play").click()
    last, seen = first, started
    while time.perf_counter() - started < seconds and last < horizon:
        page.wait_for_timeout(100)
        now = week(page)
        if now != last:
            last, seen = now, time.perf_counter()
    if last < horizon:
        page.get_by_role("button", name="Pause").click()
    return (last - first) / max(seen - started, 1e-9)


def _reset_ms(page: Any, repeats: int = 3) -> tuple[float, float]:
    """Median milliseconds from Reset, clicked while playing, to week 0 on the page: timed in the page, and polled."""
    timed, polled = [], []
    for _ in range(repeats):
        page.get_by_role("button", name="Reset").click()
        wait_for_week(page, 0)
        page.get_by_role("button", name="Play").click()
        page.wait_for_timeout(1500)
        timed.append(page.evaluate(TIMED_CLICK, ["Reset", 0]))
        page.get_by_role("button", name="Play").click()
        page.wait_for_timeout(1500)
        started = time.perf_counter()
        page.get_by_role("button", name="Reset").click()
        wait_for_week(page, 0)
        polled.append(1000 * (time.perf_counter() - started))
    return statistics.median(timed), statistics.median(polled)


def measure(app: Path | None, seconds: float, clicks: int) -> dict[str, float]:
    """Every figure for one dashboard (``app=None``: this checkout's ``blueline dashboard``)."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp) / "server.log", app) as (url, startup):
        figures["server start (s)"] = startup
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.set_default_timeout(120_000)
            started = time.perf_counter()
            page.goto(url)
            page.get_by_text(WEEK).wait_for()
            _drawn(page)
            figures["first render (s)"] = time.perf_counter() - started
            page.get_by_role("button", name="Open docs/ODD.md").wait_for()  # the last control of the page
            figures["whole page (s)"] = time.perf_counter() - started
            print("  first render done; Step clicks...", flush=True)
            figures["Step (ms, median)"], figures["Step polled (ms)"] = _step_ms(page, clicks)
            print(f"  playing side by side for {seconds:g} s...", flush=True)
            figures["side by side (weeks/s)"] = _weeks_per_second(page, seconds)
            figures["Reset during play (ms)"], figures["Reset polled (ms)"] = _reset_ms(page)
            _choose(page, "the pilot gets pulled back")
            print(f"  playing one plan for {seconds:g} s...", flush=True)
            figures["one plan (weeks/s)"] = _weeks_per_second(page, seconds)
    return figures


def _load() -> str:
    """The 1-, 5- and 15-minute load averages: browser timings mean little without them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="seconds of play per measurement (default 20)"
    )
    parser.add_argument("--clicks", type=int, default=10, help="Step clicks timed (default 10)")
    parser.add_argument(
        "--compare-with", type=Path, help="another checkout's dashboards/app.py, measured too"
    )
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600 or not 1 <= args.clicks <= 1000:
        print(
            "dashboard_benchmark: error: --seconds must be in [1, 600] and --clicks in [1, 1000]",
            file=sys.stderr,
        )
        return 2
    print(f"this dashboard (load average {_load()}):", flush=True)
    ours = measure(None, args.seconds, args.clicks)
    for name, value in ours.items():
        print(f"  {name:28}{value:10.2f}")
    print(f"  load average after: {_load()}")
    print(
        f"side by side: {ours['side by side (weeks/s)']:.1f} simulated weeks/s in headless Chromium",
        flush=True,
    )
    if args.compare_with is not None:
        print(f"\n{args.compare_with} (load average {_load()}):", flush=True)
        other = measure(args.compare_with.resolve(), args.seconds, args.clicks)
        print(f"  load average after: {_load()}")
        print(f"\n{'':28}{'this':>10}{'other':>10}{'this is':>14}")
        for name, value in ours.items():
            better = value / other[name] if "weeks/s" in name else other[name] / value
            print(f"{name:28}{value:10.2f}{other[name]:10.2f}{better:10.1f}x better")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
