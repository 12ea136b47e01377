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
