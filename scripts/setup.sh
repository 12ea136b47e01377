#!/usr/bin/env bash
# Creates .venv (openlookout + test tools) and .venv-clients (the last boto3/awscli
# releases that still ship the lookoutvision client). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
if [ ! -x .venv-clients/bin/python ]; then "$PY" -m venv .venv-clients; fi
CLIENT_REQS=requirements-l4v-clients.txt
.venv-clients/bin/python -m pip install -q --disable-pip-version-check -r "$CLIENT_REQS"
# The console's browser test (tests/console) drives Debian's chromium through Playwright; never
# `playwright install`, which downloads a browser build. About 75 s on a fresh Debian 12 machine.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    AS_ROOT=()
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then AS_ROOT=(sudo -n); fi
    if [ "$(id -u)" = 0 ] || [ ${#AS_ROOT[@]} -gt 0 ]; then
        echo "setup.sh: installing chromium with apt-get (console browser test)" >&2
        { "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
            || echo "setup.sh: chromium could not be installed; the console browser test will fail" >&2
    fi
fi
