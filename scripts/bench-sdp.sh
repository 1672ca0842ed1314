#!/usr/bin/env bash
# The SDP relaxation side by side on the same data (examples/bench_sdp.rs): the paper's pipeline
# (cvxpy full form + SCS eps 1e-4), cvxpy reduced form + Clarabel, and our CLI routes
# `convex-relu solve --formulation sdp --backend {clarabel,scs,dnn}`; wall time and peak memory of
# every route measured as a subprocess, one table, a scaling plot. See docs/benchmarks-sdp.md.
#
#   scripts/bench-sdp.sh [--instances spiral60,iris-half] [--routes clarabel,scs,dnn,paper,cvxpy-clarabel]
#                        [--time-limit 600] [--beta 0.1] [--tolerance T] [--plot docs/benchmarks-sdp-scaling.svg]
#
# Environment: VENV (default .venv) is created with pip if missing (pinned cvxpy, clarabel, scs);
# PYTHON (default python3) creates it. BLAS threads are pinned to 1 for every route
# (OPENBLAS_NUM_THREADS=1) unless set already.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet cvxpy==1.9.3 clarabel==0.11.1 scs==3.3.1 numpy
fi
"$VENV/bin/python" -c "import cvxpy, scs, clarabel; print('cvxpy', cvxpy.__version__, 'scs', scs.__version__, 'clarabel', clarabel.__version__)"
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
cargo build --release --bin convex-relu --example bench_sdp
exec ./target/release/examples/bench_sdp --python "$VENV/bin/python" --cli ./target/release/convex-relu "$@"
