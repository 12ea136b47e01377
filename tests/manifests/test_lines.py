from __future__ import annotations

import json
from pathlib import Path

import pytest

from openlookout.manifests import ManifestError, normalised_json, parse_line, parse_manifest

from .conftest import rewrite_to_bucket


def line(**overrides: object) -> str:
    obj: dict[str, object] = {
        "source-ref": "s3://bucket/img/a.jpg",
        "anomaly-label": 1,
        "anomaly-label-metadata": {
            "class-name": "anomaly",
            "type": "groundtruth/image-classification",
            "human-annotated": "yes",
        },
    }
    for key, value in overrides.items():
        key = key.replace("_", "-")
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    return json.dumps(obj)


def segmentation_meta(color_map: dict[str, object]) -> dict[str, object]:
    return {
        "internal-color-map": color_map,
        "type": "groundtruth/semantic-segmentation",
        "human-annotated": "yes",
    }


@pytest.mark.parametrize("name", ["train_class.manifest", "train_segmentation.manifest"])
def test_real_cookie_manifests_parse(cookies: Path, name: str) -> None:
    data = rewrite_to_bucket((cookies / "manifests" / name).read_bytes(), "my-bucket")
    lines = parse_manifest(data)
    assert len(lines) == 63
    assert {ln.label for ln in lines} == {"normal", "anomaly"}
    assert sum(ln.label == "anomaly" for ln in lines) == 32
    assert all(ln.source_ref.startswith("s3://my-bucket/getting-started/") for ln in lines)
    if name == "train_segmentation.manifest":
        anomaly = next(ln for ln in lines if ln.label == "anomaly")
        assert anomaly.mask_ref is not None and anomaly.mask_ref.endswith("mask-images/anomaly-1.png")
        assert anomaly.anomaly_class_names == ["cracked"]
        assert anomaly.color_map[0].hex_color == "#23a436"  # upper case in the file
        normal = next(ln for ln in lines if ln.label == "normal")
        assert normal.anomaly_class_names == []  # BACKGROUND-only dummy mask
    else:
        assert all(ln.mask_ref is None for ln in lines)


def test_line_numbers_count_blank_lines() -> None:
    data = (line() + "\n\n" + line(source_ref="s3://bucket/b.jpg") + "\n").encode()
    assert [ln.line_no for ln in parse_manifest(data)] == [1, 3]


def test_inverted_auto_label_numbers_are_ignored() -> None:
    # The awslabs SDK writes 1 for normal and 0 for anomaly under 'auto-label'.
    text = json.dumps(
        {
            "source-ref": "s3://b/n.jpg",
            "auto-label": 1,
            "auto-label-metadata": {
                "class-name": "normal",
                "type": "groundtruth/image-classification",
                "human-annotated": "yes",
            },
        }
    )
    parsed = parse_line(text, 1)
    assert (parsed.label_key, parsed.label) == ("auto-label", "normal")


@pytest.mark.parametrize(("number", "class_name"), [("0", "anomaly"), ("1", "normal"), ("1.0", "anomaly")])
def test_numeric_string_labels_are_decided_by_class_name(number: str, class_name: str) -> None:
    """AWS's csv_to_manifest.py writes "anomaly-label": "0" (a string)."""
    meta = {"class-name": class_name, "type": "groundtruth/image-classification", "human-annotated": "yes"}
    parsed = parse_line(line(anomaly_label=number, anomaly_label_metadata=meta), 1)
    assert parsed.label == class_name
    assert json.loads(normalised_json(parsed))["anomaly-label"] == (1 if class_name == "anomaly" else 0)


def test_any_attribute_name_is_the_label() -> None:
    text = line(anomaly_label=None, anomaly_label_metadata=None, **{"my_label": 0})
    obj = json.loads(text)
    obj["my-label-metadata"] = {"class-name": "anomaly", "type": "t", "human-annotated": "no"}
    parsed = parse_line(json.dumps(obj), 4)
    assert (parsed.label_key, parsed.label) == ("my-label", "anomaly")


def test_other_class_name_is_unlabeled() -> None:
    text = line(anomaly_label_metadata={"class-name": "cat", "type": "t", "human-annotated": "yes"})
    parsed = parse_line(text, 1)
    assert parsed.label is None and parsed.label_key == "anomaly-label"


def test_line_without_label_is_unlabeled() -> None:
    parsed = parse_line('{"source-ref": "s3://b/k.png"}', 1)
    assert parsed.label is None and parsed.label_key is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (line(source_ref=None), "Line 3: 'source-ref' is missing."),
        (line(source_ref="bucket/key.jpg"), "Line 3: 'source-ref' must be an S3 URI"),
        (line(source_ref="s3://bucket"), "Line 3: 'source-ref' must be an S3 URI"),
        (
            line(anomaly_label_metadata={"class-name": "normal", "human-annotated": "yes"}),
            "Line 3: 'anomaly-label-metadata' has no 'type'.",
        ),
        (
            line(anomaly_label_metadata={"class-name": "normal", "type": "t"}),
            "Line 3: 'anomaly-label-metadata' has no 'human-annotated'.",
        ),
        (line(anomaly_label="one"), "Line 3: The label attribute 'anomaly-label' must be a number"),
        (line(anomaly_label=True), "Line 3: The label attribute 'anomaly-label' must be a number"),
        (line(anomaly_label=None), "Line 3: 'anomaly-label-metadata' has no matching label attribute"),
        ('{"source-ref": "s3://b/k.jpg",', "Line 3: The line is not valid JSON"),
        ("[1, 2]", "Line 3: The line must be a JSON object."),
        ('{"source-ref": "s3://b/a.jpg", "source-ref": "s3://b/b.jpg"}', "appears more than once"),
    ],
)
def test_bad_lines_name_line_and_problem(text: str, expected: str) -> None:
    with pytest.raises(ManifestError) as info:
        parse_line(text, 3)
    assert str(info.value).startswith(expected) or expected in str(info.value)
    assert info.value.line_no == 3


