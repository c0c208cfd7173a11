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

# The generated client key: in /etc/quota-proxy/client-keys (not a conffile), one key per line.
generated_key() { in_ct sh -c 'grep -E "^qp-[0-9a-f]{48}$" /etc/quota-proxy/client-keys' 2>/dev/null; }
keys_stat=$(in_ct stat -c '%a %U:%G' /etc/quota-proxy/client-keys 2>&1)
client_key=$(generated_key)
if [ "$keys_stat" = "640 root:quota-proxy" ] && [ "$(printf '%s\n' "$client_key" | grep -c .)" = 1 ]; then
    pass "/etc/quota-proxy/client-keys: 0640 root:quota-proxy, one random client key generated"
else
    fail "client-keys permissions and key" "$keys_stat keys=$(printf '%s\n' "$client_key" | grep -c .)"
fi
config_stat=$(in_ct stat -c '%a %U:%G' /etc/quota-proxy/config.json 2>&1)
[ "$config_stat" = "640 root:quota-proxy" ] && pass "config.json: 0640 root:quota-proxy" || fail "config.json permissions" "$config_stat"
check "config.json is a conffile" in_ct sh -c "dpkg-query -W -f='\${Conffiles}' quota-proxy | grep -q /etc/quota-proxy/config.json"
# dpkg's recorded hash of the shipped file: the maintainer scripts never change the conffile.
conffile_unchanged() {
    [ "$(in_ct dpkg-query -W -f='${Conffiles}' quota-proxy | awk '$1 == "/etc/quota-proxy/config.json" {print $2}')" \
        = "$(in_ct md5sum /etc/quota-proxy/config.json | cut -d' ' -f1)" ]
}
if conffile_unchanged && in_ct grep -q '"client_api_keys_file": "/etc/quota-proxy/client-keys"' /etc/quota-proxy/config.json; then
    pass "config.json is the shipped file, unchanged by the postinst, and names /etc/quota-proxy/client-keys"
else
    fail "config.json changed by the maintainer scripts" "$(in_ct cat /etc/quota-proxy/config.json | grep -v qp- | head -5)"
fi

# Shell completion for quota-proxyctl (bash loads it on demand from this path).
if in_ct bash -c '. /usr/share/bash-completion/completions/quota-proxyctl && complete -p quota-proxyctl' >/dev/null 2>&1 \
    && in_ct grep -q '^#compdef quota-proxyctl' /usr/share/zsh/vendor-completions/_quota-proxyctl \
    && in_ct test -s /usr/share/fish/vendor_completions.d/quota-proxyctl.fish; then
    pass "bash, zsh and fish completion for quota-proxyctl installed (bash: complete -p quota-proxyctl)"
else
    fail "shell completion" "$(in_ct ls -la /usr/share/bash-completion/completions/ /usr/share/zsh/vendor-completions/ 2>&1 | head)"
fi

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
for n in 1 2; do
    printf '{"id":"acc-%s","label":"sim-%s","provider":"openai","base_url":"http://127.0.0.1:8600","tier":"primary","credentials":{"api_key":"sk-test-000000000%s"},"models":["gpt-4o-mini"]}\n' \
        "$n" "$n" "$n" > "$root/root/acc-$n.json"
done
add_accounts() { # the two simulator accounts (again after a purge)
    in_ct sh -c "test -d /var/lib/quota-proxy/accounts || install -d -o quota-proxy -g quota-proxy -m 0700 /var/lib/quota-proxy/accounts"
    local n
    for n in 1 2; do
        in_ct install -o quota-proxy -g quota-proxy -m 0600 "/root/acc-$n.json" "/var/lib/quota-proxy/accounts/acc-$n.json"
    done
}
add_accounts

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

limits=$(for u in "${units[@]}"; do
    printf '%s=%s ' "$u" "$(in_ct sh -c "awk '/^Max open files/ {print \$4 \"/\" \$5}' /proc/$(prop "$u" MainPID)/limits")"
done)
# systemd cannot give a service more than its own hard limit (the container's PID 1 inherits the
# host shell's): expect the unit's value, capped at that.
pid1_hard=$(in_ct awk '/^Max open files/ {print $5}' /proc/1/limits)
cap() { local v=$1; [[ "$pid1_hard" =~ ^[0-9]+$ ]] && ((pid1_hard < v)) && v=$pid1_hard; echo "$v/$v"; }
configured=$(for u in "${units[@]}"; do printf '%s ' "$(prop "$u" LimitNOFILE)"; done)
if [ "$configured" = "65536 16384 16384 " ] \
    && [ "$limits" = "quota-proxy=$(cap 65536) quota-scheduler=$(cap 16384) quota-refresher=$(cap 16384) " ]; then
    pass "LimitNOFILE 65536/16384/16384; running (soft/hard, PID 1's hard limit $pid1_hard): $limits"
