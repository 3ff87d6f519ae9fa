"""The classroom dashboard (dashboards/): settings, presets, lockstep runs, views and the page."""

from __future__ import annotations

import csv
import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets as widgets
import numpy as np
import pytest
import solara

from dashboards import charts
from dashboards.app import LABELS, Page, format_value, weekly_csv
from dashboards.cards import planned_in_all, planned_to_date, summary_lines
from dashboards.chart_widget import ChartWidget
from dashboards.layout import AGGREGATE_ABOVE, department_flows, network_layout
from dashboards.levers import WAVE_LEVERS
from dashboards.lockstep import Lockstep
from dashboards.prebuilt import Prebuilt
from dashboards.presets import DEFAULT_PRESET, PRESETS
from dashboards.settings import DEFAULT_FRONTLINE, RANGES, Settings
from dashboards.upload import UploadError, load_upload
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
    with pytest.raises(ParameterError, match=r"^silo_strength=1\.5: must be <= 1$"):
        Settings(silo_strength=1.5)
    with pytest.raises(ParameterError, match=r"^seed=1\.5: must be a whole number$"):
        Settings(seed=1.5)
    with pytest.raises(ParameterError, match="plan='moonshot': allowed: none, pilot"):
        Settings(plan="moonshot")
    with pytest.raises(ParameterError, match="colour: unknown key; allowed: mode, plan"):
        Settings().replace(colour="blue")


@pytest.mark.parametrize("plan", ["pilot", "rocket"])
def test_plans_are_scaled_to_spend_the_budget(plan):
    settings = Settings(mode="single", plan=plan, budget=250_000)
    params = settings.params()
    (scaled,) = settings.plans(params)
    org = build_organization(params, np.random.default_rng(0))
    assert expected_cost(scaled, org, params, settings.weeks) == pytest.approx(250_000, rel=3e-3)


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
    assert call_center.max() > run.params.tip_level  # climbed past the tipping level
    assert call_center[-1] < min(run.params.tip_level, call_center.max() / 2)  # and lost over half of it
    assert not run.summary()["tipped"]


def test_preset_the_rocket_tips():
    pilot, rocket = _run_preset("the rocket tips")
    assert (pilot.plan.name, rocket.plan.name) == ("frontline_pilot", "rocket")
    assert rocket.summary()["tipped"]
    assert not pilot.summary()["tipped"]


def test_preset_leaders_who_excuse_themselves():
    pilot, sponsored = _run_preset("leaders who excuse themselves")
    assert (pilot.plan.name, sponsored.plan.name) == ("frontline_pilot", "pilot")
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


# --- charts, layout and cards ----------------------------------------------------------------------


def _series(option, name):
    (found,) = [s for s in option["series"] if s.get("name") == name]
    return found


def test_tipping_chart_puts_both_plans_and_the_dashed_baseline_on_one_axis():
    model = Lockstep(Settings(mode="side_by_side", plan="pilot", second_plan="rocket"))
    for _ in range(30):
        model.step()
    curves = [
        charts.Curve(r.plan.name, r.weekly(), c) for r, c in zip(model.runs, charts.PLAN_COLOURS, strict=True)
    ]
    curves.append(
        charts.Curve("no plan (baseline)", model.baseline.weekly(), charts.BASELINE_COLOUR, baseline=True)
    )
    option = charts.tipping_option(curves, 156, 0.8)
    lines = [_series(option, name) for name in ("pilot", "rocket", "no plan (baseline)")]
    assert [s["lineStyle"].get("type", "solid") for s in lines] == ["solid", "solid", "dashed"]
    assert all(len(s["data"]) == 31 for s in lines)
    assert lines[2]["data"][-1][1] == pytest.approx(100 * model.baseline.weekly()["above_line"][-1], abs=1e-3)
    assert not isinstance(option["xAxis"], list) and not isinstance(option["yAxis"], list)  # one shared axis
    assert option["legend"]["top"] < option["grid"]["top"]  # the legend sits above the data
    assert option["series"][0]["markLine"]["data"] == [{"yAxis": 80.0}]


