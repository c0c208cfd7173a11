#!/usr/bin/env bash
# quota-proxy benchmark: direct upstream vs an nginx proxy_pass hop vs quota-proxy, all on loopback,
# measured in the same run, plus LiteLLM's proxy as a peer when it is installed. Prints a table with
# the ratios (quota-proxy ÷ nginx hop; LiteLLM ÷ nginx hop, quota-proxy ÷ LiteLLM) and writes
# bench/results.md (machine, date, commit, command).
#
#   bench/run.sh                 build what is needed (incremental), then run (~3-4 minutes)
#   bench/run.sh --no-build      use the release binaries already in .build
#   bench/run.sh --quick         short runs (3 s) to check the setup; numbers are rougher
#   bench/run.sh --wait-quiet    first wait (up to 20 min) until other processes use < 25% of a core
#
# What it starts (and stops again on exit, even on error or Ctrl-C):
#   - nginx "upstream": answers every request with a fixed ~330-byte chat.completion JSON
#   - nginx "hop": proxy_pass to the upstream with upstream keep-alive (the reference hop)
#   - quota-upstream-sim: the streaming upstream (SSE, 50 ms between events)
#   - quota-proxy with a pool of POOL_ACCOUNTS accounts on the nginx upstream (+1 on the simulator)
#   - quota-proxy with SCALE_ACCOUNTS account files (start-up time to READY=1, then load)
#   - the peer, when installed: LiteLLM's proxy (`litellm --config`, LITELLM_WORKERS uvicorn workers,
#     master key, no database) with one OpenAI-compatible model on the same nginx upstream; it is
#     started after the other throughput/latency runs and stopped again before the streaming runs.
#     Install it with bench/install-litellm.sh (a virtualenv in bench/.venv-litellm), or point
#     LITELLM at a litellm executable; LITELLM=none skips it.
# What it measures:
#   - requests/s with wrk -t1 -c32, p50/p99 latency with wrk -t1 -c1, CPU time per request
#     (LiteLLM: shorter runs of LITELLM_DURATION s and a wrk --timeout of LITELLM_WRK_TIMEOUT, as it
#     serves tens of requests per second; CPU of its whole process tree)
#   - the same through quota-proxy from an Anthropic client (POST /v1/messages) answered by the
#     OpenAI accounts: request and answer translated (the "translated" row), and a translated stream
#   - quota-proxy's peak RSS (VmHWM) after the load
#   - streaming: time to first byte / first event / last byte, direct vs through the proxy
#   - start-up: process start -> READY=1 (sd_notify) with SCALE_ACCOUNTS account files
#
# Settings (environment): DURATION=10 WARMUP=2 ROUNDS=1 CONNECTIONS=32 POOL_ACCOUNTS=16
#   SCALE_ACCOUNTS=10000 SCALE_DURATION=5 STARTUP_REPS=3 STREAM_REPS=10 STREAM_DELAY_MS=50
#   NGINX_WORKERS=auto RESULTS=bench/results.md PYTHON=python3
#   LITELLM=bench/.venv-litellm/bin/litellm LITELLM_DURATION=5 LITELLM_WARMUP=2 LITELLM_WORKERS=1
#   LITELLM_WRK_TIMEOUT=30s LITELLM_START_TIMEOUT=90
# Needs: swift (to build), wrk, nginx, python3 (standard library only), curl. wrk and nginx are
# installed from Debian when missing (apt-get, as root or through sudo).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
COMMAND_LINE="bench/run.sh${*:+ $*}"
cd "$ROOT"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-1}
CONNECTIONS=${CONNECTIONS:-32}
POOL_ACCOUNTS=${POOL_ACCOUNTS:-16}
SCALE_ACCOUNTS=${SCALE_ACCOUNTS:-10000}
SCALE_DURATION=${SCALE_DURATION:-5}
STARTUP_REPS=${STARTUP_REPS:-3}
STREAM_REPS=${STREAM_REPS:-10}
STREAM_DELAY_MS=${STREAM_DELAY_MS:-50}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
RESULTS=${RESULTS:-$BENCH_DIR/results.md}
PYTHON=${PYTHON:-python3}
LITELLM=${LITELLM:-$BENCH_DIR/.venv-litellm/bin/litellm}
LITELLM_DURATION=${LITELLM_DURATION:-5}
LITELLM_WARMUP=${LITELLM_WARMUP:-2}
LITELLM_WORKERS=${LITELLM_WORKERS:-1}
LITELLM_WRK_TIMEOUT=${LITELLM_WRK_TIMEOUT:-30s}
LITELLM_START_TIMEOUT=${LITELLM_START_TIMEOUT:-90}
LITELLM_INSTALL_HINT="bench/install-litellm.sh (pip install 'litellm[proxy]' into bench/.venv-litellm)"
BUILD=1
WAIT_QUIET=0

