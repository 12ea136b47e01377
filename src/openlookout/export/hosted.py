"""The hosting worker's model loader: onnxruntime on CPU hosts, PyTorch otherwise.

On the cookie model (224x288 working size) onnxruntime answered a single image in 33 ms
against 41 ms for PyTorch + faiss with 2 threads, and 55 against 63 ms with 1
(docs/packaging.md), so CPU hosts serve the exported graph. GPU hosts, and installs without
onnxruntime, keep PyTorch, which also stays the reference the ONNX path is tested against.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import torch

from openlookout.ml.anomaly import load_anomaly_model
from openlookout.ml.backbone import select_device


def onnxruntime_available() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def load_hosted_model(model_dir: Path, device: str | None = None) -> Any:
    """An ``AnomalyModel`` or ``OnnxAnomalyModel`` for ``model_dir``; both answer the same calls."""
    if select_device(device).type != "cpu" or not onnxruntime_available():
        return load_anomaly_model(model_dir, device=device)
    from openlookout.export.onnx_model import load_onnx_model

    # The worker has already given torch this unit's share of the cores; onnxruntime gets the same.
    return load_onnx_model(model_dir, threads=torch.get_num_threads())
