from __future__ import annotations

import json
from pathlib import Path

from openlookout.manifests import normalise_line, normalised_json, parse_line, parse_manifest

from .conftest import rewrite_to_bucket


def test_label_and_mask_keys_are_renamed_and_number_follows_class_name() -> None:
    raw = {
        "source-ref": "s3://b/a.jpg",
        "auto-label": 0,  # inverted by the client: 0 = anomaly
        "auto-label-metadata": {"class-name": "anomaly", "type": "t", "human-annotated": "yes"},
        "defect-ref": "s3://b/a.png",
        "defect-ref-metadata": {
            "internal-color-map": {"0": {"class-name": "cracked", "hex-color": "#23A436"}},
            "type": "groundtruth/semantic-segmentation",
            "human-annotated": "yes",
        },
        "extra": {"kept": True},
    }
    out = normalise_line(parse_line(json.dumps(raw), 1))
    assert list(out) == [
        "source-ref",
        "anomaly-label",
        "anomaly-label-metadata",
        "anomaly-mask-ref",
        "anomaly-mask-ref-metadata",
        "extra",
    ]
    assert out["anomaly-label"] == 1
    assert out["anomaly-label-metadata"] == raw["auto-label-metadata"]
    assert out["anomaly-mask-ref"] == "s3://b/a.png"
    assert out["extra"] == {"kept": True}


def test_normal_gets_zero_and_unlabeled_keeps_its_number() -> None:
    meta = {"class-name": "normal", "type": "t", "human-annotated": "yes"}
    normal = {"source-ref": "s3://b/n.jpg", "auto-label": 1, "auto-label-metadata": meta}
    assert normalise_line(parse_line(json.dumps(normal), 1))["anomaly-label"] == 0
    other = {"source-ref": "s3://b/n.jpg", "x": 7, "x-metadata": {**meta, "class-name": "dog"}}
    assert normalise_line(parse_line(json.dumps(other), 1))["anomaly-label"] == 7


def test_normalised_line_parses_back_to_the_same_meaning(cookies: Path) -> None:
    data = rewrite_to_bucket((cookies / "manifests" / "train_segmentation.manifest").read_bytes(), "bkt")
    for original in parse_manifest(data):
        again = parse_line(normalised_json(original), original.line_no)
        assert (again.source_ref, again.label, again.mask_ref) == (
            original.source_ref,
            original.label,
            original.mask_ref,
        )
        assert again.color_map == original.color_map
        assert json.loads(normalised_json(original))["anomaly-label"] == (original.label == "anomaly")