for arg in "$@"; do
    case "$arg" in
        --no-build) BUILD=0 ;;
        --wait-quiet) WAIT_QUIET=1 ;;
        --quick) DURATION=3 WARMUP=1 SCALE_DURATION=2 STARTUP_REPS=1 STREAM_REPS=3 LITELLM_DURATION=3 LITELLM_WARMUP=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench/run.sh: unknown argument '$arg' (try --help)" >&2
            exit 2
            ;;
    esac
done

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

MODEL=gpt-4o-mini
STREAM_MODEL=gpt-4o-mini-stream
CLIENT_KEY=bench-key
SIM_KEY=sk-bench-000001
REQUEST_BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
# The upstream's fixed answer (~330 bytes, no rate-limit headers).
ANSWER='{"id":"chatcmpl-bench000000000001","object":"chat.completion","created":1763800000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18},"system_fingerprint":"fp_bench01"}'

# ---------------------------------------------------------------------------------------------
# Tools and binaries

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
command -v "$PYTHON" >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
    log "installing ${missing[*]} from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

BIN_DIR="$ROOT/.build/release"
for product in quota-proxy quota-upstream-sim quota-proxyctl; do
    if [[ $BUILD -eq 1 || ! -x "$BIN_DIR/$product" ]]; then
        log "swift build -c release --product $product"
        swift build -c release --product "$product" 2>&1 | tail -n 3 >&2 || die "building $product failed"
        [[ -x "$BIN_DIR/$product" ]] || die "swift build did not produce $BIN_DIR/$product"
    fi
done

# The optional peer: LiteLLM's proxy, when installed.
LITELLM_STATUS=skipped
LITELLM_REASON=
LITELLM_VERSION=
if [[ $LITELLM == none ]]; then
    LITELLM_REASON="LITELLM=none"
elif [[ -x $LITELLM ]]; then
    LITELLM_STATUS=enabled
    litellm_python=$(dirname "$LITELLM")/python
    [[ -x $litellm_python ]] || litellm_python=$(head -n 1 "$LITELLM" | sed -n 's/^#! *//p' | cut -d' ' -f1)
    LITELLM_VERSION=$("$litellm_python" -c 'import importlib.metadata as m; print(m.version("litellm"))' 2>/dev/null || echo unknown)
    log "LiteLLM peer: $LITELLM (litellm $LITELLM_VERSION, $LITELLM_WORKERS worker(s))"
elif [[ $LITELLM != "$BENCH_DIR/.venv-litellm/bin/litellm" ]]; then
    LITELLM_REASON="LITELLM=$LITELLM is not an executable file"
    log "LiteLLM peer skipped: $LITELLM_REASON"
else
    LITELLM_REASON="LiteLLM is not installed; install it with $LITELLM_INSTALL_HINT"
    log "LiteLLM peer skipped: not installed (to include it: bench/install-litellm.sh, then run again)"
fi

# ---------------------------------------------------------------------------------------------
# Work folder, processes, clean-up

if [[ $WAIT_QUIET -eq 1 ]]; then
    for attempt in $(seq 120); do
        busy=$("$PYTHON" "$BENCH_DIR/busy.py" 3 --percent)
        ((busy < 25)) && break
        ((attempt == 1)) && log "waiting until the machine is quiet: $("$PYTHON" "$BENCH_DIR/busy.py" 2)"
        sleep 7
    done
fi

OUT="$BENCH_DIR/out/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
METRICS="$OUT/metrics.jsonl"
: >"$METRICS"
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_START=$("$PYTHON" "$BENCH_DIR/busy.py" 2 || true)
log "work folder: $OUT"

