#!/usr/bin/env bash
# The demo: an upstream simulator with two accounts, and the three services in front of it, with
# state and sockets in a temporary folder (no root needed). Prints a curl that works and the
# dashboard's address. DEMO_INFO=FILE writes the addresses and keys there as JSON once all runs;
# DEMO_ADMIN_KEY sets the dashboard's admin key (default demo-admin-key).
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

# 1. The upstream: two keys with 20 requests of gpt-4o-mini each: alice's in a 5-hour window (a
#    quota, learnt from the answers' headers), bob's in a 30-minute one (a rate limit in the
#    headers; bob's quota is polled from the simulator's quota endpoint instead).
cat > "$work/sim.json" <<JSON
{"keys": [
  {"key": "sk-demo-alice-0001", "models": {"gpt-4o-mini": {"limit": 20, "reset_seconds": 18000}}},
  {"key": "sk-demo-bob-000002", "models": {"gpt-4o-mini": {"limit": 20, "reset_seconds": 1800}}}
]}
JSON
"$bin/quota-upstream-sim" --port 0 --config "$work/sim.json" >"$work/sim.out" 2>"$work/sim.log" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/sim.out" | head -1)
[ -n "$sim_port" ] || { echo "the simulator did not start:"; cat "$work/sim.log"; exit 1; }

# 2. Two accounts, a personal one and a fallback one, and a configuration (with an admin key for
#    the dashboard).
for account in "alice primary sk-demo-alice-0001 headers" "bob fallback sk-demo-bob-000002 quota_url"; do
    set -- $account
    quota_source='{"kind": "headers"}'
    [ "$4" = quota_url ] && quota_source="{\"kind\": \"quota_url\", \"url\": \"http://127.0.0.1:$sim_port/quota\"}"
    cat > "$work/state/accounts/$1.json" <<JSON
{"id": "$1", "label": "$1@example.com", "provider": "openai", "base_url": "http://127.0.0.1:$sim_port",
 "tier": "$2", "credentials": {"api_key": "$3"}, "models": ["gpt-4o-mini"], "quota_source": $quota_source}
JSON
    chmod 600 "$work/state/accounts/$1.json"
done
admin_key=${DEMO_ADMIN_KEY:-demo-admin-key}
cat > "$work/config.json" <<JSON
{ "listen": {"host": "127.0.0.1", "port": 0}, "client_api_keys": ["demo-key"], "admin_api_keys": ["$admin_key"] }
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

if [ -n "${DEMO_INFO:-}" ]; then
    # For scripts (the dashboard's browser test): where everything is.
    printf '{"listen":"%s","simulator":"http://127.0.0.1:%s","state":"%s","run":"%s","client_key":"demo-key","admin_key":"%s"}\n' \
        "$listen" "$sim_port" "$work/state" "$work/run" "$admin_key" > "$DEMO_INFO.tmp"
    mv "$DEMO_INFO.tmp" "$DEMO_INFO"
fi

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
echo "  http://$listen/dashboard/   (admin key: $admin_key)"
echo
echo "Press Ctrl-C to stop."
wait
