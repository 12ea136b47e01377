"""Benchmark: openlookout's Custom Labels (through its API) vs open peers on NEU-DET.

    .venv/bin/python -m bench.custom_labels [--tasks classification,detection] [--systems ...]

Fixed split: ``<class>_<n>.jpg`` is TEST iff ``n % 5 == 0`` (1440 train / 360 test).
openlookout is driven through a real ``openlookout serve`` with boto3 (S3 uploads, Ground
Truth manifests, CreateProjectVersion, DetectCustomLabels with MinConfidence=0); the peers
(timm Lite0 fine-tuning for classification; for detection torchvision FCOS on the same
ImageNet Lite0 weights, and ultralytics YOLOv8n from scratch) run in ``.venv-bench``
subprocesses with a wall-time budget derived from our
measured training time. Every system's predictions are scored by the same code: accuracy
and macro F1 here, COCO mAP by pycocotools (``bench/coco_eval.py``). Writes
``bench/results/custom_labels.md``. See the "Custom Labels" section of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.custom_labels_data import (
    NeuImage,
    VocBox,
    class_names,
    coco_ground_truth,
    item_record,
    neu_items,
    split_items,
)
from bench.custom_labels_metrics import (
    classification_metrics,
    coco_map,
    coco_results,
    ours_detections,
    ours_label_scores,
    top_labels,
)
from bench.custom_labels_report import OURS, Row, render_table
from bench.runner import DEFAULT_MEMORY_CAP_GIB, run_worker

REPO_ROOT = Path(__file__).resolve().parents[1]
NEU_DET = REPO_ROOT.parent / "shared" / "datasets" / "neu-det"
CACHE_DIR = REPO_ROOT / "bench" / ".cache" / "custom-labels"
PEER_PYTHON = REPO_ROOT / ".venv-bench" / "bin" / "python"
RESULTS = REPO_ROOT / "bench" / "results" / "custom_labels.md"
TASKS = ("classification", "detection")
PER_LABEL = "ap50:"  # Row.values keys of per-label AP@0.5 (not table columns)
DATASETS = ("neu-det", "thin")
THIN_SIZE = 200  # bench/thin_defects.py draws on 200x200 images
# A peer that fine-tunes for at most this many epochs even when its time budget allows more.
TIMM_MAX_EPOCHS = 10


@dataclass(frozen=True)
class Peer:
    task: str
    name: str  # as shown in the table
    module: str
    budget_factor: float  # training wall-time budget = factor x ours


PEERS = {
    "timm-cls": Peer("classification", "timm Lite0 fine-tune", "bench.peer_timm_cls", 1.0),
    "timm-cls-3x": Peer("classification", "timm Lite0 fine-tune (3x)", "bench.peer_timm_cls", 3.0),
    "yolo": Peer("detection", "YOLOv8n scratch", "bench.peer_yolo", 1.0),
    "yolo-3x": Peer("detection", "YOLOv8n scratch (3x)", "bench.peer_yolo", 3.0),
    "fcos": Peer("detection", "FCOS Lite0 ImageNet", "bench.peer_fcos", 1.0),
    "fcos-3x": Peer("detection", "FCOS Lite0 ImageNet (3x)", "bench.peer_fcos", 3.0),
}
SYSTEMS = ("ours", *PEERS)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_dataset(root: Path) -> tuple[list[NeuImage], list[NeuImage], list[str]]:
    if not (root / "images").is_dir():
        raise SystemExit(f"NEU-DET not found at {root} (shared/ must sit beside the repo); skipping")
    items = neu_items(root)
    train, test = split_items(items)
    return train, test, class_names(items)


def load_thin_defects(seed: int) -> tuple[list[NeuImage], list[NeuImage], list[str]]:
    """The generated small/thin-defect set (``bench/thin_defects.py``), rebuilt when missing."""
    from bench.thin_defects import BOXES_FILE, LABELS, build

    folder = CACHE_DIR / f"thin-defects-seed{seed}"
    if not (folder / BOXES_FILE).exists():
        if not (NEU_DET / "images").is_dir():
            raise SystemExit(f"NEU-DET (the backgrounds) not found at {NEU_DET}; skipping")
        log(f"[bench] building the thin-defect set in {folder} ...")
        build(folder, NEU_DET, seed)
    items = [
        NeuImage(
            r["name"],
            "thin",
            folder / f"{r['name']}.png",
            THIN_SIZE,
            THIN_SIZE,
            tuple(VocBox(label, *corners) for label, *corners in r["boxes"]),
        )
        for r in json.loads((folder / BOXES_FILE).read_text())
    ]
    train, test = split_items(items)
    return train, test, list(LABELS)


def score_classification(test: Sequence[NeuImage], scores: Sequence[dict[str, float]]) -> dict[str, float]:
    return classification_metrics([item.label for item in test], top_labels(scores))


def score_detection(
    test: Sequence[NeuImage], labels: list[str], detections: Sequence[list], work_dir: Path
) -> dict[str, float]:
    scores = coco_map(
        PEER_PYTHON, REPO_ROOT, coco_ground_truth(test, labels), coco_results(detections, labels), work_dir
    )
    per_label = {f"{PER_LABEL}{name}": ap for name, ap in scores.get("per_class_ap50", {}).items()}
    return {"map_50": scores["map_50"], "map_50_95": scores["map_50_95"], **per_label}


def per_label_note(rows: Sequence[Row]) -> str | None:
    """Per-label AP@0.5 of every detection row (pycocotools), for the results file."""
    parts = []
    for row in rows:
        aps = {k.removeprefix(PER_LABEL): v for k, v in row.values.items() if k.startswith(PER_LABEL)}
        if aps:
            parts.append(f"{row.system}: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(aps.items())))
    return "Per-label AP@0.5 (pycocotools): " + "; ".join(parts) if parts else None


def run_ours_task(
    task: str,
    train: list[NeuImage],
    test: list[NeuImage],
    labels: list[str],
    run_dir: Path,
    timeout_s: float,
) -> tuple[Row, str | None]:
    """Our row for ``task`` (its own server) and a note on our own evaluation for the record."""
    from bench.custom_labels_ours import run_ours
    from bench.custom_labels_server import BenchServer

    log(f"[bench] {task}: {OURS} ...")
    try:
        with BenchServer(run_dir / f"server-{task}" / "data") as server:
            run = run_ours(server, task, train, test, labels, timeout_s, log)
    except Exception as error:  # the task's row keeps the failure
        return Row(task, OURS, "-", f"crashed: {type(error).__name__}: {error}"[:200]), None
    (run_dir / f"ours-{task}.json").write_text(
        json.dumps({"summary": run.summary, "predictions": run.predictions})
    )
    row = Row(task, OURS, "its own", run.status, {"train_s": run.train_s, "peak_gib": run.peak_gib})
    note = None
    if run.status == "ok":
        if task == "classification":
            row.values |= score_classification(test, [ours_label_scores(p) for p in run.predictions])
        else:
            found = [ours_detections(p, item) for p, item in zip(run.predictions, test, strict=True)]
            row.values |= score_detection(test, labels, found, run_dir / "coco-ours")
        note = own_evaluation_note(task, run.f1_score, run.summary, run.detect_s, len(test))
    row.values["load_1min"] = os.getloadavg()[0]
    log(f"[bench]   {run.status}, {row.values}")
    return row, note


def own_evaluation_note(
    task: str, f1: float | None, summary: dict | None, detect_s: float | None, count: int
) -> str:
    aggregated = (summary or {}).get("AggregatedEvaluationResults", {})
    extra = (
        f", AveragePrecision {aggregated['AveragePrecision']:.3f}" if "AveragePrecision" in aggregated else ""
    )
    speed = f"; {count} DetectCustomLabels calls took {detect_s:.0f} s" if detect_s else ""
    return f"openlookout {task}: its own evaluation summary says F1 {f1 or 0:.3f}{extra}{speed}"


def run_peer(
    key: str,
    train: list[NeuImage],
    test: list[NeuImage],
    labels: list[str],
    budget_s: float,
    run_dir: Path,
    timeout_s: float,
    memory_cap_gib: float,
) -> Row:
    peer = PEERS[key]
    out_dir = run_dir / key
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "labels": labels,
        "train": [item_record(item) for item in train],
        "test": [item_record(item) for item in test],
        "budget_s": budget_s,
        "epochs": TIMM_MAX_EPOCHS,
    }
    (out_dir / "spec.json").write_text(json.dumps(spec))
    log(f"[bench] {peer.task}: {peer.name}, budget {budget_s:.0f} s ...")
    command = [str(PEER_PYTHON), "-m", peer.module, str(out_dir / "spec.json"), str(out_dir)]
    run = run_worker(command, REPO_ROOT, out_dir, timeout_s, memory_cap_gib=memory_cap_gib)
    peak = None if run.peak_rss_mb is None else run.peak_rss_mb / 1024.0
    budget = f"{peer.budget_factor:g}x ours ({budget_s:.0f} s)"
    row = Row(peer.task, peer.name, budget, run.status, {"peak_gib": peak})
    if run.result is not None:
        row.values["train_s"] = run.result["train_s"]
        if run.result.get("epochs") is not None:
            row.budget += f", {run.result['epochs']:.1f} epochs"
        if peer.task == "classification":
            row.values |= score_classification(test, run.result["scores"])
        else:
            row.values |= score_detection(test, labels, run.result["detections"], out_dir / "coco")
    row.values["load_1min"] = os.getloadavg()[0]
    log(f"[bench]   {run.status} in {run.wall_s:.0f} s (log {run.log_path}), {row.values}")
    return row


SPLITS = {
    "neu-det": "`<class>_<n>.jpg` is TEST iff n % 5 == 0: 1440 train / 360 test (240 / 60 per class)",
    "thin": "`thin_<n>.png` is TEST iff n % 5 == 0: 400 train / 100 test (generated, bench/thin_defects.py)",
}
TITLES = {"neu-det": "NEU-DET", "thin": "generated small/thin defects on NEU-DET textures"}


def results_markdown(
    table: str,
    command: str,
    started: datetime.datetime,
    took_s: float,
    notes: list[str],
    dataset: str = "neu-det",
) -> str:
    from bench.anomaly import machine_description

    return "\n".join(
        [
            f"# Custom Labels benchmark: {TITLES[dataset]}",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M} UTC; the whole run took {took_s / 60:.0f} min",
            f"- Machine: {machine_description()}, shared with other engineers' builds and tests during",
            "  the run: wall times are noisy and longer than on an idle machine",
            f"- Command: `{command}`",
            f"- Split: {SPLITS[dataset]}",
            *(f"- {note}" for note in notes),
            "",
            table,
            "",
            "Ratios are ours / peer (above 1: ours is higher, which is better for the quality columns",
            "and worse for train s and RAM). Train s: ours from CreateProjectVersion to",
            "TRAINING_COMPLETED as seen by a client polling every 0.5 s; peers inside their worker",
            "(data loading, model build and training). Peak RAM: ours is the training job worker's",
            "peak RSS (the server itself is not counted); peers the worker process's peak RSS.",
            "Setup of every system: `bench/README.md`, section Custom Labels.",
            "",
        ]
    )


def load_note(rows: Sequence[Row]) -> str:
    """The machine's 1-minute load average when each system finished (2 cores: 2.0 is full)."""
    loads = [f"{r.system} {r.task} {r.values['load_1min']:.1f}" for r in rows if "load_1min" in r.values]
    return "Load average (1 min) as each system finished: " + ", ".join(loads)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"any of {','.join(SYSTEMS)}")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per system and task")
    parser.add_argument(
        "--peer-budget-s",
        type=float,
        default=None,
        help="peers' 1x budget when ours does not run (default: ours)",
    )
    parser.add_argument(
        "--memory-cap-gib", type=float, default=DEFAULT_MEMORY_CAP_GIB, help="RLIMIT_DATA of peers"
    )
    parser.add_argument(
        "--every", type=int, default=1, help="use every k-th train and test image (smoke runs)"
    )
    parser.add_argument("--results", default=str(RESULTS), help="'-' to only print")
    parser.add_argument(
        "--dataset",
        default="neu-det",
        choices=DATASETS,
        help="thin: the generated small/thin-defect set (detection only; bench/thin_defects.py)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated thin-defect set")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started, clock = datetime.datetime.now(datetime.UTC), time.perf_counter()
    tasks = [t for t in args.tasks.split(",") if t]
    systems = [s for s in args.systems.split(",") if s]
    if unknown := (set(tasks) - set(TASKS)) | (set(systems) - set(SYSTEMS)):
        raise SystemExit(f"unknown tasks or systems: {sorted(unknown)}")
    needs_peer_venv = "detection" in tasks or any(PEERS[s].task in tasks for s in systems if s in PEERS)
    if needs_peer_venv and not PEER_PYTHON.exists():
        raise SystemExit(f"{PEER_PYTHON} missing: run bench/setup_peer.sh first")
    if args.dataset == "thin":
        if tasks != ["detection"]:
            raise SystemExit("the thin-defect set has boxes only: use --tasks detection")
        train, test, labels = load_thin_defects(args.seed)
    else:
        train, test, labels = load_dataset(NEU_DET)
    train, test = train[:: args.every], test[:: args.every]
    # A killed driver must still stop the server and its workers (the `with` block).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run_dir = CACHE_DIR / f"{started:%Y%m%dT%H%M%S}"
    run_dir.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    notes: list[str] = []
    command = shlex.join([".venv/bin/python", "-m", "bench.custom_labels", *(argv or sys.argv[1:])])

    def publish(done: bool) -> None:
        """Print and write the table so far: a run cut short still leaves its finished rows."""
        table = render_table(sorted(rows, key=lambda row: (TASKS.index(row.task), row.system != OURS)))
        if done:
            print(table)
        if args.results == "-":
            return
        extra = [
            *([note] if (note := per_label_note(rows)) else []),
            load_note(rows),
            f"Time limit {args.timeout:.0f} s per system and task; raw outputs in "
            f"`{run_dir.relative_to(REPO_ROOT)}`",
        ]
        if not done:
            extra.append("PARTIAL: the run was still going when this was written")
        text = results_markdown(
            table, command, started, time.perf_counter() - clock, [*notes, *extra], args.dataset
        )
        Path(args.results).parent.mkdir(parents=True, exist_ok=True)
        Path(args.results).write_text(text)

    for task in tasks:
        budget = args.peer_budget_s
        if "ours" in systems:
            row, note = run_ours_task(task, train, test, labels, run_dir, args.timeout)
            rows.append(row)
            notes += [note] if note else []
            if row.status == "ok":
                budget = row.values["train_s"]
            publish(done=False)
        for key in (s for s in systems if s in PEERS and PEERS[s].task == task):
            peer = PEERS[key]
            if budget is None:
                rows.append(
                    Row(task, peer.name, "-", "not run: no budget (ours failed; see --peer-budget-s)")
                )
                continue
            factor = peer.budget_factor
            rows.append(
                run_peer(
                    key, train, test, labels, budget * factor, run_dir, args.timeout, args.memory_cap_gib
                )
            )
            publish(done=False)
    publish(done=True)


if __name__ == "__main__":
    main()
