"""Screenshots of the dashboard in projector mode for the README: ``python -m dashboards.screenshots``.

Serves the dashboard, opens the default preset (pilot against rocket, side
by side) in headless Chromium at 1024x768 and 1920x1080, plays it to the
end and saves ``docs/img/dashboard-1024x768.png`` and
``docs/img/dashboard-1920x1080.png`` (each written to a temporary name first).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from dashboards.served import chromium, served, wait_for_week

SIZES = ((1024, 768), (1920, 1080))
OUT = Path(__file__).resolve().parents[1] / "docs" / "img"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNGs (default: {OUT})")
    args = parser.parse_args(argv)
    if not args.out.is_dir():
        print(f"dashboards.screenshots: error: --out {args.out}: no such folder", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory() as tmp,
        served(Path(tmp) / "server.log") as (url, _),
        chromium() as browser,
    ):
        for width, height in SIZES:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.get_by_role("button", name="To the end").click()
            wait_for_week(page, 156, timeout=120_000)
            page.wait_for_timeout(1500)  # the last frame painted
            target = args.out / f"dashboard-{width}x{height}.png"
            partial = target.with_suffix(".png.partial")
            page.screenshot(path=str(partial), type="png")
            partial.replace(target)
            print(f"dashboards.screenshots: wrote {target}")
            page.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
