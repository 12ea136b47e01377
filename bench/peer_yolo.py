"""Peer detector: ultralytics YOLOv8n trained from scratch (``.venv-bench``).

    python -m bench.peer_yolo SPEC_JSON OUT_DIR

No pretrained weights can be downloaded here, so the network is built from ultralytics'
own ``yolov8n.yaml`` and trained from random initialisation on the training images and
their VOC boxes, at ``imgsz`` 224 (the images are 200x200), on CPU, with ultralytics'
default augmentation and schedule. The budget is wall time: ultralytics' ``time`` argument
(hours) re-plans the number of epochs after the first one so the schedule ends on time.
Per-epoch validation is off (``val=False``); ultralytics still validates after the last
epoch, on a 60-image subset of the *training* images, so the test set never influences
training. Test images are predicted with ``conf=0.001`` and ultralytics' own NMS; the last
weights are used. Everything that would download (fonts for plots, AMP check, hub) is off.
Writes ``result.json``: ``train_s``, ``epochs``, and per test image
``[label, score, x, y, width, height]`` detections in pixels.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

IMAGE_SIZE = 224
MODEL_YAML = "yolov8n.yaml"
VALIDATION_IMAGES = 60
SEED = 0


def yolo_label_lines(record: dict, labels: list[str]) -> str:
    """YOLO txt rows: class, centre x, centre y, width, height as ratios of the image."""
    rows = []
    for label, xmin, ymin, xmax, ymax in record["boxes"]:
        w, h = record["width"], record["height"]
        cx, cy = (xmin + xmax) / 2 / w, (ymin + ymax) / 2 / h
        rows.append(
            f"{labels.index(label)} {cx:.6f} {cy:.6f} {(xmax - xmin) / w:.6f} {(ymax - ymin) / h:.6f}"
        )
    return "".join(row + "\n" for row in rows)


def write_dataset(root: Path, spec: dict) -> Path:
    """An ultralytics dataset folder (images/ and labels/ side by side) and its data.yaml."""
    labels = spec["labels"]
    validation = spec["train"][:: max(1, len(spec["train"]) // VALIDATION_IMAGES)][:VALIDATION_IMAGES]
    for split, records in (("train", spec["train"]), ("val", validation)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for record in records:
            shutil.copyfile(record["path"], root / "images" / split / f"{record['name']}.jpg")
            (root / "labels" / split / f"{record['name']}.txt").write_text(yolo_label_lines(record, labels))
    names = "".join(f"  {k}: {label}\n" for k, label in enumerate(labels))
    data_yaml = root / "data.yaml"
    data_yaml.write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n{names}")
    return data_yaml


def main() -> None:
    spec, out_dir = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]).resolve()
    # Before the import: ultralytics reads these when it loads.
    os.environ.update(
        YOLO_OFFLINE="1", YOLO_AUTOINSTALL="false", YOLO_CONFIG_DIR=str(out_dir / "yolo-config")
    )
    from ultralytics import YOLO

    labels: list[str] = spec["labels"]
    started = time.perf_counter()
    data_yaml = write_dataset(out_dir / "yolo-data", spec)
    model = YOLO(MODEL_YAML, task="detect")
    model.train(
        data=str(data_yaml),
        epochs=1000,  # an upper bound only: ``time`` re-plans the epochs to fit the budget
        time=float(spec["budget_s"]) / 3600.0,
        imgsz=IMAGE_SIZE,
        batch=16,
        workers=0,
        device="cpu",
        amp=False,
        plots=False,
        val=False,
        pretrained=False,
        seed=SEED,
        deterministic=True,
        cache="ram",
        project=str(out_dir / "runs"),
        name="train",
        exist_ok=True,
        verbose=False,
    )
    train_s = time.perf_counter() - started
    trainer = model.trainer
    epochs = int(trainer.epoch) + 1 if trainer is not None else None
    last = YOLO(str(out_dir / "runs" / "train" / "weights" / "last.pt"))
    detections = []
    for record in spec["test"]:
        result = last.predict(record["path"], conf=0.001, imgsz=IMAGE_SIZE, device="cpu", verbose=False)[0]
        found = []
        for (x1, y1, x2, y2), score, cls in zip(
            result.boxes.xyxy.tolist(), result.boxes.conf.tolist(), result.boxes.cls.tolist(), strict=True
        ):
            found.append([labels[int(cls)], float(score), x1, y1, x2 - x1, y2 - y1])
        detections.append(found)
    result = {"train_s": train_s, "epochs": epochs, "imgsz": IMAGE_SIZE, "detections": detections}
    (out_dir / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
