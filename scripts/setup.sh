#!/usr/bin/env bash
# Installs what the project needs beyond a Rust toolchain with a C compiler:
# a C compiler for the bundled SQLite, and for the web desk's browser tests
# Debian's headless Chromium with its WebDriver, a CJK font so that pages and
# screenshots show Chinese, poppler's pdftotext/pdfinfo to read printed PDFs,
# systemd's systemd-analyze to check the service units in deploy/, and
# Debian's PostgreSQL server, which the head-office store tests start on loopback.
set -euo pipefail
if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo is not installed; install Rust (https://rustup.rs) and run this again" >&2
    exit 1
fi
need=()
command -v cc >/dev/null 2>&1 || need+=(build-essential)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "installing: ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "warning: missing ${need[*]}; install them (as root: apt-get install ${need[*]})." >&2
        echo "         Without a C compiler nothing builds; without the others the browser tests cannot run." >&2
        command -v cc >/dev/null 2>&1 || exit 1
    fi
fi
