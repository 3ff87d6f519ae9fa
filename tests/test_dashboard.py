"""The classroom dashboard (dashboards/): settings, presets, lockstep runs, views and the page."""

from __future__ import annotations

import io
import socket

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara
from PIL import Image

from dashboards import views
from dashboards.app import LABELS, Page
from dashboards.lockstep import Lockstep
from dashboards.presets import DEFAULT_PRESET, PRESETS
from dashboards.settings import DEFAULT_FRONTLINE, RANGES, Settings
from scenarios.cli import build_parser, main
from sim import ParameterError, expected_cost
from sim.organization import build_organization

# --- settings and the lockstep model -------------------------------------------------------------


def test_org_size_and_department_count_shape_the_organization():
    settings = Settings(org_size=2.0, n_departments=8)
    params = settings.params()
    assert params.department_names[:6] == Settings().params().department_names
    assert params.department_names[6:] == ("logistics", "marketing")
    assert sum(d.frontline for d in params.departments[:6]) == 2 * DEFAULT_FRONTLINE
    # customers scale with the frontline, so each person serves as many customers
    frontline = sum(d.frontline for d in params.departments)
    assert params.n_customers == round(1000 * frontline / DEFAULT_FRONTLINE)


def test_bad_control_value_names_the_control_and_its_range():
    with pytest.raises(ParameterError, match=r"silo_strength=1\.5: must be a number in \[0, 1\]"):
        Settings(silo_strength=1.5)
    with pytest.raises(ParameterError, match="plan='moonshot': allowed: none, pilot"):
        Settings(plan="moonshot")
    with pytest.raises(ParameterError, match="colour: unknown control"):
        Settings().replace(colour="blue")


@pytest.mark.parametrize("plan", ["pilot", "rocket"])
def test_plans_are_scaled_to_spend_the_budget(plan):
    settings = Settings(mode="single", plan=plan, budget=250_000)
    params = settings.params()
    (scaled,) = settings.plans(params)
    org = build_organization(params, np.random.default_rng(0))
    assert expected_cost(scaled, org) == pytest.approx(250_000, rel=1e-6)


def test_side_by_side_runs_share_organization_people_and_seed():
    model = Lockstep(Settings(mode="side_by_side", plan="pilot", second_plan="rocket", seed=7))
    left, right = model.runs
    assert (left.plan.name, right.plan.name) == ("pilot", "rocket")
    assert (left.organization.within != right.organization.within).nnz == 0
    assert (left.organization.across != right.organization.across).nnz == 0
    assert np.array_equal(left.workforce.rung, right.workforce.rung)
    assert np.array_equal(left.workforce.resistance, right.workforce.resistance)


def test_same_plan_side_by_side_gives_identical_runs():
    model = Lockstep(Settings(mode="side_by_side", plan="rocket", second_plan="rocket", seed=3))
    for _ in range(30):
        model.step()
    assert model.runs[0].weekly() == model.runs[1].weekly()


def test_lockstep_steps_every_run_and_stops_at_the_horizon():
    model = Lockstep(Settings(mode="side_by_side", weeks=52))
    for _ in range(60):
        model.step()
    assert [run.week for run in model.runs] == [52, 52]
    assert model.running is False


# --- presets ----------------------------------------------------------------------------------------


def test_every_preset_sets_valid_controls_with_a_caption():
    assert DEFAULT_PRESET in PRESETS
    assert list(PRESETS) == [
        "training alone fades",
        "the pilot gets pulled back",
        "the rocket tips",
        "leaders who excuse themselves",
        "high silos",
    ]
    for preset in PRESETS.values():
        assert len(preset.caption) > 40
        preset.settings.plans()  # every plan resolves against its organization


def _run_preset(title: str) -> list:
    model = Lockstep(PRESETS[title].settings)
    while model.running:
        model.step()
    return model.runs


def _weeks_between_first_and_last_department_tipping(run) -> int:
    """Spread of the weeks at which departments first reach the tipping level (never: the horizon)."""
    w = run.weekly()
    first_weeks = []
    for name in run.organization.department_names:
        above = np.flatnonzero(np.asarray(w[f"above_line.{name}"]) >= run.params.tip_level)
        first_weeks.append(above[0] if len(above) else run.week)
    return int(max(first_weeks) - min(first_weeks))


def test_preset_training_alone_fades():
    (run,) = _run_preset("training alone fades")
    w = run.weekly()
    assert max(w["education"]) > 0.5  # the training did land
    assert w["education"][-1] < 0.1  # and faded
    assert w["above_line"][-1] < w["above_line"][0]
    assert not run.summary()["tipped"]