def test_chart_text_is_at_least_18_px_in_projector_mode():
    model = Lockstep(Settings(mode="single"))
    run = model.runs[0]
    layout = network_layout(run.organization)
    options = [
        charts.tipping_option([charts.Curve("rocket", run.weekly(), "#000")], 156, 0.8),
        charts.network_option(run.organization, layout, run.workforce.rung, run.metrics, "t"),
    ]
    for option in options:
        assert option["textStyle"]["fontSize"] >= 18
        assert option["title"]["textStyle"]["fontSize"] >= 18
        assert option["toolbox"]["feature"]["saveAsImage"]  # every chart exports itself as PNG


def test_lever_moves_are_marked_on_the_tipping_chart():
    marks = charts.lever_marks([(50, "silo_strength", 0.85, 0.4), (50, "launch", None, object())], 18)
    assert marks["data"] == [{"xAxis": 50, "name": "silo strength 0.85→0.4; wave launched"}]


def test_network_colours_each_person_by_rung_and_marks_roles():
    model = Lockstep(Settings(mode="single", plan="rocket"))
    for _ in range(20):
        model.step()
    run = model.runs[0]
    option = charts.network_option(
        run.organization, network_layout(run.organization), run.workforce.rung, run.metrics, "t"
    )
    rung = np.asarray(run.workforce.rung)
    layout = network_layout(run.organization)
    symbols = set()
    for role, name in ((0, "frontline"), (1, "manager"), (2, "executive")):
        drawn = [s for s in option["series"] if s["name"] == name]
        symbols |= {s["symbol"] for s in drawn}
        for series in drawn:
            r = charts.RUNG_COLOURS.index(series["color"])
            expected = layout.xy[(run.organization.role == role) & (rung == r)]
            np.testing.assert_allclose(np.reshape(series["data"], (-1, 2)), expected, atol=1e-3)
        assert sum(len(s["data"]) for s in drawn) == (run.organization.role == role).sum()
    assert len(symbols) == 3


def test_large_organizations_are_drawn_as_departments():
    model = Lockstep(Settings(mode="single", org_size=3.0, n_departments=12))
    org = model.organization
    assert org.n_staff > AGGREGATE_ABOVE
    option = charts.network_option(
        org, network_layout(org), model.runs[0].workforce.rung, model.runs[0].metrics, "t"
    )
    pies = [s for s in option["series"] if s["type"] == "pie"]
    assert len(pies) == org.n_departments
    assert not [s for s in option["series"] if s["type"] == "scatter" and s["name"] != "departments"]
    flows = department_flows(org, np.asarray(model.runs[0].workforce.rung))
    assert flows.ties.sum() == org.across.nnz / 2  # every tie between departments is in one flow
    assert np.allclose(flows.rung_mix.sum(axis=1), 1.0)
    sizes = [float(p["radius"].rstrip("%")) for p in pies]
    assert sizes[0] > sizes[-1]  # the call center (240 people) is drawn larger than HR (60)
    assert len(str(option)) < 20_000  # cheap to send every week


def test_network_layout_keeps_departments_apart():
    org = Lockstep(Settings(mode="single")).organization
    layout = network_layout(org)
    for d in range(org.n_departments):
        members = layout.xy[org.department == d]
        distance = np.linalg.norm(members - layout.centres[d], axis=1)
        assert distance.max() <= layout.radii[d] + 1e-9
    gaps = np.linalg.norm(layout.centres[:, None] - layout.centres[None], axis=2)
    radii_sum = layout.radii[:, None] + layout.radii[None]
    off_diagonal = ~np.eye(org.n_departments, dtype=bool)
    assert (gaps[off_diagonal] > radii_sum[off_diagonal]).all()


def test_summary_says_spend_against_the_plan_to_date():
    model = Lockstep(Settings(mode="single", plan="rocket", seed=2, weeks=260))
    for _ in range(30):
        model.step()
    run = model.runs[0]
    lines = summary_lines(run, 260)
    planned = planned_to_date(run)
    whole, end = planned_in_all(run)
    assert 0 < planned < whole == pytest.approx(300_000, rel=3e-3)
    assert run.summary()["total_cost"] == pytest.approx(planned, rel=0.1)  # realised spend follows the plan
    assert (
        lines["spend"]
        == f"spent {run.summary()['total_cost']:,.0f}; planned by now {planned:,.0f} of {whole:,.0f}"
    )


