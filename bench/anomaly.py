"""Benchmark: openlookout's anomaly engine vs anomalib 2.7 PatchCore and PaDiM, one run.

    .venv/bin/python -m bench.anomaly [--scales 100,1000] [--systems ours,patchcore,padim]

Every system trains and predicts in its own subprocess (ours in ``.venv``, the peer in
``.venv-bench``, made by ``bench/setup_peer.sh``) on the same images, with the same
EfficientNet-Lite0 ImageNet weights; this process measures wall time and peak RAM from
outside and scores every system's raw outputs with the same metric code. The table is
printed and written to ``bench/results/anomaly.md``. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

from bench.datasets import (
    cookie_items,
    cookie_test_dir_items,
    make_spec,
    split_items,
    synthetic_items,
)
from bench.datasets_hard import (
    TEXTURE_SIZE,
    elpv_root,
    elpv_split,
    module_split,
    textured_split,
    without_masks,
)
from bench.report import Row, render_table
from bench.runner import DEFAULT_MEMORY_CAP_GIB, run_worker
from bench.scoring import score_outputs
from openlookout.ml.imaging import working_size

REPO_ROOT = Path(__file__).resolve().parents[1]
COOKIES = REPO_ROOT.parent / "shared" / "datasets" / "lfv-cookies"
NEU_DET = REPO_ROOT.parent / "shared" / "datasets" / "neu-det"
CACHE_DIR = REPO_ROOT / "bench" / ".cache"
# The peers' working size on the 900-px modules (the spec's eval_size): twice the default.
MODULE_EVAL_SIZE = (448, 448)
OURS_PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
PEER_PYTHON = REPO_ROOT / ".venv-bench" / "bin" / "python"
COOKIE_SIZE_HW = (768, 576)
SYSTEM_NAMES = {
    "ours": "openlookout",
    "ours-v1": "openlookout v1",
    "ours-prev": "openlookout 0.1 (session 3)",
    "patchcore": "anomalib PatchCore *",
    "patchcore-1pct": "anomalib PatchCore 1 % *",
    "patchcore-default-malloc": "anomalib PatchCore",
    "padim": "anomalib PaDiM",
}
# anomalib's k-center-greedy coreset allocates an (n, d) temporary per selected point; with
# glibc's default (dynamic) mmap threshold those blocks come from the heap and the process
# grows by about one block per iteration (tens of GiB on the cookies), an allocator effect,
# not a leak. "patchcore" lowers the threshold for the coreset step only (peer_anomalib.py);
# "patchcore-default-malloc" runs anomalib exactly as installed.
SYSTEM_ENV = {
    "patchcore": {"BENCH_CORESET_MMAP_THRESHOLD": str(2**20)},
    "patchcore-1pct": {"BENCH_CORESET_MMAP_THRESHOLD": str(2**20), "BENCH_CORESET_RATIO": "0.01"},
}
# "ours-v1": the engine as first released (end of session 1), for the speed-up the issue
# asks to be measured in the same run. Its ``src/`` is taken from git history, so the
# comparison needs a clone with history; the worker itself is today's.
BASELINE_REF = "6836e6d"
# "ours-prev": the engine before map normalisation (end of session 3), for this round's A/B.
PREVIOUS_REF = "b5eac2f"


def baseline_source(ref: str = BASELINE_REF) -> Path:
    """``src/`` of the engine at ``ref``, extracted once into the bench cache."""
    target = CACHE_DIR / f"baseline-{ref}"
    if not (target / "src" / "openlookout").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", ref, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "src"


def system_env(system: str) -> dict[str, str] | None:
    if system in ("ours-v1", "ours-prev"):
        # PYTHONPATH comes before the editable install of today's package on sys.path.
        ref = BASELINE_REF if system == "ours-v1" else PREVIOUS_REF
        return {"PYTHONPATH": str(baseline_source(ref))}
    return SYSTEM_ENV.get(system)


def build_specs(datasets: list[str], scales: list[int]) -> list[dict]:
    specs = []
    if "cookies" in datasets or "cookies-testdir" in datasets:
        if not COOKIES.is_dir():
            raise SystemExit(f"cookie dataset not found at {COOKIES} (shared/ must sit beside the repo)")
        items = cookie_items(COOKIES)
        cookie_size = working_size(*COOKIE_SIZE_HW)
        if "cookies" in datasets:
            train, test = split_items(items)
            specs.append(make_spec("cookies (20 % split)", train, test, cookie_size))
        if "cookies-testdir" in datasets:
            specs.append(
                make_spec("cookies (test/ folder)", items, cookie_test_dir_items(COOKIES), cookie_size)
            )
    specs += hard_specs(datasets)
    if "synthetic" in datasets:
        for scale in scales:
            train, test = split_items(synthetic_items(CACHE_DIR, scale))
            specs.append(make_spec(f"synthetic {scale}", train, test, working_size(256, 256)))
    return specs


def hard_specs(datasets: list[str]) -> list[dict]:
    """ELPV, generated textured defects and small defects on large modules (bench/datasets_hard.py)."""
    specs = []
    elpv = elpv_root(PEER_PYTHON) if any(d.startswith(("elpv", "modules")) for d in datasets) else None
    for cell_type in ("mono", "poly"):
        for suffix, with_anomalies in (("", True), ("-normals", False)):
            if f"elpv-{cell_type}{suffix}" in datasets and elpv is not None:
                train, test = elpv_split(elpv, cell_type, with_anomalies)
                label = "" if with_anomalies else ", normals only"
                specs.append(make_spec(f"ELPV {cell_type}{label}", train, test, working_size(300, 300)))
    if "textured" in datasets or "textured-seg" in datasets:
        if not NEU_DET.is_dir():
            raise SystemExit(f"NEU-DET not found at {NEU_DET} (shared/ must sit beside the repo)")
        train, test = textured_split(CACHE_DIR, NEU_DET)
        size = (TEXTURE_SIZE, TEXTURE_SIZE)
        if "textured" in datasets:
            specs.append(make_spec("textured defects", without_masks(train), test, size))
        if "textured-seg" in datasets:
            specs.append(make_spec("textured defects (masks)", train, test, size))
    if "modules" in datasets and elpv is not None:
        train, test = module_split(CACHE_DIR, elpv)
        specs.append(make_spec("small defects, 900 px modules", without_masks(train), test, MODULE_EVAL_SIZE))
    return specs


def worker_command(system: str, spec_path: Path, out_dir: Path) -> list[str]:
    if system.startswith("ours"):
        return [str(OURS_PYTHON), "-m", "bench.worker_ours", str(spec_path), str(out_dir)]
    model = system.removesuffix("-default-malloc").removesuffix("-1pct")
    return [str(PEER_PYTHON), "-m", "bench.peer_anomalib", model, str(spec_path), str(out_dir)]


def run_system(system: str, spec: dict, run_dir: Path, timeout_s: float, memory_cap_gib: float) -> Row:
    slug = "".join(c if c.isalnum() else "-" for c in spec["name"])
    out_dir = run_dir / slug / system
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path = out_dir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    print(f"[bench] {spec['name']}: {SYSTEM_NAMES[system]} ...", file=sys.stderr, flush=True)
    command = worker_command(system, spec_path, out_dir)
    run = run_worker(command, REPO_ROOT, out_dir, timeout_s, system_env(system), memory_cap_gib)
    row = Row(spec["name"], SYSTEM_NAMES[system], run.status, {"peak_rss_mb": run.peak_rss_mb})
    if run.result is not None:
        row.values |= {k: run.result[k] for k in ("train_s", "latency_ms", "throughput_ips")}
        row.values |= score_outputs(spec, out_dir / "arrays.npz")
    print(f"[bench]   {run.status} in {run.wall_s:.0f} s (log {run.log_path})", file=sys.stderr, flush=True)
    return row


def machine_description() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} logical CPUs, {mem_kib / 2**20:.0f} GiB RAM, {system}"


def results_markdown(table: str, command: str, started: datetime.datetime, notes: list[str]) -> str:
    return "\n".join(
        [
            "# Anomaly benchmark results",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M} UTC",
            f"- Machine: {machine_description()}",
            f"- Command: `{command}`",
            *(f"- {note}" for note in notes),
            "",
            table,
            "",
            "Ratios are ours / peer for every column (above 1 means ours is higher: better for the",
            "quality columns and throughput, worse for train time, RAM and latency). Definitions and",
            "the setup of each system: `bench/README.md`.",
            "",
        ]
    )


def system_timeouts(pairs: list[str]) -> dict[str, float]:
    """``["patchcore=900"]`` -> ``{"patchcore": 900.0}``."""
    timeouts = {}
    for pair in pairs:
        system, _, seconds = pair.partition("=")
        if system not in SYSTEM_NAMES or not seconds:
            raise SystemExit(f"--timeout-for wants SYSTEM=SECONDS with a known system, got {pair!r}")
        timeouts[system] = float(seconds)
    return timeouts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", default="cookies,cookies-testdir,synthetic")
    parser.add_argument("--scales", default="100,1000", help="synthetic dataset sizes, e.g. 100,1000,16000")
    parser.add_argument("--systems", default="ours,ours-v1,patchcore,padim")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per system and dataset")
    parser.add_argument(
        "--timeout-for",
        action="append",
        default=[],
        metavar="SYSTEM=SECONDS",
        help="a different time limit for one system (repeatable), e.g. patchcore=900",
    )
    parser.add_argument("--memory-cap-gib", type=float, default=DEFAULT_MEMORY_CAP_GIB, help="RLIMIT_DATA")
    parser.add_argument(
        "--results", default=str(REPO_ROOT / "bench" / "results" / "anomaly.md"), help="'-' to not write"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    systems = [s for s in args.systems.split(",") if s]
    if unknown := set(systems) - set(SYSTEM_NAMES):
        raise SystemExit(f"unknown systems: {sorted(unknown)}")
    if any(not s.startswith("ours") for s in systems) and not PEER_PYTHON.exists():
        raise SystemExit(f"{PEER_PYTHON} missing: run bench/setup_peer.sh first")
    scales = [int(s) for s in args.scales.split(",") if s]
    specs = build_specs(args.datasets.split(","), scales)
    run_dir = CACHE_DIR / "runs" / f"{started:%Y%m%dT%H%M%S}"
    timeouts = system_timeouts(args.timeout_for)
    rows = [
        run_system(system, spec, run_dir, timeouts.get(system, args.timeout), args.memory_cap_gib)
        for spec in specs
        for system in systems
    ]
    table = render_table(rows)
    print(table)
    if args.results != "-":
        command = shlex.join(
            [".venv/bin/python", "-m", "bench.anomaly", *(argv if argv is not None else sys.argv[1:])]
        )
        notes = [
            f"Per system and dataset: time limit {args.timeout:.0f} s"
            + "".join(f" ({system}: {seconds:.0f} s)" for system, seconds in timeouts.items())
            + ", data-memory cap (RLIMIT_DATA) "
            f"{args.memory_cap_gib:g} GiB; raw outputs were in `{run_dir.relative_to(REPO_ROOT)}`"
        ]
        if "synthetic" in args.datasets and 16000 not in scales:
            notes.append("Synthetic 16,000: implemented (`--scales 100,1000,16000`) but not part of this run")
        if "patchcore" in systems:
            notes.append("`anomalib PatchCore *`: coreset selection run with glibc's mmap threshold at 1 MiB")
        Path(args.results).write_text(results_markdown(table, command, started, notes))


if __name__ == "__main__":
    main()
