"""The dashboard's pictures as plain Matplotlib figures: the organization, the culture, the customers.

Kept free of Solara so they can be drawn, timed and tested headless. Each
view builds its :class:`matplotlib.figure.Figure` once (axes, legends,
layout); ``update`` only changes the data and ``png`` redraws only what
moved, because rebuilding and redrawing whole figures every week would
make playback crawl. Nothing goes through pyplot, so no figure is left open.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from PIL import Image as PILImage

from sim import RUNG_NAMES, CultureModel
from sim.organization import EXECUTIVE, FRONTLINE, MANAGER, Organization

RUNG_COLOURS: tuple[str, ...] = ("#d62728", "#f28e2b", "#a3a3a3", "#1f5bd6")
"""blame red, shame orange, justify grey, own blue."""
BLUE_LINE = "#0b2a8a"
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
"""One colour per department line (none of them a rung colour)."""
FONT = 12


@dataclass(frozen=True)
class NetworkLayout:
    """Where each person sits in the picture: departments as clusters, executives in the middle.

    Computed once per organization (the structure never changes; only rungs do).

    Attributes
    ----------
    xy : ndarray, shape (n_staff, 2)
        Position of each staff slot.
    centres : ndarray, shape (n_departments, 2)
        Centre of each department's cluster (labels go just outside).
    radii : ndarray, shape (n_departments,)
        Radius of each cluster.
    within, across : ndarray, shape (n_ties, 2, 2)
        Line segments of the ties inside a department and between departments.
    across_ends : ndarray, shape (n_ties, 2)
        Slots at the two ends of each cross-department tie (to colour blame crossing silos).
    """

    xy: np.ndarray
    centres: np.ndarray
    radii: np.ndarray
    within: np.ndarray
    across: np.ndarray
    across_ends: np.ndarray


def _sunflower(n: int) -> np.ndarray:
    """n points spread evenly over a unit disc, the first ones at the centre."""
    k = np.arange(n) + 0.5
    r = np.sqrt(k / max(n, 1))
    theta = k * np.pi * (3 - np.sqrt(5))
    return np.c_[r * np.cos(theta), r * np.sin(theta)]


def _segments(xy: np.ndarray, ties) -> tuple[np.ndarray, np.ndarray]:
    upper = ties.tocoo()
    keep = upper.row < upper.col
    ends = np.c_[upper.row[keep], upper.col[keep]]
    return xy[ends], ends


def network_layout(org: Organization) -> NetworkLayout:
    """Lay departments out as clusters on a ring, managers at each cluster's heart.

    Cluster areas are proportional to headcount, so a large department looks
    large; the ring leaves the middle to the executive team.
    """
    n_dept = org.n_departments
    sizes = np.bincount(org.department, minlength=n_dept + 1)[:n_dept].astype(float)
    radii = 0.16 * np.sqrt(sizes / max(sizes.max(), 1.0))
    angle = np.pi / 2 - 2 * np.pi * np.arange(n_dept) / max(n_dept, 1)
    ring = 0.0 if n_dept == 1 else max(0.62, 1.25 * radii.max() / np.sin(np.pi / n_dept))
    centres = ring * np.c_[np.cos(angle), np.sin(angle)]
    xy = np.zeros((org.n_staff, 2))
    for d in range(n_dept):
        members = np.flatnonzero(org.department == d)
        # managers first: they take the centre of the sunflower
        members = members[np.argsort(org.role[members] != MANAGER, kind="stable")]
        xy[members] = centres[d] + radii[d] * _sunflower(len(members))
    execs = np.flatnonzero(org.department == n_dept)
    if len(execs):
        # in the middle of the ring; with one department, above its cluster
        middle = np.array([0.0, 0.0]) if n_dept > 1 else np.array([0.0, radii[0] + 0.12])
        xy[execs] = middle + 0.05 * _sunflower(len(execs)) * (len(execs) > 1)
    within, _ = _segments(xy, org.within)
    across, across_ends = _segments(xy, org.across)
    return NetworkLayout(xy, centres, radii, within, across, across_ends)


class _Frames:
    """Encode a figure as PNG week after week, redrawing only its moving parts.

    The static parts (axes, ticks, legends, ties) are drawn once into a
    background that is kept as pixels; each week the background is restored
    and only the artists that move are drawn on top (Matplotlib's blitting).
    A full draw costs about 0.1 s per figure, mostly ticks and text; this
    cuts a week's render to a fraction of that. ``key`` names what the
    background depends on (e.g. y-limits): when it changes, the background is
    drawn again.
    """

    def __init__(self, figure: Figure) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self._background = None
        self._key: object = None

    def png(self, moving: Sequence[Artist], key: object = None) -> bytes:
        """The figure as PNG bytes, ``moving`` drawn over the cached background."""
        if self._background is None or key != self._key:
            for artist in moving:
                artist.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._key = key
            for artist in moving:
                artist.set_visible(True)
        else:
            self.canvas.restore_region(self._background)
        for artist in sorted(moving, key=lambda a: a.get_zorder()):
            self.figure.draw_artist(artist)
        width, height = self.canvas.get_width_height(physical=True)
        image = PILImage.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=1)
        return out.getvalue()


def _ladder(ax) -> list:
    """The responsibility ladder as a legend: OWN on top, the blue line under it.

    Returns the four share labels, blame first, for :class:`NetworkView` to update.
    """
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.05, 4.75)
    ax.axis("off")
    labels = []
    for rung, y in enumerate((0.0, 1.0, 2.0, 3.6)):
        ax.add_patch(Rectangle((0.0, y + 0.08), 0.28, 0.84, color=RUNG_COLOURS[rung]))
        labels.append(ax.text(0.36, y + 0.5, "", va="center", fontsize=FONT, linespacing=1.1))
    ax.plot([-0.04, 1.0], [3.22, 3.22], color=BLUE_LINE, lw=4, solid_capstyle="butt", clip_on=False)
    ax.text(0.0, 3.4, "the blue line", fontsize=FONT - 1, color=BLUE_LINE, weight="bold", va="center")
    ax.text(0.0, 4.6, "above the line", fontsize=FONT - 1, color=BLUE_LINE, style="italic", va="center")
    ax.text(0.0, 3.02, "below the line", fontsize=FONT - 1, color="#555", style="italic", va="center")
    return labels


_ACROSS_BLAME = (0.84, 0.15, 0.16, 0.2)
_ACROSS_OWN = (0.12, 0.36, 0.84, 0.35)
_ACROSS_OTHER = (0.5, 0.5, 0.5, 0.1)


class NetworkView:
    """The organization as a network: people coloured by rung, departments as clusters.

    Built once per organization (layout, ties, markers); :meth:`update`
    only recolours. Frontline staff are dots, managers squares, executives
    stars. Ties between departments turn red while either end is at BLAME
    (finger pointing across silos) and blue once both ends own.
    """

    def __init__(self, org: Organization, layout: NetworkLayout | None = None) -> None:
        self.org = org
        self.layout = layout = layout or network_layout(org)
        self.figure = fig = Figure(figsize=(8.2, 6.6), dpi=100)
        ax = fig.add_axes((0.0, 0.0, 0.77, 0.93))
        ax.set_aspect("equal")
        ax.axis("off")
        ax.add_collection(LineCollection(layout.within, colors="#9a9a9a", linewidths=0.4, alpha=0.35))
        self._across = LineCollection(layout.across, linewidths=0.45)
        ax.add_collection(self._across)
        self._people = {}
        for role, marker, size in ((FRONTLINE, "o", 22), (MANAGER, "s", 70), (EXECUTIVE, "*", 260)):
            mask = org.role == role
            self._people[role] = ax.scatter(
                layout.xy[mask, 0],
                layout.xy[mask, 1],
                s=size,
                marker=marker,
                linewidths=0.3 if role == FRONTLINE else 1.0,
                edgecolors="white" if role == FRONTLINE else "black",
                zorder=3 + role,
            )
        self._departments = []
        for d in range(org.n_departments):
            centre, radius = layout.centres[d], layout.radii[d]
            norm = np.linalg.norm(centre)
            direction = centre / norm if norm > 0 else np.array([0.0, -1.0])
            x, y = centre + direction * (radius + 0.035)
            # labels sit outside the ring, aligned away from their cluster
            ha = "left" if direction[0] > 0.35 else "right" if direction[0] < -0.35 else "center"
            va = "bottom" if direction[1] > 0.35 else "top" if direction[1] < -0.35 else "center"
            self._departments.append(ax.text(x, y, "", ha=ha, va=va, fontsize=FONT - 1, linespacing=1.05))
        extent = np.abs(layout.xy).max() + 0.3
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        self._title = fig.text(0.01, 0.965, "", fontsize=FONT + 2, weight="bold", va="center")
        self._shares = _ladder(fig.add_axes((0.77, 0.34, 0.2, 0.56)))
        keys = fig.add_axes((0.77, 0.03, 0.22, 0.27))
        keys.axis("off")
        handles = [
            Line2D([], [], ls="", marker="o", ms=6, mfc="#777", mec="white", label="frontline"),
            Line2D([], [], ls="", marker="s", ms=8, mfc="#777", mec="black", label="manager"),
            Line2D([], [], ls="", marker="*", ms=14, mfc="#777", mec="black", label="executive"),
            Line2D([], [], color=_ACROSS_BLAME[:3], alpha=0.7, lw=1.5, label="blame across silos"),
            Line2D([], [], color=_ACROSS_OWN[:3], alpha=0.7, lw=1.5, label="owned across silos"),
        ]
        keys.legend(handles=handles, loc="upper left", frameon=False, fontsize=FONT - 3, borderaxespad=0)
        self._frames = _Frames(fig)
        self._moving = [self._across, *self._people.values(), *self._departments, *self._shares, self._title]

    def update(self, model: CultureModel, title: str = "") -> Figure:
        """Recolour people and cross-silo ties from the model's current rungs; returns the figure."""
        org, rung = self.org, np.asarray(model.workforce.rung)
        if len(self.layout.across):
            ends = rung[self.layout.across_ends]
            colours = np.tile(np.array(_ACROSS_OTHER), (len(ends), 1))
            colours[(ends == 3).all(axis=1)] = _ACROSS_OWN
            colours[(ends == 0).any(axis=1)] = _ACROSS_BLAME
            self._across.set_colors(colours)
        palette = np.asarray(RUNG_COLOURS)
        for role, scatter in self._people.items():
            scatter.set_facecolors(palette[rung[org.role == role]])
        metrics = model.metrics
        for text, name in zip(self._departments, org.department_names, strict=True):
            text.set_text(f"{name.replace('_', ' ')}\n{metrics[f'above_line.{name}']:.0%} own")
        for text, name in zip(self._shares, RUNG_NAMES, strict=True):
            text.set_text(f"{name.upper()}\n{metrics[f'share_{name}']:.0%}")
        self._title.set_text(title or f"The organization, week {model.week}")
        return self.figure

    def png(self) -> bytes:
        """The figure as last updated, as PNG bytes (only the moving parts redrawn)."""
        return self._frames.png(self._moving)


def _programme_bands(ax, weekly: Mapping[str, Sequence[float]]) -> list:
    """Shade the weeks in which the plan spent money (a wave was running)."""
    cost = np.asarray(weekly["cost"], dtype=float)
    active = np.r_[False, cost[1:] > 0, False]
    edges = np.flatnonzero(np.diff(active.astype(int)))
    return [
        ax.axvspan(max(start - 0.5, 0.0), stop - 0.5, color="#f3e9c6", alpha=0.7, lw=0, zorder=0)
        for start, stop in zip(edges[::2], edges[1::2], strict=True)
    ]


class CultureView:
    """Above-the-line share over time (overall and per department) over stacked rung shares.

    The tipping level is a dashed line; shaded weeks are those in which
    the plan was spending (a wave running); the dotted line is education,
    the training people still remember. Axes are fixed to the horizon, so
    the lines grow across the picture as the weeks pass.
    """

    def __init__(self, department_names: Sequence[str], weeks: int, tip_level: float) -> None:
        self.department_names = tuple(department_names)
        self.figure = fig = Figure(figsize=(8.2, 5.8), dpi=100)
        self._top, self._bottom = top, bottom = fig.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [1.35, 1]}
        )
        self._lines = {
            name: top.plot(
                [],
                [],
                color=DEPARTMENT_COLOURS[k % len(DEPARTMENT_COLOURS)],
                lw=1.3,
                label=name.replace("_", " "),
            )[0]
            for k, name in enumerate(self.department_names)
        }
        self._lines["education"] = top.plot([], [], color="#555", lw=1.5, ls=":", label="education")[0]
        self._lines["above_line"] = top.plot([], [], color=RUNG_COLOURS[3], lw=3.2, label="whole org")[0]
        # drawn with the moving parts too, so the shaded weeks never hide them
        self._tipping = [
            top.axhline(tip_level, color="black", ls="--", lw=1.2),
            top.text(
                weeks,
                tip_level + 0.02,
                f"tipping level {tip_level:.0%}",
                ha="right",
                va="bottom",
                fontsize=FONT - 1,
            ),
        ]
        top.set_ylim(0, 1.05)
        top.set_ylabel("share above the line", fontsize=FONT)
        self._legend = top.legend(loc="upper left", fontsize=FONT - 3, ncols=3, frameon=True, framealpha=0.85)
        self._legend.set_zorder(10)
        self._title = fig.text(0.01, 0.975, "", fontsize=FONT + 2, weight="bold", va="center")
        self._blue_line = bottom.plot([], [], color=BLUE_LINE, lw=2.2)[0]
        bottom.set_ylim(0, 1)
        bottom.set_ylabel("rung shares", fontsize=FONT)
        bottom.set_xlabel("week", fontsize=FONT)
        bottom.set_xlim(0, weeks)
        handles = [Rectangle((0, 0), 1, 1, color=RUNG_COLOURS[k]) for k in range(3, -1, -1)]
        labels = [RUNG_NAMES[k].upper() for k in range(3, -1, -1)]
        bottom.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=FONT - 2)
        for ax in (top, bottom):
            ax.tick_params(labelsize=FONT - 1)
            ax.grid(alpha=0.25)
        fig.subplots_adjust(left=0.09, right=0.83, top=0.94, bottom=0.08, hspace=0.08)
        self._transient: list = []
        self._frames = _Frames(fig)

    def update(self, weekly: Mapping[str, Sequence[float]], title: str = "") -> Figure:
        """Redraw the curves from the weekly columns (week 0 first); returns the figure."""
        for artist in self._transient:
            artist.remove()
        t = np.arange(len(weekly["above_line"]))
        for name, line in self._lines.items():
            column = name if name in ("education", "above_line") else f"above_line.{name}"
            line.set_data(t, weekly[column])
        shares = np.array([weekly[f"share_{r}"] for r in RUNG_NAMES])
        self._transient = self._bottom.stackplot(t, shares, colors=RUNG_COLOURS, lw=0)
        self._transient += _programme_bands(self._top, weekly) + _programme_bands(self._bottom, weekly)
        self._blue_line.set_data(t, 1 - shares[3])
        self._title.set_text(title or "Above the line")
        return self.figure

    def png(self) -> bytes:
        """The figure as last updated, as PNG bytes (only the moving parts redrawn)."""
        moving = [
            *self._lines.values(),
            *self._tipping,
            self._blue_line,
            self._legend,
            self._title,
            *self._transient,
            *self._top.spines.values(),  # over the shaded weeks, as in a full draw
        ]
        return self._frames.png(moving)