def test_a_launched_wave_adds_to_the_spend_planned():
    model = Lockstep(Settings(mode="single", plan="rocket", weeks=104))
    model.jump_to(10)
    before, _ = planned_in_all(model.runs[0])
    model.launch(WAVE_LEVERS["the executives join now"])
    after, end = planned_in_all(model.runs[0])
    assert after > before and end >= 10 + WAVE_LEVERS["the executives join now"].duration


def test_summary_says_when_a_plan_runs_past_the_horizon():
    model = Lockstep(Settings(mode="single", plan="pilot", weeks=52))
    run = model.runs[0]
    _, end = planned_in_all(run)
    assert end > 52
    assert f"runs to week {end}, past week 52" in summary_lines(run, 52)["spend"]


def test_control_labels_keep_every_decimal_of_their_step():
    assert format_value("org_size", 0.25) == "0.25"
    assert format_value("org_size", 0.75) == "0.75"
    assert format_value("silo_strength", 0.5) == "0.50"
    assert format_value("budget", 300_000) == "300,000"


# --- levers, jumping and export ---------------------------------------------------------------------


def test_lockstep_lever_at_week_50_leaves_weeks_before_unchanged():
    settings = Settings(mode="side_by_side", plan="frontline_pilot", second_plan="pilot", seed=4, weeks=100)
    plain, moved = Lockstep(settings), Lockstep(settings)
    plain.jump_to(50)
    moved.jump_to(50)
    moved.launch(WAVE_LEVERS["the executives join now"])
    moved.adjust(silo_strength=0.5)
    plain.jump_to(100)
    moved.jump_to(100)
    for a, b in zip(plain.every_run, moved.every_run, strict=True):
        wa, wb = a.weekly(), b.weekly()
        assert all(wa[k][:51] == wb[k][:51] for k in wa)
        assert any(wa[k][51:] != wb[k][51:] for k in wa)
    # one reorganization for all, so the plans still share an organization
    assert all((r.organization.across != moved.organization.across).nnz == 0 for r in moved.every_run)
    assert len(moved.baseline.rollout.stages) == 0  # a launched wave is a plan's, not the baseline's


def test_jumping_back_replays_the_levers_moved_before():
    settings = Settings(mode="single", plan="frontline_pilot", seed=4, weeks=80)
    model = Lockstep(settings)
    model.jump_to(20)
    model.adjust(cynicism_rate=0.01)
    model.jump_to(80)
    through = model.runs[0].weekly()
    model.jump_to(40)
    assert model.week == 40 and model.moves == [(20, "adjust", {"cynicism_rate": 0.01})]
    model.jump_to(80)
    assert model.runs[0].weekly() == through


def test_weekly_csv_holds_every_run_and_week():
    model = Lockstep(Settings(mode="side_by_side"))
    model.jump_to(10)
    rows = list(csv.reader(io.StringIO(weekly_csv(model))))
    assert rows[0][:3] == ["run", "week", "above_line"]
    assert len(rows) == 1 + 3 * 11  # two plans and the baseline, weeks 0-10
    assert {r[0] for r in rows[1:]} == {"plan 1: rocket", "plan 2: pilot", "baseline: none"}


# --- uploads ----------------------------------------------------------------------------------------


def _example_files() -> dict[str, bytes]:
    folder = Path(__file__).resolve().parents[1] / "scenarios" / "examples"
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".toml", ".csv")}