PIDS=()
LITELLM_PID=
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [[ -n $LITELLM_PID ]] && stop_litellm
    if ((${#PIDS[@]})); then
        for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        for _ in $(seq 50); do
            local alive=0
            for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
            ((alive)) || break
            sleep 0.1
        done
        for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Five free loopback ports.
read -r UP_PORT HOP_PORT PROXY_PORT SCALE_PORT LITELLM_PORT < <("$PYTHON" -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

# Waits until URL answers a POST with HTTP 200 (or the process PID dies).
wait_http() {
    local url=$1 pid=$2 what=$3 auth=${4:-}
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || die "$what exited; see $OUT"
        local code
        code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
            ${auth:+-H "Authorization: Bearer $auth"} --data "$REQUEST_BODY" "$url" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    die "$what did not answer 200 at $url (last: $code)"
}

# Checks that URL answers an Anthropic message (a translated answer: Anthropic client, OpenAI account).
check_translated_answer() {
    local url=$1 what=$2 auth=$3
    local body
    body=$(curl -sS -X POST -H 'Content-Type: application/json' -H 'anthropic-version: 2023-06-01' \
        -H "Authorization: Bearer $auth" \
        --data '{"model":"'"$MODEL"'","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}' "$url") ||
        die "$what: request failed"
    [[ $body == *'"type":"message"'* && $body == *'Hello! How can I help you today?'* ]] ||
        die "$what answered something else: ${body:0:300}"
}

# Checks that URL answers the fixed chat completion.
check_answer() {
    local url=$1 what=$2 auth=${3:-}
    local body
    body=$(curl -sS -X POST -H 'Content-Type: application/json' ${auth:+-H "Authorization: Bearer $auth"} \
        --data "$REQUEST_BODY" "$url") || die "$what: request failed"
    [[ $body == *'"chat.completion"'* ]] || die "$what answered something else: ${body:0:300}"
}

start_nginx() {
    local name=$1 port=$2
    mkdir -p "$OUT/nginx-$name-tmp"
    sed -e "s|@DIR@|$OUT|g" -e "s|@PORT@|$port|g" -e "s|@UPSTREAM_PORT@|$UP_PORT|g" \
        -e "s|@WORKERS@|$NGINX_WORKERS|g" -e "s|@ANSWER@|$ANSWER|g" \
        "$BENCH_DIR/nginx-$name.conf.in" >"$OUT/nginx-$name.conf"
    "$NGINX" -q -t -p "$OUT" -c "$OUT/nginx-$name.conf" 2>"$OUT/nginx-$name.stderr" ||
        die "nginx rejected $OUT/nginx-$name.conf: $(cat "$OUT/nginx-$name.stderr")"
    "$NGINX" -p "$OUT" -c "$OUT/nginx-$name.conf" -g 'daemon off;' 2>>"$OUT/nginx-$name.stderr" &
    PIDS+=($!)
    eval "NGINX_${name^^}_PID=$!"
}

# Starts quota-proxy; waits for its "ready:" log line. Sets PROXY_PID_<name>.
start_proxy() {
    local name=$1 dir=$2
    "$BIN_DIR/quota-proxy" --config "$dir/config.json" --state-dir "$dir/state" --runtime-dir "$dir/run" \
        >/dev/null 2>"$OUT/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 600); do
        grep -q 'ready:' "$OUT/$name.log" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || die "$name exited: $(tail -n 5 "$OUT/$name.log")"
        sleep 0.05
    done
    grep -q 'ready:' "$OUT/$name.log" || die "$name did not become ready: $(tail -n 5 "$OUT/$name.log")"
    eval "PROXY_PID_$name=$pid"
}

proxy_dir() {
    local dir=$1 port=$2
    mkdir -p "$dir/state/accounts" "$dir/run"
    chmod 700 "$dir/state" "$dir/state/accounts"
    printf '{"listen":{"host":"127.0.0.1","port":%d},"client_api_keys":["%s"]}\n' "$port" "$CLIENT_KEY" >"$dir/config.json"
}

# Process ids of a target and all its descendants (nginx: master and workers; LiteLLM: uvicorn and
# its worker processes).
target_pids() {
    local pid=$1 child
    echo "$pid"
    for child in $(pgrep -P "$pid" || true); do target_pids "$child"; done
}

# utime+stime (clock ticks) of the given processes and their threads.
cpu_ticks() {
    local total=0 pid fields
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] || continue
        fields=$(sed 's/.*) //' "/proc/$pid/stat")
        total=$((total + $(echo "$fields" | awk '{print $12 + $13}')))
    done
    echo "$total"
}

# Busy and stolen clock ticks of the whole machine so far (from /proc/stat).
machine_ticks() {
    awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8, $9; exit}' /proc/stat
}

kib() { awk -v f="$2" '$1 == f":" {print $2}' "/proc/$1/status"; }

# One wrk run; prints its BENCH_JSON object.
run_wrk() {
    local label=$1 url=$2 connections=$3 duration=$4
    shift 4
    local TIMEFORMAT='%3U %3S'
    { time BENCH_LABEL=$label BENCH_KEY=${WRK_KEY:-$CLIENT_KEY} BENCH_MODEL=$MODEL BENCH_SHAPE=${WRK_SHAPE:-openai} \
        wrk -t1 -c"$connections" -d"${duration}s" --timeout "${WRK_TIMEOUT:-5s}" -s "$BENCH_DIR/post.lua" "$@" "$url" \
        >"$OUT/wrk-$label.txt" 2>&1; } 2>"$OUT/wrk-$label.time" || die "wrk failed: $(tail -n 3 "$OUT/wrk-$label.txt")"
    local json
    json=$(sed -n 's/^BENCH_JSON //p' "$OUT/wrk-$label.txt")
    [[ -n $json ]] || die "wrk printed no result: $(tail -n 3 "$OUT/wrk-$label.txt")"
    echo "$json"
}

# measure TARGET KIND ROUND URL PID CONNECTIONS DURATION [WARMUP]: a warm-up run, then the measured
# run with the CPU time of the target's process tree around it; appends one line to metrics.jsonl.
measure() {
    local target=$1 kind=$2 round=$3 url=$4 pid=$5 connections=$6 duration=$7 warmup=${8:-$WARMUP}
    local extra=()
    [[ $kind == latency ]] && extra=(--latency)
    run_wrk "$target-$kind-r$round-warmup" "$url" "$connections" "$warmup" >/dev/null
    local pids ours
    mapfile -t pids < <(target_pids "$pid")
    mapfile -t ours < <(for p in "${PIDS[@]}"; do target_pids "$p"; done)
    local before after json ours_before ours_after machine_before machine_after
    before=$(cpu_ticks "${pids[@]}")
    ours_before=$(cpu_ticks "${ours[@]}")
    machine_before=$(machine_ticks)
    json=$(run_wrk "$target-$kind-r$round" "$url" "$connections" "$duration" "${extra[@]}")
    machine_after=$(machine_ticks)
    ours_after=$(cpu_ticks "${ours[@]}")
    after=$(cpu_ticks "${pids[@]}")
    # CPU used by everything else on the machine during the run (other users' builds and tests),
    # and time stolen by the hypervisor: both make a run slower than the machine can do.
    local wrk_cpu other steal
    wrk_cpu=$(awk '{printf "%d", ($1 + $2) * '"$(getconf CLK_TCK)"'}' "$OUT/wrk-$target-$kind-r$round.time")
    read -r busy_delta steal_delta < <(paste <(echo "$machine_before") <(echo "$machine_after") | awk '{print $3 - $1, $4 - $2}')
    other=$((busy_delta - (ours_after - ours_before) - wrk_cpu))
    ((other < 0)) && other=0
    printf '{"target":"%s","kind":"%s","round":%d,"connections":%d,"cpu_ticks":%d,"clk_tck":%d,"wrk_cpu_ticks":%d,"other_ticks":%d,"steal_ticks":%d,"wrk":%s}\n' \
        "$target" "$kind" "$round" "$connections" "$((after - before))" "$(getconf CLK_TCK)" "$wrk_cpu" "$other" "$steal_delta" "$json" >>"$METRICS"
    log "$(printf '%-11s %-10s r%d: %s; other load %d%% of a core' "$target" "$kind" "$round" \
        "$(echo "$json" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); e=sum(d["errors"].values()); print("%.0f req/s, p50 %.0f us, p99 %.0f us%s" % (d["rps"], d["p50_us"], d["p99_us"], ", %d ERRORS" % e if e else ""))')" \
        "$((other * 100 / $(getconf CLK_TCK) / duration))")"
}

# Starts LiteLLM's proxy on LITELLM_PORT with one OpenAI-compatible model on the nginx upstream and
# waits until it answers 200 (it imports a lot: tens of seconds). Sets LITELLM_PID; on failure sets
# LITELLM_REASON and returns 1 (the peer is optional: the run goes on without it).
LITELLM_KEY=sk-bench-litellm-key
# Whether a process runs (a child that exited stays a zombie until waited for: not running).
running() {
    [[ -r /proc/$1/stat && $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) != Z ]]
}
start_litellm() {
    local dir="$OUT/litellm"
    mkdir -p "$dir"
    local workers=(--num_workers "$LITELLM_WORKERS")
    # Several workers start slowly on a busy machine: uvicorn must not restart them meanwhile.
    ((LITELLM_WORKERS > 1)) && workers+=(--timeout_worker_healthcheck "$LITELLM_START_TIMEOUT")
    cat >"$dir/config.yaml" <<EOF
# Written by bench/run.sh: the same nginx upstream as the other targets, as an OpenAI-compatible model.
model_list:
  - model_name: $MODEL
    litellm_params:
      model: openai/$MODEL
      api_base: http://127.0.0.1:$UP_PORT/v1
      api_key: sk-bench-upstream
general_settings:
  master_key: $LITELLM_KEY
  disable_spend_logs: true
  disable_error_logs: true
litellm_settings:
  telemetry: false
  turn_off_message_logging: true
EOF
    # No database, no telemetry, no remote cost map / blog posts, no per-request access log, no .env.
    (cd "$dir" && exec env -u DATABASE_URL -u DIRECT_URL -u REDIS_HOST -u REDIS_URL \
        LITELLM_TELEMETRY=False LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOCAL_BLOG_POSTS=True \
        LITELLM_LOG=ERROR LITELLM_MODE=PRODUCTION LITELLM_DONT_SHOW_FEEDBACK_BOX=true DISABLE_ADMIN_UI=True \
        NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
        "$LITELLM" --config "$dir/config.yaml" --host 127.0.0.1 --port "$LITELLM_PORT" \
        "${workers[@]}" \
        >"$OUT/litellm.stdout" 2>"$OUT/litellm.log") &
    LITELLM_PID=$!
    PIDS+=("$LITELLM_PID")
    local url="http://127.0.0.1:$LITELLM_PORT/v1/chat/completions" code= started=$SECONDS
    while ((SECONDS - started < LITELLM_START_TIMEOUT)); do
        if ! running "$LITELLM_PID"; then
            LITELLM_REASON="litellm exited during start-up: $(tail -n 3 "$OUT/litellm.log" | tr '\n' ' ')"
            return 1
        fi
        code=$(curl -s -o "$OUT/litellm-answer.json" -w '%{http_code}' --max-time 10 -X POST \
            -H 'Content-Type: application/json' -H "Authorization: Bearer $LITELLM_KEY" \
            --data "$REQUEST_BODY" "$url" || true)
        [[ $code == 200 ]] && break
        sleep 0.5
    done
    if [[ $code != 200 ]]; then
        LITELLM_REASON="litellm did not answer 200 within ${LITELLM_START_TIMEOUT} s (last: ${code:-none}; see $OUT/litellm.log)"
        return 1
    fi
    LITELLM_START_S=$((SECONDS - started))
    # LiteLLM re-serialises the answer (other key order, extra fields, its own model name): check
    # that it is a chat.completion carrying the upstream's message, not the exact bytes.
    if ! "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = d.get("object") == "chat.completion" and d["choices"][0]["message"]["content"] == json.loads(sys.argv[2])["choices"][0]["message"]["content"]
sys.exit(0 if ok else 1)' "$OUT/litellm-answer.json" "$ANSWER" 2>/dev/null; then
        LITELLM_REASON="litellm answered something else: $(head -c 300 "$OUT/litellm-answer.json")"
        return 1
    fi
}

# Stops LiteLLM: TERM to its process tree (uvicorn stops its workers), KILL after 10 s.
stop_litellm() {
    local pid=$LITELLM_PID p tree=() alive
    LITELLM_PID=
    [[ -n $pid ]] || return 0
    mapfile -t tree < <(target_pids "$pid")
    kill -TERM "${tree[@]}" 2>/dev/null || true
    for _ in $(seq 100); do
        alive=0
        for p in "${tree[@]}"; do
            running "$p" && alive=1
        done
        ((alive)) || break
        sleep 0.1
    done
    kill -KILL "${tree[@]}" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local kept=()
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
    PIDS=("${kept[@]}")
}

# ---------------------------------------------------------------------------------------------
# Start everything

log "starting nginx upstream on :$UP_PORT and nginx hop on :$HOP_PORT (worker_processes $NGINX_WORKERS)"
start_nginx upstream "$UP_PORT"
wait_http "http://127.0.0.1:$UP_PORT/v1/chat/completions" "$NGINX_UPSTREAM_PID" "nginx upstream"
start_nginx hop "$HOP_PORT"
wait_http "http://127.0.0.1:$HOP_PORT/v1/chat/completions" "$NGINX_HOP_PID" "nginx hop"

log "starting quota-upstream-sim (SSE, $STREAM_DELAY_MS ms between events)"
"$BIN_DIR/quota-upstream-sim" --port 0 --key "$SIM_KEY" --stream-chunk-delay-ms "$STREAM_DELAY_MS" --log-level warning \
    >"$OUT/sim.stdout" 2>"$OUT/sim.log" &
SIM_PID=$!
PIDS+=("$SIM_PID")
SIM_PORT=
for _ in $(seq 200); do
    SIM_PORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$OUT/sim.stdout" | head -n 1)
    [[ -n $SIM_PORT ]] && break
    kill -0 "$SIM_PID" 2>/dev/null || die "quota-upstream-sim exited: $(tail -n 5 "$OUT/sim.log")"
    sleep 0.05
done
[[ -n $SIM_PORT ]] || die "quota-upstream-sim printed no listening line"

log "starting quota-proxy on :$PROXY_PORT with $POOL_ACCOUNTS accounts on nginx + 1 on the simulator"
proxy_dir "$OUT/proxy" "$PROXY_PORT"
"$PYTHON" "$BENCH_DIR/accounts.py" "$OUT/proxy/state/accounts" --count "$POOL_ACCOUNTS" \
    --base-url "http://127.0.0.1:$UP_PORT" --models "$MODEL"
"$PYTHON" "$BENCH_DIR/accounts.py" "$OUT/proxy/state/accounts" --count 1 --prefix stream- \
    --base-url "http://127.0.0.1:$SIM_PORT" --key "$SIM_KEY" --models "$STREAM_MODEL"
start_proxy proxy "$OUT/proxy"
check_answer "http://127.0.0.1:$PROXY_PORT/v1/chat/completions" quota-proxy "$CLIENT_KEY"
check_answer "http://127.0.0.1:$HOP_PORT/v1/chat/completions" "nginx hop"
check_translated_answer "http://127.0.0.1:$PROXY_PORT/v1/messages" "quota-proxy (translated)" "$CLIENT_KEY"
"$BIN_DIR/quota-proxyctl" status --json --runtime-dir "$OUT/proxy/run" >"$OUT/proxy-status.json" 2>/dev/null || true

# ---------------------------------------------------------------------------------------------
# Throughput and latency: direct upstream, nginx hop, quota-proxy

URL_DIRECT="http://127.0.0.1:$UP_PORT/v1/chat/completions"
URL_HOP="http://127.0.0.1:$HOP_PORT/v1/chat/completions"
URL_PROXY="http://127.0.0.1:$PROXY_PORT/v1/chat/completions"
# The same question from an Anthropic client, answered by the OpenAI accounts: both ways translated.
URL_TRANSLATED="http://127.0.0.1:$PROXY_PORT/v1/messages"

for round in $(seq "$ROUNDS"); do
    log "round $round/$ROUNDS: throughput (wrk -t1 -c$CONNECTIONS -d${DURATION}s)"
    measure direct throughput "$round" "$URL_DIRECT" "$NGINX_UPSTREAM_PID" "$CONNECTIONS" "$DURATION"
    measure hop throughput "$round" "$URL_HOP" "$NGINX_HOP_PID" "$CONNECTIONS" "$DURATION"
    measure proxy throughput "$round" "$URL_PROXY" "$PROXY_PID_proxy" "$CONNECTIONS" "$DURATION"
    WRK_SHAPE=anthropic measure translated throughput "$round" "$URL_TRANSLATED" "$PROXY_PID_proxy" "$CONNECTIONS" "$DURATION"
    log "round $round/$ROUNDS: latency (wrk -t1 -c1 -d${DURATION}s --latency)"
    measure direct latency "$round" "$URL_DIRECT" "$NGINX_UPSTREAM_PID" 1 "$DURATION"
    measure hop latency "$round" "$URL_HOP" "$NGINX_HOP_PID" 1 "$DURATION"
    measure proxy latency "$round" "$URL_PROXY" "$PROXY_PID_proxy" 1 "$DURATION"
    WRK_SHAPE=anthropic measure translated latency "$round" "$URL_TRANSLATED" "$PROXY_PID_proxy" 1 "$DURATION"
done
printf '{"target":"proxy","kind":"memory","vmhwm_kib":%d,"vmrss_kib":%d}\n' \
    "$(kib "$PROXY_PID_proxy" VmHWM)" "$(kib "$PROXY_PID_proxy" VmRSS)" >>"$METRICS"

# ---------------------------------------------------------------------------------------------
# The peer: LiteLLM's proxy on the same upstream (once, shorter runs; stopped before streaming)

if [[ $LITELLM_STATUS == enabled ]]; then
    log "LiteLLM peer: starting litellm on :$LITELLM_PORT ($LITELLM_WORKERS worker(s); up to $LITELLM_START_TIMEOUT s)"
    if start_litellm; then
        log "LiteLLM answered after ${LITELLM_START_S} s; throughput (wrk -t1 -c$CONNECTIONS -d${LITELLM_DURATION}s --timeout $LITELLM_WRK_TIMEOUT) and latency (-c1)"
        URL_LITELLM="http://127.0.0.1:$LITELLM_PORT/v1/chat/completions"
        WRK_KEY=$LITELLM_KEY WRK_TIMEOUT=$LITELLM_WRK_TIMEOUT \
            measure litellm throughput 1 "$URL_LITELLM" "$LITELLM_PID" "$CONNECTIONS" "$LITELLM_DURATION" "$LITELLM_WARMUP"
        WRK_KEY=$LITELLM_KEY WRK_TIMEOUT=$LITELLM_WRK_TIMEOUT \
            measure litellm latency 1 "$URL_LITELLM" "$LITELLM_PID" 1 "$LITELLM_DURATION" "$LITELLM_WARMUP"
        litellm_hwm=0
        for p in $(target_pids "$LITELLM_PID"); do
            hwm=$(kib "$p" VmHWM 2>/dev/null || true)
            litellm_hwm=$((litellm_hwm + ${hwm:-0}))
        done
        printf '{"target":"litellm","kind":"memory","vmhwm_kib":%d}\n' "$litellm_hwm" >>"$METRICS"
        LITELLM_STATUS=measured
    else
        LITELLM_STATUS=failed
        log "LiteLLM peer NOT measured: $LITELLM_REASON"
    fi
    stop_litellm
fi
"$PYTHON" -c 'import json, sys; print(json.dumps({"kind": "peer", "target": "litellm", "status": sys.argv[1],
    "reason": sys.argv[2], "version": sys.argv[3], "workers": sys.argv[4], "start_s": sys.argv[5]}))' \
    "$LITELLM_STATUS" "$LITELLM_REASON" "$LITELLM_VERSION" "$LITELLM_WORKERS" "${LITELLM_START_S:-}" >>"$METRICS"

