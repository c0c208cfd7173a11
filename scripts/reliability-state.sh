#!/usr/bin/env bash
# Reliability of the shared state under crashes (long-running; not run in CI).
#
#   scripts/reliability-state.sh [KILLS] [STOPS]        defaults: 300 kills, 60 stops
#   BIN=.build/release scripts/reliability-state.sh     (default: the debug build)
#
# Part 1: the three services run against an upstream simulator (12 accounts: 8 with quota from
# rate-limit headers, written by the proxy; 4 polled every 10 s, written by the refresher; warmups
# every 10 s, written by the scheduler) while 4 clients send requests and quota-proxyctl edits and
# refreshes accounts. KILLS times, one service picked at random is SIGKILLed at a random moment
# (0.1–1.5 s after the previous step) and restarted. After every kill the state folder is
# checked: every state file parses, no account is lost or has another credential, no quota
# figure goes back in time, request-log lines are whole except a last one torn by the kill. After
# every restart, no temporary file of a dead writer is left.
# Part 2: STOPS times, a service picked at random (the others running) is started, left for 0–2 s
# and sent SIGTERM: it must exit 0 within 3 s.
#
# Prints the figures (for RELIABILITY.md) and exits non-zero when one of them fails. Everything
# runs on loopback in a temporary folder, bounded in count and time; the folder is removed at the
# end unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-300}
stops=${2:-60}
bin=${BIN:-$(swift build --show-bin-path)}
for exe in quota-proxy quota-scheduler quota-refresher quota-proxyctl quota-upstream-sim; do
    [ -x "$bin/$exe" ] || { echo "build first: swift build (missing $bin/$exe)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/qp-reliability.XXXXXX)
state="$work/state"
run="$work/run"
mkdir -p "$state/accounts" "$run"
declare -A pid
sim_pid=""
load_pids=()
cleanup() {
    touch "$work/stop-load"
    for p in "${load_pids[@]}" "${pid[@]}" $sim_pid; do kill -KILL "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
rand_ms() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# --- upstream simulator and accounts -------------------------------------------------------
keys_json=""
for i in $(seq -w 1 12); do
    keys_json+="${keys_json:+,}{\"key\":\"sk-rel-key-0000$i\",\"models\":{\"gpt-4o-mini\":{\"limit\":1000000,\"reset_seconds\":60},\"gemini-3-flash\":{\"limit\":1000000,\"reset_seconds\":3600}}}"
done
echo "{\"keys\":[$keys_json]}" >"$work/sim.json"
"$bin/quota-upstream-sim" --port 0 --config "$work/sim.json" --log-level error >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/sim.out" | head -1)
[ -n "$sim_port" ] || { echo "the simulator did not start:"; cat "$work/sim.log"; exit 1; }
sim="http://127.0.0.1:$sim_port"
for i in $(seq -w 1 12); do
    if [ "$i" -le 8 ]; then source_json='{"kind":"headers"}'; else source_json="{\"kind\":\"antigravity\",\"url\":\"$sim\"}"; fi
    cat >"$state/accounts/acc-$i.json" <<JSON
{"id": "acc-$i", "provider": "openai", "base_url": "$sim", "tier": "primary",
 "credentials": {"api_key": "sk-rel-key-0000$i"}, "quota_source": $source_json}
JSON
    chmod 600 "$state/accounts/acc-$i.json"
done
port=$(free_port)
cat >"$work/config.json" <<JSON
{ "listen": {"host": "127.0.0.1", "port": $port}, "client_api_keys": ["rel-key"],
  "refresher": {"interval_seconds": 10},
  "scheduled_warmup": {"interval_seconds": 10, "cooldown_seconds": 10, "monitored_models": ["gemini-3-flash"]} }
JSON

# --- services ------------------------------------------------------------------------------
socket_of() { case $1 in quota-proxy) echo "$run/proxy.sock" ;; quota-scheduler) echo "$run/scheduler.sock" ;; *) echo "$run/refresher.sock" ;; esac; }
ping_socket() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2)
s.connect(sys.argv[1]); s.sendall(b'{"cmd":"ping"}\n')
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
sys.exit(0 if b'"pong":true' in data else 1)
PY
}
start_service() {  # name → starts it, waits until its socket answers; prints ms to ready
    local name=$1 started
    started=$(now_ms)
    "$bin/$name" --config "$work/config.json" --state-dir "$state" --runtime-dir "$run" 2>>"$work/$name.log" &
    pid[$name]=$!
    for _ in $(seq 600); do
        if ping_socket "$(socket_of "$name")"; then echo $(($(now_ms) - started)); return 0; fi
        kill -0 "${pid[$name]}" 2>/dev/null || break
        sleep 0.05
    done
    echo "FAIL: $name did not become ready within 30 s; log tail:" >&2
    tail -20 "$work/$name.log" >&2
    return 1
}

