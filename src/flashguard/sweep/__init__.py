"""Monte Carlo stress tests: every (scenario, seed, risk-parameter set) run as `flashguard run`
runs it, on local processes or on Ray, tabulated and charted (docs/sweep.md).

    grid.py      GRID_TOML: the parameter sets, applied to the risk matrix and validated
    plan.py      the runs and their inputs; --seeds and --scenario
    worker.py    one batch of runs -> rows (what either backend executes)
    row.py       one run's summary and journal -> a row of typed columns
    backends.py  local process pool, or Ray
    results.py   rows.jsonl (resume), results.parquet, results.csv
    report.py    sweep.html
    job.py       the whole sweep
"""