# ---------------------------------------------------------------------------------------------
# Streaming: direct to the simulator vs through quota-proxy

log "streaming: $STREAM_REPS requests each, direct, through quota-proxy, and translated (Anthropic client)"
"$PYTHON" "$BENCH_DIR/sse_timing.py" --target "direct=127.0.0.1:$SIM_PORT:$SIM_KEY" \
    --target "proxy=127.0.0.1:$PROXY_PORT:$CLIENT_KEY" \
    --target "translated@anthropic=127.0.0.1:$PROXY_PORT:$CLIENT_KEY" --model "$STREAM_MODEL" --reps "$STREAM_REPS" \
    >"$OUT/streaming.json" || die "streaming measurement failed"
printf '{"kind":"streaming","delay_ms":%d,"result":%s}\n' "$STREAM_DELAY_MS" "$(cat "$OUT/streaming.json")" >>"$METRICS"
printf '{"target":"proxy","kind":"memory_after_streaming","vmhwm_kib":%d}\n' "$(kib "$PROXY_PID_proxy" VmHWM)" >>"$METRICS"

# ---------------------------------------------------------------------------------------------
# Scale: SCALE_ACCOUNTS account files — start-up time to READY=1, then the same load

log "scale: writing $SCALE_ACCOUNTS account files"
proxy_dir "$OUT/scale" "$SCALE_PORT"
"$PYTHON" "$BENCH_DIR/accounts.py" "$OUT/scale/state/accounts" --count "$SCALE_ACCOUNTS" \
    --base-url "http://127.0.0.1:$UP_PORT" --models "$MODEL"