def test_bad_json_in_a_manifest_reports_its_line() -> None:
    data = (line() + "\n" + line(source_ref="s3://bucket/b.jpg") + "\n{oops\n").encode()
    with pytest.raises(ManifestError, match=r"^Line 3: The line is not valid JSON"):
        parse_manifest(data)


def test_invalid_utf8_reports_its_line() -> None:
    with pytest.raises(ManifestError, match=r"^Line 2: The line is not valid UTF-8"):
        parse_manifest(line().encode() + b"\n\xff\xfe\n")


def test_two_label_attributes_are_rejected() -> None:
    obj = json.loads(line())
    obj["other"] = 0
    obj["other-metadata"] = {"class-name": "normal", "type": "t", "human-annotated": "yes"}
    with pytest.raises(ManifestError, match="more than one label attribute"):
        parse_line(json.dumps(obj), 1)


@pytest.mark.parametrize(
    "color_map",
    [
        {"0": {"class-name": "cracked", "hex-color": "#23A436"}},
        {
            "0": {"class-name": "BACKGROUND", "hex-color": "#ffffff"},
            "1": {"class-name": "cracked", "hex-color": "#23a436", "confidence": 0.5},
        },
    ],
)
def test_color_maps_with_and_without_background(color_map: dict[str, object]) -> None:
    text = line(anomaly_mask_ref="s3://bucket/m.png", anomaly_mask_ref_metadata=segmentation_meta(color_map))
    parsed = parse_line(text, 1)
    assert parsed.mask_ref == "s3://bucket/m.png"
    assert parsed.anomaly_class_names == ["cracked"]
    assert [c.hex_color for c in parsed.color_map if not c.is_background] == ["#23a436"]


def test_mask_attribute_may_have_any_name_ending_in_ref() -> None:
    meta = segmentation_meta({"0": {"class-name": "dent", "hex-color": "#FF0000"}})
    text = line(my_mask_ref="s3://bucket/m.png", my_mask_ref_metadata=meta)
    parsed = parse_line(text, 1)
    assert (parsed.mask_key, parsed.mask_ref) == ("my-mask-ref", "s3://bucket/m.png")


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (None, "'anomaly-mask-ref-metadata' is missing."),
        ({"type": "t", "human-annotated": "yes"}, "has no 'internal-color-map'"),
        (segmentation_meta({}), "'internal-color-map' must be a non-empty object."),
        (segmentation_meta({"0": {"hex-color": "#ffffff"}}), "needs a 'class-name' string"),
        (segmentation_meta({"0": {"class-name": "x", "hex-color": "red"}}), "needs a 'hex-color' like"),
        (
            segmentation_meta(
                {
                    "0": {"class-name": "a", "hex-color": "#00FF00"},
                    "1": {"class-name": "b", "hex-color": "#00ff00"},
                }
            ),
            "is used for both 'a' and 'b'",
        ),
        (
            {
                "internal-color-map": {"0": {"class-name": "x", "hex-color": "#010203"}},
                "human-annotated": "y",
            },
            "has no 'type'",
        ),
    ],
)
def test_bad_mask_metadata(meta: object, expected: str) -> None:
    text = line(anomaly_mask_ref="s3://bucket/m.png", anomaly_mask_ref_metadata=meta)
    with pytest.raises(ManifestError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        parse_line(text, 2)


def test_mask_metadata_without_a_mask_reference() -> None:
    meta = segmentation_meta({"0": {"class-name": "x", "hex-color": "#010203"}})
    with pytest.raises(ManifestError, match="has no matching mask reference"):
        parse_line(line(anomaly_mask_ref_metadata=meta), 1)


def test_at_most_twenty_labels_on_one_mask() -> None:
    color_map = {str(i): {"class-name": f"c{i}", "hex-color": f"#0000{i:02x}"} for i in range(21)}
    text = line(anomaly_mask_ref="s3://bucket/m.png", anomaly_mask_ref_metadata=segmentation_meta(color_map))
    with pytest.raises(ManifestError, match="21 anomaly labels; at most 20"):
        parse_line(text, 1)
    del color_map["20"]
    text = line(anomaly_mask_ref="s3://bucket/m.png", anomaly_mask_ref_metadata=segmentation_meta(color_map))
    assert len(parse_line(text, 1).anomaly_class_names) == 20


def test_renaming_clash_is_rejected() -> None:
    obj = json.loads(line(anomaly_label=None, anomaly_label_metadata=None))
    obj["auto-label"] = 0
    obj["auto-label-metadata"] = {"class-name": "normal", "type": "t", "human-annotated": "yes"}
    obj["anomaly-label"] = "something else"
    with pytest.raises(ManifestError, match="keep only one"):
        parse_line(json.dumps(obj), 1)