def test_an_uploaded_scenario_offers_its_own_plans_and_organization():
    settings = load_upload(_example_files())
    assert settings.scenario is not None
    assert settings.plan_names == ("wards_first", "pilot")
    assert settings.params().department_names == settings.scenario.params.department_names
    model = Lockstep(settings)
    model.jump_to(5)
    assert [r.plan.name for r in model.runs] == ["wards_first", "pilot"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"hospital.toml": None}, "hospital.toml: organization file hospital_org.csv: no such file"),
        ({"s.toml": b"budget = 1\n[params]\nsilo = 2\n"}, "s.toml: params.silo: unknown key;"),
        ({"s.toml": b"budget = "}, "s.toml: malformed TOML"),
        ({"a.toml": b"", "b.toml": b""}, "drop exactly one .toml scenario (found: a.toml, b.toml)"),
        ({"s.toml": b"x" * 1_000_001}, "s.toml: 1,000,001 bytes; the limit is 1,000,000 bytes per file"),
    ],
)
def test_a_broken_upload_gets_one_line_naming_file_and_field(files, message):
    files = {name: data if data is not None else _example_files()[name] for name, data in files.items()}
    with pytest.raises(UploadError) as err:
        load_upload(files)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


# --- the page (Solara components, no browser) ------------------------------------------------------


@pytest.fixture
def page():
    """The rendered page and its render context, its charts drawn as a browser would; closed after the test."""
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    _draw_charts(rc)
    try:
        yield rc
    finally:
        rc.close()


def _draw_charts(rc) -> None:
    """What the browser says once it has drawn the charts (no browser here)."""
    for chart in rc.find(ChartWidget).widgets:
        chart.drawn = True


def _card_titles(rc) -> list[str]:
    return [c for w in rc.find(v.CardTitle).widgets for c in w.children]


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
    label = LABELS.get(name, name)
    found = [s for s in rc.find(v.Slider).widgets if s.label.startswith(f"{label}:")]
    assert len(found) == 1, f"expected one slider for {name}"
    return found[0]


def _charts(rc) -> list[dict]:
    return [w.option for w in rc.find(ChartWidget).widgets]


def _show_behaviour(rc) -> None:
    rc.find(v.Switch, label="show the weights of the weekly rule").widget.v_model = True


def test_page_renders_controls_charts_and_summaries(page):
    for label in ("Play", "Step", "Reset", "To the end"):
        _button(page, label)
    default = PRESETS[DEFAULT_PRESET].settings
    assert page.find(v.Select, label="Classroom preset").widget.v_model == DEFAULT_PRESET
    titles = [
        o["title"]["text"] if isinstance(o["title"], dict) else o["title"][0]["text"] for o in _charts(page)
    ]
    assert titles[0] == "Share above the line (%)"  # the tipping chart comes first
    assert len(titles) == 3 + len(default.plan_names)  # tipping, network, rungs per plan, customers
    assert "Week 0 of 156" in _texts(page)
    cards = [c for w in page.find(v.CardTitle).widgets for c in w.children]
    assert "left: frontline_pilot" in cards and "right: rocket" in cards


@pytest.mark.parametrize("title", ["high silos", "the pilot gets pulled back"])
def test_selecting_a_preset_sets_every_control(page, title):
    page.find(v.Select, label="Classroom preset").widget.v_model = title
    _show_behaviour(page)
    preset = PRESETS[title].settings
    for name in RANGES:
        assert _slider(page, name).v_model == pytest.approx(getattr(preset, name)), name
    mode = [t for t in page.find(v.BtnToggle).widgets if t.v_model in ("single", "side_by_side")]
    assert [t.v_model for t in mode] == [preset.mode]
    plans = [w.v_model for w in page.find(v.Select).widgets if w.label.startswith("plan")]
    assert plans == list(preset.plan_names)
    assert PRESETS[title].caption in _texts(page)
    assert len(_charts(page)) == 3 + len(preset.plan_names)


def test_pressing_step_advances_every_run_and_redraws(page):
    before = _charts(page)
    for _ in range(3):
        _button(page, "Step").click()
    assert "Week 3 of 156" in _texts(page)
    summaries = [
        w.unsafe_innerHTML
        for w in _widgets(page.container)
        if isinstance(w, solara.widgets.HTML) and w.unsafe_innerHTML.startswith("week ")
    ]
    assert len(summaries) == 2 and all(s.startswith("week 3 of 156") for s in summaries)
    after = _charts(page)
    assert all(a != b for a, b in zip(after, before, strict=True))


