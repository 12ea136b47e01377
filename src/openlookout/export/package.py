"""Build the self-contained edge package of a trained model folder (layout in docs/packaging.md).

The folder holds the ONNX graph, ``model.json`` (everything the runner needs besides the
graph: sizes, scoring parameters, threshold and confidence rule, class colours), the
segmentation head when there is one, the ``openlookout_edge`` runner, its pinned
``requirements.txt``, a Greengrass component recipe, and ``package.zip`` with all of it
but the recipe (the recipe's one artefact, since Greengrass flattens plain artefacts).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openlookout.edge import REQUIREMENTS, RUNNER_DIR, runner_files
from openlookout.export.graph import DISTANCES_NAME, FEATURES_NAME, INPUT_NAME
from openlookout.export.onnx_export import ONNX_FILE, export_graph
from openlookout.export.recipe import RECIPE_FILE, ComponentInfo, greengrass_recipe
from openlookout.ml.artifacts import (
    CLASSIFIER_FILE,
    NORMALIZATION_FILE,
    REFINER_FILE,
    ModelArtifacts,
    code_version,
    load_artifacts,
)
from openlookout.ml.scoring import SMOOTH_SIGMA
from openlookout.service.lookoutvision.results import read_labels

EDGE_CONFIG_FILE = "model.json"
REQUIREMENTS_FILE = "requirements.txt"
ZIP_FILE = "package.zip"
RUNNER_PACKAGE = "openlookout_edge"
FORMAT = "openlookout-edge"  # must match openlookout_edge/model.py
FORMAT_VERSION = 1
CONFIDENCE_RULE = (
    "IsAnomalous = score > threshold; Confidence = 0.5 + 0.5 * tanh(|score - threshold| / scale)"
)


@dataclass(frozen=True)
class PackageSource:
    """Which model a package comes from (recorded in ``model.json``)."""

    project_name: str
    model_version: int
    model_arn: str
    target: dict[str, Any] = field(default_factory=dict)  # TargetDevice / TargetPlatform / CompilerOptions


def edge_config(
    artifacts: ModelArtifacts, classes: list[dict[str, str]], source: PackageSource
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_type": artifacts.model_type,
        "image_size": list(artifacts.image_size),
        "working_size": list(artifacts.working_size),
        "graph": {
            "file": ONNX_FILE,
            "input": INPUT_NAME,
            "features": FEATURES_NAME,
            "distances": DISTANCES_NAME,
        },
        "scoring": {"smooth_sigma": SMOOTH_SIGMA, "border_cells": artifacts.border_cells},
        "calibration": {
            "threshold": artifacts.calibration.threshold,
            "scale": artifacts.calibration.scale,
            "rule": artifacts.calibration.rule,
            "confidence_rule": CONFIDENCE_RULE,
        },
        "classes": classes,
        "source": {
            "project_name": source.project_name,
            "model_version": source.model_version,
            "model_arn": source.model_arn,
            "code_version": code_version(),
            "target": source.target,
        },
    }
    if artifacts.normalizer is not None:
        config["scoring"]["normalization_file"] = NORMALIZATION_FILE
    if artifacts.segmentation is not None:
        config["segmentation"] = {
            "file": CLASSIFIER_FILE,
            "pixel_threshold": artifacts.segmentation.pixel_threshold,
        }
        if artifacts.segmentation.refiner is not None:
            config["segmentation"]["refiner_file"] = REFINER_FILE
    return config


def _copy_runner(out_dir: Path) -> None:
    target = out_dir / RUNNER_PACKAGE
    target.mkdir(parents=True, exist_ok=True)
    for relative in runner_files():
        shutil.copyfile(RUNNER_DIR / relative, target / relative)


def _zip(out_dir: Path, files: list[Path]) -> Path:
    path = out_dir / ZIP_FILE
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in files:
            archive.write(out_dir / relative, relative.as_posix())
    return path


def build_package(
    model_dir: Path, out_dir: Path, source: PackageSource, component: ComponentInfo
) -> list[Path]:
    """Write the package into ``out_dir``; returns its files relative to ``out_dir``, sorted."""
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    artifacts = load_artifacts(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    export_graph(artifacts, out_dir / ONNX_FILE)
    classes = [{"name": label.name, "color": label.color} for label in read_labels(model_dir)]
    config = edge_config(artifacts, classes, source)
    (out_dir / EDGE_CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True))
    for optional in (CLASSIFIER_FILE, NORMALIZATION_FILE, REFINER_FILE):
        if (model_dir / optional).is_file():
            shutil.copyfile(model_dir / optional, out_dir / optional)
    (out_dir / REQUIREMENTS_FILE).write_text("\n".join(REQUIREMENTS) + "\n")
    _copy_runner(out_dir)
    payload = sorted(p.relative_to(out_dir) for p in out_dir.rglob("*") if p.is_file())
    _zip(out_dir, payload)
    recipe = greengrass_recipe(component)
    (out_dir / RECIPE_FILE).write_text(json.dumps(recipe, indent=2))
    return sorted(p.relative_to(out_dir) for p in out_dir.rglob("*") if p.is_file())
