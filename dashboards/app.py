"""The classroom dashboard: press play and watch a culture tip, or race two rollout plans.

Run it with ``blueline dashboard`` or ``solara run dashboards/app.py``.

It follows Mesa's SolaraViz conventions (a sidebar of controls with play,
pause, step and reset; views that re-render on Mesa's ``update_counter``)
but is assembled from its own Solara components, because SolaraViz's
controller cannot do what a class needs here: a preset must set every
control at once, a changed control must restart the run, and two models
must step in lockstep on the same organization.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from html import escape
from typing import Any

import solara
from mesa.visualization.utils import force_update, update_counter

from dashboards import views
from dashboards.lockstep import Lockstep
from dashboards.presets import DEFAULT_PRESET, PRESETS
from dashboards.settings import BEHAVIOUR, RANGES, Settings, plan_descriptions, plan_names
from sim import RUNG_NAMES, ParameterError

SPEEDS: dict[str, tuple[float, int]] = {
    "slow": (0.6, 1),
    "steady": (0.2, 1),
    "fast": (0.0, 1),
    "fastest": (0.0, 4),
}
"""Playback speed: pause between frames (seconds) and weeks simulated per frame."""

FRAME_TIMEOUT = 5.0
"""Seconds the play loop waits for a week to be drawn before it moves on regardless."""

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
}

CSS = """
.blueline-figure img { width: 100%; height: auto; }
.v-app-bar.v-toolbar { background-color: #1f5bd6 !important; }
.blueline-verdict { font-size: 1.35em; font-weight: 600; }
.blueline-tipped { color: #1f5bd6; }
.blueline-not-tipped { color: #8a4b00; }
.blueline-caption { font-size: 1.05em; }
"""

Apply = Callable[..., None]


def _format(name: str, value: float) -> str:
    step = RANGES[name][2]
    if float(step).is_integer():
        return f"{value:,.0f}"
    decimals = max(0, -int(f"{step:e}".split("e")[1]))
    return f"{value:.{decimals}f}"


@solara.component
def ControlSlider(name: str, settings: Settings, apply: Apply, label: str | None = None) -> None:
    """A slider for one numeric control, its current value in its label."""
    lo, hi, step = RANGES[name]
    value = getattr(settings, name)
    text = f"{label or LABELS.get(name, name)}: {_format(name, value)}"
    if float(step).is_integer() and float(lo).is_integer():
        solara.SliderInt(
            text,
            value=int(value),
            min=int(lo),
            max=int(hi),
            step=int(step),
            on_value=lambda v: apply(**{name: v}),
        )
    else:
        solara.SliderFloat(
            text, value=float(value), min=lo, max=hi, step=step, on_value=lambda v: apply(**{name: v})
        )


@solara.component
def PresetPicker(preset: solara.Reactive[str], settings: Settings, choose: Callable[[str], None]) -> None:
    """Pick a classroom preset; its caption says what to watch for."""
    solara.Select("Classroom preset", values=list(PRESETS), value=preset.value or None, on_value=choose)
    chosen = PRESETS.get(preset.value)
    if chosen is not None:
        solara.Text(chosen.caption, classes=["blueline-caption"])
        if chosen.settings != settings:
            solara.Text("(settings changed since)", style="font-style: italic; color: #777")


@solara.component
def Playback(
    model: solara.Reactive[Lockstep],
    playing: solara.Reactive[bool],
    speed: solara.Reactive[str],
    reset: Callable[[], None],
    drawn: threading.Event,
) -> None:
    """Play, pause, step and reset; playback speed; which week it is.

    Playing runs in a thread (as in Mesa's ModelController) that waits for
    each week to be drawn (``drawn``, set by :func:`FrameDrawn`) before
    simulating the next, so the class sees every frame instead of a jump
    to the end.
    """
    update_counter.get()
    current = model.value

    def play() -> None:
        while playing.value and task.is_current() and model.value is current:
            pause, per_frame = SPEEDS[speed.value]
            time.sleep(pause)
            if not (playing.value and task.is_current() and model.value is current):
                break
            for _ in range(per_frame):
                current.step()
            if not current.running:
                playing.set(False)
            drawn.clear()
            force_update()
            drawn.wait(timeout=FRAME_TIMEOUT)

    task = solara.lab.use_task(play, dependencies=[playing.value, current], prefer_threaded=True)

    def step() -> None:
        current.step()
        force_update()

    with solara.Row(gap="6px"):
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
                disabled=not current.running,
            )
        solara.Button(
            "Step", icon_name="mdi-step-forward", on_click=step, disabled=playing.value or not current.running
        )
        solara.Button("Reset", icon_name="mdi-restart", on_click=reset)
    solara.Text(
        f"Week {current.week} of {current.settings.weeks}", style="font-size: 1.2em; font-weight: 600"
    )
    solara.ToggleButtonsSingle(value=speed, values=list(SPEEDS), dense=True)


@solara.component
def PlanControls(settings: Settings, apply: Apply) -> None:
    """One plan, or two side by side; their budget, the seed and the horizon."""
    descriptions = plan_descriptions()
    solara.ToggleButtonsSingle(
        value=settings.mode,
        on_value=lambda mode: apply(mode=mode),
        children=[
            solara.Button("one plan", value="single"),
            solara.Button("two plans side by side", value="side_by_side"),
        ],
    )
    side = settings.mode == "side_by_side"
    solara.Select(
        "plan (left)" if side else "plan",
        values=list(plan_names()),
        value=settings.plan,
        on_value=lambda v: apply(plan=v),
    )
    solara.Text(descriptions[settings.plan], style="font-size: 0.85em; color: #555")
    if side:
        solara.Select(
            "plan (right)",
            values=list(plan_names()),
            value=settings.second_plan,
            on_value=lambda v: apply(second_plan=v),
        )
        solara.Text(descriptions[settings.second_plan], style="font-size: 0.85em; color: #555")
    ControlSlider("budget", settings, apply, label="budget per plan")
    solara.InputInt("seed", value=int(settings.seed), on_value=lambda v: apply(seed=v))
    ControlSlider("weeks", settings, apply, label="weeks to run")


@solara.component
def OrganizationControls(settings: Settings, apply: Apply) -> None:
    """Size, number of departments and how closed they are."""
    for name in ("org_size", "n_departments", "silo_strength"):
        ControlSlider(name, settings, apply)


@solara.component
def BehaviourControls(settings: Settings, apply: Apply) -> None:
    """The weights of the weekly rule each person follows."""
    for name in BEHAVIOUR:
        ControlSlider(name, settings, apply)


@solara.component
def SummaryCard(model: Lockstep, index: int) -> None:
    """Tipped or not, weeks to tip, spend so far, for one run."""
    update_counter.get()
    run = model.runs[index]
    lines = views.summary_lines(run, model.settings.weeks, model.settings.budget)
    tipped = lines["verdict"].startswith("TIPPED")
    side = ("left: ", "right: ")[index] if len(model.runs) > 1 else ""
    with solara.Card(f"{side}{lines['plan']}", margin=0):
        solara.Text(
            lines["verdict"],
            classes=["blueline-verdict", "blueline-tipped" if tipped else "blueline-not-tipped"],
        )
        solara.HTML(
            unsafe_innerHTML=(
                f"{escape(lines['week'])}<br><b>{escape(lines['above_line'])}</b><br>"
                f"{escape(lines['spend'])}<br>{escape(lines['customers'])}"
            )
        )


@solara.component
def Picture(draw: Callable[[], bytes], dependencies: list[Any]) -> None:
    """A view's PNG, drawn again only when ``dependencies`` change (a new model or week)."""
    png = solara.use_memo(draw, dependencies=dependencies)
    with solara.Column(classes=["blueline-figure"]):
        solara.Image(png, format="png")


@solara.component
def NetworkPanel(model: Lockstep, index: int, layout: views.NetworkLayout) -> None:
    """The organization, people coloured by rung."""
    update_counter.get()
    view = solara.use_memo(
        lambda: views.NetworkView(model.organization, layout), dependencies=[model, layout]
    )
    run = model.runs[index]
    view.update(run, f"{run.plan.name}: the organization, week {run.week}")
    Picture(view.png, [model, index, run.week])


@solara.component
def CulturePanel(model: Lockstep, index: int) -> None:
    """Above-the-line share and rung shares over time."""
    update_counter.get()
    run = model.runs[index]
    view = solara.use_memo(
        lambda: views.CultureView(
            run.organization.department_names, model.settings.weeks, run.params.tip_level
        ),
        dependencies=[model, index],
    )
    view.update(run.weekly(), f"{run.plan.name}: above the line")
    Picture(view.png, [model, index, run.week])


@solara.component
def CustomerPanel(model: Lockstep, index: int) -> None:
    """Satisfaction, loyalty, churn and revenue; side by side on common axes."""
    update_counter.get()
    run = model.runs[index]
    view = solara.use_memo(lambda: views.CustomerView(model.settings.weeks), dependencies=[model, index])
    limits = views.customer_limits([r.weekly() for r in model.runs])
    view.update(run.weekly(), limits, f"{run.plan.name}: customers")
    Picture(view.png, [model, index, run.week])


# plain HTML: solara.Markdown would pull a diagram library from a public CDN
READING_GUIDE = (
    "<b>How to read it.</b> Each dot is a person, coloured by the rung they stand on: "
    f"{', '.join(r.upper() for r in RUNG_NAMES)}. The <b>blue line</b> lies between JUSTIFY and OWN: "
    "only people who take personal responsibility are <i>above the line</i>. Squares are managers, "
    "stars the executive team; clusters are departments (silos). Shaded weeks are weeks in which "
    "the plan was spending money. The culture has <b>tipped</b> once the share above the line has "
    "stayed at or over the tipping level through the last half year."
)


@solara.component
def FrameDrawn(drawn: threading.Event) -> None:
    """Signal the play loop once a week's pictures are drawn (effects run after a render pass)."""
    frame = update_counter.get()
    solara.use_effect(drawn.set, [frame])


@solara.component
def Board(model: Lockstep, drawn: threading.Event) -> None:
    """The main area: summaries, the organization(s), the culture over time, the customers."""
    layout = solara.use_memo(lambda: views.network_layout(model.organization), dependencies=[model])
    n = len(model.runs)
    with solara.Columns([1] * n):
        for i in range(n):
            SummaryCard(model, i)
    if n == 1:
        with solara.Columns([1, 1]):
            NetworkPanel(model, 0, layout)
            CulturePanel(model, 0)
        with solara.Columns([1, 1]):
            CustomerPanel(model, 0)
            solara.HTML(unsafe_innerHTML=READING_GUIDE, classes=["blueline-guide"])
    else:
        # one row per picture, so the two plans sit next to each other at every level
        with solara.Columns([1] * n):
            for i in range(n):
                NetworkPanel(model, i, layout)
        with solara.Columns([1] * n):
            for i in range(n):
                CulturePanel(model, i)
        with solara.Columns([1] * n):
            for i in range(n):
                CustomerPanel(model, i)
        solara.HTML(unsafe_innerHTML=READING_GUIDE, classes=["blueline-guide"])
    FrameDrawn(drawn)


@solara.component
def Page() -> None:
    """The whole dashboard: controls in the sidebar, the run(s) in the main area."""
    start = PRESETS[DEFAULT_PRESET].settings
    settings = solara.use_reactive(start)
    preset = solara.use_reactive(DEFAULT_PRESET)
    model = solara.use_reactive(solara.use_memo(lambda: Lockstep(start), dependencies=[]))
    playing = solara.use_reactive(False)
    speed = solara.use_reactive("steady")
    error = solara.use_reactive("")
    drawn = solara.use_memo(threading.Event, dependencies=[])

    def rebuild(new: Settings) -> None:
        playing.set(False)
        settings.set(new)
        model.set(Lockstep(new))
        error.set("")

    def apply(**changes: Any) -> None:
        try:
            rebuild(settings.value.replace(**changes))
        except ParameterError as err:
            error.set(str(err))

    def choose(title: str) -> None:
        preset.set(title)
        rebuild(PRESETS[title].settings)

    solara.lab.theme.themes.light.primary = views.RUNG_COLOURS[3]  # per session: the accent is the OWN blue
    solara.Style(CSS)
    solara.Title("Blue line: will the culture tip?")
    with solara.AppBar():
        solara.AppBarTitle("Blue line: will the culture tip?")
    with solara.Sidebar():
        with solara.Card("Classroom", margin=0):
            PresetPicker(preset, settings.value, choose)
        with solara.Card("Run", margin=0):
            Playback(model, playing, speed, reset=lambda: rebuild(settings.value), drawn=drawn)
            if error.value:
                solara.Error(error.value)
        with solara.Card("Plans", margin=0):
            PlanControls(settings.value, apply)
        with solara.Card("Organization", margin=0):
            OrganizationControls(settings.value, apply)
        with solara.Card("Behaviour", margin=0), solara.Details("weights of the weekly rule"):
            BehaviourControls(settings.value, apply)
        solara.Text(
            "Changing a setting starts the run again at week 0.", style="font-size: 0.85em; color: #666"
        )
    Board(model.value, drawn)


page = Page()
"""The page as an element, as Mesa's examples expose it (``solara run`` also finds ``Page``)."""