else
    fail "LimitNOFILE of the running services" "units: $configured; running: $limits; PID 1 hard limit $pid1_hard"
fi

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

# --- the dashboard: the page the package installs, its admin API closed without an admin key ----
page=$(net_ct curl -sS -m 10 -D "$work/dashboard.head" -o "$work/dashboard.html" -w '%{http_code}' \
    http://127.0.0.1:8045/dashboard/ 2>&1)
if [ "$page" = 200 ] && grep -qi '<html' "$work/dashboard.html" &&
    grep -qi "^content-security-policy: default-src 'self'" "$work/dashboard.head"; then
    pass "GET /dashboard/: 200, the installed page, Content-Security-Policy default-src 'self'"
else
    fail "GET /dashboard/" "status $page: $(head -c 300 "$work/dashboard.html" 2>/dev/null)"
fi
admin=$(net_ct curl -sS -m 10 -o "$work/admin.json" -w '%{http_code}' \
    -H "Authorization: Bearer $client_key" http://127.0.0.1:8045/admin/api/status 2>&1)
[ "$admin" = 403 ] && pass "the admin API refuses a client key (403; no admin key is configured)" ||
    fail "admin API with a client key" "status $admin: $(head -c 300 "$work/admin.json" 2>/dev/null)"

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
    key_after=$(generated_key)
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

# --- upgrades from 0.1.0-1, whose postinst wrote the key into the conffile ------------------
# 0.1.0-1 generated the client key into /etc/quota-proxy/config.json (a conffile). This version
# ships a changed config.json that reads the keys from /etc/quota-proxy/client-keys, and its
# preinst copies the generated key there first. Whatever dpkg does with config.json, clients
# keep working with the key they have. The 0.1.0-1 package is the .deb under test repacked with
# 0.1.0-1's config.json and postinst (packaging/upgrade-test/0.1.0-1/) and no preinst; "next" is
# the .deb under test with a changed config.json and a higher version.
log "upgrades from 0.1.0-1"
tested_version=$(dpkg-deb -f "$deb" Version)
make_variant() { # make_variant NAME VERSION: /root/NAME.deb in the container
    local dir=$work/variant-$1
    rm -rf "$dir"
    dpkg-deb -R "$deb" "$dir" || return 1
    sed -i "s/^Version: .*/Version: $2/" "$dir/DEBIAN/control"
    case $1 in
        legacy)
            install -m 0755 packaging/upgrade-test/0.1.0-1/postinst "$dir/DEBIAN/postinst"
            install -m 0644 packaging/upgrade-test/0.1.0-1/config.json "$dir/etc/quota-proxy/config.json"
            rm -f "$dir/DEBIAN/preinst"
            ;;
        next)
            sed -i 's/"max_attempts": 3/"max_attempts": 4/' "$dir/etc/quota-proxy/config.json"
            grep -q '"max_attempts": 4' "$dir/etc/quota-proxy/config.json" || return 1
            ;;
    esac
    dpkg-deb --root-owner-group -Znone --build "$dir" "$root/root/$1.deb" >/dev/null
}
if make_variant legacy 0.1.0-1 && make_variant next "$tested_version+next1"; then
    pass "packages for the upgrade tests: 0.1.0-1 (key written into config.json) and $tested_version+next1 (config.json changed)"
else
    fail "cannot repack $deb for the upgrade tests"
fi
wrong_key_refused() { [ "$(chat "qp-$(printf '%048d' 0)")" = 401 ]; }
pids() { for u in "${units[@]}"; do prop "$u" MainPID; done | tr '\n' ' '; }

