#!/usr/bin/env bash
# Installs LiteLLM's proxy (the optional peer of bench/run.sh) into a virtualenv at
# bench/.venv-litellm (ignored by git): `pip install 'litellm[proxy]'` from PyPI.
#
#   bench/install-litellm.sh            create the virtualenv (if needed) and install or upgrade
#   PYTHON=python3.11 bench/install-litellm.sh
#   LITELLM_SPEC='litellm[proxy]==1.x.y' bench/install-litellm.sh   pin a version
#
# python3-venv is installed from Debian first when `python3 -m venv` does not work (apt-get, as root
# or through sudo). Afterwards bench/run.sh includes LiteLLM in its run on its own.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV="$BENCH_DIR/.venv-litellm"
PYTHON=${PYTHON:-python3}
LITELLM_SPEC=${LITELLM_SPEC:-litellm[proxy]}

log() { printf '[install-litellm] %s\n' "$*" >&2; }
as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 0
fi

if ! command -v "$PYTHON" >/dev/null; then
    log "installing python3 and python3-venv from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    PYTHON=python3
fi

# `python3 -m venv` needs ensurepip, which Debian ships separately (python3-venv / python3.X-venv).
if [[ ! -x $VENV/bin/python ]]; then
    probe=$(mktemp -d)
    if ! "$PYTHON" -m venv "$probe/venv" >/dev/null 2>&1; then
        version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        log "python -m venv does not work; installing python3-venv (and python$version-venv) from Debian"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$version-venv" >/dev/null 2>&1 || true
    fi
    rm -rf "$probe"
    log "creating $VENV ($("$PYTHON" --version 2>&1))"
    "$PYTHON" -m venv "$VENV"
fi

log "pip install '$LITELLM_SPEC' (from PyPI; a few minutes)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade "$LITELLM_SPEC"
[[ -x $VENV/bin/litellm ]] || {
    log "error: $VENV/bin/litellm is missing after the install"
    exit 1
}
log "installed $("$VENV/bin/python" -m pip show litellm 2>/dev/null | sed -n 's/^Version: /litellm /p') at $VENV/bin/litellm"
log "bench/run.sh now includes the LiteLLM peer (or: LITELLM=$VENV/bin/litellm bench/run.sh)"
