#!/usr/bin/env bash
# The demo: an upstream simulator with two accounts, and the three services in front of it, with
# state and sockets in a temporary folder (no root needed). Prints a curl that works.
# Stop with Ctrl-C; everything it started is stopped and the folder removed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)
for exe in quota-proxy quota-scheduler quota-refresher quota-proxyctl quota-upstream-sim; do
    [ -x "$bin/$exe" ] || { echo "build first: swift build" >&2; exit 1; }
done

work=$(mktemp -d /tmp/quota-proxy-demo.XXXXXX)
mkdir -p "$work/state/accounts" "$work/run"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# 1. The upstream: two keys, each with 20 requests of gpt-4o-mini per hour.
cat > "$work/sim.json" <<JSON
{"keys": [
  {"key": "sk-demo-alice-0001", "models": {"gpt-4o-mini": {"limit": 20, "reset_seconds": 3600}}},
  {"key": "sk-demo-bob-000002", "models": {"gpt-4o-mini": {"limit": 20, "reset_seconds": 3600}}}
]}
JSON
"$bin/quota-upstream-sim" --port 0 --config "$work/sim.json" >"$work/sim.out" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/sim.out" | head -1)
[ -n "$sim_port" ] || { echo "the simulator did not start:"; cat "$work/sim.log"; exit 1; }

# 2. Two accounts, a personal one and a fallback one, and a configuration.
for account in "alice primary sk-demo-alice-0001" "bob fallback sk-demo-bob-000002"; do
    set -- $account
    cat > "$work/state/accounts/$1.json" <<JSON
{"id": "$1", "label": "$1@example.com", "provider": "openai", "base_url": "http://127.0.0.1:$sim_port",
 "tier": "$2", "credentials": {"api_key": "$3"}, "models": ["gpt-4o-mini"]}
JSON
    chmod 600 "$work/state/accounts/$1.json"
done
cat > "$work/config.json" <<JSON
{ "listen": {"host": "127.0.0.1", "port": 0}, "client_api_keys": ["demo-key"] }
JSON

# 3. The three services.
for exe in quota-proxy quota-scheduler quota-refresher; do
    "$bin/$exe" --config "$work/config.json" --state-dir "$work/state" --runtime-dir "$work/run" \
        2>>"$work/$exe.log" &
    pids+=($!)
done
for _ in $(seq 100); do
    [ -S "$work/run/proxy.sock" ] && [ -S "$work/run/scheduler.sock" ] && [ -S "$work/run/refresher.sock" ] && break
    sleep 0.1
done
sleep 0.5
listen=$("$bin/quota-proxyctl" status --json --runtime-dir "$work/run" | sed -n 's/.*"listen" : "\([^"]*\)".*/\1/p' | head -1)

echo "state:   $work/state      logs: $work/*.log"
echo
"$bin/quota-proxyctl" status --runtime-dir "$work/run" || true
echo
echo "Try it:"
echo "  curl -s http://$listen/v1/chat/completions -H 'Authorization: Bearer demo-key' \\"
echo "       -H 'content-type: application/json' -d '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'"
echo "  $bin/quota-proxyctl status --runtime-dir $work/run"
echo "  $bin/quota-proxyctl requests --state-dir $work/state      # the request log"
echo "  $bin/quota-proxyctl quota --state-dir $work/state"
echo "  curl -s http://$listen/metrics -H 'Authorization: Bearer demo-key'   # Prometheus"
echo
echo "Press Ctrl-C to stop."
wait
