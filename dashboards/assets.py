"""The browser-side files Solara's page loads, put where its server finds them without a CDN.

Solara's page template pulls a few npm packages (its Vue app bundle,
require.js), and the dashboard's charts the ECharts library, through the
server's CDN proxy, which fetches them from a public
CDN on first use and caches them. A machine that reaches only the package
registries (CI, an offline classroom laptop) cannot, and the page stays
blank. :func:`ensure` fills that cache from the npm registry with ``npm
pack``, for exactly the package versions the installed Solara asks for.

Stock Mesa ``SolaraViz`` pages load more through the same proxy: its
draggable grid and, for Altair charts, Vega (:data:`STOCK_VIZ_WIDGETS`).

Run ``python -m dashboards.assets`` once after installing the project
(``--stock-solaraviz`` to fetch stock SolaraViz's files too).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

_CDN_REFERENCE = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+)/")
_WIDGET_CDN_REFERENCE = re.compile(r"getCdn\(\)\}/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/")

STOCK_VIZ_WIDGETS = ("widgets/vue/gridlayout.vue", "widgets/vue/vegalite.vue")
"""Solara's widgets that stock SolaraViz renders and that load browser files: the grid, Altair charts."""


class AssetsError(RuntimeError):
    """The page's browser files are missing and could not be fetched."""


def cache_dir() -> Path:
    """Where Solara's CDN proxy looks for (and stores) the files it serves."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def required_packages(stock_viz: bool = False) -> list[tuple[str, str]]:
    """The (npm name, version) pairs the page loads through the CDN proxy.

    Those of Solara's page template, and the ECharts library the
    dashboard's charts load (:data:`dashboards.chart_widget.ECHARTS_VERSION`);
    with ``stock_viz``, also those of :data:`STOCK_VIZ_WIDGETS` (a version
    may be a major version, ``vega@5``, as the widget asks).
    """
    import solara

    from dashboards.chart_widget import ECHARTS_VERSION

    root = Path(solara.__file__).parent
    packages = set(_CDN_REFERENCE.findall((root / "server" / "templates" / "solara.html.j2").read_text()))
    packages.add(("echarts", ECHARTS_VERSION))
    for widget in STOCK_VIZ_WIDGETS if stock_viz else ():
        packages.update(_WIDGET_CDN_REFERENCE.findall((root / widget).read_text()))
    return sorted(packages)


def missing_packages(cache: Path | None = None, stock_viz: bool = False) -> list[tuple[str, str]]:
    """Required packages with no folder in the cache yet."""
    cache = cache or cache_dir()
    return [(n, v) for n, v in required_packages(stock_viz) if not (cache / f"{n}@{v}").is_dir()]


def _unpack(name: str, version: str, cache: Path) -> None:
    """``npm pack`` one package and move its contents to ``cache/name@version`` (all or nothing)."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            f"{name}@{version}: npm not found; install Node.js and npm, or give the machine internet"
        )
    target = cache / f"{name}@{version}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        done = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            raise AssetsError(f"{name}@{version}: npm pack failed: {done.stderr.strip()[-300:]}")
        with tarfile.open(tarballs[0]) as archive:
            archive.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        if not package.is_dir():
            raise AssetsError(f"{name}@{version}: unexpected tarball layout (no package/ folder)")
        package.rename(target)


def ensure(cache: Path | None = None, stock_viz: bool = False) -> list[str]:
    """Fetch every missing package into the cache; returns the ones fetched (``name@version``)."""
    cache = cache or cache_dir()
    fetched = []
    for name, version in missing_packages(cache, stock_viz):
        _unpack(name, version, cache)
        fetched.append(f"{name}@{version}")
    return fetched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.assets", description=__doc__.split("\n")[0])
    parser.add_argument("--stock-solaraviz", action="store_true", help="also stock Mesa SolaraViz's files")
    args = parser.parse_args(argv)
    try:
        fetched = ensure(stock_viz=args.stock_solaraviz)
    except AssetsError as err:
        print(f"dashboards.assets: error: {err}", file=sys.stderr)
        return 1
    where = cache_dir()
    print(
        f"dashboards.assets: fetched {', '.join(fetched)} into {where}"
        if fetched
        else f"dashboards.assets: up to date in {where}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
