#!/usr/bin/env bash
# Runs the three services locally with state and sockets in a temporary folder (no root needed).
# Stop with Ctrl-C; the folder is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)
for exe in quota-proxy quota-scheduler quota-refresher quota-proxyctl; do
    [ -x "$bin/$exe" ] || { echo "build first: swift build" >&2; exit 1; }
done

work=$(mktemp -d /tmp/quota-proxy-demo.XXXXXX)
mkdir -p "$work/state/accounts" "$work/run"
cat > "$work/config.json" <<JSON
{ "client_api_keys": ["demo-key"] }
JSON

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

for exe in quota-proxy quota-scheduler quota-refresher; do
    "$bin/$exe" --config "$work/config.json" --state-dir "$work/state" --runtime-dir "$work/run" \
        2>>"$work/$exe.log" &
    pids+=($!)
done

for _ in $(seq 100); do
    [ -S "$work/run/proxy.sock" ] && [ -S "$work/run/scheduler.sock" ] && [ -S "$work/run/refresher.sock" ] && break
    sleep 0.1
done

echo "state:   $work/state"
echo "sockets: $work/run"
echo "logs:    $work/*.log"
echo
"$bin/quota-proxyctl" status --runtime-dir "$work/run" || true
echo
echo "Try:  $bin/quota-proxyctl status --runtime-dir $work/run"
echo "Press Ctrl-C to stop."
wait
