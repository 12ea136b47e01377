"""The bench's one markdown table: a row per system and dataset, then ours/peer ratios."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.metrics import ratio

# (key, header, format); metrics are higher-is-better except where noted in the README.
COLUMNS = [
    ("image_auroc", "image AUROC", "{:.3f}"),
    ("f1", "F1 @ own thr.", "{:.3f}"),
    ("oracle_f1", "oracle F1", "{:.3f}"),
    ("partial_auroc", "AUROC partial", "{:.3f}"),
    ("pixel_auroc", "pixel AUROC", "{:.3f}"),
    ("iou", "IoU", "{:.3f}"),
    ("train_s", "train s", "{:.1f}"),
    ("peak_rss_mb", "peak RAM MiB", "{:.0f}"),
    ("latency_ms", "1-img ms", "{:.0f}"),
    ("throughput_ips", "batch img/s", "{:.1f}"),
]
OURS = "openlookout"


@dataclass
class Row:
    dataset: str
    system: str
    status: str
    values: dict[str, float | None] = field(default_factory=dict)


def _cell(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else fmt.format(value)


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render_table(rows: list[Row]) -> str:
    """Per dataset: one row per system, then one ``ours / peer`` ratio row per peer."""
    header = ["dataset", "system", "status", *(title for _, title, _ in COLUMNS)]
    lines = [_line(header), "|" + "---|" * len(header)]
    datasets = list(dict.fromkeys(row.dataset for row in rows))
    for dataset in datasets:
        group = [row for row in rows if row.dataset == dataset]
        for row in group:
            lines.append(
                _line(
                    [
                        row.dataset,
                        row.system,
                        row.status,
                        *(_cell(row.values.get(k), f) for k, _, f in COLUMNS),
                    ]
                )
            )
        ours = next((row for row in group if row.system == OURS), None)
        for peer in (row for row in group if ours is not None and row.system != OURS):
            # A run that did not finish has only a partial peak RAM: no ratio for it.
            comparable = ours.status == "ok" and peer.status == "ok"
            cells = [
                _cell(ratio(ours.values.get(k), peer.values.get(k)) if comparable else None, "{:.2f}")
                for k, _, _ in COLUMNS
            ]
            lines.append(_line([dataset, f"ours / {peer.system}", "ratio", *cells]))
    return "\n".join(lines)
