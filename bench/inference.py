"""Inference benchmark: in-process model vs HTTP DetectAnomalies vs anomalib's inferencer.

    .venv/bin/python -m bench.inference [--seconds 20] [--clients 1,4,16] [--units 1,2]

Trains the cookie segmentation model through a real ``openlookout serve`` (boto3 with the
generated service model), hosts it with 1 and 2 inference units and drives DetectAnomalies
from 1, 4 and 16 client threads; then times the same model in-process (PyTorch and the
ONNX graph the CPU units serve) and anomalib 2.7 PatchCore through its TorchInferencer on
the same image bytes. Prints one markdown table and the acceptance ratios and writes them
to ``bench/results/inference.md``. See the "Inference" section of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import boto3

from bench.anomaly import machine_description
from bench.datasets import cookie_items, cookie_test_dir_items
from bench.inference_http import detect_call, run_clients
from bench.inference_server import (
    PROJECT,
    BenchServer,
    client,
    host,
    hosted_model_dir,
    train_segmentation_model,
    unhost,
    wait_ready,
    write_sdk_model,
)
from bench.inference_stats import (
    HTTP,
    Cell,
    acceptance_ratios,
    render_breakdown,
    render_ratios,
    render_table,
)
from bench.runner import DEFAULT_MEMORY_CAP_GIB, run_worker

REPO_ROOT = Path(__file__).resolve().parents[1]
COOKIES = REPO_ROOT.parent / "shared" / "datasets" / "lfv-cookies"
RESULTS = REPO_ROOT / "bench" / "results" / "inference.md"
OURS_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
PEER_PYTHON = REPO_ROOT / ".venv-bench" / "bin" / "python"
COOKIE_WORKING_SIZE = (288, 224)  # openlookout's working size for 576x768 images
HTTP_SYSTEM = f"openlookout server, boto3 {boto3.__version__}"
# See bench/README.md, "PatchCore and glibc's heap".
PEER_ENV = {"BENCH_CORESET_MMAP_THRESHOLD": str(2**20)}
# The CPU inference units serve the ONNX graph (export/hosted.py): the fair in-process baseline.
BASELINE_SYSTEM = "openlookout ONNX"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.inference", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cookies", type=Path, default=COOKIES, help="the lfv-cookies dataset folder")
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window per cell")
    parser.add_argument("--clients", default="1,4,16", help="concurrent HTTP clients per cell")
    parser.add_argument("--units", default="1,2", help="inference units (Min = Max) per HTTP cell")
    parser.add_argument(
        "--batch", type=int, default=8, help="images per call in the batched in-process cells"
    )
    parser.add_argument("--backends", default="onnx,pytorch", help="in-process backends: onnx, pytorch")
    parser.add_argument("--no-peer", action="store_true", help="skip anomalib")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per worker process")
    parser.add_argument("--memory-cap-gib", type=float, default=DEFAULT_MEMORY_CAP_GIB)
    parser.add_argument("--results", default=str(RESULTS), help="markdown file to write ('-': print only)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir and worker logs")
    return parser.parse_args(argv)


def bench_images(cookies: Path) -> list[str]:
    """The 22 ``test/`` images, then the 63 training images: the cycle every path runs over."""
    return [item.path for item in cookie_test_dir_items(cookies) + cookie_items(cookies)]


def http_cells(
    args: argparse.Namespace,
    work: Path,
    bodies: list[bytes],
    notes: list[str],
    while_one_unit: Callable[[dict, Path], None],
) -> tuple[list[Cell], Path]:
    """Train and host through a real server; (HTTP cells, copy of the hosted model folder).

    ``while_one_unit(server spec, model folder)`` runs after the 1-unit cells, while the
    server still hosts the model with one unit (the profile's interleaved HTTP calls).
    """
    server = BenchServer(work / "data")
    server.start()
    cells: list[Cell] = []
    model_copy = work / "model"
    try:
        sdk_dir = write_sdk_model(work / "sdk-model")
        lv, s3 = client(server, sdk_dir, "lookoutvision"), client(server, sdk_dir, "s3")
        wait_ready(server, lv)
        version, train_s = train_segmentation_model(lv, s3, args.cookies)
        notes.append(
            f"Segmentation model trained through the API (CreateModel to TRAINED) in {train_s:.0f} s"
        )
        for units in [int(u) for u in args.units.split(",")]:
            host(lv, version, units)
            if not model_copy.exists():
                shutil.copytree(hosted_model_dir(server), model_copy)
            for clients in [int(c) for c in args.clients.split(",")]:
                cell = run_clients(
                    lambda: detect_call(client(server, sdk_dir, "lookoutvision"), PROJECT, version),
                    bodies,
                    clients,
                    args.seconds,
                    HTTP_SYSTEM,
                    units,
                )
                print(
                    f"HTTP {clients} clients, {units} units: {cell.images_per_s or 0:.1f} images/s",
                    flush=True,
                )
                cells.append(cell)
                server.check_alive()
            if units == 1:
                while_one_unit(server_spec(server, sdk_dir, version), model_copy)
                server.check_alive()
            unhost(lv, version)
    finally:
        server.stop()
    return cells, model_copy


def server_spec(server: BenchServer, sdk_dir: Path, version: str) -> dict:
    """What the profile worker needs to call the running server (bench/inference_profile.py)."""
    return {
        "data_dir": str(server.data_dir),
        "port": server.port,
        "access_key": server.access_key,
        "secret_key": server.secret_key,
        "sdk_dir": str(sdk_dir),
        "project": PROJECT,
        "version": version,
    }


def worker_cells(
    command: list[str], spec: dict, out_dir: Path, args: argparse.Namespace, env: dict | None
) -> list[Cell]:
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path = out_dir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    run = run_worker(
        [*command, str(spec_path), str(out_dir)], REPO_ROOT, out_dir, args.timeout, env, args.memory_cap_gib
    )
    if run.result is None:
        print(f"{command[-1]}: {run.status} (log {run.log_path})", flush=True)
        return [Cell(path="worker", system=command[-1], clients=1, units=None, batch=1, status=run.status)]
    cells = [Cell.from_json(cell) for cell in run.result["cells"]]
    print(f"{command[-1]}: peak RAM {run.peak_rss_mb:.0f} MiB", flush=True)
    return cells


def profile_stages(spec: dict, out_dir: Path, args: argparse.Namespace) -> dict[str, float] | None:
    """p50 per stage of one request (bench/inference_profile.py), or None if the worker failed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path = out_dir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    command = [str(OURS_PYTHON), "-m", "bench.inference_profile", str(spec_path), str(out_dir)]
    run = run_worker(command, REPO_ROOT, out_dir, args.timeout, None, args.memory_cap_gib)
    if run.result is None:
        print(f"bench.inference_profile: {run.status} (log {run.log_path})", flush=True)
        return None
    return run.result["p50_ms"]  # type: ignore[no-any-return]


def breakdown_markdown(cells: list[Cell], stages: dict[str, float] | None) -> str:
    if stages is None:
        return "Stage breakdown: the profile worker failed (see the log printed above)."
    one = [c for c in cells if (c.path, c.clients, c.units) == (HTTP, 1, 1) and c.status == "ok"]
    return render_breakdown(stages, one[0].p50_ms if one else None)


def results_markdown(
    table: str, ratios: str, command: str, started: datetime.datetime, notes: list[str]
) -> str:
    lines = [
        "# Inference benchmark results",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine_description()}",
        f"- Command: `{command}`",
        *(f"- {note}" for note in notes),
        "",
        table,
        "",
        "Acceptance ratios:",
        "",
        ratios,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not (args.cookies / "manifests" / "train_segmentation.manifest").is_file():
        raise SystemExit(f"cookie dataset not found at {args.cookies} (shared/ must sit beside the repo)")
    started = datetime.datetime.now(datetime.UTC)
    images = bench_images(args.cookies)
    bodies = [Path(path).read_bytes() for path in images]
    notes = [
        f"Images: the {len(images)} cookie JPEGs (test/ then train/), 576x768, cycled in order by every path"
    ]
    load_at_start, clock = os.getloadavg()[0], time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="openlookout-inference-bench-"))
    breakdown: dict[str, float] | None = None
    spec = {
        "model_dir": str(work / "model"),
        "images": images,
        "seconds": args.seconds,
        "batch": args.batch,
        "backends": args.backends.split(","),
    }
    profiled = False

    def profile_with_server(server: dict, model_dir: Path) -> None:
        nonlocal breakdown, profiled
        breakdown = profile_stages(
            {**spec, "model_dir": str(model_dir), "server": server}, work / "profile", args
        )
        profiled = True

    try:
        cells, model_dir = http_cells(args, work, bodies, notes, profile_with_server)
        spec["model_dir"] = str(model_dir)
        cells += worker_cells(
            [str(OURS_PYTHON), "-m", "bench.inference_inprocess"], spec, work / "ours", args, None
        )
        if not profiled:  # no 1-unit cell: the stages without the interleaved HTTP call
            breakdown = profile_stages(spec, work / "profile", args)
        if not args.no_peer:
            peer_spec = {
                "train": [asdict(item) for item in cookie_items(args.cookies)],
                "images": images,
                "seconds": args.seconds,
                "batch": args.batch,
                "size_hw": list(COOKIE_WORKING_SIZE),
                "export_dir": str(work / "peer-export"),
            }
            cells += worker_cells(
                [str(PEER_PYTHON), "-m", "bench.inference_peer"], peer_spec, work / "peer", args, PEER_ENV
            )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    table = render_table(cells)
    ratios = render_ratios(acceptance_ratios(cells, HTTP_SYSTEM, BASELINE_SYSTEM, breakdown))
    ratios += "\n\nWhere one request's time goes (interleaved per image, `bench/inference_profile.py`):\n\n"
    ratios += breakdown_markdown(cells, breakdown)
    given = argv if argv is not None else sys.argv[1:]
    command = shlex.join([".venv/bin/python", "-m", "bench.inference", *given])
    took_s = time.perf_counter() - clock
    notes.append(f"Measuring window per cell: {args.seconds:.0f} s; the whole run took {took_s:.0f} s")
    notes.append(
        f"Load average (1 min) {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: "
        "the machine is shared, and other work running at the same time slows every cell"
    )
    markdown = results_markdown(table, ratios, command, started, notes)
    print(markdown)
    if args.results != "-":
        Path(args.results).parent.mkdir(parents=True, exist_ok=True)
        Path(args.results).write_text(markdown)


if __name__ == "__main__":
    main()
