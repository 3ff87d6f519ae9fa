"""``blueline optimize``: the cheapest plan of a documented family that tips with high confidence.

- :mod:`scenarios.optimize.family`: the family of plans searched (the ``[optimize]`` table) and
  how a point of it becomes a :class:`sim.Plan`;
- :mod:`scenarios.optimize.evaluation`: a plan's tipping count over the evaluation seeds, run
  through the sweep executors, stopping a plan early once it cannot reach the target;
- :mod:`scenarios.optimize.search`: the Optuna study (SQLite in the output folder, resumable);
- :mod:`scenarios.optimize.references`: the cheapest budget at which each written plan reaches the target;
- :mod:`scenarios.optimize.verification`: the chosen and the best written plan on fresh seeds;
- :mod:`scenarios.optimize.results`: the output folder (TOML, Pareto front, tables, summary).

Nothing here is imported by the model: ``sim`` names no plan.
"""
