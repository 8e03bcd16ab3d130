#!/usr/bin/env bash
# Installs what the project needs beyond a Rust toolchain with a C compiler.
# Today that is nothing else: SQLite is bundled and built from source.
set -euo pipefail
if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed; install Rust (https://rustup.rs) and run this again" >&2
    exit 1
fi
if ! command -v cc >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq build-essential
    else
        echo "error: a C compiler (cc) is needed to build the bundled SQLite; install build-essential" >&2
        exit 1
    fi
fi
