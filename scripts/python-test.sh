#!/usr/bin/env bash
# Builds the Python package (crates/python) and runs its pytest suite.
#
# 1. .venv-py (git-ignored): a virtual environment with the pinned build and test dependencies
#    of crates/python/requirements-test.txt from the package registry (created once, re-checked).
# 2. The command-line binary (the tests compare against its --json output), built by
#    `cargo test --workspace --no-run` so that it shares the feature set of the cargo tests.
# 3. A wheel built by maturin with the cargo dev profile (it shares target/debug with `cargo
#    test`, so a warm target only links), installed into .venv-py.
# 4. pytest on crates/python/tests; CONVEX_RELU_WHEEL makes one test install the same wheel into
#    a fresh virtual environment.
#
# Environment: PYTHON (default python3, >= 3.9), PYTEST_ARGS (extra pytest arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py=${PYTHON:-python3}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
start=$(date +%s)

if [ ! -x .venv-py/bin/python ]; then
    echo "python-test: creating .venv-py"
    "$py" -m venv .venv-py
fi
.venv-py/bin/python -m pip install -q --disable-pip-version-check -r crates/python/requirements-test.txt

# The binary as `cargo test --workspace` builds it (a no-op right after that command).
cargo test --workspace --no-run

rm -rf dist-py
(cd crates/python && "$root/.venv-py/bin/maturin" build --strip --auditwheel skip --out "$root/dist-py")
wheel=$(ls "$root"/dist-py/convex_relu-*.whl)
.venv-py/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"

export CONVEX_RELU_CLI="$root/target/debug/convex-relu" CONVEX_RELU_WHEEL="$wheel"
.venv-py/bin/python -m pytest crates/python/tests -q -p no:cacheprovider ${PYTEST_ARGS:-}
echo "python-test: $(( $(date +%s) - start )) s"
