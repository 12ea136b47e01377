"""The worker runner's statuses and peak RAM, the Lite0 key rename and the table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from bench.lite0_timm import rename_key
from bench.report import Row, render_table
from bench.runner import run_worker

WRITE_RESULT = (
    "import json, pathlib, sys; blob = bytearray(200 * 2**20); "
    "pathlib.Path(sys.argv[1], 'result.json').write_text(json.dumps({'train_s': 1.0}))"
)


def test_runner_records_success_with_the_childs_own_peak_rss(tmp_path: Path) -> None:
    run = run_worker([sys.executable, "-c", WRITE_RESULT, str(tmp_path)], tmp_path, tmp_path, 60)
    assert run.status == "ok" and run.result == {"train_s": 1.0}
    assert 200 < run.peak_rss_mb < 2000  # the 200 MiB buffer, measured per child
    # Not this (torch-laden) test process's RSS, nor the maximum over earlier children.
    small = run_worker([sys.executable, "-c", "pass"], tmp_path, tmp_path / "small", 60)
    assert small.peak_rss_mb < 60
    assert small.status == "no result (exit 0): no output"


def test_runner_reports_crashes_and_timeouts(tmp_path: Path) -> None:
    crash = run_worker([sys.executable, "-c", "raise SystemExit('boom')"], tmp_path, tmp_path / "c", 60)
    assert crash.status == "crashed (exit 1): boom" and crash.result is None
    # 1 GiB against a 0.25 GiB data cap fails inside the worker, reported as out of memory.
    big = [sys.executable, "-c", "bytearray(2**30)"]
    oom = run_worker(big, tmp_path, tmp_path / "m", 60, memory_cap_gib=0.25)
    assert oom.status == "out of memory (exit 1)"
    slow = run_worker([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, tmp_path / "t", 2)
    assert slow.status == "timeout after 2 s" and slow.wall_s < 10
    assert slow.peak_rss_mb is not None and slow.peak_rss_mb < 60  # polled from /proc


@pytest.mark.parametrize(
    ("reference", "timm"),
    [
        ("_conv_stem.weight", "conv_stem.weight"),
        ("_bn0.running_var", "bn1.running_var"),
        ("_blocks.0._depthwise_conv.weight", "blocks.0.0.conv_dw.weight"),
        ("_blocks.0._project_conv.weight", "blocks.0.0.conv_pw.weight"),
        ("_blocks.1._expand_conv.weight", "blocks.1.0.conv_pw.weight"),
        ("_blocks.3._bn0.bias", "blocks.2.0.bn1.bias"),
        ("_blocks.15._project_conv.weight", "blocks.6.0.conv_pwl.weight"),
        ("_blocks.15._bn2.weight", "blocks.6.0.bn3.weight"),
        ("_conv_head.weight", "conv_head.weight"),
        ("_bn1.bias", "bn2.bias"),
        ("_fc.weight", "classifier.weight"),
    ],
)
def test_lite0_key_rename(reference: str, timm: str) -> None:
    assert rename_key(reference) == timm


def test_table_groups_rows_and_ratios_per_dataset() -> None:
    rows = [
        Row("d1", "openlookout", "ok", {"image_auroc": 0.9, "train_s": 10.0, "peak_rss_mb": 256.0}),
        Row("d1", "anomalib PatchCore", "ok", {"image_auroc": 0.6, "train_s": 20.0}),
        Row("d1", "anomalib PaDiM", "timeout after 900 s", {"peak_rss_mb": 512.0}),
    ]
    lines = render_table(rows).splitlines()
    assert lines[0].startswith("| dataset | system | status | image AUROC")
    assert "| d1 | anomalib PaDiM | timeout after 900 s | n/a |" in lines[4]
    ratio_line = lines[5].split(" | ")
    assert ratio_line[1] == "ours / anomalib PatchCore" and ratio_line[3] == "1.50"
    assert ratio_line[9] == "0.50"  # train s: 10 / 20
    # No ratios against a run that did not finish (its peak RAM is partial).
    assert lines[6].endswith("| ratio" + " | n/a" * 10 + " |")
    assert json.dumps(lines)  # plain text only
