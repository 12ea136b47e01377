"""The Custom Labels benchmark table: one row per system and task, then ours/peer ratios."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

OURS = "openlookout"
# The two quality columns of each task, in table order.
QUALITY_KEYS = {
    "classification": ("macro_f1", "accuracy"),
    "detection": ("map_50", "map_50_95"),
}
HEADER = (
    "| task | system | budget | macro F1 / mAP@0.5 | accuracy / mAP@0.5:0.95 "
    "| train s | peak RAM GiB | status |",
    "|---|---|---|---|---|---|---|---|",
)


@dataclass
class Row:
    task: str
    system: str
    budget: str  # how the training budget was set, e.g. "1x ours (63 s)"
    status: str
    values: dict[str, float | None] = field(default_factory=dict)  # quality keys, train_s, peak_gib


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(ours: float | None, peer: float | None) -> str:
    if ours is None or peer is None or peer == 0:
        return "-"
    return f"{ours / peer:.2f}x"


def _cells(row: Row) -> list[str]:
    first, second = QUALITY_KEYS[row.task]
    return [
        _number(row.values.get(first), 3),
        _number(row.values.get(second), 3),
        _number(row.values.get("train_s"), 0),
        _number(row.values.get("peak_gib"), 2),
    ]


def ratio_row(ours: Row, peer: Row) -> str:
    first, second = QUALITY_KEYS[ours.task]
    ratios = [_ratio(ours.values.get(k), peer.values.get(k)) for k in (first, second, "train_s", "peak_gib")]
    return f"| {ours.task} | ours / {peer.system} | | {' | '.join(ratios)} | |"


def render_table(rows: Sequence[Row]) -> str:
    lines = list(HEADER)
    for row in rows:
        lines.append(
            f"| {row.task} | {row.system} | {row.budget} | {' | '.join(_cells(row))} | {row.status} |"
        )
    for task in QUALITY_KEYS:
        ours = next((r for r in rows if r.task == task and r.system == OURS and r.status == "ok"), None)
        if ours is None:
            continue
        for peer in rows:
            if peer.task == task and peer.system != OURS and peer.status == "ok":
                lines.append(ratio_row(ours, peer))
    return "\n".join(lines)
