"""Latency statistics, the inference table and its two acceptance ratios (stdlib only).

A cell is one measured configuration (path, system, clients, units, batch): the wall
time of every call it made, how many images those calls covered, the failed calls and
the window's wall time. Percentiles interpolate linearly between the closest ranks (the
rule of ``numpy.percentile``'s default), so they do not depend on numpy here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

IN_PROCESS = "in-process"
HTTP = "HTTP DetectAnomalies"
PEER = "peer in-process"
# Stages of bench/inference_profile.py, timed interleaved per image.
IN_PROCESS_STAGE = "decode + model (in-process ONNX)"
HOST_STAGE = "header check + 1-unit host (bytes to the unit, which decodes)"
SHAPING_STAGE = "response shaping (detect_anomaly_result)"
MASK_PNG_STAGE = "of which the mask PNG"
# The second window of the profile: these two alternate per image, nothing else runs.
PAIRED_IN_PROCESS_STAGE = "decode + model (in-process ONNX), alternating with HTTP"
HTTP_STAGE = "HTTP DetectAnomalies (boto3 to the bench server, 1 unit), alternating"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of ``values``, linear between the closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile {q} outside 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Cell:
    path: str  # IN_PROCESS | HTTP | PEER
    system: str  # e.g. "openlookout ONNX", "anomalib PatchCore TorchInferencer"
    clients: int
    units: int | None  # inference units (HTTP only)
    batch: int  # images per call
    call_seconds: list[float] = field(default_factory=list)  # successful calls only
    images: int = 0
    failed: int = 0
    wall_s: float = 0.0
    status: str = "ok"

    @property
    def calls(self) -> int:
        return len(self.call_seconds)

    @property
    def p50_ms(self) -> float | None:
        return 1000.0 * percentile(self.call_seconds, 50) if self.call_seconds else None

    @property
    def p99_ms(self) -> float | None:
        return 1000.0 * percentile(self.call_seconds, 99) if self.call_seconds else None

    @property
    def images_per_s(self) -> float | None:
        return self.images / self.wall_s if self.images and self.wall_s > 0 else None

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "system": self.system,
            "clients": self.clients,
            "units": self.units,
            "batch": self.batch,
            "call_seconds": self.call_seconds,
            "images": self.images,
            "failed": self.failed,
            "wall_s": self.wall_s,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: dict) -> Cell:
        return cls(**data)


HEADER = ["path", "system", "clients", "units", "batch", "calls", "failed", "p50 ms", "p99 ms", "images/s"]


def _number(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else fmt.format(value)


def _row(cell: Cell) -> list[str]:
    system = cell.system if cell.status == "ok" else f"{cell.system} ({cell.status})"
    return [
        cell.path,
        system,
        str(cell.clients),
        "-" if cell.units is None else str(cell.units),
        str(cell.batch),
        str(cell.calls),
        str(cell.failed),
        _number(cell.p50_ms, "{:.1f}"),
        _number(cell.p99_ms, "{:.1f}"),
        _number(cell.images_per_s, "{:.1f}"),
    ]


def render_table(cells: list[Cell]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_row(cell)) + " |" for cell in cells]
    return "\n".join(lines)


def _find(
    cells: list[Cell], path: str, system: str, clients: int, units: int | None, batch: int
) -> Cell | None:
    for cell in cells:
        key = (cell.path, cell.system, cell.clients, cell.units, cell.batch)
        if key == (path, system, clients, units, batch) and cell.status == "ok":
            return cell
    return None


@dataclass(frozen=True)
class Ratio:
    name: str
    value: float | None
    target: str  # e.g. "<= 1.3"
    met: bool | None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def latency_ratio(
    cells: list[Cell], http_system: str, in_process_system: str, stages: dict[str, float] | None
) -> Ratio:
    """HTTP p50 / in-process p50, one client and one unit.

    From the profile's interleaved rounds when it timed the HTTP call (both paths under the
    same load); otherwise from the two separate cells, which a load change between them skews.
    """
    if stages is not None and HTTP_STAGE in stages and PAIRED_IN_PROCESS_STAGE in stages:
        http_ms, local_ms = stages[HTTP_STAGE], stages[PAIRED_IN_PROCESS_STAGE]
        how = f"interleaved per image, {http_ms:.1f} / {local_ms:.1f} ms"
    else:
        http_one = _find(cells, HTTP, http_system, 1, 1, 1)
        local_one = _find(cells, IN_PROCESS, in_process_system, 1, None, 1)
        http_ms, local_ms = http_one and http_one.p50_ms, local_one and local_one.p50_ms
        how = "separate cells"
    value = _ratio(http_ms, local_ms)
    return Ratio(
        f"HTTP p50 / {in_process_system} in-process p50 (1 client, 1 unit; {how})",
        value,
        "<= 1.3",
        None if value is None else value <= 1.3,
    )


def acceptance_ratios(
    cells: list[Cell], http_system: str, in_process_system: str, stages: dict[str, float] | None = None
) -> list[Ratio]:
    """HTTP / in-process p50 (``latency_ratio``), and 16- / 1-client throughput per unit count."""
    ratios = [latency_ratio(cells, http_system, in_process_system, stages)]
    units = sorted({c.units for c in cells if c.path == HTTP and c.units is not None})
    for unit_count in units:
        one = _find(cells, HTTP, http_system, 1, unit_count, 1)
        many = _find(cells, HTTP, http_system, 16, unit_count, 1)
        gain = _ratio(many and many.images_per_s, one and one.images_per_s)
        no_failures = many is not None and many.failed == 0
        ratios.append(
            Ratio(
                f"HTTP images/s, 16 clients / 1 client ({unit_count} unit{'s' if unit_count > 1 else ''})",
                gain,
                ">= 1.3, no failed request",
                None if gain is None else gain >= 1.3 and no_failures,
            )
        )
    return ratios


def render_ratios(ratios: list[Ratio]) -> str:
    lines = []
    for ratio in ratios:
        verdict = {True: "met", False: "missed", None: "not measured"}[ratio.met]
        lines.append(
            f"- {ratio.name}: **{_number(ratio.value, '{:.2f}')}** (target {ratio.target}: {verdict})"
        )
    return "\n".join(lines)


def render_breakdown(
    stage_p50_ms: dict[str, float], http_cell_p50_ms: float | None, host_stage: str = HOST_STAGE
) -> str:
    """Stage p50s, then what the HTTP call adds beyond the host path and the shaping.

    With the profile's alternating HTTP window, each excess is taken over the in-process
    p50 of its own window (the two windows see different load); else over the bench cell.
    """
    lines = ["| stage (1 client, 1 unit) | p50 ms |", "|---|---|"]
    lines += [f"| {name} | {value:.1f} |" for name, value in stage_p50_ms.items()]
    shaping = stage_p50_ms.get(SHAPING_STAGE, 0.0)
    if HTTP_STAGE in stage_p50_ms and PAIRED_IN_PROCESS_STAGE in stage_p50_ms:
        http_excess = stage_p50_ms[HTTP_STAGE] - stage_p50_ms[PAIRED_IN_PROCESS_STAGE]
        host_excess = stage_p50_ms[host_stage] - stage_p50_ms[IN_PROCESS_STAGE]
        lines.append(f"| HTTP over in-process (alternating window) | {http_excess:.1f} |")
        lines.append(f"| of which the host path over in-process (first window) | {host_excess:.1f} |")
        lines.append(f"| of which response shaping | {shaping:.1f} |")
        remainder = http_excess - host_excess - shaping
    elif http_cell_p50_ms is not None:
        lines.append(f"| {HTTP}, end to end (bench cell) | {http_cell_p50_ms:.1f} |")
        remainder = http_cell_p50_ms - stage_p50_ms[host_stage] - shaping
    else:
        return "\n".join(lines)
    lines.append(f"| remainder: HTTP, auth, model lookup, JSON, boto3 | {remainder:.1f} |")
    return "\n".join(lines)
