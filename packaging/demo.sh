#!/usr/bin/env bash
# The demo: an upstream simulator with three accounts (alice and bob speak the OpenAI protocol,
# carol the Anthropic one), and the three services in front of it, with state and sockets in a
# temporary folder (no root needed). Prints the one `export` line that makes every printed
# quota-proxyctl command work, a few commands to try, and the dashboard's address.
#
# With --scenario it shows the point instead, in under a minute: it drains one account's quota in
# the simulator, shows Quota Protection kick in and the next request go to the other account,
# drains that one too and shows the 429 with Retry-After, then the recovery after the reset; it
# exits 0 when every step saw what it expected, 1 naming the step otherwise.
#
# On exit (Ctrl-C, or the end of the scenario) everything it started is stopped, state and sockets
# are removed, and the services' logs are kept in the folder it names.
#
# Environment: DEMO_INFO=FILE writes the addresses and keys there as JSON once all runs (for the
# dashboard's browser test); DEMO_ADMIN_KEY sets the dashboard's admin key (default
# demo-admin-key); QUOTA_PROXY_BIN=DIR takes the executables from DIR instead of asking
# `swift build --show-bin-path` (the Swift test does so while `swift test` holds the build folder).
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: packaging/demo.sh [--port N] [--scenario]

Starts an upstream simulator with three accounts (alice and bob: OpenAI protocol, gpt-4o-mini;
carol: Anthropic protocol, claude-sonnet-4-5) and quota-proxy, quota-scheduler and
quota-refresher in front of it, from the debug build (run `swift build` first), with state,
sockets and logs in a temporary folder. No root needed.

Options:
  --port N     The proxy's port on 127.0.0.1 (default 0: any free port).
  --scenario   Run the walkthrough and exit: drain alice's quota, see Quota Protection and the
               switch to bob, drain bob, see the 429 with Retry-After, see the recovery after
               the reset. Exit 0 when every step saw what it expected, 1 naming the step.
  -h, --help   This help.

Without --scenario it runs until Ctrl-C. On exit the services' logs are kept in a folder
it names. Environment: DEMO_INFO=FILE (addresses and keys as JSON), DEMO_ADMIN_KEY,
QUOTA_PROXY_BIN=DIR (the executables' folder).
EOF
}

# ---------------------------------------------------------------------------------------------
# Options

