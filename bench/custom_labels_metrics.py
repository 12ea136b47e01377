"""Scores for the Custom Labels benchmark, the same code for every system.

Classification: each system gives, per test image, a score per label; its prediction is the
top label. Detection: per test image a list of ``[label, score, x, y, width, height]`` in
pixels, turned into COCO results for ``bench/coco_eval.py`` (pycocotools, ``.venv-bench``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench.custom_labels_data import NeuImage

Detection = list  # [label, score, x, y, width, height]


def top_labels(scores: Sequence[dict[str, float]]) -> list[str | None]:
    """The highest-scoring label of each image (ties: the first label by name); None if no score."""
    return [max(sorted(row), key=lambda label: row[label]) if row else None for row in scores]


def classification_metrics(truth: Sequence[str], predicted: Sequence[str | None]) -> dict[str, float]:
    """Accuracy and macro F1 over the labels of the ground truth."""
    if len(truth) != len(predicted) or not truth:
        raise ValueError(f"{len(truth)} truths for {len(predicted)} predictions")
    f1s = []
    for label in sorted(set(truth)):
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    return {"accuracy": accuracy, "macro_f1": sum(f1s) / len(f1s)}


def ours_label_scores(custom_labels: Sequence[dict]) -> dict[str, float]:
    """DetectCustomLabels' CustomLabels of a classification model -> label: score (0-1)."""
    return {c["Name"]: c["Confidence"] / 100.0 for c in custom_labels if "Geometry" not in c}


def ours_detections(custom_labels: Sequence[dict], item: NeuImage) -> list[Detection]:
    """DetectCustomLabels' boxes (ratios of the image) -> pixel detections."""
    found = []
    for label in custom_labels:
        box = label.get("Geometry", {}).get("BoundingBox")
        if box is None:
            continue
        found.append(
            [
                label["Name"],
                label["Confidence"] / 100.0,
                box["Left"] * item.width,
                box["Top"] * item.height,
                box["Width"] * item.width,
                box["Height"] * item.height,
            ]
        )
    return found


def coco_results(detections: Sequence[Sequence[Detection]], labels: Sequence[str]) -> list[dict]:
    """Detections per test image (in test order) -> COCO result records; unknown labels dropped."""
    return [
        {
            "image_id": image_id,
            "category_id": labels.index(label) + 1,
            "bbox": [float(x), float(y), float(w), float(h)],
            "score": float(score),
        }
        for image_id, found in enumerate(detections)
        for label, score, x, y, w, h in found
        if label in labels
    ]


def coco_map(python: Path, cwd: Path, truth: dict, results: list[dict], work_dir: Path) -> dict[str, float]:
    """mAP@0.5 and mAP@0.5:0.95 from ``bench/coco_eval.py`` run by ``python`` (``.venv-bench``)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    truth_path, results_path, out_path = (work_dir / n for n in ("truth.json", "results.json", "coco.json"))
    truth_path.write_text(json.dumps(truth))
    results_path.write_text(json.dumps(results))
    done = subprocess.run(
        [str(python), "-m", "bench.coco_eval", str(truth_path), str(results_path), str(out_path)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"coco_eval failed: {done.stderr[-2000:]}")
    return json.loads(out_path.read_text())
