"""The size guard: a job that cannot fit is refused in one line before any work starts."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from scenarios.cli import main
from scenarios.inputs import InputError
from scenarios.size_guard import MAX_RUNS, Cost, estimate, people, refuse_if_too_big
from sim import Department, ModelParams
from sim.organization import build_organization

MID = ModelParams(departments=(Department("a", 1200), Department("b", 800)), p_within=0.1)


def test_people_and_expected_ties_match_a_built_organization():
    org = build_organization(MID, np.random.default_rng(3))
    cost = estimate(MID, runs=1, weeks=1, workers=1)
    assert cost.people == org.n_staff == people(MID)
    built = (org.within.nnz + org.across.nnz) / 2
    assert cost.ties == pytest.approx(built, rel=0.05)


def test_memory_estimate_is_within_a_factor_three_of_building_the_organization():
    tracemalloc.start()
    build_organization(MID, np.random.default_rng(3))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak / 3 < estimate(MID, 1, 1, 1).memory_bytes < peak * 3


def _cost(**changes: float) -> Cost:
    base = {"people": 10, "ties": 10.0, "customers": 10, "memory_bytes": 1e6, "runs": 1, "seconds": 1.0}
    return Cost(**(base | changes), workers=1)  # type: ignore[arg-type]


def test_a_long_job_needs_allow_long_and_a_short_one_does_not():
    with pytest.raises(InputError, match="add --allow-long to run it anyway"):
        refuse_if_too_big(_cost(seconds=10 * 86400), "s.toml", memory=1e9)
    refuse_if_too_big(_cost(seconds=10 * 86400), "s.toml", allow_long=True, memory=1e9)
    refuse_if_too_big(_cost(seconds=5), "s.toml", memory=1e9)


def test_too_much_memory_or_too_many_runs_are_refused_even_when_long_is_allowed():
    with pytest.raises(InputError, match="one run needs more than the"):
        refuse_if_too_big(_cost(memory_bytes=2e9), "s.toml", allow_long=True, memory=1e9)
    with pytest.raises(InputError, match=f"more than the limit of {MAX_RUNS:,} runs"):
        refuse_if_too_big(_cost(runs=MAX_RUNS + 1), "s.toml", allow_long=True, memory=1e9)


def _refused_fast(args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = tmp_path / "out"
    started = time.monotonic()
    assert main([*args, "--out", str(out), "--quiet"]) == 2
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert not out.exists()
    return err


@pytest.mark.parametrize("frontline", [100_000, 1_000_000])
def test_a_huge_department_is_refused_naming_its_memory(frontline, tmp_path, capsys):
    path = tmp_path / "big.toml"
    path.write_text(
        f'budget = 1\nplans = ["none"]\n[[organization.departments]]\nname = "a"\nfrontline = {frontline}\n'
    )
    err = _refused_fast(["compare", str(path)], "of memory available", tmp_path, capsys)
    assert f"{frontline + frontline // 10 + 4:,} people" in err


def test_a_billion_seeds_is_refused_without_allocating_them(tmp_path, capsys):
    _refused_fast(
        ["compare", "classroom", "--n-seeds", "1000000000"], "--n-seeds 1000000000: must be", tmp_path, capsys
    )


def test_many_seeds_over_the_full_horizon_need_allow_long(tmp_path, capsys):
    _refused_fast(["compare", "default", "--n-seeds", "100000"], "add --allow-long", tmp_path, capsys)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'method = "sobol"\nsamples = 4194304\n[ranges]\nbudget = [0, 1000]\n',
            "samples=4194304: must be <= 1,000,000",
        ),
        (
            'method = "lhs"\nsamples = 10000000\n[ranges]\nbudget = [0, 1000]\n',
            "samples=10000000: must be <= 1,000,000",
        ),
        ('method = "lhs"\nsamples = 900000\n[ranges]\nbudget = [0, 1000]\n', "add --allow-long"),
    ],
)
def test_huge_sampler_sizes_are_refused_before_sampling(body, expected, tmp_path, capsys):
    path = tmp_path / "sweep.toml"
    path.write_text(f'scenario = "default"\nplans = ["rocket"]\nseeds = 2\n{body}')
    _refused_fast(["sweep", str(path), "--workers", "1"], expected, tmp_path, capsys)