# legacy_install: purge, install 0.1.0-1, read its key from config.json into $client_key.
legacy_install() {
    in_ct dpkg --purge quota-proxy >/dev/null 2>&1
    local out
    if ! out=$(in_ct dpkg -i /root/legacy.deb < /dev/null 2>&1) || ! wait_for 30 all_state active; then
        fail "install 0.1.0-1" "$out $(states)"; return 1
    fi
    add_accounts
    client_key=$(in_ct sed -n 's/.*"client_api_keys": *\["\(qp-[0-9a-f]\{48\}\)"\].*/\1/p' /etc/quota-proxy/config.json)
    if [ -n "$client_key" ] && ! in_ct test -e /etc/quota-proxy/client-keys && ((sim_ok)) && wait_for 30 chat_ok; then
        return 0
    fi
    fail "0.1.0-1 installed: key in config.json, chat with it" "key=${client_key:+set} status $(chat "$client_key")"
    return 1
}
# after_upgrade WHAT CONFIG: the upgrade left the services running with the same client key;
# CONFIG is what config.json must be now: kept (0.1.0-1's, holding the key) or new.
after_upgrade() {
    local what=$1 config=$2 problems=""
    wait_for 60 all_running || problems+="units: $(states); "
    [ "$(in_ct dpkg-query -W -f='${Version} ${db:Status-Abbrev}' quota-proxy)" = "$tested_version ii " ] \
        || problems+="package state: $(in_ct dpkg-query -W -f='${Version} ${db:Status-Abbrev}' quota-proxy); "
    [ "$(generated_key)" = "$client_key" ] || problems+="client-keys does not hold the 0.1.0-1 key; "
    [ "$(in_ct stat -c '%a %U:%G' /etc/quota-proxy/client-keys 2>&1)" = "640 root:quota-proxy" ] \
        || problems+="client-keys: $(in_ct stat -c '%a %U:%G' /etc/quota-proxy/client-keys 2>&1); "
    case $config in
        kept) in_ct grep -q "\"$client_key\"" /etc/quota-proxy/config.json || problems+="config.json lost the key; " ;;
        new) conffile_unchanged && in_ct test -f /etc/quota-proxy/config.json.dpkg-old \
            || problems+="config.json is not the new one (or no .dpkg-old); " ;;
    esac
    ((sim_ok)) && wait_for 30 chat_ok || problems+="chat with the key: $(chat "$client_key"); "
    wrong_key_refused || problems+="a wrong key is not refused; "
    if [ -z "$problems" ]; then
        pass "upgrade 0.1.0-1 -> $tested_version, $what: the same client key works (config.json $config), a wrong one gets 401"
    else
        fail "upgrade 0.1.0-1 -> $tested_version, $what" "$problems"
    fi
}

# 1. dpkg's default options without a terminal: dpkg stops at the conffile prompt (the package
#    stays unpacked, not configured); the running services keep serving the key. The operator
#    then answers the prompt with Enter (the default: keep the installed config.json).
if legacy_install; then
    out=$(in_ct dpkg -i /root/quota-proxy.deb < /dev/null 2>&1); rc=$?
    if ((rc != 0)) && printf '%s' "$out" | grep -q 'conffile prompt'; then
        if ((sim_ok)) && wait_for 20 chat_ok; then
            pass "dpkg -i without a terminal stops at the conffile prompt; the services keep serving the key meanwhile"
        else
            fail "key while dpkg waits at the conffile prompt" "status $(chat "$client_key")"
        fi
        out=$(in_ct sh -c "printf '\n' | dpkg --configure -a" 2>&1) || fail "dpkg --configure -a (Enter at the prompt)" "$out"
    elif ((rc != 0)); then
        fail "dpkg -i over 0.1.0-1 (default options)" "$out"
    fi
    after_upgrade "dpkg default options, Enter at the conffile prompt (keep)" kept
fi

# 2. What unattended upgrades do: apt-get with --force-confdef --force-confold.
if legacy_install; then
    out=$(in_ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold /root/quota-proxy.deb < /dev/null 2>&1) || fail "apt-get install (confdef, confold)" "$out"
    after_upgrade "apt-get install -o Dpkg::Options::=--force-confdef,--force-confold" kept
fi

# 3. --force-confold.
if legacy_install; then
    out=$(in_ct dpkg --force-confold -i /root/quota-proxy.deb < /dev/null 2>&1) || fail "dpkg --force-confold -i" "$out"
    after_upgrade "dpkg --force-confold" kept
fi

# 4. --force-confnew: config.json is replaced by the new one; the key comes from client-keys.
if legacy_install; then
    out=$(in_ct dpkg --force-confnew -i /root/quota-proxy.deb < /dev/null 2>&1) || fail "dpkg --force-confnew -i" "$out"
    after_upgrade "dpkg --force-confnew" new

    # 5. From there, the next version with a changed config.json: the conffile is unmodified, so
    #    dpkg takes the new one without asking; client-keys is left alone.
    pids_before=$(pids)
    out=$(in_ct dpkg -i /root/next.deb < /dev/null 2>&1); rc=$?
    if ((rc == 0)) && wait_for 60 all_running && [ "$(pids)" != "$pids_before" ] \
        && in_ct grep -q '"max_attempts": 4' /etc/quota-proxy/config.json && conffile_unchanged \
        && [ "$(generated_key)" = "$client_key" ] && ((sim_ok)) && wait_for 30 chat_ok && wrong_key_refused; then
        pass "upgrade $tested_version -> $tested_version+next1 (config.json changed), no prompt: new config.json, the same client key works"
    else
        fail "upgrade to $tested_version+next1 (rc=$rc)" "$out
$(states) key kept: $([ "$(generated_key)" = "$client_key" ] && echo yes || echo no); status $(chat "$client_key")"
    fi
fi
in_ct dpkg --purge quota-proxy >/dev/null 2>&1

finish
