#!/usr/bin/env bash
# The main job: builds the binaries and runs the demo (head office plus two
# sites on loopback, embedded SQLite in a temporary folder). Pass --keep to
# leave everything running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --workspace --bins
exec target/release/wuye-demo "$@"
