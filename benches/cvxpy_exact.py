#!/usr/bin/env python3
"""Side-by-side benchmark: the exact C-ReLU program (SPEC section 1) built with cvxpy and solved
by Clarabel, on the instances (data + activation patterns) written by
`cargo run --example bench_exact`. Prints a markdown table comparing optimum and times with the
convex-relu numbers stored in the same file.

    python benches/cvxpy_exact.py out/bench/instances.json [--markdown OUT.md]

cvxpy formulation (vectorised over patterns, D and S are n x P 0/1 and +-1 matrices):
    min 1/2 || sum(D o (X (V - W)), axis=1) - y ||^2 + beta (sum_i ||V_:i|| + ||W_:i||)
    s.t. S o (X V) >= 0, S o (X W) >= 0
Timing: cvxpy = expression building + prob.solve() wall time (canonicalisation included),
best of the same number of repeats as the Rust driver; "clarabel" = solver_stats.solve_time.
"""
import json
import sys
import time

import cvxpy as cp
import numpy as np


def build(inst):
    X = np.asarray(inst["x"], dtype=float)
    y = np.asarray(inst["y"], dtype=float)
    D = np.array([[c == "1" for c in p] for p in inst["patterns"]], dtype=float).T  # n x P
    S = 2.0 * D - 1.0
    d, P = X.shape[1], D.shape[1]
    V = cp.Variable((d, P))
    W = cp.Variable((d, P))
    fit = cp.sum(cp.multiply(D, X @ (V - W)), axis=1)
    obj = 0.5 * cp.sum_squares(fit - y) + inst["beta"] * (cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(W, 2, axis=0)))
    cons = [cp.multiply(S, X @ V) >= 0, cp.multiply(S, X @ W) >= 0]
    return cp.Problem(cp.Minimize(obj), cons)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "out/bench/instances.json"
    md_out = sys.argv[sys.argv.index("--markdown") + 1] if "--markdown" in sys.argv else None
    data = json.load(open(path))
    repeats = data.get("repeats", 3)
    rows = []
    for inst in data["instances"]:
        best_total, best_solver, value, status = float("inf"), float("inf"), None, None
        for _ in range(repeats):
            t0 = time.perf_counter()
            prob = build(inst)
            prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-8, tol_gap_rel=1e-8, tol_feas=1e-8)
            total = time.perf_counter() - t0
            best_total = min(best_total, total)
            best_solver = min(best_solver, prob.solver_stats.solve_time or float("nan"))
            value, status = prob.value, prob.status
        r = inst["rust"]
        rust_total = r["compile_seconds"] + r["solve_seconds"]
        rows.append((inst["name"], inst["n"], inst["d"], len(inst["patterns"]), r["objective"], value,
                     abs(value - r["objective"]) / max(1.0, abs(r["objective"])), rust_total, r["solve_seconds"],
                     best_total, best_solver, best_total / rust_total, status))
        print(f"{inst['name']}: cvxpy {status} {value:.8f} in {best_total:.3f} s", file=sys.stderr)
    head = ("| instance | n | d | patterns | convex-relu optimum | cvxpy optimum | rel. diff | convex-relu total s "
            "| (Clarabel s) | cvxpy total s | (Clarabel s) | cvxpy / convex-relu |")
    lines = [head, "|" + "---|" * 12]
    for (name, n, d, P, ro, co, diff, rt, rs, ct, cs, ratio, _st) in rows:
        lines.append(f"| {name} | {n} | {d} | {P} | {ro:.8f} | {co:.8f} | {diff:.1e} | {rt:.3f} | {rs:.3f} | {ct:.3f} | {cs:.3f} | {ratio:.2f} |")
    table = "\n".join(lines)
    print(table)
    if md_out:
        with open(md_out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
