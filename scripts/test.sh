#!/usr/bin/env bash
# Every test: builds the binaries once (release), then runs all tests, whose
# end-to-end part starts those binaries on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --workspace --bins
cargo test --release --workspace
