#!/usr/bin/env bash
# Runs each fuzz target for SECONDS_PER_TARGET (default 600) from the committed
# seeds, then copies any crashing input into regressions/<target>/ so that the
# replay test in CI keeps it fixed. cargo-fuzz needs nightly features:
# RUSTC_BOOTSTRAP lets the stable toolchain build them.
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
seconds=${SECONDS_PER_TARGET:-600}
targets=${*:-frames message document}
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>&1 | tee "fuzz-$t.log" | grep -E "^(stat::|==|SUMMARY|Done)" || true
  for crash in artifacts/"$t"/*; do
    [ -f "$crash" ] || continue
    mkdir -p "regressions/$t"
    cp "$crash" "regressions/$t/"
    echo "crashing input kept: regressions/$t/$(basename "$crash")"
  done
done
