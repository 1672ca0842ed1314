#!/usr/bin/env python3
"""The paper's pipeline for the SDP relaxation: cvxpy builds the *full* form
(Lambda PSD of order 2n+d+c, (A,B) block >= 0, M Lambda M' = 0, diag Lambda_AB = 0)
and hands it to SCS (eps 1e-4, as in the paper) and to Clarabel.

Reads the instance CSVs written by `cargo run --release --example sdp_forms` (header
x0..x{d-1},y0..y{c-1}), so both sides solve exactly the same data, and writes
<dir>/results-cvxpy.csv. Optionally (--reduced) also the facially reduced form in cvxpy.

    python benches/cvxpy_sdp.py out/sdp-instances --beta 0.1 [--instances spiral15,teacher25] [--reduced]

Single-run mode (used by examples/bench_sdp.rs, which times this process from outside): one CSV
with header x0..x{d-1},label (class names, one-hot in sorted order), one form, one solver, one
JSON line on stdout with status, objective (cvxpy's value; not a bound), solve_seconds
(the solver's own time) and compile_seconds:

    python benches/cvxpy_sdp.py --csv out/bench-sdp/spiral60.csv --form reduced --solver CLARABEL --beta 0.1 --time-limit 600
"""
import argparse
import csv
import os
import sys
import time

import cvxpy as cp
import numpy as np


