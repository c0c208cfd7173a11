#!/usr/bin/env bash
# The dashboard's browser test: starts the demo (packaging/demo.sh) and drives /dashboard/ in
# headless Chromium with Selenium (Tests/dashboard/browser_test.py); writes docs/dashboard.png.
#
# Needs: a debug build (swift build), chromium and chromium-driver (Debian packages), python3 with
# venv; Selenium is installed into Tests/dashboard/.venv from requirements.txt (PyPI).
# Usage: Tests/dashboard/run-browser-test.sh [--require]
#   Without --require a missing browser, driver or venv skips the test (exit 0, saying so);
#   with it (CI) they are installed when root, and anything missing fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
require=0
[ "${1:-}" = "--require" ] && require=1

skip() {
    if ((require)); then echo "browser-test: FAILED: $1" >&2; exit 1; fi
    echo "browser-test: SKIPPED: $1"
    exit 0
}

chromium=$(command -v chromium || true)
driver=$(command -v chromedriver || true)
if { [ -z "$chromium" ] || [ -z "$driver" ]; } && ((require)) && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    chromium=$(command -v chromium || true)
    driver=$(command -v chromedriver || true)
fi
[ -n "$chromium" ] || skip "chromium is not installed (apt-get install chromium chromium-driver)"
[ -n "$driver" ] || skip "chromedriver is not installed (apt-get install chromium-driver)"

venv="$here/.venv"
marker="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$marker" || "$(cat "$marker")" != "$want" ]]; then
    python3 -c 'import venv, ensurepip' 2>/dev/null || skip "python3 lacks venv (apt-get install python3-venv)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt" \
        || { rm -rf "$venv"; skip "cannot install selenium from PyPI into $venv"; }
    echo "$want" > "$marker"
fi

bin=$(cd "$repo" && swift build --show-bin-path)
[ -x "$bin/quota-proxy" ] || skip "build first: swift build"

work=$(mktemp -d /tmp/quota-proxy-browser.XXXXXX)
demo_pid=
cleanup() {
    [ -n "$demo_pid" ] && kill -TERM "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
DEMO_INFO="$work/demo.json" "$repo/packaging/demo.sh" >"$work/demo.out" 2>&1 &
demo_pid=$!
for _ in $(seq 300); do [ -s "$work/demo.json" ] && break; sleep 0.1; done
[ -s "$work/demo.json" ] || { cat "$work/demo.out" >&2; echo "browser-test: FAILED: the demo did not start" >&2; exit 1; }

mkdir -p "$repo/docs"
if ! "$venv/bin/python" "$here/browser_test.py" --info "$work/demo.json" --screenshot "$repo/docs/dashboard.png" \
    --chromium "$chromium" --driver "$driver"; then
    echo "--- demo output" >&2; cat "$work/demo.out" >&2
    state=$(sed -n 's/.*"state":"\([^"]*\)".*/\1/p' "$work/demo.json")
    for log in "$state"/../*.log; do echo "--- $log" >&2; tail -40 "$log" >&2; done
    echo "browser-test: FAILED" >&2
    exit 1
fi
echo "browser-test: passed; screenshot in docs/dashboard.png"