# --- the state checker ---------------------------------------------------------------------
# Remembers the credentials and the quota times between calls (in $work/checker.json).
check_state() {  # phase (after-kill | after-restart) → prints "ok …" or "FAIL …" lines
    python3 - "$state" "$work/checker.json" "$1" <<'PY'
import json, os, re, sys
state, memo_path, phase = sys.argv[1], sys.argv[2], sys.argv[3]
memo = json.load(open(memo_path)) if os.path.exists(memo_path) else {"keys": {}, "updated": {}}
fails, torn, checked, tmp_dead = [], 0, 0, 0
def alive(pid):
    try: os.kill(pid, 0); return True
    except ProcessLookupError: return False
    except PermissionError: return True
tmp = re.compile(r"^\..+\.tmp-(\d+)-(\d+)$")
for folder in (state, state + "/accounts"):
    for name in os.listdir(folder):
        m = tmp.match(name)
        if m and not alive(int(m.group(1))):
            tmp_dead += 1
            if phase == "after-restart": fails.append(f"temporary file of a dead writer left after restart: {folder}/{name}")
accounts = {}
for name in sorted(os.listdir(state + "/accounts")):
    if not name.endswith(".json") or name.startswith("."): continue
    path = f"{state}/accounts/{name}"; checked += 1
    try: obj = json.load(open(path))
    except Exception as e: fails.append(f"{path} does not parse: {e}"); continue
    if obj.get("id") != name[:-5]: fails.append(f"{path} holds id {obj.get('id')}")
    accounts[obj.get("id")] = obj
for i in range(1, 13):
    if f"acc-{i:02d}" not in accounts: fails.append(f"account acc-{i:02d} is missing")
for ident, obj in accounts.items():
    key = obj.get("credentials", {}).get("api_key")
    if memo["keys"].setdefault(ident, key) != key: fails.append(f"{ident}: credential changed")
    updated = (obj.get("quota") or {}).get("last_updated")
    if updated is not None:
        if updated < memo["updated"].get(ident, 0): fails.append(f"{ident}: quota.last_updated went back from {memo['updated'][ident]} to {updated}")
        memo["updated"][ident] = updated
for name in ("cooldowns.json", "warmup_history.json", "anonymous.json"):
    path = f"{state}/{name}"
    if os.path.exists(path):
        checked += 1
        try: json.load(open(path))
        except Exception as e: fails.append(f"{path} does not parse: {e}")
logs = state + "/requests"
if os.path.isdir(logs):
    for name in os.listdir(logs):
        if not name.endswith(".jsonl"): continue
        data = open(f"{logs}/{name}", "rb").read(); checked += 1
        lines = data.split(b"\n")
        last = lines.pop()  # b"" when the file ends with a line break
        if last: torn += 1
        for n, line in enumerate(lines):
            if not line.strip(): continue
            try: json.loads(line)
            except Exception: fails.append(f"{logs}/{name} line {n + 1} is not whole (not the last line)")
json.dump(memo, open(memo_path, "w"))
print(f"checked={checked} torn_last_lines={torn} dead_writer_tmp={tmp_dead}")
for f in fails[:20]: print("FAIL " + f)
sys.exit(1 if fails else 0)
PY
}

echo "work folder: $work"
for name in quota-proxy quota-refresher quota-scheduler; do start_service "$name" >/dev/null; done

# --- load: 4 clients, and operator commands ------------------------------------------------
client() {
    while [ ! -e "$work/stop-load" ]; do
        curl -s -o /dev/null -m 10 -w '%{http_code}\n' "http://127.0.0.1:$port/v1/chat/completions" \
            -H 'Authorization: Bearer rel-key' -H 'content-type: application/json' \
            -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' >>"$work/codes.$1" || true
    done
}
operator() {
    local n=0
    while [ ! -e "$work/stop-load" ]; do
        n=$((n + 1))
        "$bin/quota-proxyctl" refresh --runtime-dir "$run" >/dev/null 2>&1 || true
        "$bin/quota-proxyctl" accounts disable "acc-0$((n % 8 + 1))" --reason "reliability run" --state-dir "$state" --runtime-dir "$run" >/dev/null 2>&1 || true
        "$bin/quota-proxyctl" accounts enable "acc-0$((n % 8 + 1))" --state-dir "$state" --runtime-dir "$run" >/dev/null 2>&1 || true
        "$bin/quota-proxyctl" warmup --runtime-dir "$run" >/dev/null 2>&1 || true
        sleep 0.2
    done
}
for c in 1 2 3 4; do client $c & load_pids+=($!); done
operator & load_pids+=($!)

