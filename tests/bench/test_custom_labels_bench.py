"""Custom Labels bench helpers: NEU-DET reading and split, manifests, scores, the table.

No server, no training: a generated NEU-like folder stands in for the dataset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from bench.custom_labels_data import (
    class_names,
    classification_line,
    coco_ground_truth,
    detection_line,
    manifest_text,
    neu_items,
    split_items,
)
from bench.custom_labels_metrics import (
    classification_metrics,
    coco_results,
    ours_detections,
    ours_label_scores,
    top_labels,
)
from bench.custom_labels_report import Row, render_table
from bench.custom_labels_server import WORKER_MODULE, WorkerMemoryWatch
from bench.peer_yolo import yolo_label_lines
from PIL import Image

from openlookout.manifests.custom_labels import detection_truth, validate_line

VOC = """<annotation><filename>{filename}</filename>
<size><width>200</width><height>100</height><depth>1</depth></size>{objects}</annotation>"""
OBJECT = (
    "<object><name>{}</name><bndbox><xmin>{}</xmin><ymin>{}</ymin>"
    "<xmax>{}</xmax><ymax>{}</ymax></bndbox></object>"
)


def make_neu(root: Path, classes: tuple[str, ...] = ("rolled-in_scale", "crazing"), count: int = 10) -> Path:
    """A NEU-DET-shaped folder: images/<class>/<class>_<n>.jpg and annotations/<class>_<n>.xml."""
    (root / "annotations").mkdir(parents=True)
    for label in classes:
        (root / "images" / label).mkdir(parents=True)
        for n in range(1, count + 1):
            Image.new("RGB", (200, 100), (n * 20, 0, 0)).save(root / "images" / label / f"{label}_{n}.jpg")
            boxes = [OBJECT.format(label, 10, 20, 60, 90)] + (
                [OBJECT.format(label, 100, 5, 190, 50)] if n % 2 else []
            )
            # Like 174 real files: a <filename> tag that names another image.
            xml = VOC.format(filename=f"other_{n}.jpg", objects="".join(boxes))
            (root / "annotations" / f"{label}_{n}.xml").write_text(xml)
    return root


def test_items_pair_xml_by_basename_and_split_every_fifth_image(tmp_path: Path) -> None:
    items = neu_items(make_neu(tmp_path / "neu"))
    assert len(items) == 20 and class_names(items) == ["crazing", "rolled-in_scale"]
    first = items[0]
    assert (first.name, first.label, first.width, first.height) == ("crazing_1", "crazing", 200, 100)
    assert [(b.label, b.xmin, b.ymin, b.width, b.height) for b in first.boxes] == [
        ("crazing", 10, 20, 50, 70),
        ("crazing", 100, 5, 90, 45),
    ]
    train, test = split_items(items)
    assert sorted(i.name for i in test) == [
        "crazing_10",
        "crazing_5",
        "rolled-in_scale_10",
        "rolled-in_scale_5",
    ]
    assert len(train) == 16 and not {i.name for i in train} & {i.name for i in test}
    # "rolled-in_scale_7": the number is after the last underscore.
    assert next(i for i in items if i.name == "rolled-in_scale_7").number == 7


def test_manifest_lines_pass_openlookouts_own_validation(tmp_path: Path) -> None:
    items = neu_items(make_neu(tmp_path / "neu"))
    labels = class_names(items)
    item = next(i for i in items if i.name == "rolled-in_scale_3")
    ref = "s3://neu-det/images/rolled-in_scale/rolled-in_scale_3.jpg"
    text = manifest_text([classification_line(item, ref, labels), detection_line(item, ref, labels)])
    classification, detection = (validate_line(line, k) for k, line in enumerate(text.splitlines()))
    assert classification.is_valid and not classification.has_errors
    assert classification.labels == {"rolled-in_scale": 0}
    assert detection.is_valid and not detection.has_errors
    assert detection.labels == {"rolled-in_scale": 2}
    truth = detection_truth(json.loads(text.splitlines()[1]))
    assert truth.image_size == (200, 100)
    assert [(b.left, b.top, b.width, b.height) for b in truth.boxes] == [(10, 20, 50, 70), (100, 5, 90, 45)]


def test_classification_scores_use_the_top_label() -> None:
    scores = [{"a": 0.9, "b": 0.1}, {"a": 0.2, "b": 0.8}, {"a": 0.6, "b": 0.4}, {}]
    predicted = top_labels(scores)
    assert predicted == ["a", "b", "a", None]
    metrics = classification_metrics(["a", "b", "b", "b"], predicted)
    # a: tp 1, fp 1, fn 0 -> 2/3; b: tp 1, fp 0, fn 2 -> 2/4.
    assert metrics == pytest.approx({"accuracy": 0.5, "macro_f1": (2 / 3 + 0.5) / 2})
    with pytest.raises(ValueError):
        classification_metrics(["a"], [])


def test_our_answers_become_pixel_detections_and_coco_records(tmp_path: Path) -> None:
    item = neu_items(make_neu(tmp_path / "neu"))[0]  # 200 x 100
    answer = [
        {
            "Name": "crazing",
            "Confidence": 80.0,
            "Geometry": {"BoundingBox": {"Left": 0.1, "Top": 0.2, "Width": 0.5, "Height": 0.5}},
        },
        {"Name": "crazing", "Confidence": 50.0},  # an image-level label: no box
    ]
    assert ours_label_scores(answer) == {"crazing": 0.5}
    found = ours_detections(answer, item)
    assert found == [["crazing", 0.8, 20.0, 20.0, 100.0, 50.0]]
    records = coco_results([found, [["unknown", 0.9, 0, 0, 1, 1]]], ["crazing", "scratches"])
    assert records == [{"image_id": 0, "category_id": 1, "bbox": [20.0, 20.0, 100.0, 50.0], "score": 0.8}]


def test_coco_truth_and_yolo_labels_describe_the_same_boxes(tmp_path: Path) -> None:
    items = neu_items(make_neu(tmp_path / "neu"))
    labels = class_names(items)
    truth = coco_ground_truth(items[:2], labels)
    assert [c["name"] for c in truth["categories"]] == labels and truth["categories"][0]["id"] == 1
    assert [a["bbox"] for a in truth["annotations"] if a["image_id"] == 0] == [
        [10, 20, 50, 70],
        [100, 5, 90, 45],
    ]
    assert len({a["id"] for a in truth["annotations"]}) == len(truth["annotations"]) == 3
    record = {"width": 200, "height": 100, "boxes": [["rolled-in_scale", 10, 20, 60, 90]]}
    assert yolo_label_lines(record, labels) == "1 0.175000 0.550000 0.250000 0.700000\n"


def test_table_rows_and_ours_over_peer_ratios() -> None:
    ours = Row(
        "detection",
        "openlookout",
        "its own",
        "ok",
        {"map_50": 0.7, "map_50_95": 0.35, "train_s": 300.0, "peak_gib": 2.0},
    )
    peer = Row(
        "detection",
        "YOLOv8n scratch",
        "1x ours (300 s)",
        "ok",
        {"map_50": 0.35, "map_50_95": 0.14, "train_s": 310.0, "peak_gib": 1.0},
    )
    failed = Row("classification", "timm Lite0", "1x ours (60 s)", "timeout after 60 s", {"peak_gib": 0.5})
    table = render_table([ours, peer, failed])
    lines = table.splitlines()
    assert lines[2] == "| detection | openlookout | its own | 0.700 | 0.350 | 300 | 2.00 | ok |"
    assert (
        lines[4] == "| classification | timm Lite0 | 1x ours (60 s) | - | - | - | 0.50 | timeout after 60 s |"
    )
    assert lines[5] == "| detection | ours / YOLOv8n scratch | | 2.00x | 2.50x | 0.97x | 2.00x | |"
    assert len(lines) == 6  # no ratio for a task without a successful ours row


def test_memory_watch_finds_job_workers_started_from_another_thread() -> None:
    """The server starts job workers from its runner thread; the watch must still see them."""
    # 100 MiB touched, then idle: the module name makes it look like a job worker.
    code = "import time; b = bytearray(100 * 2**20); time.sleep(1.5)"
    started: list[subprocess.Popen[bytes]] = []
    with WorkerMemoryWatch(os.getpid()) as watch:
        thread = threading.Thread(
            target=lambda: started.append(subprocess.Popen([sys.executable, "-c", code, WORKER_MODULE]))
        )
        thread.start()
        thread.join()
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"])
        started[0].wait()
        time.sleep(0.1)
    other.wait()
    assert list(watch.peaks_kib) == [started[0].pid]  # not the process without the module name
    assert watch.peak_gib is not None and 0.09 < watch.peak_gib < 0.5


def test_per_label_ap_note_lists_each_detection_row() -> None:
    from bench.custom_labels import PER_LABEL, per_label_note

    rows = [
        Row(
            "detection",
            "openlookout",
            "its own",
            "ok",
            {"map_50": 0.6, f"{PER_LABEL}spot": 0.2, f"{PER_LABEL}crack": 0.85},
        ),
        Row("detection", "FCOS", "1x", "ok", {"map_50": 0.1, f"{PER_LABEL}crack": 0.1}),
        Row("classification", "timm", "1x", "ok", {"macro_f1": 1.0}),
    ]
    assert per_label_note(rows) == (
        "Per-label AP@0.5 (pycocotools): openlookout: crack 0.850, spot 0.200; FCOS: crack 0.100"
    )
    assert per_label_note(rows[2:]) is None
