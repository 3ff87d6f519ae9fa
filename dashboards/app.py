"""The classroom dashboard: press play and watch a culture tip, or race two rollout plans.

Run it with ``blueline dashboard`` or ``solara run dashboards/app.py``.

It follows Mesa's SolaraViz conventions (controls with play, pause, step
and reset; views that re-render on a frame counter, as on Mesa's
``update_counter``) but is
assembled from its own Solara components, because SolaraViz's controller
cannot do what a class needs here: a preset must set every control at once,
levers must act mid-run, and two plans and a baseline must step in lockstep
on the same organization. Charts are drawn in the browser (ECharts): the
server sends data, not pictures, and the play loop draws only as often as
the browser keeps up.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import solara
from reacton.core import get_render_context

from dashboards import charts
from dashboards.cards import summary_lines
from dashboards.chart_widget import ChartWidget
from dashboards.frames import FrameAck, frames
from dashboards.layout import network_layout
from dashboards.levers import PARAMETER_LEVERS, WAVE_LEVERS
from dashboards.lockstep import Lockstep
from dashboards.prebuilt import Prebuilt
from dashboards.presets import DEFAULT_PRESET, PRESETS
from dashboards.settings import BEHAVIOUR, RANGES, Settings
from dashboards.upload import UploadError, load_upload
from dashboards.warmup import warm_up
from sim import RUNG_NAMES, ModelParams, ParameterError

# Reacton's fast renderer (same widgets and effects as the default, which it is fuzz-tested against)
# reconciles only the parts of the page that changed; the default walks every control for each frame.
# Read when a page's renderer is made, so any time before the first page.
os.environ.setdefault("REACTON_FAST", "1")

SPEEDS: dict[str, float | None] = {"slow": 2.0, "steady": 6.0, "fast": 20.0, "fastest": None}
"""Playback speed in simulated weeks per second (None: as fast as the machine goes)."""
YIELD_SECONDS = 0.002
"""Pause between weeks at the fastest speed, so Pause and Reset are handled at once."""
FRAMES_PER_SECOND = 8.0
"""The play loop draws at most this often; weeks in between are simulated, not drawn."""

LABELS: dict[str, str] = {
    "org_size": "organization size (x default)",
    "n_departments": "departments",
    "silo_strength": "silo strength",
    "w_peer": "pull of owning colleagues (w_peer)",
    "w_blame": "push of blaming colleagues (w_blame)",
    "w_lead": "weight of one's managers (w_lead)",
    "w_edu": "weight of training (w_edu)",
    "w_mech": "weight of reinforcing systems (w_mech)",
    "resistance_mean": "resistance to change (mean)",
    "cynicism_rate": "cynicism per week of waiting",
    "budget": "budget per plan",
    "seed": "seed (fixes the organization and the run)",
    "weeks": "weeks to run",
}

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"

CSS = """
.blueline-page { font-size: 16px; }
.blueline-projector { font-size: 18px; }
.blueline-projector .v-label, .blueline-projector .v-btn, .blueline-projector .v-select__selection,
.blueline-projector input, .blueline-projector .v-list-item__title, .blueline-projector .v-card__title,
.blueline-projector .v-input { font-size: 18px !important; }
.blueline-controls { flex: 0 0 340px; width: 340px; overflow-y: auto; max-height: calc(100vh - 72px); }
.blueline-controls > * { flex-shrink: 0; }
@media (max-width: 1280px) { .blueline-controls { flex-basis: 300px; width: 300px; } }
.blueline-controls .v-input--horizontal.v-slider {
  grid-template-areas: "prepend" "control"; grid-template-columns: minmax(0, 1fr); min-width: 200px;
}
.blueline-controls .v-slider .v-input__prepend { margin-inline-end: 0; }
.blueline-controls .v-slider .v-label { white-space: normal; }
.blueline-controls .v-input { min-width: 120px; }
.blueline-top { display: grid !important; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 8px; }
.blueline-verdict { font-size: 1.3em; font-weight: 600; }
.blueline-tipped { color: #1f5bd6; }
.blueline-not-tipped { color: #8a4b00; }
.blueline-chart { width: 100%; }
.blueline-controls .v-btn-toggle { flex-wrap: wrap; }
.v-app-bar.v-toolbar { background-color: #0b2a8a !important; }
.v-app-bar .v-btn { background-color: #ffffff !important; color: #0b2a8a !important; }
"""

Apply = Callable[..., bool]
"""Change some settings and start again at week 0; False (and the error shown) when refused."""


def format_value(name: str, value: float) -> str:
    """A control's value with as many decimals as its step has (0.25 stays 0.25)."""
    step = RANGES[name][2] if name in RANGES else PARAMETER_LEVERS[name][3]
    text = f"{step:g}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{value:,.{decimals}f}"


@solara.component
def ControlSlider(name: str, value: float, on_value: Callable[[Any], None], disabled: bool = False) -> None:
    """A slider for one numeric control, its current value in its label."""
    lo, hi, step = RANGES[name]
    text = f"{LABELS.get(name, name)}: {format_value(name, value)}"
    if float(step).is_integer() and float(lo).is_integer():
        solara.SliderInt(
            text,
            value=int(value),
            min=int(lo),
            max=int(hi),
            step=int(step),
            on_value=on_value,
            disabled=disabled,
        )
    else:
        solara.SliderFloat(
            text, value=float(value), min=lo, max=hi, step=step, on_value=on_value, disabled=disabled
        )


@solara.component
def PresetPicker(
    preset: solara.Reactive[str], current: solara.Reactive[Lockstep], choose: Callable[[str], None]
) -> None:
    """Pick a classroom preset; its caption says what to watch for; restore it once changed."""
    settings = current.value.settings
    solara.Select("Classroom preset", values=list(PRESETS), value=preset.value or None, on_value=choose)
    chosen = PRESETS.get(preset.value)
    if chosen is not None:
        solara.Text(chosen.caption)
        if chosen.settings != settings:
            solara.Button(
                "Restore the preset",
                icon_name="mdi-restore",
                outlined=True,
                on_click=lambda: choose(chosen.title),
            )


@solara.component
def Playback(
    current: solara.Reactive[Lockstep],
    playing: solara.Reactive[bool],
    speed: solara.Reactive[str],
    lock: threading.Lock,
    reset: Callable[[], None],
    ack: FrameAck,
) -> None:
    """Play, pause, step, reset; speed; jump to a week or to the end.

    The play loop simulates at the chosen speed and draws at most
    :data:`FRAMES_PER_SECOND` times a second, at most a third of the time,
    and only once the browser has drawn the previous frame (``ack``): when
    drawing is slow (a large organization, a busy machine) it draws every
    Nth week instead of slowing the run or queueing frames. Only
    :class:`RunButtons` is redrawn with every frame.
    """
    model = current.value
    target = solara.use_reactive(model.settings.weeks)
    jump_to: solara.Reactive[int | None] = solara.use_reactive(None)
    reached = solara.use_reactive(0)

    def play() -> None:
        drawn_at, draw_seconds = 0.0, 0.0
        while playing.value and task.is_current() and model.running:
            started = time.perf_counter()
            with lock:
                model.step()
            if not model.running:
                playing.set(False)
                break
            # draw when due, once the browser has drawn the last frame, and never more than a third of the time
            if ack.ready() and started - drawn_at >= max(1.0 / FRAMES_PER_SECOND, 2.0 * draw_seconds):
                drawn_at = time.perf_counter()
                ack.draw()  # renders in this thread: the next week waits for the picture
                draw_seconds = time.perf_counter() - drawn_at
            per_week = SPEEDS[speed.value]
            pause = 1.0 / per_week - (time.perf_counter() - started) if per_week else 0.0
            time.sleep(max(pause, YIELD_SECONDS))  # even at full speed, a click gets its turn
        # paused or at the horizon: show the week it stopped at, unless on screen already (a reset, a new model)
        if task.is_current() and ack.shows != (model, model.week):
            ack.draw()

    task = solara.lab.use_task(play, dependencies=[playing.value, model], prefer_threaded=True)

    def step() -> None:
        with lock:
            model.step()
        ack.draw()

    def run_jump() -> None:
        if jump_to.value is None:
            return
        with lock:
            model.jump_to(jump_to.value, progress=lambda week: week % 10 or reached.set(week))
        jump_to.set(None)
        ack.draw()

    solara.lab.use_task(run_jump, dependencies=[jump_to.value, model], prefer_threaded=True)

    def jump(week: int) -> None:
        playing.set(False)
        reached.set(model.week)
        jump_to.set(int(week))

    RunButtons(model, playing, step, reset)
    solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), dense=True)
    with solara.Row(gap="6px", style="align-items: center; flex-wrap: wrap"):
        solara.InputInt("jump to week", value=target, style="max-width: 140px; min-width: 120px")
        solara.Button(
            "Go",
            icon_name="mdi-debug-step-over",
            on_click=lambda: jump(target.value),
            disabled=jump_to.value is not None,
        )
        solara.Button(
            "To the end",
            icon_name="mdi-skip-forward",
            on_click=lambda: jump(model.settings.weeks),
            disabled=jump_to.value is not None,
        )
    if jump_to.value is not None:
        solara.Text(f"jumping to week {jump_to.value}: at week {reached.value}")
        solara.ProgressLinear(100 * reached.value / max(jump_to.value, 1))


@solara.component
def RunButtons(
    model: Lockstep, playing: solara.Reactive[bool], step: Callable[[], None], reset: Callable[[], None]
) -> None:
    """Play or pause, step, reset, and the week on screen: redrawn with every frame."""
    frames.get()
    with solara.Row(gap="6px", style="flex-wrap: wrap"):
        if playing.value:
            solara.Button(
                "Pause", icon_name="mdi-pause", color="primary", on_click=lambda: playing.set(False)
            )
        else:
            solara.Button(
                "Play",
                icon_name="mdi-play",
                color="primary",
                on_click=lambda: playing.set(True),
                disabled=not model.running,
            )
        solara.Button(
            "Step", icon_name="mdi-step-forward", on_click=step, disabled=playing.value or not model.running
        )
        solara.Button("Reset", icon_name="mdi-restart", on_click=reset)
    solara.Text(f"Week {model.week} of {model.settings.weeks}", style="font-size: 1.25em; font-weight: 600")


@solara.component
def Levers(current: solara.Reactive[Lockstep], lock: threading.Lock, ack: FrameAck) -> None:
    """Levers that act from the current week on, without a restart; the chart marks the week."""
    frames.get()  # a lever moved, or a jump back in time replayed the levers: the sliders follow
    model = current.value
    LeverSliders(model, lock, ack, model.runs[0].params)


@solara.component
def LeverSliders(model: Lockstep, lock: threading.Lock, ack: FrameAck, params: ModelParams) -> None:
    """The levers at ``params``' values: redrawn when those change, not with every frame."""

    def move(name: str, value: float) -> None:
        with lock:
            model.adjust(**{name: float(value)})
        ack.draw()

    def launch(title: str) -> None:
        with lock:
            model.launch(WAVE_LEVERS[title])
        ack.draw()

    for name, (label, lo, hi, step) in PARAMETER_LEVERS.items():
        value = float(getattr(params, name))
        solara.SliderFloat(
            f"{label}: {format_value(name, value)}",
            value=value,
            min=lo,
            max=hi,
            step=step,
            on_value=lambda v, name=name: move(name, v),
        )
    for title in WAVE_LEVERS:
        solara.Button(
            title, icon_name="mdi-rocket-launch", outlined=True, on_click=lambda title=title: launch(title)
        )
    solara.Text(
        "Levers act from this week on; the chart marks the week.", style="font-size: 0.85em; color: #444"
    )


@solara.component
def PlanControls(settings: Settings, apply: Apply) -> None:
    """One plan, or two side by side; their budget, the seed and the horizon."""
    plans = settings.available_plans()
    solara.ToggleButtonsSingle(
        value=settings.mode,
        on_value=lambda mode: apply(mode=mode),
        children=[
            solara.Button("one plan", value="single"),
            solara.Button("two plans", value="side_by_side"),
        ],
    )
    side = settings.mode == "side_by_side"
    pickers = [("plan", "plan (left)" if side else "plan")] + (
        [("second_plan", "plan (right)")] if side else []
    )
    for name, label in pickers:
        chosen = getattr(settings, name)
        solara.Select(
            label, values=list(plans), value=chosen, on_value=lambda v, name=name: apply(**{name: v})
        )
        solara.Text(plans[chosen].description, style="font-size: 0.85em; color: #444")
    ControlSlider("budget", settings.budget, lambda v: apply(budget=v))
    # a slider, not a text box: it cannot show a seed that does not run
    ControlSlider("seed", settings.seed, lambda v: apply(seed=v))
    ControlSlider("weeks", settings.weeks, lambda v: apply(weeks=v))


@solara.component
def OrganizationControls(settings: Settings, apply: Apply) -> None:
    """Size and number of departments (from an uploaded scenario, its own organization)."""
    if settings.scenario is not None:
        solara.Text(
            f"organization of {settings.scenario.source}: "
            + ", ".join(settings.scenario.params.department_names)
        )
    for name in ("org_size", "n_departments"):
        ControlSlider(
            name,
            getattr(settings, name),
            lambda v, name=name: apply(**{name: v}),
            disabled=settings.scenario is not None,
        )
    ControlSlider("silo_strength", settings.silo_strength, lambda v: apply(silo_strength=v))


@solara.component
def BehaviourControls(settings: Settings, apply: Apply) -> None:
    """The weights of the weekly rule each person follows (shown on demand)."""
    shown = solara.use_reactive(False)
    solara.Switch(label="show the weights of the weekly rule", value=shown)
    if shown.value:
        for name in BEHAVIOUR:
            ControlSlider(name, getattr(settings, name), lambda v, name=name: apply(**{name: v}))


@solara.component
def ScenarioUpload(load: Callable[[dict[str, bytes]], None], settings: Settings) -> None:
    """Drop the class's scenario TOML (and the organization CSV it names)."""
    pending: solara.Reactive[dict[str, bytes]] = solara.use_reactive({})

    def dropped(files: list[Any]) -> None:
        received = {f["name"]: f["data"] for f in files if f.get("data") is not None}
        merged = {**pending.value, **received}
        pending.set(merged)
        load(merged)

    solara.FileDropMultiple(
        label="Drop a scenario .toml and its organization .csv here", on_file=dropped, lazy=False
    )
    if settings.scenario is not None:
        solara.Text(f"playing {settings.scenario.source}: {settings.scenario.description}")


def weekly_csv(model: Lockstep) -> str:
    """Every run's weekly columns, one row per run and week, plus the levers moved."""
    out = io.StringIO()
    runs = [(f"plan {i + 1}: {r.plan.name}", r) for i, r in enumerate(model.runs)] + [
        ("baseline: none", model.baseline)
    ]
    columns = list(model.runs[0].weekly())
    writer = csv.writer(out)
    writer.writerow(["run", "week", *columns])
    for label, run in runs:
        weekly = run.weekly()
        for week in range(len(weekly[columns[0]])):
            writer.writerow([label, week, *(weekly[c][week] for c in columns)])
    for week, kind, payload in model.moves:
        writer.writerow([f"lever: {kind} {payload}", week])
    return out.getvalue()


@solara.component
def Export(current: solara.Reactive[Lockstep]) -> None:
    """Weekly data as CSV; each chart saves itself as PNG from its own corner button."""
    model = current.value
    solara.FileDownload(
        lambda: weekly_csv(model),
        filename="blueline-weekly.csv",
        label="Download the weekly data (CSV)",
        mime_type="text/csv",
    )
    solara.Text(
        "Each chart's PNG: the download icon in its top-right corner.", style="font-size: 0.85em; color: #444"
    )


@functools.cache
def odd_html() -> str:
    """docs/ODD.md as HTML (read once per process)."""
    import markdown  # rendered here so no diagram library is pulled from a CDN

    return markdown.markdown(ODD.read_text(encoding="utf-8"), extensions=["tables"])


READING_GUIDE = (
    "<p><b>What it is.</b> An agent-based model of a service organization: frontline staff, managers and an "
    "executive team in departments (silos), and their customers. Each week each person may move one rung up "
    f"or down the ladder {' → '.join(r.upper() for r in RUNG_NAMES)}, pulled by owning colleagues and leaders, "
    "training and reinforcing systems, and pushed back by blame, especially blame arriving from other "
    "departments. A rollout plan is a list of waves of training, leadership coaching and systems.</p>"
    "<p><b>How to read it.</b> The <b>blue line</b> lies between JUSTIFY and OWN: only people who take personal "
    "responsibility are <i>above the line</i>. The top chart shows each plan's share above the line and, "
    "dashed, the same organization with no plan at all. The culture has <b>tipped</b> once that share has "
    "stayed at or over the tipping level for the last half year. In the network each dot is a person "
    "(squares managers, stars executives), coloured by rung; red ties carry blame across silos. Above "
    "1,000 people each department is one pie (size: headcount; slices: rungs) and ties are bundled into flows.</p>"
    "<p>The full description, with every rule and parameter, is the ODD protocol in <code>docs/ODD.md</code> "
    "(open it below).</p>"
)


@solara.component
def Info() -> None:
    """What the model is, how to read the charts, and the ODD protocol itself."""
    show_odd = solara.use_reactive(False)
    solara.HTML(unsafe_innerHTML=READING_GUIDE)
    solara.Button(
        "Open docs/ODD.md",
        icon_name="mdi-book-open-variant",
        outlined=True,
        on_click=lambda: show_odd.set(not show_odd.value),
    )
    if show_odd.value:
        solara.HTML(unsafe_innerHTML=odd_html(), classes=["blueline-odd"])


@solara.component
def Chart(
    build: Callable[[], dict[str, Any]], height: int, name: str, frame: int, on_drawn: Callable[[], None]
) -> None:
    """One browser-drawn chart; ``name`` is a CSS class the tests and the benchmark find it by.

    ``frame`` makes it draw again: the renderer takes two closures over the
    same (mutated) model for equal.

    The option is built here and set on a widget this component keeps, never
    passed as a prop: the renderer walks every value of a prop, and an
    organization's network is thousands of numbers.
    """
    chart = solara.use_memo(
        lambda: ChartWidget(attributes={"style": f"height: {height}px; width: 100%"}), dependencies=[height]
    )
    chart.option = build()  # the widget is ours, not the renderer's: set in place, sent if changed

    def watch() -> Callable[[], None]:
        def seen(change: dict[str, Any]) -> None:
            if change["new"]:
                on_drawn()

        chart.observe(seen, "drawn")
        return lambda: chart.unobserve(seen, "drawn")

    solara.use_effect(watch, dependencies=[chart])
    solara.Column(classes=["blueline-chart", f"blueline-{name}"], gap="0px", children=[chart])


def _curves(model: Lockstep) -> list[charts.Curve]:
    curves = [
        charts.Curve(run.plan.name, run.weekly(), charts.PLAN_COLOURS[i % 2])
        for i, run in enumerate(model.runs)
    ]
    return curves + [
        charts.Curve("no plan (baseline)", model.baseline.weekly(), charts.BASELINE_COLOUR, baseline=True)
    ]


@solara.component
def SummaryCard(model: Lockstep, index: int, frame: int) -> None:
    """Tipped or not, weeks to tip, spend to date against the spend planned to date."""
    run = model.runs[index]
    lines = summary_lines(run, model.settings.weeks)
    tipped = lines["verdict"].startswith("TIPPED")
    side = ("left: ", "right: ")[index] if len(model.runs) > 1 else ""
    with solara.Card(
        f"{side}{lines['plan']}", margin=0, style=f"border-top: 6px solid {charts.PLAN_COLOURS[index % 2]}"
    ):
        solara.Text(
            lines["verdict"],
            classes=["blueline-verdict", "blueline-tipped" if tipped else "blueline-not-tipped"],
        )
        solara.HTML(
            unsafe_innerHTML=(
                f"{escape(lines['week'])}<br><b>{escape(lines['above_line'])}</b><br>"
                f"{escape(lines['spend'])}<br>{escape(lines['customers'])}"
            ),
            classes=["blueline-summary"],
        )


@solara.component
def Board(
    current: solara.Reactive[Lockstep], projector: bool, ack: FrameAck, on_drawn: Callable[[], None]
) -> None:
    """The main area: the tipping chart and the network first, then summaries, rungs and customers.

    With :class:`RunButtons`, the only part of the page redrawn with every frame.
    ``on_drawn`` is called once a chart is on screen.
    """
    frame = frames.get()
    model = current.value
    ack.sent(frame, shows=(model, model.week))
    font = 18 if projector else 14
    layout = solara.use_memo(lambda: network_layout(model.organization), dependencies=[model])
    shown = solara.use_reactive(0)
    index = min(shown.value, len(model.runs) - 1)
    run = model.runs[index]
    single = len(model.runs) == 1

    def tipping() -> dict[str, Any]:
        return charts.tipping_option(
            _curves(model),
            model.settings.weeks,
            run.params.tip_level,
            departments=run.organization.department_names if single else (),
            moves=model.runs[0].lever_moves,
            font=font,
        )

    def network() -> dict[str, Any]:
        title = f"{run.plan.name}, week {run.week}"
        return charts.network_option(
            run.organization, layout, run.workforce.rung, run.metrics, title, font=font
        )

    def rungs(r: Any) -> Callable[[], dict[str, Any]]:
        return lambda: charts.rungs_option(
            r.weekly(), model.settings.weeks, f"{r.plan.name}: rungs", font=font
        )

    with solara.Column(classes=["blueline-top"]):
        Chart(tipping, 520, "tipping", frame, on_drawn)
        with solara.Column(gap="0px"):
            if not single:
                solara.ToggleButtonsSingle(
                    value=index,
                    on_value=shown.set,
                    children=[solara.Button(r.plan.name, value=i) for i, r in enumerate(model.runs)],
                )
            Chart(network, 520 if single else 476, "network", frame, on_drawn)
    with solara.Columns([1] * len(model.runs)):
        for i in range(len(model.runs)):
            SummaryCard(model, i, frame)
    with solara.Column(classes=["blueline-top"]):
        for r in model.runs:
            Chart(rungs(r), 380, "rungs", frame, on_drawn)
        Chart(
            lambda: charts.customers_option(_curves(model), model.settings.weeks, font=font),
            380,
            "customers",
            frame,
            on_drawn,
        )


@dataclass(frozen=True)
class Actions:
    """What the controls do to the page's state; made once per page, so the controls never redraw for nothing."""

    rebuild: Callable[[Settings], None]
    apply: Apply
    choose: Callable[[str], None]
    load: Callable[[dict[str, bytes]], None]


def _actions(
    preset: solara.Reactive[str],
    model: solara.Reactive[Lockstep],
    playing: solara.Reactive[bool],
    error: solara.Reactive[str],
    lock: threading.Lock,
    batch: Any,
    prebuilt: Prebuilt,
) -> Actions:
    def rebuild(new: Settings) -> None:
        with lock:
            fresh = prebuilt.take(new)
        with batch:  # stop, new model, no error: one render pass
            playing.set(False)
            model.set(fresh)
            error.set("")
        prebuilt.build_ahead(new)  # the next Reset's model

    def apply(**changes: Any) -> bool:
        try:
            rebuild(model.value.settings.replace(**changes))
        except ParameterError as err:
            error.set(f"error: {err}")
            return False
        return True

    def choose(title: str) -> None:
        preset.set(title)
        rebuild(PRESETS[title].settings)

    def load(files: dict[str, bytes]) -> None:
        # runs in the drop zone's thread, which a render can cancel: the old error goes first
        if error.value:
            error.set("")
        try:
            new = load_upload(files)
        except UploadError as err:
            error.set(f"error: {err}")
            return
        preset.set("")
        rebuild(new)

    return Actions(rebuild, apply, choose, load)


@solara.component
def SetUp(current: solara.Reactive[Lockstep], actions: Actions) -> None:
    """The controls that start a run again at week 0: plans, organization, behaviour, the class's scenario."""
    settings = current.value.settings  # the controls below are redrawn only when it changes
    with solara.Card("Plans", margin=0):
        PlanControls(settings, actions.apply)
    with solara.Card("Organization", margin=0):
        OrganizationControls(settings, actions.apply)
    with solara.Card("Behaviour", margin=0):
        BehaviourControls(settings, actions.apply)
    solara.Text(
        "Changing a setting above starts the run again at week 0.", style="font-size: 0.85em; color: #444"
    )
    with solara.Card("Your scenario", margin=0):
        ScenarioUpload(actions.load, settings)
    with solara.Card("Info", margin=0):
        Info()


@solara.component
def Page() -> None:
    """The whole dashboard: controls on the left (hideable but for Run), the run(s) on the right.

    It holds the page's state but reads none of the model: the parts that
    show it read it themselves, so a new model or a new week redraws those
    parts, not the page. The controls below the fold (levers, export, set-up)
    are sent once the browser has drawn the charts: the first screen does
    not wait for them.
    """
    start = PRESETS[DEFAULT_PRESET].settings
    preset = solara.use_reactive(DEFAULT_PRESET)
    prebuilt = solara.use_memo(Prebuilt, dependencies=[])
    model = solara.use_reactive(solara.use_memo(lambda: prebuilt.take(start), dependencies=[]))
    solara.use_effect(lambda: prebuilt.build_ahead(start), dependencies=[])
    playing = solara.use_reactive(False)
    speed = solara.use_reactive("fast")
    error = solara.use_reactive("")
    controls_open = solara.use_reactive(True)
    projector = solara.use_reactive(True)
    lock = solara.use_memo(threading.Lock, dependencies=[])
    batch = get_render_context()  # entered, it makes several state changes one render pass
    actions = solara.use_memo(
        lambda: _actions(preset, model, playing, error, lock, batch, prebuilt), dependencies=[]
    )
    reset = solara.use_memo(lambda: lambda: actions.rebuild(model.value.settings), dependencies=[])
    ack = solara.use_memo(lambda: FrameAck(batch), dependencies=[])
    drawn = solara.use_reactive(False)
    on_drawn = solara.use_memo(lambda: lambda: drawn.set(True), dependencies=[])

    solara.lab.theme.themes.light.primary = "#1f5bd6"  # per session: the accent is the OWN blue
    solara.Style(CSS)
    solara.Title("Blue line: will the culture tip?")
    with solara.AppBar():
        solara.AppBarTitle("Blue line: will the culture tip?")
        solara.Button(
            "Hide controls" if controls_open.value else "Show controls",
            icon_name="mdi-tune-variant",
            on_click=lambda: controls_open.set(not controls_open.value),
        )
        solara.Button(
            "Projector: on" if projector.value else "Projector: off",
            icon_name="mdi-projector-screen",
            on_click=lambda: projector.set(not projector.value),
        )
    page_class = "blueline-projector" if projector.value else "blueline-page"
    with solara.Row(classes=[page_class], gap="12px", style="align-items: flex-start; flex-wrap: nowrap"):
        with solara.Column(classes=["blueline-controls"], gap="8px"):
            if controls_open.value:
                with solara.Card("Classroom", margin=0):
                    PresetPicker(preset, model, actions.choose)
            with solara.Card("Run", margin=0):
                Playback(model, playing, speed, lock, reset=reset, ack=ack)
            with solara.Column(gap="0px"):  # always there, so the controls below keep their place
                if error.value:
                    solara.Error(error.value, classes=["blueline-error"])
            if controls_open.value and drawn.value:
                with solara.Card("Levers (mid-run)", margin=0):
                    Levers(model, lock, ack)
                with solara.Card("Export", margin=0):
                    Export(model)
                SetUp(model, actions)
        with solara.Column(style="flex: 1 1 auto; min-width: 0"):
            Board(model, projector.value, ack, on_drawn)
            solara.Column(children=[ack], style="display: none")


page = Page()
"""The page as an element, as Mesa's examples expose it (``solara run`` also finds ``Page``)."""

warm_up()  # solara imports this module as the server starts: the first page finds the engine loaded
