"""One in-process NEU-DET detection candidate: mAP, per-label AP, process CPU seconds, wall seconds.

Trains ``train_detection_model`` on the bench's fixed split (``custom_labels_data``) with the
given ``TrainingSettings`` fields, and appends one JSON line to ``--results``. The CPU
seconds (user + system of this process) are the budget measure on a shared machine.

    PYTHONPATH=$PWD/src .venv/bin/python -m bench.custom_labels_candidates --tag zoom \
        --set zoom_probability=0.5 [--size 288] [--dataset thin]

``--dataset thin`` trains on the generated small/thin-defect set of ``bench.custom_labels``
(rebuilt into the bench cache when missing) instead of NEU-DET.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.custom_labels_data import NeuImage, neu_items, split_items
from openlookout.ml.detection.model import train_detection_model
from openlookout.ml.detection.training import TrainingSettings
from openlookout.ml.detection.types import Box, DetectionExample

NEU_ROOT = Path("/work/shared/datasets/neu-det")


def _example(item: NeuImage) -> DetectionExample:
    image = np.asarray(Image.open(item.path).convert("RGB"))
    w, h = item.width, item.height
    boxes = [(b.label, Box(b.xmin / w, b.ymin / h, b.width / w, b.height / h)) for b in item.boxes]
    # The source-ref picks the validation split (its SHA-256): keep it fixed so runs compare.
    return DetectionExample(f"s3://b/{item.label}/{item.path.name}", lambda: image, boxes)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tag", required=True)
    parser.add_argument("--root", type=Path, default=NEU_ROOT)
    parser.add_argument("--dataset", choices=("neu-det", "thin"), default="neu-det")
    parser.add_argument("--size", type=int, default=0, help="working size (default: the rule's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], help="TrainingSettings field=JSON value")
    parser.add_argument("--results", type=Path, default=Path("/tmp/det/results.jsonl"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.dataset == "thin":
        from bench.custom_labels import load_thin_defects

        train_items, test_items, _ = load_thin_defects(seed=0)
    else:
        train_items, test_items = split_items(neu_items(args.root))
    train, test = [_example(i) for i in train_items], [_example(i) for i in test_items]
    overrides = {key: json.loads(value) for key, value in (s.split("=", 1) for s in args.set)}
    cpu, started = _cpu_seconds(), time.monotonic()
    result = train_detection_model(
        train,
        test,
        args.results.parent / f"model_{args.tag}",
        device="cpu",
        settings=TrainingSettings(**overrides),
        work_size=(args.size, args.size) if args.size else None,
    )
    evaluation = result.evaluation
    record = {
        "tag": args.tag,
        "dataset": args.dataset,
        "settings": overrides,
        "map50": round(evaluation.map_50, 3),
        "map5095": round(evaluation.map_50_95, 3),
        "f1": round(evaluation.f1, 3),
        "per_label": {m.label: round(m.average_precision, 3) for m in evaluation.labels},
        "cpu_s": round(_cpu_seconds() - cpu),
        "wall_s": round(time.monotonic() - started),
        "load1": Path("/proc/loadavg").read_text().split()[0],
        "extra": result.extra,
    }
    print(json.dumps(record))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    with args.results.open("a") as out:
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