# --- part 1: SIGKILL ------------------------------------------------------------------------
services=(quota-proxy quota-scheduler quota-refresher)
declare -A killed=([quota-proxy]=0 [quota-scheduler]=0 [quota-refresher]=0)
ready_times=()
failures=0
torn_total=0
dead_tmp_total=0
checked_total=0
started_at=$(date +%s)
for i in $(seq 1 "$kills"); do
    name=${services[RANDOM % 3]}
    sleep_ms "$(rand_ms 100 1500)"
    kill -KILL "${pid[$name]}" 2>/dev/null || true
    wait "${pid[$name]}" 2>/dev/null || true
    killed[$name]=$((killed[$name] + 1))
    if ! out=$(check_state after-kill); then failures=$((failures + 1)); echo "kill $i ($name): $out"; fi
    line=$(echo "$out" | head -1)
    torn_total=$((torn_total + $(echo "$line" | sed -n 's/.*torn_last_lines=\([0-9]*\).*/\1/p')))
    dead_tmp_total=$((dead_tmp_total + $(echo "$line" | sed -n 's/.*dead_writer_tmp=\([0-9]*\).*/\1/p')))
    checked_total=$((checked_total + $(echo "$line" | sed -n 's/.*checked=\([0-9]*\).*/\1/p')))
    if ! ms=$(start_service "$name"); then failures=$((failures + 1)); echo "kill $i: $name did not restart"; break; fi
    ready_times+=("$ms")
    if ! out=$(check_state after-restart); then failures=$((failures + 1)); echo "restart $i ($name): $out"; fi
    [ $((i % 25)) -eq 0 ] && echo "… $i kills, $failures failure(s)"
done
part1_seconds=$(($(date +%s) - started_at))
touch "$work/stop-load"
for p in "${load_pids[@]}"; do wait "$p" 2>/dev/null || true; done
load_pids=()
codes=$(cat "$work"/codes.* 2>/dev/null || true)
requests=$(echo "$codes" | grep -c . || true)
ok=$(echo "$codes" | grep -c '^200$' || true)
refused=$(echo "$codes" | grep -c '^000$' || true)

# --- part 2: SIGTERM ------------------------------------------------------------------------
stop_times=()
stop_failures=0
for i in $(seq 1 "$stops"); do
    name=${services[RANDOM % 3]}
    kill -TERM "${pid[$name]}" 2>/dev/null || true
    wait "${pid[$name]}" 2>/dev/null || true
    start_service "$name" >/dev/null || { stop_failures=$((stop_failures + 1)); continue; }
    sleep_ms "$(rand_ms 0 2000)"
    started=$(now_ms)
    kill -TERM "${pid[$name]}"
    status=0
    for _ in $(seq 300); do kill -0 "${pid[$name]}" 2>/dev/null || break; sleep 0.01; done
    took=$(($(now_ms) - started))
    if kill -0 "${pid[$name]}" 2>/dev/null; then
        echo "stop $i: $name still running 3 s after SIGTERM"; stop_failures=$((stop_failures + 1)); kill -KILL "${pid[$name]}"
    fi
    wait "${pid[$name]}" || status=$?
    [ "$status" = 0 ] || { echo "stop $i: $name exited $status"; stop_failures=$((stop_failures + 1)); }
    stop_times+=("$took")
    start_service "$name" >/dev/null || stop_failures=$((stop_failures + 1))
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "n=0"; exit} printf "n=%d median=%d ms p95=%d ms max=%d ms", NR, a[int((NR+1)/2)], a[int(NR*0.95+0.999)], a[NR]}'; }
echo
echo "== reliability-state: figures =="
echo "commit:                 $(git rev-parse --short HEAD 2>/dev/null || echo unknown)   binaries: $bin"
echo "part 1 (SIGKILL):       $kills kills in ${part1_seconds}s (proxy ${killed[quota-proxy]}, scheduler ${killed[quota-scheduler]}, refresher ${killed[quota-refresher]})"
echo "state files checked:    $checked_total file reads after kills (12 accounts, cooldowns, warmup history, request logs), plus the same after every restart"
echo "failed checks:          $failures (unparsable or lost files, changed credentials, quota times going back, dead writers' temporary files after a restart)"
echo "torn request-log lines: $torn_total (a last line cut by a kill; readers skip it)"
echo "dead writers' temp files seen right after a kill: $dead_tmp_total (all removed by the next start)"
echo "restart to ready:       $(stats "${ready_times[@]}")"
echo "client requests:        $requests sent, $ok answered 200, $refused refused while the proxy was down"
echo "part 2 (SIGTERM):       $stops stops, $stop_failures failure(s); SIGTERM to exit: $(stats "${stop_times[@]}")"
[ "$failures" -eq 0 ] && [ "$stop_failures" -eq 0 ]