log "scale: start-up time to READY=1 ($STARTUP_REPS starts)"
"$PYTHON" "$BENCH_DIR/startup_time.py" --proxy "$BIN_DIR/quota-proxy" --config "$OUT/scale/config.json" \
    --state-dir "$OUT/scale/state" --runtime-dir "$OUT/scale/run" --port "$SCALE_PORT" --reps "$STARTUP_REPS" \
    --key "$CLIENT_KEY" --model "$MODEL" --log "$OUT/scale-startup.log" >"$OUT/startup.json" ||
    die "start-up measurement failed; see $OUT/scale-startup.log"
printf '{"kind":"startup","accounts":%d,"result":%s}\n' "$SCALE_ACCOUNTS" "$(cat "$OUT/startup.json")" >>"$METRICS"

log "scale: load on quota-proxy with $SCALE_ACCOUNTS accounts"
start_proxy scale "$OUT/scale"
check_answer "http://127.0.0.1:$SCALE_PORT/v1/chat/completions" "quota-proxy ($SCALE_ACCOUNTS accounts)" "$CLIENT_KEY"
URL_SCALE="http://127.0.0.1:$SCALE_PORT/v1/chat/completions"
measure proxy_scale throughput 1 "$URL_SCALE" "$PROXY_PID_scale" "$CONNECTIONS" "$SCALE_DURATION"
measure proxy_scale latency 1 "$URL_SCALE" "$PROXY_PID_scale" 1 "$SCALE_DURATION"
printf '{"target":"proxy_scale","kind":"memory","vmhwm_kib":%d,"vmrss_kib":%d}\n' \
    "$(kib "$PROXY_PID_scale" VmHWM)" "$(kib "$PROXY_PID_scale" VmRSS)" >>"$METRICS"