def load(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    if head[-1] == "label":
        X = np.array([[float(v) for v in r[:-1]] for r in rows[1:]])
        classes = sorted(set(r[-1] for r in rows[1:]))
        Y = np.array([[1.0 if r[-1] == k else 0.0 for k in classes] for r in rows[1:]])
        return X, Y
    data = np.array([[float(v) for v in r] for r in rows[1:]])
    d = sum(1 for h in head if h.startswith("x"))
    return data[:, :d], data[:, d:]


def full_form(X, Y, beta):
    n, d = X.shape
    c = Y.shape[1]
    p = 2 * n + d + c
    L = cp.Variable((p, p), PSD=True)
    A, B, U, V = slice(0, n), slice(n, 2 * n), slice(2 * n, 2 * n + d), slice(2 * n + d, p)
    M = np.hstack([-np.eye(n), np.eye(n), X, np.zeros((n, c))])
    cons = [L[: 2 * n, : 2 * n] >= 0, M @ L @ M.T == 0, cp.diag(L[A, B]) == 0]
    obj = 0.5 * cp.sum_squares(L[A, V] - Y) + beta / 2 * (cp.trace(L[U, U]) + cp.trace(L[V, V]))
    return cp.Problem(cp.Minimize(obj), cons)


def reduced_form(X, Y, beta):
    n, d = X.shape
    c = Y.shape[1]
    q = n + d + c
    S = cp.Variable((q, q), PSD=True)
    a, u, v = slice(0, n), slice(n, n + d), slice(n + d, q)
    Saa, Sau, Suu = S[a, a], S[a, u], S[u, u]
    Lab = Saa - Sau @ X.T
    Lbb = Saa - Sau @ X.T - X @ Sau.T + X @ Suu @ X.T
    cons = [Saa >= 0, Lab >= 0, Lbb >= 0, cp.diag(Lab) == 0]
    obj = 0.5 * cp.sum_squares(S[a, v] - Y) + beta / 2 * (cp.trace(Suu) + cp.trace(S[v, v]))
    return cp.Problem(cp.Minimize(obj), cons)


def solve_one(X, Y, form, solver, beta, scs_eps, time_limit):
    """Builds and solves one form with one solver; returns a dict (status, objective, seconds)."""
    build = full_form if form == "full" else reduced_form
    t0 = time.perf_counter()
    prob = build(X, Y, beta)
    if solver == "SCS":
        opts = dict(eps_abs=scs_eps, eps_rel=scs_eps, max_iters=100000, time_limit_secs=time_limit)
    else:
        opts = dict(time_limit=time_limit)
    t1 = None
    try:
        prob.get_problem_data(getattr(cp, solver))
        t1 = time.perf_counter()
        prob.solve(solver=getattr(cp, solver), **opts)
        status, val = prob.status, prob.value
    except Exception as e:  # solver failures are results too
        t1 = t1 if t1 is not None else time.perf_counter()
        status, val = "error: " + type(e).__name__, float("nan")
    t2 = time.perf_counter()
    st = prob.solver_stats
    solve_s = st.solve_time if st is not None and st.solve_time is not None else t2 - t1
    iters = st.num_iters if st is not None else None
    val = float("nan") if val is None else float(val)
    return dict(status=status, objective=val, solve_seconds=solve_s, compile_seconds=t1 - t0, iterations=iters)


def main():
    if "--csv" in sys.argv:
        import json
        ap = argparse.ArgumentParser()
        ap.add_argument("--csv", required=True)
        ap.add_argument("--form", choices=["full", "reduced"], required=True)
        ap.add_argument("--solver", choices=["SCS", "CLARABEL"], required=True)
        ap.add_argument("--beta", type=float, default=0.1)
        ap.add_argument("--scs-eps", type=float, default=1e-4)
        ap.add_argument("--time-limit", type=float, default=600.0)
        a = ap.parse_args()
        X, Y = load(a.csv)
        r = solve_one(X, Y, a.form, a.solver, a.beta, a.scs_eps, a.time_limit)
        r["objective"] = r["objective"] if np.isfinite(r["objective"]) else None
        print(json.dumps(r), flush=True)
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--beta", type=float, default=0.1)
    ap.add_argument("--instances", default="spiral15,spiral21,spiral30,teacher25")
    ap.add_argument("--reduced", action="store_true", help="also solve the reduced form in cvxpy")
    ap.add_argument("--scs-eps", type=float, default=1e-4)
    ap.add_argument("--time-limit", type=float, default=300.0)
    args = ap.parse_args()
    out = []
    runs = [("full", full_form, "SCS"), ("full", full_form, "CLARABEL")]
    if args.reduced:
        runs += [("reduced", reduced_form, "CLARABEL"), ("reduced", reduced_form, "SCS")]
    print(f"cvxpy {cp.__version__}, beta = {args.beta}, SCS eps = {args.scs_eps}")
    print(f"{'instance':<10} {'form':<8} {'solver':<9} {'status':<22} {'compile_s':>9} {'solve_s':>8} {'objective':>12}")
    for name in args.instances.split(","):
        X, Y = load(os.path.join(args.dir, name + ".csv"))
        for form, build, solver in runs:
            t0 = time.perf_counter()
            prob = build(X, Y, args.beta)
            opts = {}
            if solver == "SCS":
                opts = dict(eps_abs=args.scs_eps, eps_rel=args.scs_eps, max_iters=100000, time_limit_secs=args.time_limit)
            else:
                opts = dict(time_limit=args.time_limit)
            t1 = None
            try:
                prob.get_problem_data(getattr(cp, solver))
                t1 = time.perf_counter()
                prob.solve(solver=getattr(cp, solver), **opts)
                status, val = prob.status, prob.value
            except Exception as e:  # solver failures are results too
                t1 = t1 if t1 is not None else time.perf_counter()
                status, val = "error: " + type(e).__name__, float("nan")
            t2 = time.perf_counter()
            st = prob.solver_stats
            solve_s = st.solve_time if st is not None and st.solve_time is not None else t2 - t1
            val = float("nan") if val is None else float(val)
            print(f"{name:<10} {form:<8} {solver.lower():<9} {status:<22} {t1 - t0:>9.3f} {solve_s:>8.3f} {val:>12.6f}", flush=True)
            out.append(dict(instance=name, n=X.shape[0], d=X.shape[1], c=Y.shape[1], form=form, solver=solver.lower(),
                            status=status, compile_seconds=f"{t1 - t0:.4f}", solve_seconds=f"{solve_s:.4f}", objective=f"{val:.6f}"))
    with open(os.path.join(args.dir, "results-cvxpy.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)


if __name__ == "__main__":
    sys.exit(main())
