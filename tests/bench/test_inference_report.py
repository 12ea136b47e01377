"""The inference bench's statistics, table and acceptance ratios (no server, no model)."""

from __future__ import annotations

import pytest
from bench.inference_stats import (
    HTTP,
    IN_PROCESS,
    SHAPING_STAGE,
    Cell,
    acceptance_ratios,
    percentile,
    render_breakdown,
    render_ratios,
    render_table,
)

HTTP_SYSTEM = "openlookout server"
LOCAL_SYSTEM = "openlookout ONNX"


def test_percentile_interpolates_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # unsorted on purpose
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_cell_summary_and_json_round_trip() -> None:
    cell = Cell(HTTP, HTTP_SYSTEM, clients=4, units=2, batch=1, call_seconds=[0.010, 0.030, 0.020])
    cell.images, cell.wall_s, cell.failed = 3, 0.5, 1
    assert cell.calls == 3
    assert cell.p50_ms == pytest.approx(20.0)
    assert cell.p99_ms == pytest.approx(29.8)
    assert cell.images_per_s == pytest.approx(6.0)
    assert Cell.from_json(cell.to_json()) == cell
    empty = Cell(IN_PROCESS, LOCAL_SYSTEM, clients=1, units=None, batch=8, status="timeout after 600 s")
    assert (empty.p50_ms, empty.p99_ms, empty.images_per_s) == (None, None, None)


def _cell(path: str, system: str, clients: int, units: int | None, ms: float, per_s: float) -> Cell:
    cell = Cell(path, system, clients=clients, units=units, batch=1, call_seconds=[ms / 1000.0] * 5)
    cell.images, cell.wall_s = int(per_s * 10), 10.0
    return cell


def test_table_rows_and_failed_workers() -> None:
    cells = [
        _cell(IN_PROCESS, LOCAL_SYSTEM, 1, None, 40.0, 25.0),
        _cell(HTTP, HTTP_SYSTEM, 16, 2, 300.0, 50.0),
        Cell("worker", "bench.inference_peer", 1, None, 1, status="crashed (exit 1): boom"),
    ]
    lines = render_table(cells).splitlines()
    assert lines[0].startswith("| path | system | clients | units | batch |")
    assert len(lines) == 2 + len(cells)
    assert lines[2] == "| in-process | openlookout ONNX | 1 | - | 1 | 5 | 0 | 40.0 | 40.0 | 25.0 |"
    assert (
        lines[3]
        == "| HTTP DetectAnomalies | openlookout server | 16 | 2 | 1 | 5 | 0 | 300.0 | 300.0 | 50.0 |"
    )
    assert "bench.inference_peer (crashed (exit 1): boom)" in lines[4]
    assert lines[4].endswith("| n/a | n/a | n/a |")


def test_acceptance_ratios_met_missed_and_missing() -> None:
    cells = [
        _cell(IN_PROCESS, LOCAL_SYSTEM, 1, None, 40.0, 25.0),
        _cell(HTTP, HTTP_SYSTEM, 1, 1, 48.0, 20.0),
        _cell(HTTP, HTTP_SYSTEM, 16, 1, 400.0, 30.0),
        _cell(HTTP, HTTP_SYSTEM, 1, 2, 60.0, 16.0),
        _cell(HTTP, HTTP_SYSTEM, 16, 2, 400.0, 32.0),
    ]
    cells[-1].failed = 2  # fast enough, but a failed request misses the target
    latency, one_unit, two_units = acceptance_ratios(cells, HTTP_SYSTEM, LOCAL_SYSTEM)
    assert latency.value == pytest.approx(1.2) and latency.met is True
    assert one_unit.value == pytest.approx(1.5) and one_unit.met is True
    assert two_units.value == pytest.approx(2.0) and two_units.met is False
    text = render_ratios([latency, one_unit, two_units])
    assert "**1.20** (target <= 1.3: met)" in text
    assert "(2 units): **2.00** (target >= 1.3, no failed request: missed)" in text

    [missing] = acceptance_ratios(cells[1:2], HTTP_SYSTEM, LOCAL_SYSTEM)[:1]
    assert missing.value is None and missing.met is None
    assert "not measured" in render_ratios([missing])


def test_breakdown_adds_the_http_remainder() -> None:
    stages = {
        "decode + model (in-process ONNX)": 40.0,
        "decode + 1-unit host (default policy)": 50.0,
        SHAPING_STAGE: 8.0,
    }
    text = render_breakdown(stages, 70.0, "decode + 1-unit host (default policy)")
    assert "| decode + 1-unit host (default policy) | 50.0 |" in text
    assert "| HTTP DetectAnomalies, end to end (bench cell) | 70.0 |" in text
    assert text.endswith("| remainder: HTTP, auth, model lookup, JSON, boto3 | 12.0 |")
    assert "remainder" not in render_breakdown(stages, None, "decode + 1-unit host (default policy)")