port=0
scenario=0
while (($#)); do
    case "$1" in
        --port) [ $# -ge 2 ] || { echo "demo.sh: --port needs a number" >&2; exit 2; }; port=$2; shift 2 ;;
        --port=*) port=${1#--port=}; shift ;;
        --scenario) scenario=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || ((10#$port > 65535)); then
    echo "demo.sh: --port must be a number from 0 to 65535 (got '$port')" >&2
    exit 2
fi
port=$((10#$port))

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${QUOTA_PROXY_BIN:-$(cd "$repo" && swift build --show-bin-path)}
for exe in quota-proxy quota-scheduler quota-refresher quota-proxyctl quota-upstream-sim; do
    [ -x "$bin/$exe" ] || { echo "demo.sh: $bin/$exe is missing: build first (swift build)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "demo.sh: curl is needed (apt-get install curl)" >&2; exit 1; }

client_key=demo-key
admin_key=${DEMO_ADMIN_KEY:-demo-admin-key}
alice_key=sk-demo-alice-0001
bob_key=sk-demo-bob-000002
carol_key=sk-ant-demo-carol3

# ---------------------------------------------------------------------------------------------
# The work folder, and stopping everything on exit

work=$(mktemp -d /tmp/quota-proxy-demo.XXXXXX)
mkdir -p "$work/state/accounts" "$work/run"
pids=()

# Stops what the demo started (TERM, then KILL after 10 s), removes state and sockets, keeps the
# logs and names their folder. Keeps the script's exit status.
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work/state" "$work/run" "$work/config.json" "$work/sim.json" "$work/answer.body" "$work/answer.headers"
    echo
    echo "Stopped. Logs kept in $work (quota-proxy.log, quota-scheduler.log, quota-refresher.log, sim.log)"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Starting the simulator, the accounts and the services

# The upstream: 20 requests of gpt-4o-mini each for alice's key in a 5-hour window (a quota,
# learnt from the answers' headers) and bob's in a 30-minute one (a rate limit in the headers;
# bob's quota is polled from the simulator's quota endpoint instead); carol's key serves
# claude-sonnet-4-5 over the Anthropic protocol.
start_simulator() {
    cat > "$work/sim.json" <<JSON
{"keys": [
  {"key": "$alice_key", "models": {"gpt-4o-mini": {"limit": 20, "reset_seconds": 18000}}},
  {"key": "$bob_key", "models": {"gpt-4o-mini": {"limit": 20, "reset_seconds": 1800}}},
  {"key": "$carol_key", "models": {"claude-sonnet-4-5": {"limit": 20, "reset_seconds": 18000}}}
]}
JSON
    "$bin/quota-upstream-sim" --port 0 --config "$work/sim.json" >"$work/sim.out" 2>"$work/sim.log" &
    pids+=($!)
    for _ in $(seq 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
    sim_port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/sim.out" | head -1)
    [ -n "$sim_port" ] || { echo "demo.sh: the simulator did not start:" >&2; cat "$work/sim.log" >&2; exit 1; }
    sim="http://127.0.0.1:$sim_port"
}

# write_account ID TIER PROVIDER KEY MODEL QUOTA_SOURCE_JSON: one account file (0600).
write_account() {
    cat > "$work/state/accounts/$1.json" <<JSON
{"id": "$1", "label": "$1@example.com", "provider": "$3", "base_url": "$sim",
 "tier": "$2", "credentials": {"api_key": "$4"}, "models": ["$5"], "quota_source": $6}
JSON
    chmod 600 "$work/state/accounts/$1.json"
}

# alice: the personal (primary) OpenAI account; bob: the fallback one; carol: an Anthropic-protocol
# account. The configuration has a client key and an admin key for the dashboard.
write_accounts_and_config() {
    write_account alice primary openai "$alice_key" gpt-4o-mini '{"kind": "headers"}'
    write_account bob fallback openai "$bob_key" gpt-4o-mini "{\"kind\": \"quota_url\", \"url\": \"$sim/quota\"}"
    write_account carol primary anthropic "$carol_key" claude-sonnet-4-5 '{"kind": "headers"}'
    cat > "$work/config.json" <<JSON
{ "listen": {"host": "127.0.0.1", "port": $port}, "client_api_keys": ["$client_key"], "admin_api_keys": ["$admin_key"] }
JSON
}

start_services() {
    for exe in quota-proxy quota-scheduler quota-refresher; do
        "$bin/$exe" --config "$work/config.json" --state-dir "$work/state" --runtime-dir "$work/run" \
            2>>"$work/$exe.log" &
        pids+=($!)
    done
    for _ in $(seq 150); do
        [ -S "$work/run/proxy.sock" ] && [ -S "$work/run/scheduler.sock" ] && [ -S "$work/run/refresher.sock" ] && break
        sleep 0.1
    done
    listen=
    for _ in $(seq 50); do
        listen=$("$bin/quota-proxyctl" status --json --runtime-dir "$work/run" 2>/dev/null |
            sed -n 's/.*"listen" : "\([^"]*\)".*/\1/p' | head -1) || true
        [ -n "$listen" ] && break
        sleep 0.2
    done
    if [ -z "$listen" ]; then
        echo "demo.sh: the services did not start (is port $port free?):" >&2
        tail -n 5 "$work"/quota-*.log >&2
        exit 1
    fi
}

# For scripts (the dashboard's browser test): where everything is.
write_demo_info() {
    [ -n "${DEMO_INFO:-}" ] || return 0
    printf '{"listen":"%s","simulator":"%s","state":"%s","run":"%s","client_key":"%s","admin_key":"%s"}\n' \
        "$listen" "$sim" "$work/state" "$work/run" "$client_key" "$admin_key" > "$DEMO_INFO.tmp"
    mv "$DEMO_INFO.tmp" "$DEMO_INFO"
}

# The one line that points quota-proxyctl (and the services, if started by hand) at the demo's
# folders and puts the debug build on the PATH. The scenario runs its commands with it too, so
# what is printed is what is tested.
environment_line() {
    # shellcheck disable=SC2016 # "$PATH" is meant literally: it expands where the line is pasted.
    printf 'export STATE_DIRECTORY=%q RUNTIME_DIRECTORY=%q QUOTA_PROXY_CONFIG=%q PATH=%q:"$PATH"' \
        "$work/state" "$work/run" "$work/config.json" "$bin"
}

print_try_it() {
    echo "Try it. In another terminal, first:"
    echo "  $(environment_line)"
    echo "then:"
    echo "  curl -s http://$listen/v1/chat/completions -H 'Authorization: Bearer $client_key' -H 'content-type: application/json' \\"
    echo "       -d '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'   # OpenAI client"
    echo "  curl -s http://$listen/v1/messages -H 'x-api-key: $client_key' -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \\"
    echo "       -d '{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'   # Anthropic client"
    echo "  quota-proxyctl status"
    echo "  quota-proxyctl accounts list"
    echo "  quota-proxyctl quota            # quota per account and model, and what protection does with it"
    echo "  quota-proxyctl requests         # the request log: which account answered"
    echo "  curl -s http://$listen/metrics -H 'Authorization: Bearer $client_key'   # Prometheus"
    echo "  http://$listen/dashboard/   (admin key: $admin_key)"
    echo "  $repo/packaging/demo.sh --scenario   # a separate walkthrough: protection, failover, 429, recovery"
    echo
    echo "Press Ctrl-C to stop."
}

# ---------------------------------------------------------------------------------------------
# The scenario

step_number=0
step_title=

# step TITLE: starts a step and says what it is about.
step() {
    step_number=$((step_number + 1))
    step_title=$1
    echo
    echo "== Step $step_number: $1"
}

say() { echo "   $*"; }

# run COMMAND...: shows a command (as typed after the export line) and runs it.
run() {
    echo "   \$ $*"
    local output code=0
    output=$("$@" 2>&1) || code=$?
    printf '%s\n' "$output" | sed 's/^/     /'
    if ((code != 0)); then echo "     (exit status $code)"; fi
}

# fail WHAT: the current step did not see what it expected.
fail() {
    echo
    echo "SCENARIO FAILED at step $step_number ($step_title): $1" >&2
    exit 1
}

# ok WHAT: the current step saw what it expected.
ok() { echo "   ok: $1"; }

# ask ROUTE: one request through the proxy; sets $status and $retry_after.
# ROUTE is `openai` (gpt-4o-mini on /v1/chat/completions) or `anthropic` (claude-sonnet-4-5 on
# /v1/messages).
proxy_requests=0
ask() {
    local url headers=() data
    if [ "$1" = anthropic ]; then
        url="http://$listen/v1/messages"
        headers=(-H "x-api-key: $client_key" -H 'anthropic-version: 2023-06-01')
        data='{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}'
        echo "   \$ curl http://$listen/v1/messages  (Anthropic client, claude-sonnet-4-5)"
    else
        url="http://$listen/v1/chat/completions"
        headers=(-H "Authorization: Bearer $client_key")
        data='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
        echo "   \$ curl http://$listen/v1/chat/completions  (OpenAI client, gpt-4o-mini)"
    fi
    status=$(curl -s --noproxy "*" --max-time 30 -o "$work/answer.body" -D "$work/answer.headers" -w '%{http_code}' \
        "${headers[@]}" -H 'content-type: application/json' -d "$data" "$url") || status=000
    proxy_requests=$((proxy_requests + 1))
    retry_after=$(tr -d '\r' < "$work/answer.headers" | sed -n 's/^[Rr]etry-[Aa]fter: *//p' | head -1)
    # The answer's text, or the error's message (the simulator always answers the same text).
    answer=$(sed -n 's/.*"\(content\|text\|message\)":"\([^"]*\)".*/\2/p' "$work/answer.body" | head -1)
    echo "     HTTP $status${retry_after:+   Retry-After: $retry_after}   ${answer:-$(head -c 200 "$work/answer.body")}"
}

# simulator_quota KEY MODEL REMAINING RESET_SECONDS: sets a key's quota in the simulator (its
# admin API); the window restarts now.
simulator_quota() {
    local json
    json=$(printf '{"model":"%s","remaining":%s,"limit":20,"reset_seconds":%s}' "$2" "$3" "$4")
    echo "   \$ curl -X POST $sim/admin/keys/${1:0:12}…/quota -d '$json'   (the simulator's admin API)"
    curl -s --noproxy "*" --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$sim/admin/keys/$1/quota" -d "$json" | grep -q '^200$' \
        || fail "the simulator refused the quota change for $2"
}

# latest_account: the account that answered the newest client request in the request log (written
# in batches: waits until all the requests sent so far are there).
latest_account() {
    local records=
    for _ in $(seq 50); do
        records=$(quota-proxyctl requests --kind proxy --export jsonl 2>/dev/null) || records=
        [ -n "$records" ] && [ "$(printf '%s\n' "$records" | wc -l)" -ge "$proxy_requests" ] && break
        sleep 0.2
    done
    printf '%s\n' "$records" | tail -n 1 | sed -e 's/"attempts":\[[^]]*\]//' -n -e 's/.*"account":"\([^"]*\)".*/\1/p'
}

# One request of PROTOCOL, which must be answered 200 by ACCOUNT; WHAT names it in a failure.
ask_served_by() {
    local protocol=$1 expected=$2 what=$3
    ask "$protocol"
    [ "$status" = 200 ] || fail "$what got HTTP $status, expected 200 from $expected"
    account=$(latest_account)
    [ "$account" = "$expected" ] || fail "$what was answered by '${account:-nobody}', expected $expected"
}

# is_protected ACCOUNT MODEL: whether `quota-proxyctl protection` lists that group on that account.
is_protected() {
    quota-proxyctl protection 2>/dev/null | awk -v a="$1" -v m="$2" '$1 == a && $2 == m { found = 1 } END { exit !found }'
}

run_scenario() {
    local started=$SECONDS account
    echo "The scenario. The quota-proxyctl commands below run exactly as shown after:"
    echo "  $(environment_line)"

    step "both protocols are served"
    say "An OpenAI client asks for gpt-4o-mini. alice is the primary account for it, bob the fallback."
    ask_served_by openai alice "the OpenAI request"
    say "An Anthropic client asks for claude-sonnet-4-5, which carol serves over the Anthropic protocol."
    ask_served_by anthropic carol "the Anthropic request"
    run quota-proxyctl requests --kind proxy --limit 2
    ok "both requests answered (the request log names alice and carol)"

    step "alice's quota runs out: Quota Protection kicks in"
    say "The simulator now gives alice 1 request of 20 left in her 5-hour window. The next request"
    say "uses it; the answer's rate-limit headers say 0 left, and Quota Protection takes gpt-4o-mini"
    say "off alice at once (threshold 10%), before alice has to refuse anything."
    simulator_quota "$alice_key" gpt-4o-mini 1 18000
    ask openai
    [ "$status" = 200 ] || fail "the request on alice's last unit got HTTP $status, expected 200"
    for _ in $(seq 50); do is_protected alice gpt-4o-mini && break; sleep 0.2; done
    run quota-proxyctl protection
    is_protected alice gpt-4o-mini || fail "quota-proxyctl protection does not list gpt-4o-mini on alice"
    say "The proxy's log says:"
    grep -h 'protected gpt-4o-mini on alice' "$work/quota-proxy.log" | head -1 | sed 's/^/     /' || true
    ok "alice is protected for gpt-4o-mini"

    step "the next request goes to bob"
    ask_served_by openai bob "the request"
    run quota-proxyctl requests --kind proxy --limit 2
    ok "bob answered: alice is kept for when her quota is back"

    step "bob runs out too: the client gets 429 with Retry-After"
    say "The simulator now gives bob 0 requests left, in a window that resets in 8 seconds."
    simulator_quota "$bob_key" gpt-4o-mini 0 8
    ask openai
    [ "$status" = 429 ] || fail "the request got HTTP $status, expected 429 with every account out"
    [[ "$retry_after" =~ ^[0-9]+$ ]] || fail "the 429 has no Retry-After header in seconds (got '${retry_after}')"
    ((retry_after >= 1 && retry_after <= 30)) || fail "Retry-After is $retry_after s, expected bob's reset (about 8 s)"
    run quota-proxyctl cooldowns
    ok "429 with Retry-After: $retry_after (seconds until bob's window resets)"

    step "the reset: requests succeed again"
    say "Waiting the $retry_after seconds the 429 asked for ..."
    sleep "$retry_after"
    for attempt in $(seq 10); do
        ask openai
        if [ "$status" = 200 ] || ((attempt == 10)); then break; fi
        say "not yet; again in 1 s"
        sleep 1
    done
    [ "$status" = 200 ] || fail "still HTTP $status $((retry_after + 9)) s after the 429, expected 200 after bob's reset"
    account=$(latest_account)
    run quota-proxyctl requests --kind proxy --limit 3
    [ "$account" = bob ] || fail "the request after the reset was answered by '${account:-nobody}', expected bob"
    ok "bob answers again after his reset; alice stays protected until hers (5 hours)"

    echo
    echo "Scenario passed: every step saw what it expected ($((SECONDS - started)) s)."
}

# ---------------------------------------------------------------------------------------------

start_simulator
write_accounts_and_config
start_services
write_demo_info

# From here on quota-proxyctl runs with the printed environment line, as a user would.
eval "$(environment_line)"
echo "quota-proxy demo: proxy on http://$listen, upstream simulator on $sim, files in $work"
echo
quota-proxyctl status || true
echo
quota-proxyctl accounts list || true
echo

if ((scenario)); then
    run_scenario
    exit 0
fi
print_try_it
wait
