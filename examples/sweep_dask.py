#!/usr/bin/env python3
"""A beta x seed x data-set grid of convex-relu solves on Dask, gathered into one table.

One Dask task per instance (data set, beta, seed); each task calls ``convex_relu.solve`` (which
releases the GIL, so thread workers run solves in parallel). Results are written as CSV and/or
JSON (one row per instance, in grid order) while a progress line counts finished tasks.

Run on a local cluster (the default, two workers):

    python examples/sweep_dask.py --data reference-1d,synthetic:40:3:1 --betas 1,0.1,0.01 \\
        --seeds 0,1,2 --formulation sdp --csv sweep.csv --json sweep.json

Run on an existing cluster: start ``dask scheduler`` and ``dask worker ADDRESS`` (with the
``convex_relu`` package installed on every worker), then pass ``--scheduler tcp://HOST:8786``.

Data sets: ``reference-1d`` (the built-in set), ``synthetic:N:D:SEED`` (Gaussian features with a
ones column, target ``sin(3 x_1)``, generated from SEED), or a CSV file with a header row and
numeric columns, the last one the target.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

#: The report keys copied into the table (plus the instance's own columns and ``error``).
COLUMNS = ("status", "backend", "formulation", "objective", "lower_bound", "certified", "upper_bound",
           "gap", "globally_optimal", "width", "iterations", "solve_seconds")


def load_data(spec: str) -> Tuple[np.ndarray, np.ndarray, str]:
    """``(X, Y, source)`` for a data-set spec (module docs)."""
    import convex_relu.datasets as ds

    if spec == "reference-1d":
        x, y = ds.reference_1d()
        return x, y, ds.REFERENCE_1D_NAME
    if spec.startswith("synthetic:"):
        parts = spec.split(":")
        if len(parts) != 4:
            raise ValueError(f"data set `{spec}`: expected synthetic:N:D:SEED")
        n, d, seed = (int(p) for p in parts[1:])
        if n < 1 or d < 1:
            raise ValueError(f"data set `{spec}`: N and D must be at least 1")
        rng = np.random.default_rng(seed)
        x = np.hstack([rng.standard_normal((n, d)), np.ones((n, 1))])
        y = np.sin(3.0 * x[:, :1])
        return x, y, spec
    table = np.loadtxt(spec, delimiter=",", skiprows=1, ndmin=2)
    if table.shape[1] < 2:
        raise ValueError(f"{spec}: need at least one feature column and the target column")
    return table[:, :-1], table[:, -1:], spec


def run_instance(instance: Dict[str, Any], options: Dict[str, Any]) -> Dict[str, Any]:
    """One grid point: solve and return a table row (never raises: errors become a column)."""
    import convex_relu

    row: Dict[str, Any] = dict(instance)
    try:
        x, y, source = load_data(instance["data"])
        rep = convex_relu.solve(x, y, instance["beta"], seed=instance["seed"], source=source, **options)
        d = rep.to_dict()
        row.update({k: d.get(k) for k in COLUMNS})
        row["error"] = None
    except (ValueError, convex_relu.SolverError, OSError) as e:
        row.update({k: None for k in COLUMNS})
        row["error"] = f"{type(e).__name__}: {e}"
    return row


def grid(datasets: Sequence[str], betas: Sequence[float], seeds: Sequence[int]) -> List[Dict[str, Any]]:
    """Every (data, beta, seed) in that nesting order, numbered by ``index``."""
    out = []
    for data in datasets:
        for beta in betas:
            for seed in seeds:
                out.append({"index": len(out), "data": data, "beta": float(beta), "seed": int(seed)})
    return out


def sweep(instances: List[Dict[str, Any]], options: Dict[str, Any], client: Any,
          progress: Any = sys.stderr) -> List[Dict[str, Any]]:
    """Submits one task per instance to ``client`` and gathers the rows in grid order."""
    from dask.distributed import as_completed

    futures = [client.submit(run_instance, inst, options, key=f"convex-relu-{inst['index']}", pure=False)
               for inst in instances]
    rows: List[Optional[Dict[str, Any]]] = [None] * len(instances)
    done = 0
    t0 = time.time()
    for fut in as_completed(futures):
        row = fut.result()
        rows[row["index"]] = row
        done += 1
        if progress is not None:
            print(f"[{done}/{len(instances)}] {time.time() - t0:7.1f} s  {row['data']} beta={row['beta']} "
                  f"seed={row['seed']}: {row['status'] or row['error']}", file=progress, flush=True)
    return [r for r in rows if r is not None]


def write_csv(rows: List[Dict[str, Any]], path: str) -> None:
    fields = ["index", "data", "beta", "seed", *COLUMNS, "error"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in fields})


def main(argv: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="reference-1d", help="comma-separated data sets (module docs)")
    p.add_argument("--betas", default="1,0.1", help="comma-separated weight decays")
    p.add_argument("--seeds", default="0", help="comma-separated seeds")
    p.add_argument("--formulation", default="sdp")
    p.add_argument("--backend", default="clarabel")
    p.add_argument("--tolerance", type=float, default=None)
    p.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    p.add_argument("--exact-optimum", action="store_true")
    p.add_argument("--scheduler", default=None, help="address of a running scheduler (default: a LocalCluster)")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    p.add_argument("--threads", action="store_true",
                   help="LocalCluster with thread workers in this process (processes=False)")
    p.add_argument("--csv", default=None, help="write the table as CSV")
    p.add_argument("--json", default=None, help="write the table as a JSON array")
    p.add_argument("--overwrite", action="store_true", help="replace existing --csv/--json files")
    a = p.parse_args(argv)

    import os
    for path in (a.csv, a.json):
        if path and os.path.exists(path) and not a.overwrite:
            p.error(f"{path} exists; pass --overwrite to replace it")
    try:
        betas = [float(b) for b in a.betas.split(",")]
        seeds = [int(s) for s in a.seeds.split(",")]
    except ValueError as e:
        p.error(f"--betas/--seeds: {e}")
    instances = grid(a.data.split(","), betas, seeds)
    options = {"formulation": a.formulation, "backend": a.backend, "tolerance": a.tolerance,
               "time_limit": a.time_limit, "exact_optimum": a.exact_optimum}

    from dask.distributed import Client, LocalCluster

    if a.scheduler:
        client = Client(a.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=not a.threads,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        rows = sweep(instances, options, client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if a.csv:
        write_csv(rows, a.csv)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
            f.write("\n")
    if not a.csv and not a.json:
        write_csv_stdout = csv.writer(sys.stdout)
        write_csv_stdout.writerow(["index", "data", "beta", "seed", *COLUMNS, "error"])
        for r in rows:
            write_csv_stdout.writerow([r.get(k) for k in ["index", "data", "beta", "seed", *COLUMNS, "error"]])
    failed = sum(1 for r in rows if r["error"])
    print(f"{len(rows)} instances, {failed} failed", file=sys.stderr)
    return rows


if __name__ == "__main__":
    main()
