#!/usr/bin/env bash
# Creates Tests/sdk/.venv with the SDKs of requirements.txt. Idempotent: when the venv exists and
# was built from the same requirements.txt it returns at once. The Swift tests that use the SDKs
# skip (with a message naming this script) while the venv is missing.
#
# Usage: Tests/sdk/setup-venv.sh [--force]      (PYTHON=python3.12 to choose the interpreter)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
requirements="$here/requirements.txt"
marker="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ "${1:-}" != "--force" && -x "$venv/bin/python" && -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
    echo "Tests/sdk/.venv is up to date"
    exit 0
fi

command -v "$python" >/dev/null || { echo "setup-venv.sh: '$python' not found; install python3 (and python3-venv)" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
    || { echo "setup-venv.sh: the SDKs need Python >= 3.9 ($("$python" --version 2>&1))" >&2; exit 1; }
"$python" -c 'import venv, ensurepip' 2>/dev/null \
    || { echo "setup-venv.sh: '$python' lacks venv/ensurepip; install python3-venv" >&2; exit 1; }

rm -rf "$venv"
"$python" -m venv "$venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
if ! "$venv/bin/python" -m pip install --quiet -r "$requirements"; then
    rm -rf "$venv"
    echo "setup-venv.sh: pip install failed; Tests/sdk/.venv removed" >&2
    exit 1
fi
# Compile once so the first test run does not pay for it.
"$venv/bin/python" -m compileall -q "$venv/lib" >/dev/null 2>&1 || true
echo "$want" > "$marker"
echo "Tests/sdk/.venv ready: $("$venv/bin/python" -m pip freeze | grep -Ei '^(openai|anthropic|google-genai)==' | tr '\n' ' ')"
