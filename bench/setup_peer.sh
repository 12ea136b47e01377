#!/usr/bin/env bash
# Create .venv-bench (git-ignored) with anomalib 2.7 for bench/anomaly.py, then check that
# timm's tf_efficientnet_lite0 with the renamed openlookout weights gives the same logits as
# the reference EfficientNet-Lite0. Usage: bench/setup_peer.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv-bench/bin/python ]; then
    "$PYTHON" -m venv .venv-bench
fi
.venv-bench/bin/pip install --quiet -r bench/requirements-peer.txt
.venv-bench/bin/python -W ignore -m bench.lite0_timm
# Custom Labels bench: the COCO scorer and the YOLO peer are importable (no network needed).
.venv-bench/bin/python -c "import pycocotools.cocoeval, importlib.metadata as m; print('ultralytics', m.version('ultralytics'))"
