"""The latency acceptance ratio from the profile's interleaved rounds (no server, no model)."""

from __future__ import annotations

import pytest
from bench.inference_stats import (
    HOST_STAGE,
    HTTP,
    HTTP_STAGE,
    IN_PROCESS,
    IN_PROCESS_STAGE,
    PAIRED_IN_PROCESS_STAGE,
    SHAPING_STAGE,
    Cell,
    acceptance_ratios,
    render_breakdown,
    render_ratios,
)

HTTP_SYSTEM = "openlookout server"
LOCAL_SYSTEM = "openlookout ONNX"


def _cell(path: str, system: str, p50_ms: float) -> Cell:
    units = 1 if path == HTTP else None
    return Cell(path, system, clients=1, units=units, batch=1, call_seconds=[p50_ms / 1000.0], images=1)


def test_interleaved_stages_decide_the_latency_ratio_over_the_separate_cells() -> None:
    # Separate cells under different load: 90 / 45 = 2.0 would miss the target.
    cells = [_cell(IN_PROCESS, LOCAL_SYSTEM, 45.0), _cell(HTTP, HTTP_SYSTEM, 90.0)]
    stages = {
        IN_PROCESS_STAGE: 45.0,
        HOST_STAGE: 52.0,
        SHAPING_STAGE: 3.0,
        PAIRED_IN_PROCESS_STAGE: 50.0,
        HTTP_STAGE: 60.0,
    }
    latency = acceptance_ratios(cells, HTTP_SYSTEM, LOCAL_SYSTEM, stages)[0]
    assert latency.value == pytest.approx(1.2) and latency.met is True
    assert "interleaved per image, 60.0 / 50.0 ms" in render_ratios([latency])
    # Without an interleaved HTTP time the cells decide, and say so.
    fallback = acceptance_ratios(cells, HTTP_SYSTEM, LOCAL_SYSTEM, {IN_PROCESS_STAGE: 45.0})[0]
    assert fallback.value == pytest.approx(2.0) and fallback.met is False
    assert "separate cells" in fallback.name


def test_breakdown_splits_the_http_excess_per_window() -> None:
    stages = {
        IN_PROCESS_STAGE: 45.0,
        HOST_STAGE: 49.0,
        SHAPING_STAGE: 3.0,
        PAIRED_IN_PROCESS_STAGE: 50.0,
        HTTP_STAGE: 65.0,
    }
    text = render_breakdown(stages, 90.0)
    assert "(bench cell)" not in text
    assert "| HTTP over in-process (alternating window) | 15.0 |" in text
    assert "| of which the host path over in-process (first window) | 4.0 |" in text
    # 15 - 4 - 3: each excess over its own window's in-process time.
    assert text.endswith("| remainder: HTTP, auth, model lookup, JSON, boto3 | 8.0 |")
