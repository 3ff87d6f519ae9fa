"""The dashboard's charts as ECharts options: plain dicts the browser draws.

Drawing happens in the browser (Solara's ``FigureEcharts``): the server only
sends each chart's data, a few kilobytes a week, instead of rendering
images. Every function here is pure (runs in, option out), so the charts
can be built, tested and timed without a browser.

ECharts was chosen over Plotly's ``FigureWidget`` after a quick trial in
headless Chromium with Solara 1.64 and Plotly 7: the Plotly widget logged
"Error setting state" on every data update and showed the previous week's
data; ECharts drew every update, with no console error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dashboards.layout import AGGREGATE_ABOVE, NetworkLayout, across_ends, department_flows
from sim import RUNG_NAMES
from sim.ladder import Rung
from sim.organization import EXECUTIVE, FRONTLINE, MANAGER, Organization

RUNG_COLOURS: tuple[str, ...] = ("#d62728", "#f28e2b", "#a3a3a3", "#1f5bd6")
"""blame red, shame orange, justify grey, own blue."""
PLAN_COLOURS: tuple[str, ...] = ("#e66100", "#5d3a9b")
"""Left and right plan (colour-blind safe, neither a rung colour)."""
BASELINE_COLOUR = "#444444"
DEPARTMENT_COLOURS = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#17becf",
    "#8c564b",
    "#bcbd22",
    "#393b79",
    "#637939",
)
STAR = "path://M50,0 L61,35 L98,35 L68,57 L79,91 L50,70 L21,91 L32,57 L2,35 L39,35 Z"  # five-pointed

Weekly = Mapping[str, Sequence[float]]


@dataclass(frozen=True)
class Curve:
    """One run's line on a shared chart: its label, weekly columns and whether it is the baseline."""

    label: str
    weekly: Weekly
    colour: str
    baseline: bool = False


def _text(font: int) -> dict[str, Any]:
    return {"fontSize": font, "color": "#222"}


def _frame(title: str, font: int, filename: str) -> dict[str, Any]:
    """What every chart shares: no animation, large text, a title, a save-as-PNG button."""
    return {
        "animation": False,
        "textStyle": _text(font),
        "title": {"text": title, "left": 4, "top": 0, "textStyle": {**_text(font + 2), "fontWeight": "bold"}},
        "toolbox": {
            "right": 8,
            "top": 0,
            "itemSize": max(18, font),
            "feature": {"saveAsImage": {"name": filename, "pixelRatio": 2, "title": "save PNG"}},
        },
    }


def _axis(name: str, font: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "value",
        "name": name,
        "nameLocation": "middle",
        "nameTextStyle": _text(font),
        "axisLabel": _text(font - 2),
        "splitLine": {"lineStyle": {"opacity": 0.35}},
        **extra,
    }


def _points(values: Sequence[float], scale: float = 1.0) -> list[list[float]]:
    """``[[week, value], ...]`` rounded for the wire (NaN weeks left out)."""
    y = np.asarray(values, dtype=float) * scale
    weeks = np.flatnonzero(np.isfinite(y))
    return [[int(t), round(float(y[t]), 4)] for t in weeks]