CUSTOMER_PANELS: tuple[tuple[str, str, float], ...] = (
    ("satisfaction", "satisfaction (quality minus expectation)", 1.0),
    ("loyalty", "loyalty (0-1)", 1.0),
    ("churned", "customers lost per week", 1.0),
    ("revenue", "revenue per week (thousands)", 1e-3),
)
"""Weekly column, panel title, scale factor."""


def customer_limits(weeklies: Sequence[Mapping[str, Sequence[float]]]) -> dict[str, tuple[float, float]]:
    """Common y-limits for the customer panels, rounded out to tick marks.

    Shared by side-by-side runs so they compare at a glance; rounded so the
    axes change only now and then, not every week.
    """
    limits = {}
    for column, _, scale in CUSTOMER_PANELS:
        values = np.concatenate([np.asarray(w[column], dtype=float) * scale for w in weeklies])
        values = values[np.isfinite(values)]
        lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
        if column in ("loyalty", "churned"):
            lo = 0.0
        if column == "loyalty":
            hi = 1.0
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        ticks = MaxNLocator(nbins=4).tick_values(lo, hi)
        limits[column] = (float(min(ticks[0], lo)), float(max(ticks[-1], hi)))
    return limits


class CustomerView:
    """Customers week by week: satisfaction, loyalty, churn and revenue in four small panels."""

    def __init__(self, weeks: int) -> None:
        self.figure = fig = Figure(figsize=(8.2, 3.9), dpi=100)
        self._axes = axes = fig.subplots(2, 2, sharex=True).ravel()
        self._lines = []  # everything drawn each week: the series and the zero line
        self._series = []
        for ax, (column, label, _) in zip(axes, CUSTOMER_PANELS, strict=True):
            self._series.append(ax.plot([], [], color="#2a6f97", lw=1.6, zorder=3)[0])
            self._lines.append(self._series[-1])
            if column == "satisfaction":
                self._lines.append(ax.axhline(0, color="black", lw=0.8))
            ax.set_title(label, fontsize=FONT - 1, loc="left")
            ax.set_xlim(0, weeks)
            ax.tick_params(labelsize=FONT - 2)
            ax.grid(alpha=0.25)
        for ax in axes[2:]:
            ax.set_xlabel("week", fontsize=FONT - 1)
        self._title = fig.suptitle("", fontsize=FONT + 2, weight="bold", x=0.01, ha="left")
        fig.subplots_adjust(left=0.08, right=0.98, top=0.86, bottom=0.12, hspace=0.38, wspace=0.2)
        self._transient: list = []
        self._limits: tuple = ()
        self._frames = _Frames(fig)

    def update(
        self,
        weekly: Mapping[str, Sequence[float]],
        limits: Mapping[str, tuple[float, float]] | None = None,
        title: str = "",
    ) -> Figure:
        """Redraw from the weekly columns; ``limits`` shares y-axes across runs. Returns the figure."""
        for artist in self._transient:
            artist.remove()
        self._transient = []
        limits = limits or customer_limits([weekly])
        t = np.arange(len(weekly["above_line"]))
        for ax, line, (column, _, scale) in zip(self._axes, self._series, CUSTOMER_PANELS, strict=True):
            line.set_data(t, np.asarray(weekly[column], dtype=float) * scale)
            ax.set_ylim(*limits[column])
            self._transient += _programme_bands(ax, weekly)
        self._limits = tuple(limits[column] for column, _, _ in CUSTOMER_PANELS)
        self._title.set_text(title or "Customers")
        return self.figure

    def png(self) -> bytes:
        """The figure as last updated, as PNG bytes (the background redrawn when the y-limits change)."""
        spines = [spine for ax in self._axes for spine in ax.spines.values()]
        return self._frames.png([*self._lines, self._title, *self._transient, *spines], key=self._limits)


def summary_lines(model: CultureModel, weeks: int, budget: float | None = None) -> dict[str, str]:
    """The summary card's lines: tipped or not, weeks to tip, spend so far.

    Tipping is judged by :meth:`sim.CultureModel.summary` on the weeks run so
    far: the share above the line held at or above the tipping level for the
    last ``tip_hold`` weeks.
    """
    s = model.summary()
    p = model.params
    if s["tipped"]:
        verdict = f"TIPPED in week {s['weeks_to_tip']:.0f}"
    elif s["weeks"] < p.tip_hold:
        verdict = "not tipped (too early to tell)"
    else:
        verdict = "not tipped"
    spend = f"{s['total_cost']:,.0f}" + (f" of {budget:,.0f}" if budget and model.plan.waves else "")
    return {
        "plan": model.plan.name,
        "week": f"week {s['weeks']} of {weeks}",
        "verdict": verdict,
        "above_line": f"{s['final_above_line']:.0%} above the line (peak {s['peak_above_line']:.0%})",
        "spend": f"spent {spend}",
        "customers": f"{s['final_customers']:,.0f} customers, loyalty {s['final_loyalty']:.2f}",
    }