def test_changing_a_control_starts_again_at_week_0_and_the_preset_can_be_restored(page):
    _button(page, "Step").click()
    assert "Week 1 of 156" in _texts(page)
    _slider(page, "silo_strength").v_model = 0.5
    assert "Week 0 of 156" in _texts(page)
    assert _slider(page, "silo_strength").label == "silo strength: 0.50"
    _button(page, "Restore the preset").click()
    assert _slider(page, "silo_strength").v_model == pytest.approx(
        PRESETS[DEFAULT_PRESET].settings.silo_strength
    )
    assert not [b for b in page.find(v.Btn).widgets if "Restore the preset" in b.children]


def test_the_seed_control_only_offers_seeds_that_run(page):
    seed = _slider(page, "seed")
    assert (seed.min, seed.max) == RANGES["seed"][:2]
    seed.v_model = 7
    assert "Week 0 of 156" in _texts(page) and _slider(page, "seed").label.endswith(": 7")
    cards = [c for w in page.find(v.CardTitle).widgets for c in w.children]
    assert "left: frontline_pilot" in cards


def test_a_lever_moved_mid_run_keeps_the_week_and_is_marked(page):
    for _ in range(4):
        _button(page, "Step").click()
    lever = [s for s in page.find(v.Slider).widgets if s.label.startswith("silo strength from now")]
    lever[0].v_model = 0.3
    assert "Week 4 of 156" in _texts(page)
    tipping = _charts(page)[0]
    (marks,) = [s["markLine"]["data"] for s in tipping["series"] if s["name"] == "levers"]
    assert marks == [{"xAxis": 4, "name": "silo strength 0.85→0.3"}]
    _button(page, "the executives join now").click()
    assert "wave launched" in str(_charts(page)[0])


def test_the_controls_below_the_fold_follow_the_first_drawn_chart():
    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    try:
        assert {"Classroom", "Run"} <= set(_card_titles(rc))
        assert not {"Levers (mid-run)", "Export", "Plans", "Info"} & set(_card_titles(rc))
        rc.find(ChartWidget).widgets[0].drawn = True
        assert {"Levers (mid-run)", "Export", "Plans", "Info"} <= set(_card_titles(rc))
    finally:
        rc.close()


def test_a_reset_model_built_ahead_plays_the_same_weeks():
    prebuilt = Prebuilt()
    settings = PRESETS[DEFAULT_PRESET].settings
    first = prebuilt.take(settings)
    prebuilt.build_ahead(settings)
    for _ in range(20):
        first.step()
    time.sleep(0.5)  # the build ahead done (the test holds either way: a late one is not handed out)
    again = prebuilt.take(settings)
    assert again is not first and again.week == 0
    for _ in range(20):
        again.step()
    assert [r.weekly() for r in again.every_run] == [r.weekly() for r in first.every_run]
    other = prebuilt.take(settings.replace(seed=5))  # built ahead for other settings: not handed out
    assert other.settings.seed == 5 and other.week == 0


def test_a_step_and_a_reset_are_one_render_pass_each(page):
    before = page.render_count
    _button(page, "Step").click()
    assert page.render_count == before + 1
    _button(page, "Reset").click()
    assert page.render_count == before + 2
    assert "Week 0 of 156" in _texts(page)


def test_a_chart_sends_its_option_only_when_it_changed():
    chart = ChartWidget()
    sent = []
    chart.observe(lambda change: sent.append(change["new"]), "spec")
    option = charts.rungs_option(Lockstep(Settings(weeks=52)).runs[0].weekly(), 52, "rocket")
    chart.option = option
    chart.option = dict(option)
    assert len(sent) == 1 and chart.option == option
    with pytest.raises(ValueError):
        chart.option = {"series": [{"data": [[0, float("nan")]]}]}  # would not parse in the browser


def test_the_dashboard_does_not_import_matplotlib():
    # Mesa's visualization imports Matplotlib and Altair: over a second of server start for nothing drawn
    code = "import sys, dashboards.app; print(sorted({'matplotlib', 'altair'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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