def test_preset_the_pilot_gets_pulled_back():
    (run,) = _run_preset("the pilot gets pulled back")
    call_center = np.asarray(run.weekly()["above_line.call_center"])
    assert call_center.max() > 0.5  # climbed
    assert call_center[-1] < 0.1  # pulled back
    assert not run.summary()["tipped"]


def test_preset_the_rocket_tips():
    pilot, rocket = _run_preset("the rocket tips")
    assert (pilot.plan.name, rocket.plan.name) == ("pilot", "rocket")
    assert rocket.summary()["tipped"]
    assert not pilot.summary()["tipped"]


def test_preset_leaders_who_excuse_themselves():
    pilot, sponsored = _run_preset("leaders who excuse themselves")
    assert (pilot.plan.name, sponsored.plan.name) == ("pilot", "sponsored_pilot")
    assert sponsored.summary()["tipped"]
    assert not pilot.summary()["tipped"]


def test_preset_high_silos():
    staged, rocket = _run_preset("high silos")
    assert rocket.summary()["tipped"]
    # department by department, the islands climb far apart; the rocket's climb together
    staged_gap = _weeks_between_first_and_last_department_tipping(staged)
    rocket_gap = _weeks_between_first_and_last_department_tipping(rocket)
    assert staged_gap > 2 * rocket_gap
    # and little blame crosses between silos
    default_silos = Lockstep(PRESETS["high silos"].settings.replace(silo_strength=0.85))
    for _ in range(26):
        default_silos.step()
    high = np.mean(staged.weekly()["cross_silo_blame"][1:27])
    default = np.mean(default_silos.runs[0].weekly()["cross_silo_blame"][1:27])
    assert high < default / 3


# --- views ------------------------------------------------------------------------------------------


def test_network_view_colours_each_person_by_rung_and_marks_roles():
    model = Lockstep(Settings(mode="single", plan="rocket"))
    for _ in range(20):
        model.step()
    run = model.runs[0]
    view = views.NetworkView(run.organization)
    view.update(run)
    rung = np.asarray(run.workforce.rung)
    palette = np.array([list(int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)) for c in views.RUNG_COLOURS])
    for role, scatter in view._people.items():
        faces = scatter.get_facecolors()[:, :3]
        assert np.allclose(faces, palette[rung[run.organization.role == role]])
    # frontline, managers and executives each have their own marker shape
    assert len({len(s.get_paths()[0].vertices) for s in view._people.values()}) == 3


def test_network_layout_keeps_departments_apart():
    org = Lockstep(Settings(mode="single")).organization
    layout = views.network_layout(org)
    for d in range(org.n_departments):
        members = layout.xy[org.department == d]
        distance = np.linalg.norm(members - layout.centres[d], axis=1)
        assert distance.max() <= layout.radii[d] + 1e-9
    gaps = np.linalg.norm(layout.centres[:, None] - layout.centres[None], axis=2)
    radii_sum = layout.radii[:, None] + layout.radii[None]
    off_diagonal = ~np.eye(org.n_departments, dtype=bool)
    assert (gaps[off_diagonal] > radii_sum[off_diagonal]).all()


def test_views_redraw_only_what_moved_yet_match_a_full_draw():
    model = Lockstep(Settings(mode="single", plan="rocket"))
    run = model.runs[0]
    network = views.NetworkView(run.organization)
    culture = views.CultureView(run.organization.department_names, 156, run.params.tip_level)
    for _ in range(12):
        model.step()
        network.update(run)
        network.png()  # fills the background cache
        culture.update(run.weekly())
        culture.png()
    for view in (network, culture):
        fast = np.asarray(Image.open(io.BytesIO(view.png())).convert("RGB"), dtype=float)
        buffer = io.BytesIO()
        view.figure.savefig(buffer, format="png")
        full = np.asarray(Image.open(buffer).convert("RGB"), dtype=float)
        assert fast.shape == full.shape
        assert np.abs(fast - full).mean() < 2.0  # same picture, up to antialiasing


def test_customer_limits_are_shared_and_round():
    a = {"satisfaction": [0.1, -0.7], "loyalty": [0.5, 0.4], "churned": [0, 3], "revenue": [1.9e5, 2.3e5]}
    b = {"satisfaction": [0.2, 0.9], "loyalty": [0.5, 0.6], "churned": [0, 12], "revenue": [1.5e5, 2.0e5]}
    limits = views.customer_limits([a, b])
    assert limits["satisfaction"][0] <= -0.7 and limits["satisfaction"][1] >= 0.9
    assert limits["loyalty"] == (0.0, 1.0)
    assert limits["churned"][0] == 0.0 and limits["churned"][1] >= 12
    assert limits["revenue"][0] <= 150 and limits["revenue"][1] >= 230


