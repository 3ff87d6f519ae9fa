"""How long one week takes on the dashboard: step the model(s) and render every picture.

Run ``python -m dashboards.frame_timing``. It times what the page does each
week, headless and without the browser: one step of each run, then each
view's update and PNG (network, culture over time, customers), for the
default organization (~334 staff), with one plan and with two side by side.
"""

from __future__ import annotations

import argparse
import statistics
import time

from tqdm import tqdm

from dashboards import views
from dashboards.lockstep import Lockstep
from dashboards.settings import Settings


def time_weeks(settings: Settings, weeks: int) -> list[float]:
    """Seconds per week (step + render of every view), for ``weeks`` weeks after a warm-up week."""
    model = Lockstep(settings)
    layout = views.network_layout(model.organization)
    panels = [
        (
            views.NetworkView(model.organization, layout),
            views.CultureView(run.organization.department_names, settings.weeks, run.params.tip_level),
            views.CustomerView(settings.weeks),
        )
        for run in model.runs
    ]
    seconds = []
    for week in tqdm(range(weeks + 1), desc=settings.mode, leave=False):
        start = time.perf_counter()
        model.step()
        limits = views.customer_limits([run.weekly() for run in model.runs])
        for run, (network, culture, customers) in zip(model.runs, panels, strict=True):
            network.update(run)
            network.png()
            culture.update(run.weekly())
            culture.png()
            customers.update(run.weekly(), limits)
            customers.png()
        if week:  # the first week draws every background
            seconds.append(time.perf_counter() - start)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=100, help="weeks to time (default: 100)")
    args = parser.parse_args(argv)
    for mode in ("single", "side_by_side"):
        seconds = time_weeks(Settings(mode=mode, plan="pilot", second_plan="rocket"), args.weeks)
        p90 = sorted(seconds)[int(0.9 * (len(seconds) - 1))]
        print(
            f"{mode:>13}: median {statistics.median(seconds):.3f} s per week, p90 {p90:.3f} s, max {max(seconds):.3f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
