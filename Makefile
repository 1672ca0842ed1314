# The two commands of the README. Each one does its own set-up (Debian packages, SCS sources).
.PHONY: setup run test bench

setup:
	bash scripts/setup.sh

# The main job on the embedded default instance.
run: setup
	cargo run --release -- demo

# The whole test suite. Tests run solves in parallel threads, so OpenBLAS (used by Clarabel's
# and SCS's PSD cones) is kept to one thread each to avoid oversubscribing the cores.
# Then the Python package: built into .venv-py with pinned dependencies, tested with pytest.
test: setup
	OPENBLAS_NUM_THREADS=1 cargo test --workspace
	OPENBLAS_NUM_THREADS=1 bash scripts/python-test.sh
