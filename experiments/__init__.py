"""Batch sweeps and tipping-point analyses.

An experiment (TOML, built-ins in ``experiments/builtin/``) lists points x plans
x seeds; :func:`experiments.sweep.run_sweep` runs them on local processes or a
Dask cluster, streaming summaries (and per-week rows) to a resumable Parquet
dataset; the analyses (tipping, atlas, hysteresis, sensitivity, discovery)
read it back and write a PNG and a CSV each. See ``blueline sweep --help``.
"""
