#!/usr/bin/env bash
# Run before every push: what CI runs, minus the package installs (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
