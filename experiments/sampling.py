"""The points of an experiment: a grid, or ranges sampled by Latin hypercube, Sobol or Morris.

Sampling is seeded (``sample_seed``), so an experiment always lists the same
points in the same order, and a resumed sweep finds the same run ids.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.definition import Experiment
from sim.params import ModelParams, whole_fields

WHOLE_FIELDS = whole_fields()


@dataclass(frozen=True)
class Design:
    """The points of an experiment.

    Attributes
    ----------
    points : list of dict
        One mapping name -> value per point, in order (values as run: whole
        fields rounded).
    matrix : ndarray or None
        The sampler's raw matrix (points x names), which SALib's analysers
        need in the sampler's order; None for a grid.
    problem : dict or None
        SALib's problem description (names and bounds); None for a grid.
    """

    points: list[dict[str, float]]
    matrix: np.ndarray | None
    problem: dict[str, Any] | None


def salib_problem(ranges: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem dict for these ranges."""
    return {"num_vars": len(ranges), "names": list(ranges), "bounds": [list(b) for b in ranges.values()]}


def point_count(experiment: Experiment) -> int:
    """How many points :func:`design` will list, computed without sampling (for the size guard)."""
    if experiment.method == "grid":
        return math.prod(len(v) for v in experiment.grid.values())
    d, n = len(experiment.ranges), experiment.samples
    return {"lhs": n, "sobol": n * (d + 2), "morris": n * (d + 1)}[experiment.method]


def largest_params(experiment: Experiment) -> ModelParams:
    """The experiment's parameters at the corner of its design with the most people, ties and customers."""
    bigger = {"n_customers", "p_within", "executives"}
    smaller = {"span", "silo_strength"}
    values = experiment.grid if experiment.method == "grid" else experiment.ranges
    corner = {n: (max(v) if n in bigger else min(v)) for n, v in values.items() if n in bigger | smaller}
    return experiment.params.replace(**_as_run(corner))


def design(experiment: Experiment) -> Design:
    """List the experiment's points (a single empty point when nothing is varied)."""
    if experiment.method == "grid":
        names = list(experiment.grid)
        combos = itertools.product(*(experiment.grid[n] for n in names))
        return Design([_as_run(dict(zip(names, c, strict=True))) for c in combos], None, None)
    problem = salib_problem(experiment.ranges)
    n, seed = experiment.samples, experiment.sample_seed
    if experiment.method == "lhs":
        matrix = _latin_hypercube(problem, n, seed)
    elif experiment.method == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(problem, n, calc_second_order=False, seed=seed)
    else:
        from SALib.sample import morris

        matrix = morris.sample(problem, n, num_levels=4, seed=seed)
    points = [_as_run(dict(zip(problem["names"], row.tolist(), strict=True))) for row in matrix]
    return Design(points, matrix, problem)


def _latin_hypercube(problem: dict[str, Any], n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc  # slow to import: only when sampling

    d = problem["num_vars"]
    try:
        sampler = qmc.LatinHypercube(d, rng=np.random.default_rng(seed))
    except TypeError:  # scipy < 1.15 names it seed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            sampler = qmc.LatinHypercube(d, seed=np.random.default_rng(seed))
    unit = sampler.random(n)
    bounds = np.asarray(problem["bounds"], dtype=float)
    return qmc.scale(unit, bounds[:, 0], bounds[:, 1])


def _as_run(point: dict[str, Any]) -> dict[str, float]:
    """Values as the model takes them: whole-number fields rounded, the rest as floats."""
    return {k: (int(round(v)) if k in WHOLE_FIELDS else float(v)) for k, v in point.items()}
