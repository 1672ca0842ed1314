#!/usr/bin/env bash
# Side-by-side benchmark of the exact C-ReLU program: convex-relu + Clarabel vs cvxpy + Clarabel
# on the same instances and patterns. Creates a Python venv (default .venv/, or $BENCH_VENV) with
# cvxpy, clarabel, scs, numpy when it does not exist yet, then runs the Rust driver and the Python
# script. Output: the table on stdout and in out/bench/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BENCH_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet cvxpy clarabel scs numpy
fi
mkdir -p out/bench
# --release: Clarabel's generic solver is compiled inside this crate (see docs/benchmarks.md)
cargo run --quiet --release --example bench_exact -- out/bench/instances.json
"$VENV/bin/python" benches/cvxpy_exact.py out/bench/instances.json --markdown out/bench/table.md
