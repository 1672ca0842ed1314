# The two commands of the README. Each one does its own set-up (Debian packages, SCS sources).
.PHONY: setup run test bench

setup:
	bash scripts/setup.sh

# The main job on the embedded default instance.
run: setup
	cargo run --release -- demo

# The whole test suite.
test: setup
	cargo test --workspace
