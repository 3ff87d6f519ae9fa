"""The dashboard served on a free port, and a headless Chromium to drive it.

Shared by the browser tests, the benchmark (``benchmarks/dashboard_benchmark.py``)
and the screenshots in ``docs/img`` (``python -m dashboards.screenshots``).
The browser is Debian's ``/usr/bin/chromium`` driven by Playwright, not a
downloaded one.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboards import assets
from dashboards.chart_widget import echarts_url
from dashboards.commands import QUIET_ENVIRONMENT, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 90.0
"""Seconds for the server to answer (a cold start imports solara, mesa, scipy)."""
WEEK = re.compile(r"^Week (\d+) of (\d+)$")


class ServeError(RuntimeError):
    """The dashboard did not start; the message ends with the server's log."""


def blueline_command() -> list[str]:
    """The ``blueline`` script of this environment."""
    script = Path(sys.executable).with_name("blueline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scenarios.cli"]


@contextmanager
def served(log: Path, app: Path | None = None) -> Iterator[tuple[str, float]]:
    """Serve the dashboard (``blueline dashboard``, or ``solara run APP``); yield its URL and start-up seconds.

    The server runs in its own process group and is always stopped afterwards.
    """
    assets.ensure()  # no-op once the files are in place; otherwise fetched from the npm registry
    port = free_port()
    if app is None:
        command = [*blueline_command(), "dashboard", "--port", str(port), "--no-browser"]
    else:
        command = [
            sys.executable,
            "-m",
            "solara",
            "run",
            str(app),
            "--port",
            str(port),
            "--production",
            "--no-open",
        ]
    started = time.perf_counter()
    with log.open("w") as out:
        server = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=app.parents[1] if app is not None else None,
            env={**os.environ, **QUIET_ENVIRONMENT, **({"PYTHONPATH": str(app.parents[1])} if app else {})},
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if server.poll() is not None:
                raise ServeError(
                    f"the dashboard exited with code {server.returncode}:\n{log.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServeError(f"no answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield url, time.perf_counter() - started
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright ``Browser``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def week(page: Any) -> int:
    """The week the page says it is at."""
    match = WEEK.match(page.get_by_text(WEEK).inner_text())
    assert match is not None
    return int(match.group(1))


def wait_for_week(page: Any, number: int, timeout: float = 60_000) -> None:
    """Wait until the page says it is at week ``number``."""
    page.get_by_text(re.compile(rf"^Week {number} of \d+$")).wait_for(timeout=timeout)


def chart_option(page: Any, name: str) -> dict[str, Any] | None:
    """The option a chart (``blueline-NAME``) has drawn in the browser, read back from ECharts itself."""
    return page.evaluate(
        """([name, url]) => new Promise((resolve) => {
            const el = document.querySelector(`.blueline-${name} .solara-echarts`);
            // the module the chart widget loaded, from requirejs' cache
            window.requirejs([url], (echarts) => {
                const chart = el && echarts.getInstanceByDom(el);
                resolve(chart ? JSON.parse(JSON.stringify(chart.getOption())) : null);
            });
        })""",
        [name, echarts_url(page.evaluate("window.solara.cdn"))],
    )