def spending_weeks(weekly: Weekly) -> list[tuple[int, int]]:
    """``(first, last)`` week of each stretch in which the plan spent money."""
    cost = np.asarray(weekly["cost"], dtype=float)
    active = np.r_[False, cost[1:] > 0, False]
    edges = np.flatnonzero(np.diff(active.astype(int)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def lever_marks(moves: Sequence[tuple[int, str, Any, Any]], font: int) -> dict[str, Any]:
    """Vertical lines at the weeks a lever moved, labelled with what moved."""
    by_week: dict[int, list[str]] = {}
    for week, name, old, new in moves:
        text = "wave launched" if name == "launch" else f"{name.replace('_', ' ')} {old:g}→{new:g}"
        by_week.setdefault(int(week), []).append(text)
    return {
        "symbol": "none",
        "silent": True,
        "lineStyle": {"color": "#111", "type": "solid", "width": 2},
        "label": {"formatter": "{b}", "fontSize": font - 2, "position": "insideEndTop"},
        "data": [{"xAxis": w, "name": "; ".join(texts)} for w, texts in sorted(by_week.items())],
    }


def tipping_option(
    curves: Sequence[Curve],
    weeks: int,
    tip_level: float,
    *,
    departments: Sequence[str] = (),
    moves: Sequence[tuple[int, str, Any, Any]] = (),
    font: int = 18,
) -> dict[str, Any]:
    """Share above the line, week by week: every plan and the dashed no-plan baseline on one axis.

    With a single plan (``departments`` given), its departments are thin
    lines and the education people still remember is dotted. The tipping
    level is a dashed horizontal line; levers moved mid-run are vertical
    lines. The legend sits above the plot, never over the data.
    """
    series: list[dict[str, Any]] = []
    for curve in curves:
        style = {"width": 2.5, "type": "dashed"} if curve.baseline else {"width": 4}
        series.append(
            {
                "name": curve.label,
                "type": "line",
                "showSymbol": False,
                "color": curve.colour,
                "lineStyle": style,
                "z": 3 if curve.baseline else 4,
                "data": _points(curve.weekly["above_line"], 100),
            }
        )
    main = next((c for c in curves if not c.baseline), curves[0])
    for k, name in enumerate(departments):
        series.append(
            {
                "name": name.replace("_", " "),
                "type": "line",
                "showSymbol": False,
                "color": DEPARTMENT_COLOURS[k % len(DEPARTMENT_COLOURS)],
                "lineStyle": {"width": 1.5},
                "data": _points(main.weekly[f"above_line.{name}"], 100),
            }
        )
    if departments:
        series.append(
            {
                "name": "education",
                "type": "line",
                "showSymbol": False,
                "color": "#555",
                "lineStyle": {"width": 2, "type": "dotted"},
                "data": _points(main.weekly["education"], 100),
            }
        )
    series[0]["markLine"] = {
        "symbol": "none",
        "silent": True,
        "lineStyle": {"color": "#000", "type": "dashed", "width": 1.5},
        "label": {
            "formatter": f"tipping level {tip_level:.0%}",
            "fontSize": font - 2,
            "position": "insideEndTop",
        },
        "data": [{"yAxis": round(100 * tip_level, 2)}],
    }
    if moves:
        series.append({"name": "levers", "type": "line", "data": [], "markLine": lever_marks(moves, font)})
    return {
        **_frame("Share above the line (%)", font, "above-the-line"),
        "legend": {
            "type": "scroll",  # one line, never over the data
            "top": 36,
            "left": 4,
            "right": 60,
            "textStyle": _text(font - 2),
            "data": [s["name"] for s in series if s["name"] != "levers"],
        },
        "grid": {"top": 76, "left": 64, "right": 24, "bottom": 56},
        "xAxis": _axis("week", font, min=0, max=int(weeks), nameGap=32),
        "yAxis": _axis("", font, min=0, max=100),
        "series": series,
    }


def rungs_option(weekly: Weekly, weeks: int, title: str, *, font: int = 18) -> dict[str, Any]:
    """Stacked rung shares over time, the blue line between JUSTIFY and OWN; framed weeks are weeks the plan spent money."""
    shares = np.array([np.asarray(weekly[f"share_{name}"], dtype=float) for name in RUNG_NAMES])
    stacked = np.cumsum(shares, axis=0)  # BLAME at the bottom, OWN on top
    series = [
        {
            "name": RUNG_NAMES[r].upper(),
            "type": "line",
            "showSymbol": False,
            "color": RUNG_COLOURS[r],
            "lineStyle": {"width": 0},
            "areaStyle": {"opacity": 1},
            "z": 2 + (3 - r),  # each band drawn from 0 up, lower rungs over higher ones
            "data": _points(stacked[r], 100),
        }
        for r in range(3, -1, -1)
    ]
    series.append(
        {
            "name": "the blue line",
            "type": "line",
            "showSymbol": False,
            "color": "#0b2a8a",
            "lineStyle": {"width": 3},
            "z": 8,
            "data": _points(stacked[2], 100),
        }
    )
    series[-1]["markArea"] = {
        "silent": True,
        "itemStyle": {
            "color": "rgba(0,0,0,0)",
            "borderColor": "#111",
            "borderWidth": 1,
            "borderType": "dotted",
        },
        "data": [[{"xAxis": a}, {"xAxis": b}] for a, b in spending_weeks(weekly)],
    }
    return {
        **_frame(title, font, "rungs"),
        "legend": {
            "type": "scroll",
            "top": 36,
            "left": 4,
            "textStyle": _text(font - 2),
            "data": [*(name.upper() for name in RUNG_NAMES), "the blue line"],
        },
        "grid": {"top": 80, "left": 64, "right": 24, "bottom": 56},
        "xAxis": _axis("week", font, min=0, max=int(weeks), nameGap=32),
        "yAxis": _axis("", font, min=0, max=100),
        "series": series,
    }


CUSTOMER_PANELS: tuple[tuple[str, str, float], ...] = (
    ("loyalty", "loyalty (0-1)", 1.0),
    ("revenue", "revenue per week (thousands)", 1e-3),
)
"""Weekly column, panel title, scale factor."""


def customers_option(curves: Sequence[Curve], weeks: int, *, font: int = 18) -> dict[str, Any]:
    """Customers' loyalty and revenue, every run on the same axes (the baseline dashed)."""
    grids, xs, ys, titles, series = [], [], [], [], []
    for k, (column, label, scale) in enumerate(CUSTOMER_PANELS):
        grids.append({"top": 104, "bottom": 56, "left": f"{7 + 50 * k}%", "width": "40%"})
        xs.append(_axis("week", font, min=0, max=int(weeks), gridIndex=k, nameGap=32))
        ys.append(_axis("", font, gridIndex=k, scale=column != "loyalty", **({"max": 1} if k == 0 else {})))
        titles.append({"text": label, "left": f"{7 + 50 * k}%", "top": 70, "textStyle": _text(font - 2)})
        for curve in curves:
            series.append(
                {
                    "name": curve.label,
                    "type": "line",
                    "showSymbol": False,
                    "color": curve.colour,
                    "xAxisIndex": k,
                    "yAxisIndex": k,
                    "lineStyle": {"width": 2, "type": "dashed"} if curve.baseline else {"width": 3},
                    "data": _points(curve.weekly[column], scale),
                }
            )
    frame = _frame("Customers", font, "customers")
    return {
        **frame,
        "title": [frame["title"], *titles],
        "legend": {"type": "scroll", "top": 36, "left": 4, "textStyle": _text(font - 2)},
        "grid": grids,
        "xAxis": xs,
        "yAxis": ys,
        "series": series,
    }


def _round_xy(xy: np.ndarray) -> list[list[float]]:
    return np.round(xy, 3).tolist()


def network_option(
    org: Organization,
    layout: NetworkLayout,
    rung: np.ndarray,
    metrics: Mapping[str, float],
    title: str,
    *,
    font: int = 18,
) -> dict[str, Any]:
    """The organization coloured by rung: people, or departments above :data:`AGGREGATE_ABOVE` people.

    People: frontline dots, manager squares, executive stars; ties between
    departments red while either end blames, blue once both own. The title
    line gives the four rung shares.
    """
    rung = np.asarray(rung)
    share = [f"{name.upper()} {metrics[f'share_{name}']:.0%}" for name in RUNG_NAMES]
    shares = f"{share[0]} · {share[1]}\n{share[2]} · {share[3]}"
    frame = _frame(title, font, "network")
    frame["title"]["subtext"] = shares
    frame["title"]["textStyle"]["lineHeight"] = font + 8
    frame["title"]["subtextStyle"] = {**_text(font - 2), "lineHeight": font + 2}
    if org.n_staff > AGGREGATE_ABOVE:
        return {**frame, **_departments_picture(org, layout, rung, metrics, font)}
    return {**frame, **_people_picture(org, layout, rung, metrics, font)}


def _extent(layout: NetworkLayout) -> float:
    return float(np.abs(layout.xy).max() + 0.32)


PICTURE_MARGINS = {"top": 21.0, "bottom": 10.0, "left": 2.0, "right": 2.0}
"""Where the network's drawing area sits in its chart (% of the chart), below the title, above the key."""


def _square_axes(extent: float) -> dict[str, Any]:
    hidden = {"type": "value", "show": False, "min": -extent, "max": extent}
    return {"grid": {k: f"{v}%" for k, v in PICTURE_MARGINS.items()}, "xAxis": hidden, "yAxis": hidden}


def _percent(xy: np.ndarray, extent: float) -> list[str]:
    """A point in data units as ECharts' ``["x%", "y%"]`` of the chart (pies are not on the axes)."""
    m = PICTURE_MARGINS
    x, y = (np.asarray(xy) + extent) / (2 * extent)
    return [
        f"{m['left'] + x * (100 - m['left'] - m['right']):.1f}%",
        f"{m['top'] + (1 - y) * (100 - m['top'] - m['bottom']):.1f}%",
    ]


def _department_labels(org: Organization, layout: NetworkLayout, metrics, offset: np.ndarray, font: int):
    names = org.department_names
    return {
        "type": "scatter",
        "name": "departments",
        "silent": True,
        "symbolSize": 0,
        "z": 10,
        "label": {"show": True, "formatter": "{b}", "fontSize": font - 4, "color": "#111"},
        "data": [
            {
                "name": f"{name.replace('_', ' ')} {metrics[f'above_line.{name}']:.0%}",
                "value": _round_xy(layout.centres[d] + offset[d])[0:2],
            }
            for d, name in enumerate(names)
        ],
    }


def _people_picture(org, layout: NetworkLayout, rung: np.ndarray, metrics, font: int) -> dict[str, Any]:
    ends = across_ends(org)
    blame = (rung[ends] == Rung.BLAME).any(axis=1)
    own = (rung[ends] == Rung.OWN).all(axis=1)
    series: list[dict[str, Any]] = []
    for label, mask, colour, width in (
        ("ties: other", ~(blame | own), "rgba(128,128,128,0.25)", 1),
        ("ties: owned across silos", own, "rgba(31,91,214,0.55)", 1.5),
        ("ties: blame across silos", blame, "rgba(214,39,40,0.45)", 1.5),
    ):
        segments = layout.xy[ends[mask]].reshape(-1, 4)
        series.append(
            {
                "name": label,
                "type": "lines",
                "coordinateSystem": "cartesian2d",
                "silent": True,
                "polyline": False,
                "lineStyle": {"color": colour, "width": width},
                "data": [{"coords": [s[:2], s[2:]]} for s in np.round(segments, 3).tolist()],
            }
        )
    roles = (
        (FRONTLINE, "frontline", "circle", 6),
        (MANAGER, "manager", "rect", 10),
        (EXECUTIVE, "executive", STAR, 22),
    )
    for role, label, symbol, size in roles:
        for r in (2, 1, 0, 3):  # JUSTIFY grey first: the legend takes its colour from the first
            # one series per role and rung: plain [x, y] points, the cheapest data to send and draw
            slots = np.flatnonzero((org.role == role) & (rung == r))
            series.append(
                {
                    "name": label,
                    "type": "scatter",
                    "symbol": symbol,
                    "symbolSize": size,
                    "color": RUNG_COLOURS[r],
                    "itemStyle": {"borderColor": "#fff" if role == FRONTLINE else "#000", "borderWidth": 0.6},
                    "z": 3 + role,
                    "data": _round_xy(layout.xy[slots]),
                }
            )
    offset = np.c_[np.zeros(org.n_departments), -(layout.radii + 0.07)]
    series.append(_department_labels(org, layout, metrics, offset, font))
    return {
        **_square_axes(_extent(layout)),
        "legend": {
            "bottom": 0,
            "left": 4,
            "textStyle": _text(font - 4),
            "data": [
                "frontline",
                "manager",
                "executive",
                "ties: blame across silos",
                "ties: owned across silos",
            ],
        },
        "series": series,
    }


def _departments_picture(org, layout: NetworkLayout, rung: np.ndarray, metrics, font: int) -> dict[str, Any]:
    """Departments as pies (size: headcount, slices: rung mix) and one flow per pair of departments."""
    flows = department_flows(org, rung)
    extent = _extent(layout)
    lines = []
    widest = float(flows.ties.max()) if len(flows.ties) else 1.0
    for (a, b), ties, blame, own in zip(
        flows.pairs, flows.ties, flows.blame_share, flows.own_share, strict=True
    ):
        if b >= org.n_departments:
            continue
        colour = (
            "rgba(214,39,40,0.6)"
            if blame >= 0.5
            else "rgba(31,91,214,0.6)"
            if own >= 0.5
            else "rgba(128,128,128,0.5)"
        )
        lines.append(
            {
                "coords": _round_xy(layout.centres[[a, b]]),
                "lineStyle": {"width": round(1 + 14 * ties / widest, 1), "color": colour},
            }
        )
    series: list[dict[str, Any]] = [
        {
            "name": "ties between departments",
            "type": "lines",
            "coordinateSystem": "cartesian2d",
            "silent": True,
            "data": lines,
        }
    ]
    biggest = float(flows.headcount.max())
    for d, name in enumerate(org.department_names):
        series.append(
            {
                "name": name,
                "type": "pie",
                "silent": True,
                "z": 5,
                "label": {"show": False},
                "center": _percent(layout.centres[d], extent),
                "radius": f"{4 + 10 * np.sqrt(flows.headcount[d] / biggest):.1f}%",
                "data": [
                    {"name": RUNG_NAMES[r].upper(), "value": round(float(flows.rung_mix[d, r]), 3)}
                    for r in range(4)
                ],
                "color": list(RUNG_COLOURS),
            }
        )
    offset = np.c_[np.zeros(org.n_departments), -(0.05 + 0.2 * np.sqrt(flows.headcount / biggest))]
    series.append(_department_labels(org, layout, metrics, offset, font))
    return {**_square_axes(extent), "series": series}
