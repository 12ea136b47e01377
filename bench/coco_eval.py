"""COCO box mAP with pycocotools, for every system alike (``.venv-bench``).

    python -m bench.coco_eval TRUTH_JSON RESULTS_JSON OUT_JSON

TRUTH_JSON is a COCO detection document, RESULTS_JSON a list of COCO result records
(``image_id``, ``category_id``, ``bbox`` [x, y, w, h] pixels, ``score``). Writes
``{"map_50": ..., "map_50_95": ..., "per_class_ap50": {...}, "detections": n}``. COCOeval
keeps each image's 100 highest-scoring detections (its default ``maxDets``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np


def evaluate(truth: dict, results: list[dict]) -> dict:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if not results:  # loadRes refuses an empty list; nothing detected scores 0
        return {"map_50": 0.0, "map_50_95": 0.0, "per_class_ap50": {}, "detections": 0}
    with contextlib.redirect_stdout(io.StringIO()):
        coco_truth = COCO()
        coco_truth.dataset = truth
        coco_truth.createIndex()
        coco_results = coco_truth.loadRes(results)
        evaluator = COCOeval(coco_truth, coco_results, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    # precision: [iou thresholds, recall points, categories, area ranges, max dets]; -1 = no truth.
    precision = evaluator.eval["precision"][0, :, :, 0, -1]
    per_class = {}
    for index, category in enumerate(evaluator.params.catIds):
        values = precision[:, index]
        values = values[values > -1]
        name = coco_truth.cats[category]["name"]
        per_class[name] = float(values.mean()) if values.size else float("nan")
    return {
        "map_50_95": float(evaluator.stats[0]),
        "map_50": float(evaluator.stats[1]),
        "per_class_ap50": per_class,
        "detections": len(results),
    }


def main() -> None:
    truth_path, results_path, out_path = (Path(arg) for arg in sys.argv[1:4])
    scores = evaluate(json.loads(truth_path.read_text()), json.loads(results_path.read_text()))
    out_path.write_text(json.dumps(scores, indent=2))
    print(json.dumps({k: v for k, v in scores.items() if k != "per_class_ap50"}))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
