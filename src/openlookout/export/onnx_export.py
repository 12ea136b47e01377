"""Write a trained model folder's scoring graph as an ONNX file."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from openlookout.export.graph import DISTANCES_NAME, FEATURES_NAME, INPUT_NAME, PatchDistanceGraph
from openlookout.ml.artifacts import ModelArtifacts

ONNX_FILE = "model.onnx"
# Opset 17 runs on every onnxruntime release of the last few years, which edge devices lag behind on.
OPSET = 17


def export_graph(artifacts: ModelArtifacts, out_path: Path) -> Path:
    """Export ``artifacts`` (fixed working size, dynamic batch) to ``out_path``; returns it."""
    graph = PatchDistanceGraph(artifacts.projection, artifacts.bank)
    height, width = artifacts.working_size
    example = torch.from_numpy(np.zeros((1, height, width, 3), dtype=np.uint8))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # Unique per process: several inference units may export the same model at once.
    partial = out_path.with_name(f"{out_path.name}.{os.getpid()}.partial")
    with warnings.catch_warnings():
        # "Same" padding is computed from Python ints while tracing: fine, the input size is fixed.
        warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs onnxscript
        # (another dependency); it still produces the graph the parity tests check.
        warnings.simplefilter("ignore", category=DeprecationWarning)
        torch.onnx.export(
            graph,
            (example,),
            str(partial),
            input_names=[INPUT_NAME],
            output_names=[FEATURES_NAME, DISTANCES_NAME],
            dynamic_axes={
                INPUT_NAME: {0: "batch"},
                FEATURES_NAME: {0: "batch"},
                DISTANCES_NAME: {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    partial.replace(out_path)  # a reader never sees a half-written file
    return out_path
