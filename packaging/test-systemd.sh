#!/usr/bin/env bash
# End-to-end test of the .deb under a real systemd: boots Debian 12 with systemd as PID 1 in a
# systemd-nspawn container (private network: only its own loopback), installs the package,
# runs the upstream simulator inside as the upstream with two accounts, and checks what an
# operator relies on: start via READY=1, a chat completion through the proxy, the scheduler's
# scan line in the journal, reload, restart after kill -9, systemd-analyze security scores,
# stop, remove and purge.
#
# Usage: packaging/test-systemd.sh [path/to/quota-proxy_*.deb]
#   default .deb: the newest packaging/out/quota-proxy_*.deb (packaging/build-deb.sh makes it)
# Environment:
#   QP_TEST_CACHE   where the debootstrapped root is cached (default /var/cache/quota-proxy-test)
#   QP_TEST_MIRROR  Debian mirror for debootstrap (default: the host's apt source)
#   QP_SIM_BIN      the quota-upstream-sim executable (default: .build/{debug,release}, else built)
#   QP_TEST_KEEP=1  leave the container's work folder (not the container) for inspection
# Needs root, debootstrap, systemd-container, util-linux (nsenter), curl: installed with
# apt-get when missing. Prints PASS/FAIL lines and ends with "N passed, M failed"; exits
# non-zero when anything failed. Logs and the container's journal: packaging/out/test-systemd/.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/      /' | head -40; return 0; }
check() { # check "description" command...: PASS when the command succeeds
    local what=$1; shift
    local output
    if output=$("$@" 2>&1); then pass "$what"; else fail "$what" "$output"; fi
}
log() { printf '=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
die() { printf 'FAIL: %s\n' "$1"; failed=$((failed + 1)); finish; }

finished=0
finish() {
    ((finished)) && return 0  # the EXIT trap after an explicit finish: keep its exit status
    finished=1
    teardown
    printf '%d passed, %d failed\n' "$passed" "$failed"
    ((failed == 0)) && exit 0
    exit 1
}

[ "$(id -u)" = 0 ] || { echo "test-systemd.sh needs root"; printf '0 passed, 1 failed\n'; exit 1; }

# --- inputs ---------------------------------------------------------------------------------
deb=${1:-$(ls -t packaging/out/quota-proxy_*.deb 2>/dev/null | head -1)}
[ -n "$deb" ] && [ -f "$deb" ] || { echo "FAIL: no .deb (run packaging/build-deb.sh first)"; printf '0 passed, 1 failed\n'; exit 1; }
deb=$(readlink -f "$deb")

cache=${QP_TEST_CACHE:-/var/cache/quota-proxy-test}
suite=bookworm
include=systemd,systemd-sysv,dbus,procps
base=$cache/$suite-base
stamp="debootstrap --variant=minbase --include=$include $suite (v1)"
logs=$repo/packaging/out/test-systemd
mkdir -p "$logs"
rm -f "$logs"/*

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v nsenter >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || { echo "FAIL: cannot install ${need[*]}"; printf '0 passed, 1 failed\n'; exit 1; }
fi

mirror=${QP_TEST_MIRROR:-}
if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v '^\s*#' | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ')
    mirror=${mirror:-http://deb.debian.org/debian}
fi

# --- the cached root ------------------------------------------------------------------------
if [ "$(cat "$base/.quota-proxy-test" 2>/dev/null)" != "$stamp" ]; then
    log "debootstrap $suite from $mirror into $base (cached for later runs)"
    rm -rf --one-file-system "$base" "$base.tmp"
    mkdir -p "$cache"
    if ! debootstrap --variant=minbase --include="$include" "$suite" "$base.tmp" "$mirror" \
        > "$logs/debootstrap.log" 2>&1; then
        tail -20 "$logs/debootstrap.log"
        rm -rf --one-file-system "$base.tmp"
        echo "FAIL: debootstrap"; printf '0 passed, 1 failed\n'; exit 1
    fi
    echo "quota-proxy-test" > "$base.tmp/etc/hostname"
    rm -f "$base.tmp/var/cache/apt/archives/"*.deb
    echo "$stamp" > "$base.tmp/.quota-proxy-test"
    mv "$base.tmp" "$base"
fi

# --- the upstream simulator -----------------------------------------------------------------
sim=${QP_SIM_BIN:-}
if [ -z "$sim" ]; then
    sim=$(ls -t .build/debug/quota-upstream-sim .build/release/quota-upstream-sim 2>/dev/null | head -1)
fi
if [ -z "$sim" ] && command -v swift >/dev/null; then
    log "swift build --product quota-upstream-sim"
    swift build --product quota-upstream-sim > "$logs/sim-build.log" 2>&1 \
        && sim=$(swift build --show-bin-path)/quota-upstream-sim
fi
[ -n "$sim" ] && [ -x "$sim" ] || sim=""

# --- the container --------------------------------------------------------------------------
# Work folders of earlier runs that were killed before their cleanup (a run takes minutes).
for old in $(find /var/tmp -maxdepth 1 -name 'quota-proxy-systemd-test.*' -mmin +120 2>/dev/null); do
    findmnt -rn -o TARGET | grep -q "^$old" || rm -rf --one-file-system "$old"
done
work=$(mktemp -d /var/tmp/quota-proxy-systemd-test.XXXXXX)
root=$work/root
nspawn_pid=""
ct=""

teardown() {
    if [ -n "$ct" ] && kill -0 "$ct" 2>/dev/null; then
        in_ct journalctl --no-pager -o short-precise > "$logs/journal.txt" 2>&1 || true
    fi
    if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
        kill -TERM "$nspawn_pid" 2>/dev/null   # systemd-nspawn: SIGTERM = power off the container
        for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$nspawn_pid" 2>/dev/null
    fi
    # The container's PID 1: killing it ends its whole PID namespace.
    if [ -n "$ct" ] && kill -0 "$ct" 2>/dev/null; then kill -KILL "$ct" 2>/dev/null; sleep 0.5; fi
    [ -n "$nspawn_pid" ] && wait "$nspawn_pid" 2>/dev/null
    if [ "${QP_TEST_KEEP:-0}" = 1 ]; then
        echo "kept $work"
    elif [ -d "$work" ]; then
        if findmnt -rn -o TARGET | grep -q "^$work"; then
            echo "not removing $work: something is still mounted there"
        else
            rm -rf --one-file-system "$work"
        fi
    fi
    printf 'logs: %s\n' "$logs"
}
trap finish EXIT
trap 'echo "interrupted"; failed=$((failed + 1)); finish' INT TERM

in_ct() { # run a command inside the container (all its namespaces), with a clean environment
    nsenter -t "$ct" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
net_ct() { nsenter -t "$ct" -n -- "$@"; } # a host command inside the container's network

log "copying the root"
cp -a --reflink=auto "$base" "$root" || die "cannot copy $base"
install -m 0644 "$deb" "$root/root/quota-proxy.deb"
if [ -n "$sim" ]; then
    # The simulator and the Swift runtime libraries it needs beyond Debian's own.
    install -d "$root/opt/quota-upstream-sim/lib"
    install -m 0755 "$sim" "$root/opt/quota-upstream-sim/quota-upstream-sim"
    ldd "$sim" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -vE '^/(usr/)?lib(64|/x86_64-linux-gnu|/aarch64-linux-gnu)?/' \
        | while read -r lib; do cp -L "$lib" "$root/opt/quota-upstream-sim/lib/"; done
fi

log "booting systemd in the container"
systemd-nspawn --quiet --register=no --keep-unit --private-network --console=read-only \
    --machine="qp-test-$$" -D "$root" -b < /dev/null > "$logs/console.log" 2>&1 &
nspawn_pid=$!

# The container's PID 1: the descendant of systemd-nspawn whose PID in its own namespace is 1.
for _ in $(seq 150); do
    for p in $(pgrep -P "$nspawn_pid") $(for c in $(pgrep -P "$nspawn_pid"); do pgrep -P "$c"; done); do
        if [ "$(awk '/^NSpid:/ {print $NF}' "/proc/$p/status" 2>/dev/null)" = 1 ]; then ct=$p; break 2; fi
    done
    kill -0 "$nspawn_pid" 2>/dev/null || break
    sleep 0.2
done
[ -n "$ct" ] || { tail -20 "$logs/console.log"; die "systemd-nspawn did not start a container"; }
# "offline" until PID 1 has its control socket; --wait then waits for the boot to finish.
deadline=$((SECONDS + 90))
while :; do
    state=$(in_ct timeout 90 systemctl is-system-running --wait 2>&1)
    case "$state" in running | degraded) break ;; esac
    ((SECONDS < deadline)) && kill -0 "$ct" 2>/dev/null || break
    sleep 0.5
done
case "$state" in
    running | degraded) pass "container booted: systemd as PID 1 (host pid $ct), system $state" ;;
    *) die "container did not boot: $state" ;;
esac

units=(quota-proxy quota-scheduler quota-refresher)
prop() { in_ct systemctl show -p "$2" --value "$1.service" 2>/dev/null; }
all_state() { # all_state STATE: every unit has ActiveState STATE
    local u
    for u in "${units[@]}"; do [ "$(prop "$u" ActiveState)" = "$1" ] || return 1; done
}
states() { local u; for u in "${units[@]}"; do printf '%s=%s/%s ' "$u" "$(prop "$u" ActiveState)" "$(prop "$u" SubState)"; done; }
wait_for() { # wait_for SECONDS command...
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do ((SECONDS >= deadline)) && return 1; sleep 0.5; done
}

# --- install --------------------------------------------------------------------------------
log "dpkg -i $(basename "$deb")"
if out=$(in_ct dpkg -i /root/quota-proxy.deb 2>&1); then pass "dpkg -i installs the package"; else fail "dpkg -i" "$out"; die "cannot continue without the package"; fi
printf '%s\n' "$out" > "$logs/dpkg-install.log"

uid=$(in_ct id -u quota-proxy 2>/dev/null)
if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && in_ct id -nG quota-proxy | grep -qw quota-proxy; then
    pass "system user and group quota-proxy (uid $uid)"
else
    fail "system user quota-proxy" "$(in_ct getent passwd quota-proxy)"
fi

config_stat=$(in_ct stat -c '%a %U:%G' /etc/quota-proxy/config.json 2>&1)
client_key=$(in_ct sed -n 's/.*"client_api_keys": *\["\([^"]*\)".*/\1/p' /etc/quota-proxy/config.json)
if [ "$config_stat" = "640 root:quota-proxy" ] && [ -n "$client_key" ] && [ "$client_key" != change-me ]; then
    pass "config.json: 0640 root:quota-proxy, random client key generated"
else
    fail "config.json permissions and client key" "$config_stat key=${client_key:-none}"
fi
check "config.json is a conffile" in_ct sh -c "dpkg-query -W -f='\${Conffiles}' quota-proxy | grep -q /etc/quota-proxy/config.json"

enabled=$(for u in "${units[@]}"; do in_ct systemctl is-enabled "$u.service"; done 2>&1 | tr '\n' ' ')
[ "$enabled" = "enabled enabled enabled " ] && pass "postinst enabled the three units" || fail "units enabled" "$enabled"
if wait_for 30 all_state active; then pass "postinst started the three units"; else fail "units started by postinst" "$(states)"; fi

check "systemctl stop quota-proxy" in_ct systemctl stop quota-proxy.service
if wait_for 20 all_state inactive; then pass "all three inactive after stop"; else fail "all three inactive after stop" "$(states)"; fi

# --- the upstream: simulator and two accounts -----------------------------------------------
log "upstream simulator and accounts"
sim_ok=0
if [ -z "$sim" ]; then
    fail "upstream simulator: no quota-upstream-sim executable (set QP_SIM_BIN or build it)"
else
    in_ct systemd-run --quiet --unit=quota-upstream-sim --collect -p Type=exec \
        --setenv=LD_LIBRARY_PATH=/opt/quota-upstream-sim/lib \
        /opt/quota-upstream-sim/quota-upstream-sim --host 127.0.0.1 --port 8600 \
        --key sk-test-0000000001 --key sk-test-0000000002 > "$logs/sim-start.log" 2>&1
    sim_listening() { in_ct journalctl -u quota-upstream-sim -o cat --no-pager | grep -q '"event":"listening"'; }
    if wait_for 20 sim_listening; then
        sim_ok=1; pass "upstream simulator listening on 127.0.0.1:8600 inside the container"
    else
        fail "upstream simulator did not start" "$(in_ct journalctl -u quota-upstream-sim -o cat --no-pager | tail -15)"
    fi
fi
in_ct sh -c "test -d /var/lib/quota-proxy/accounts || install -d -o quota-proxy -g quota-proxy -m 0700 /var/lib/quota-proxy/accounts"
for n in 1 2; do
    printf '{"id":"acc-%s","label":"sim-%s","provider":"openai","base_url":"http://127.0.0.1:8600","tier":"primary","credentials":{"api_key":"sk-test-000000000%s"},"models":["gpt-4o-mini"]}\n' \
        "$n" "$n" "$n" > "$root/root/acc-$n.json"
    in_ct install -o quota-proxy -g quota-proxy -m 0600 "/root/acc-$n.json" "/var/lib/quota-proxy/accounts/acc-$n.json"
done

# --- start ----------------------------------------------------------------------------------
log "systemctl start quota-proxy"
start_since=$(in_ct date '+%Y-%m-%d %H:%M:%S')
t0=$SECONDS
out=$(in_ct systemctl start quota-proxy.service 2>&1); rc=$?
# systemctl returns when quota-proxy is ready; quota-scheduler (After=quota-proxy) may still be
# starting. Type=notify units become active only on READY=1; a start timeout would mark them
# failed with Result=timeout.
all_running() {
    local u
    for u in "${units[@]}"; do
        [ "$(prop "$u" ActiveState)/$(prop "$u" SubState)" = active/running ] || return 1
    done
}
wait_for 60 all_running
took=$((SECONDS - t0))
ready=1
for u in "${units[@]}"; do
    [ "$(prop "$u" ActiveState)/$(prop "$u" SubState)/$(prop "$u" Result)/$(prop "$u" Type)" = active/running/success/notify ] || ready=0
done
if ((rc == 0 && ready && took < 45)); then
    pass "systemctl start quota-proxy: all three active/running (Type=notify, READY=1 within ${took}s; start timeout 60s)"
else
    fail "systemctl start quota-proxy (rc=$rc, ${took}s)" "$out
$(states)
$(for u in "${units[@]}"; do printf '%s Result=%s\n' "$u" "$(prop "$u" Result)"; done)"
fi
for u in "${units[@]}"; do printf '      %s: %s\n' "$u" "$(prop "$u" StatusText)"; done
check "each unit sent STATUS= over sd_notify" sh -c "
    for u in ${units[*]}; do [ -n \"\$(nsenter -t $ct -a -- systemctl show -p StatusText --value \$u.service)\" ] || exit 1; done"

sockets=$(in_ct stat -c '%n %A %U:%G' /run/quota-proxy/proxy.sock /run/quota-proxy/scheduler.sock /run/quota-proxy/refresher.sock 2>&1)
if [ "$(printf '%s\n' "$sockets" | grep -c 'srw-rw---- quota-proxy:quota-proxy')" = 3 ]; then
    pass "control sockets in /run/quota-proxy, mode 0660, owned by quota-proxy"
else
    fail "control sockets" "$sockets"
fi
check "quota-proxyctl status (root, over the control sockets)" in_ct quota-proxyctl status
in_ct sh -c 'id alice >/dev/null 2>&1 || useradd -M -G quota-proxy alice; id bob >/dev/null 2>&1 || useradd -M bob'
check "quota-proxyctl status as a member of group quota-proxy" in_ct runuser -u alice -- quota-proxyctl status
if out=$(in_ct runuser -u bob -- quota-proxyctl status 2>&1); then
    fail "a user outside group quota-proxy must not reach the control sockets" "$out"
else
    pass "a user outside group quota-proxy is refused"
fi

# --- a chat completion through the proxy ----------------------------------------------------
chat() { # chat KEY: prints the HTTP status, body in $work/chat.json
    net_ct curl -sS -m 15 -o "$work/chat.json" -w '%{http_code}' \
        -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":8}' \
        http://127.0.0.1:8045/v1/chat/completions 2>&1
}
chat_ok() { [ "$(chat "$client_key")" = 200 ] && grep -q '"choices"' "$work/chat.json"; }
log "chat completion"
if ((sim_ok)) && wait_for 20 chat_ok; then
    pass "POST /v1/chat/completions through the proxy: 200 with choices"
else
    fail "chat completion through the proxy" "status $(chat "$client_key"): $(head -c 600 "$work/chat.json" 2>/dev/null)"
fi
code=$(chat wrong-key)
[ "$code" = 401 ] && pass "a wrong client key gets 401" || fail "wrong client key" "status $code: $(head -c 300 "$work/chat.json" 2>/dev/null)"

# --- the scheduler's scan line --------------------------------------------------------------
scan_line() { in_ct journalctl -u quota-scheduler --since "$start_since" -o cat --no-pager | grep -m1 '^scan:'; }
if wait_for 30 scan_line >/dev/null; then
    pass "journalctl -u quota-scheduler shows a scan line: $(scan_line)"
else
    fail "no 'scan:' line in journalctl -u quota-scheduler" "$(in_ct journalctl -u quota-scheduler -o cat --no-pager | tail -10)"
fi

# --- reload ---------------------------------------------------------------------------------
log "systemctl reload quota-proxy"
pids_before=$(for u in "${units[@]}"; do prop "$u" MainPID; done | tr '\n' ' ')
reload_since=$(in_ct date '+%Y-%m-%d %H:%M:%S')
sleep 1
out=$(in_ct systemctl reload quota-proxy.service 2>&1); rc=$?
# The propagated reloads of the other two finish on their own READY=1 (after RELOADING=1).
wait_for 15 all_state active
pids_after=$(for u in "${units[@]}"; do prop "$u" MainPID; done | tr '\n' ' ')
if ((rc == 0)) && all_state active && [ "$pids_before" = "$pids_after" ]; then
    pass "systemctl reload quota-proxy: all three still active, same processes ($pids_after)"
else
    fail "systemctl reload quota-proxy (rc=$rc)" "$out
$(states) pids $pids_before -> $pids_after"
fi
reloaded() {
    local u
    for u in quota-scheduler quota-refresher; do
        in_ct journalctl -u "$u" --since "$reload_since" -o cat --no-pager | grep -q '^Reloaded' || return 1
    done
}
if wait_for 10 reloaded; then pass "the reload propagated to quota-scheduler and quota-refresher"; else
    fail "reload did not reach the other two units" "$(in_ct journalctl -u quota-scheduler -u quota-refresher --since "$reload_since" -o cat --no-pager | tail)"; fi
if ((sim_ok)) && wait_for 10 chat_ok; then pass "the proxy keeps serving after the reload"; else
    fail "chat completion after reload" "status $(chat "$client_key"): $(head -c 300 "$work/chat.json" 2>/dev/null)"; fi

# --- restart carries the other two (PartOf=) --------------------------------------------------
log "systemctl restart quota-proxy"
pids_before=$(for u in "${units[@]}"; do prop "$u" MainPID; done | tr '\n' ' ')
out=$(in_ct systemctl restart quota-proxy.service 2>&1); rc=$?
wait_for 60 all_running
pids_after=$(for u in "${units[@]}"; do prop "$u" MainPID; done | tr '\n' ' ')
changed=1
for i in 1 2 3; do
    [ "$(echo "$pids_before" | cut -d' ' -f$i)" != "$(echo "$pids_after" | cut -d' ' -f$i)" ] || changed=0
done
if ((rc == 0 && changed)) && all_running; then
    pass "systemctl restart quota-proxy restarts all three (pids $pids_before-> $pids_after)"
else
    fail "systemctl restart quota-proxy (rc=$rc)" "$out
$(states) pids $pids_before -> $pids_after"
fi

# --- one unit stopping keeps the others' sockets --------------------------------------------
in_ct systemctl stop quota-scheduler.service
if in_ct test -S /run/quota-proxy/proxy.sock && in_ct test -S /run/quota-proxy/refresher.sock \
    && [ "$(prop quota-proxy ActiveState)/$(prop quota-refresher ActiveState)" = active/active ]; then
    pass "stopping quota-scheduler leaves /run/quota-proxy and the other sockets in place"
else
    fail "runtime folder after stopping one unit" "$(in_ct ls -la /run/quota-proxy 2>&1)"
fi
in_ct systemctl start quota-scheduler.service

# --- kill -9: automatic restart -------------------------------------------------------------
log "kill -9 quota-proxy"
old_pid=$(prop quota-proxy MainPID)
restarts_before=$(prop quota-proxy NRestarts)
in_ct kill -9 "$old_pid"
restarted() {
    local pid; pid=$(prop quota-proxy MainPID)
    [ "$pid" != 0 ] && [ "$pid" != "$old_pid" ] && [ "$(prop quota-proxy ActiveState)" = active ]
}
if wait_for 30 restarted; then
    pass "kill -9 of the proxy (pid $old_pid): systemd restarted it (pid $(prop quota-proxy MainPID), NRestarts $restarts_before -> $(prop quota-proxy NRestarts))"
else
    fail "no automatic restart after kill -9" "$(states) $(in_ct journalctl -u quota-proxy -o cat --no-pager | tail -8)"
fi
if ((sim_ok)) && wait_for 20 chat_ok; then pass "the restarted proxy serves chat completions"; else
    fail "chat completion after restart" "status $(chat "$client_key"): $(head -c 300 "$work/chat.json" 2>/dev/null)"; fi
if wait_for 20 all_state active; then pass "all three active after the restart"; else fail "units after the restart" "$(states)"; fi

# --- dpkg -i over a running install (the upgrade path) ---------------------------------------
log "dpkg -i again over the running install"
pids_before=$(for u in "${units[@]}"; do prop "$u" MainPID; done | tr '\n' ' ')
if out=$(in_ct dpkg -i /root/quota-proxy.deb < /dev/null 2>&1) && wait_for 60 all_running; then
    pids_after=$(for u in "${units[@]}"; do prop "$u" MainPID; done | tr '\n' ' ')
    key_after=$(in_ct sed -n 's/.*"client_api_keys": *\["\([^"]*\)".*/\1/p' /etc/quota-proxy/config.json)
    if [ "$key_after" = "$client_key" ] && [ "$pids_after" != "$pids_before" ]; then
        pass "reinstalling over a running install keeps the client key and restarts the services"
    else
        fail "reinstall over a running install" "key kept: $([ "$key_after" = "$client_key" ] && echo yes || echo no); pids $pids_before-> $pids_after"
    fi
else
    fail "dpkg -i over a running install" "$out
$(states)"
fi
if ((sim_ok)) && wait_for 20 chat_ok; then pass "the proxy serves chat completions after the reinstall"; else
    fail "chat completion after the reinstall" "status $(chat "$client_key"): $(head -c 300 "$work/chat.json" 2>/dev/null)"; fi

# --- systemd-analyze security ---------------------------------------------------------------
log "systemd-analyze security"
for u in "${units[@]}"; do
    report=$(in_ct systemd-analyze security --no-pager "$u.service" 2>&1)
    printf '%s\n' "$report" > "$logs/security-$u.txt"
    score=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
        pass "systemd-analyze security $u.service: exposure $score (<= 2.0)"
    else
        fail "systemd-analyze security $u.service: exposure ${score:-?} (want <= 2.0)" "$(printf '%s\n' "$report" | grep -E '✗|Overall' | head -20)"
    fi
done

# --- stop, remove, purge --------------------------------------------------------------------
log "stop"
check "systemctl stop quota-proxy" in_ct systemctl stop quota-proxy.service
if wait_for 20 all_state inactive; then pass "systemctl stop quota-proxy stopped all three"; else fail "stop" "$(states)"; fi
no_service_processes() { ! in_ct pgrep -u quota-proxy >/dev/null 2>&1; }

log "dpkg -r (services running)"
in_ct systemctl start quota-proxy.service
if out=$(in_ct dpkg -r quota-proxy 2>&1); then pass "dpkg -r removes the package"; else fail "dpkg -r" "$out"; fi
if wait_for 10 no_service_processes && ! in_ct test -e /usr/bin/quota-proxy && ! in_ct test -e /lib/systemd/system/quota-proxy.service; then
    pass "remove: services stopped, binaries and units gone"
else
    fail "after dpkg -r" "$(states) $(in_ct pgrep -a -u quota-proxy)"
fi
if in_ct test -d /var/lib/quota-proxy/accounts && in_ct test -f /etc/quota-proxy/config.json; then
    pass "remove keeps /var/lib/quota-proxy and the configuration"
else
    fail "remove deleted state or configuration"
fi

log "purge"
if out=$(in_ct apt-get purge -y quota-proxy 2>&1); then pass "apt-get purge quota-proxy"; else fail "apt-get purge" "$out"; fi
leftovers=$(in_ct sh -c 'ls -d /var/lib/quota-proxy /etc/quota-proxy /run/quota-proxy /usr/bin/quota-* /lib/systemd/system/quota-* 2>/dev/null;
    find /etc/systemd/system -name "quota-*" 2>/dev/null; dpkg-query -W -f="\${db:Status-Abbrev}" quota-proxy 2>/dev/null | grep -v "^un"')
if [ -z "$leftovers" ]; then pass "purge removed state, configuration, units and symlinks"; else fail "purge left files behind" "$leftovers"; fi

log "install again and purge with the services running"
if out=$(in_ct dpkg -i /root/quota-proxy.deb 2>&1) && wait_for 30 all_state active; then
    pass "reinstall after purge: all three active"
else
    fail "reinstall after purge" "$out $(states)"
fi
if out=$(in_ct apt-get purge -y quota-proxy 2>&1) && wait_for 10 no_service_processes \
    && ! in_ct test -e /var/lib/quota-proxy && [ -z "$(in_ct find /etc/systemd/system -name 'quota-*')" ]; then
    pass "purge of a running install stops the services and removes everything"
else
    fail "purge of a running install" "$out $(in_ct pgrep -a -u quota-proxy)"
fi

finish