# ---------------------------------------------------------------------------------------------
# Report

"$PYTHON" "$BENCH_DIR/report.py" --metrics "$METRICS" --out "$OUT/results.md" --root "$ROOT" \
    --command "$COMMAND_LINE" --loadavg "$LOADAVG_START" --busy "$BUSY_START" --busy-end "$("$PYTHON" "$BENCH_DIR/busy.py" 1 || true)" --proxy-binary "$BIN_DIR/quota-proxy" \
    --setting "duration_s=$DURATION" --setting "warmup_s=$WARMUP" --setting "rounds=$ROUNDS" \
    --setting "connections=$CONNECTIONS" --setting "pool_accounts=$POOL_ACCOUNTS" \
    --setting "scale_accounts=$SCALE_ACCOUNTS" --setting "scale_duration_s=$SCALE_DURATION" \
    --setting "startup_reps=$STARTUP_REPS" --setting "stream_reps=$STREAM_REPS" \
    --setting "stream_delay_ms=$STREAM_DELAY_MS" --setting "nginx_workers=$NGINX_WORKERS" \
    --setting "litellm_duration_s=$LITELLM_DURATION" --setting "litellm_warmup_s=$LITELLM_WARMUP" \
    --setting "litellm_workers=$LITELLM_WORKERS"
cp "$OUT/results.md" "$RESULTS"
[[ $LITELLM_STATUS == skipped ]] && log "LiteLLM peer skipped ($LITELLM_REASON)"
log "wrote $RESULTS (raw data in $OUT)"