def test_summary_says_tipped_and_spend_so_far():
    model = Lockstep(Settings(mode="single", plan="rocket", seed=2))
    for _ in range(100):
        model.step()
    lines = views.summary_lines(model.runs[0], 156, 300_000)
    summary = model.runs[0].summary()
    assert summary["tipped"]
    assert lines["verdict"] == f"TIPPED in week {summary['weeks_to_tip']:.0f}"
    assert lines["spend"] == f"spent {summary['total_cost']:,.0f} of 300,000"


# --- the page (Solara components, no browser) ------------------------------------------------------


@pytest.fixture
def page():
    """The rendered page and its render context; closed after the test."""
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        yield rc
    finally:
        rc.close()


def _button(rc, label: str):
    found = [b for b in rc.find(v.Btn).widgets if label in b.children]
    assert len(found) == 1, f"expected one {label!r} button"
    return found[0]


def _widgets(widget: widgets.Widget):
    yield widget
    for child in getattr(widget, "children", None) or ():
        if isinstance(child, widgets.Widget):
            yield from _widgets(child)


def _texts(rc) -> list[str]:
    """Every plain text on the page (text children of any widget)."""
    return [
        c for w in _widgets(rc.container) for c in (getattr(w, "children", None) or ()) if isinstance(c, str)
    ]


def _slider(rc, name: str):
    label = LABELS.get(name, {"budget": "budget per plan", "weeks": "weeks to run"}.get(name, name))
    found = [s for s in rc.find(v.Slider).widgets if s.label.startswith(f"{label}:")]
    assert len(found) == 1, f"expected one slider for {name}"
    return found[0]


def test_page_renders_controls_views_and_summaries(page):
    for label in ("Play", "Step", "Reset"):
        _button(page, label)
    default = PRESETS[DEFAULT_PRESET].settings
    assert page.find(v.Select, label="Classroom preset").widget.v_model == DEFAULT_PRESET
    assert len(page.find(widgets.Image).widgets) == 3 * len(default.plan_names)  # network, culture, customers
    assert "Week 0 of 156" in _texts(page)
    cards = [c for w in page.find(v.CardTitle).widgets for c in w.children]
    assert "left: pilot" in cards and "right: rocket" in cards


@pytest.mark.parametrize("title", ["high silos", "the pilot gets pulled back"])
def test_selecting_a_preset_sets_every_control(page, title):
    page.find(v.Select, label="Classroom preset").widget.v_model = title
    preset = PRESETS[title].settings
    for name in RANGES:
        if name == "seed":
            assert page.find(v.TextField, label="seed").widget.v_model == str(preset.seed)
        else:
            assert _slider(page, name).v_model == pytest.approx(getattr(preset, name)), name
    mode = [t for t in page.find(v.BtnToggle).widgets if t.v_model in ("single", "side_by_side")]
    assert [t.v_model for t in mode] == [preset.mode]
    plans = [w.v_model for w in page.find(v.Select).widgets if w.label.startswith("plan")]
    assert plans == list(preset.plan_names)
    assert PRESETS[title].caption in _texts(page)
    assert len(page.find(widgets.Image).widgets) == 3 * len(preset.plan_names)


def test_pressing_step_advances_every_run_and_redraws(page):
    images = page.find(widgets.Image).widgets
    before = [image.value for image in images]
    for _ in range(3):
        _button(page, "Step").click()
    assert "Week 3 of 156" in _texts(page)
    summaries = [
        w.unsafe_innerHTML
        for w in _widgets(page.container)
        if isinstance(w, solara.widgets.HTML) and w.unsafe_innerHTML.startswith("week ")
    ]
    assert len(summaries) == 2 and all(s.startswith("week 3 of 156") for s in summaries)
    after = [image.value for image in page.find(widgets.Image).widgets]
    assert all(a != b for a, b in zip(after, before, strict=True))


def test_changing_a_control_starts_again_at_week_0(page):
    _button(page, "Step").click()
    assert "Week 1 of 156" in _texts(page)
    _slider(page, "silo_strength").v_model = 0.5
    assert "Week 0 of 156" in _texts(page)
    assert _slider(page, "silo_strength").label == "silo strength: 0.50"
    assert "(settings changed since)" in _texts(page)


# --- the command ------------------------------------------------------------------------------------


def test_dashboard_command_is_registered_with_its_options():
    args = build_parser().parse_args(["dashboard", "--port", "9000", "--no-browser"])
    assert (args.host, args.port, args.no_browser) == ("127.0.0.1", 9000, True)


def test_dashboard_refuses_a_port_in_use(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port), "--no-browser"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"blueline dashboard: error: --host 127.0.0.1 --port {port}:")


def test_dashboard_refuses_an_impossible_port(capsys):
    assert main(["dashboard", "--port", "70000", "--no-browser"]) == 2
    assert "must be a whole number in 1..65535" in capsys.readouterr().err
