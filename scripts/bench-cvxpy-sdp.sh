#!/usr/bin/env bash
# The SDP relaxation three ways on the same seeded instances:
#   ours:  `sdp` (facially reduced) and `sdp-full` compiled in Rust, solved by Clarabel / SCS;
#   paper: cvxpy building the full form, solved by SCS (eps 1e-4) and by Clarabel.
# Writes out/sdp-instances/{<instance>.csv, results-rust.csv, results-cvxpy.csv} and prints a
# markdown table (paste into docs/benchmarks-sdp.md).
#
#   scripts/bench-cvxpy-sdp.sh [--instances spiral15,teacher25] [--beta 0.1] [--time-limit 120]
#
# Environment: VENV (default .venv) is created with pip if missing; PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
INSTANCES=spiral15,spiral21,spiral30,teacher25
BETA=0.1
TIME_LIMIT=120
while [ $# -gt 0 ]; do
  case "$1" in
    --instances) INSTANCES=$2; shift 2 ;;
    --beta) BETA=$2; shift 2 ;;
    --time-limit) TIME_LIMIT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
VENV=${VENV:-.venv}
OUT=out/sdp-instances
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet cvxpy==1.9.3 clarabel==0.11.1 scs==3.3.1 numpy
fi
"$VENV/bin/python" -c "import cvxpy, scs, clarabel; print('cvxpy', cvxpy.__version__, 'scs', scs.__version__, 'clarabel', clarabel.__version__)"

cargo build --release --example sdp_forms
./target/release/examples/sdp_forms --out "$OUT" --beta "$BETA" --instances "$INSTANCES" --time-limit "$TIME_LIMIT"
"$VENV/bin/python" benches/cvxpy_sdp.py "$OUT" --beta "$BETA" --instances "$INSTANCES" --time-limit "$TIME_LIMIT"

"$VENV/bin/python" - "$OUT" <<'PY'
import csv, sys, os
d = sys.argv[1]
rust = list(csv.DictReader(open(os.path.join(d, "results-rust.csv"))))
py = list(csv.DictReader(open(os.path.join(d, "results-cvxpy.csv"))))
print()
print("| instance | n, d, c | pipeline | form | solver | status | seconds | objective | certified LB |")
print("|---|---|---|---|---|---|---:|---:|---:|")
for inst in dict.fromkeys(r["instance"] for r in rust + py):
    for r in rust:
        if r["instance"] == inst:
            print(f"| {inst} | {r['n']}, {r['d']}, {r['c']} | rust | {r['form']} | {r['backend']} | {r['status']} | {float(r['seconds']):.2f} | {r['primal_objective']} | {r['certified_lower_bound']} |")
    for r in py:
        if r["instance"] == inst:
            print(f"| {inst} | {r['n']}, {r['d']}, {r['c']} | cvxpy | {r['form']} | {r['solver']} | {r['status']} | {float(r['solve_seconds']):.2f} | {r['objective']} | - |")
PY
