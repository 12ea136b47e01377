"""Custom Labels manifest validation rules (spec B.4), line by line and whole manifests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openlookout.manifests.custom_labels import (
    DETECTION_TYPE,
    IMAGE_LEVEL_LABELS,
    NOT_DETERMINED,
    OBJECT_LOCALIZATION,
    TerminalManifestError,
    check_content_rules,
    check_manifest_file,
    manifest_summary,
    manifest_with_validation,
    validate_line,
)

from .conftest import classification_line, detection_line, manifest_bytes


def _line(document: dict[str, Any]) -> Any:
    return validate_line(json.dumps(document), 0)


def _codes(errors: list[dict[str, str]] | None) -> list[str]:
    return [e["code"] for e in errors or []]


def test_valid_classification_line_with_two_labels() -> None:
    document = classification_line("a.png", "sport")
    document.update(
        {
            k.replace("cls", "cls2"): v
            for k, v in classification_line("a.png", "outdoor").items()
            if "cls" in k
        }
    )
    result = _line(document)
    assert result.is_valid and result.labeled and not result.has_errors
    assert result.labels == {"sport": 0, "outdoor": 0}
    assert result.use_cases == {IMAGE_LEVEL_LABELS}
    assert "errors" not in json.loads(result.to_json())


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: d.pop("source-ref"), "ERROR_MISSING_SOURCE_REF"),
        (lambda d: d.update({"source-ref": "http://x/y.png"}), "ERROR_INVALID_SOURCE_REF_FORMAT"),
    ],
)
def test_line_level_source_ref_errors(change: Any, code: str) -> None:
    document = classification_line("a.png", "x")
    change(document)
    result = _line(document)
    assert not result.is_valid
    assert _codes(json.loads(result.to_json())["errors"]) == [code]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            lambda d: d["cls-metadata"].update(type="groundtruth/semantic-segmentation"),
            "ERROR_UNSUPPORTED_USE_CASE_TYPE",
        ),
        (lambda d: d["cls-metadata"].pop("creation-date"), "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"),
        (lambda d: d["cls-metadata"].update({"class-name": "x" * 256}), "ERROR_INVALID_LABEL_NAME_LENGTH"),
        (lambda d: d.update(cls="one"), "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT"),
    ],
)
def test_metadata_errors_sit_in_the_metadata(change: Any, code: str) -> None:
    document = classification_line("a.png", "x")
    change(document)
    result = _line(document)
    stored = json.loads(result.to_json())
    assert _codes(stored["cls-metadata"]["errors"]) == [code]
    # The only attribute is unusable, so the line as a whole is too.
    assert _codes(stored["errors"]) == ["ERROR_NO_VALID_LABEL_ATTRIBUTES"]
    assert not result.is_valid


def test_only_source_ref_is_an_unlabeled_but_valid_entry() -> None:
    result = _line({"source-ref": "s3://b/k.png"})
    assert result.is_valid and not result.labeled and not result.has_errors


def test_box_errors_drop_only_that_box() -> None:
    document = detection_line(
        "a.png",
        [("cat", 1, 1, 10, 10), ("cat", 75, 1, 10, 10), ("dog", 1, 1, 0.5, 10), ("dog", 5, 5, 10, 10)],
    )
    document["bounding-box"]["annotations"][3]["class_id"] = 7
    document["bounding-box-metadata"]["objects"][0] = {}
    document["bounding-box"]["annotations"].append(
        {"class_id": 0, "left": 1, "top": 1, "width": 9, "height": 9}
    )
    document["bounding-box-metadata"]["objects"].append({"confidence": 1})
    result = _line(document)
    annotations = json.loads(result.to_json())["bounding-box"]["annotations"]
    assert [_codes(a.get("errors")) for a in annotations] == [
        ["ERROR_MISSING_BOUNDING_BOX_CONFIDENCE"],
        ["ERROR_INVALID_BOUNDING_BOX"],
        ["ERROR_BOUNDING_BOX_TOO_SMALL"],
        ["ERROR_MISSING_CLASS_MAP_ID"],
        [],
    ]
    assert result.is_valid and result.has_errors
    assert result.labels == {"cat": 1}
    assert result.use_cases == {OBJECT_LOCALIZATION}


def test_detection_attribute_rules() -> None:
    too_many = detection_line("a.png", [("cat", 1, 1, 5, 5)] * 51)
    assert _codes(json.loads(_line(too_many).to_json())["bounding-box-metadata"]["errors"]) == [
        "ERROR_TOO_MANY_BOUNDING_BOXES"
    ]
    empty = detection_line("a.png", [])
    result = _line(empty)
    assert result.is_valid and result.labeled and result.labels == {}
    assert _codes(json.loads(result.to_json())["bounding-box-metadata"]["errors"]) == [
        "WARNING_NO_ANNOTATIONS"
    ]
    bad_size = detection_line("a.png", [("cat", 1, 1, 5, 5)])
    bad_size["bounding-box"]["image_size"] = [{"width": 80, "height": 64}]
    assert _codes(json.loads(_line(bad_size).to_json())["bounding-box-metadata"]["errors"]) == [
        "ERROR_INVALID_IMAGE_DIMENSION"
    ]
    all_bad = detection_line("a.png", [("cat", 79, 1, 5, 5)])
    stored = json.loads(_line(all_bad).to_json())
    assert _codes(stored["bounding-box-metadata"]["errors"]) == ["ERROR_NO_VALID_ANNOTATIONS"]


def test_previous_errors_are_recomputed_not_kept() -> None:
    document = classification_line("a.png", "x")
    document["errors"] = [{"code": "ERROR_INVALID_IMAGE", "message": "old"}]
    assert not _line(document).has_errors
    document["orphan-metadata"] = {"type": DETECTION_TYPE}
    once = _line(document).to_json()
    assert _line(json.loads(once)).to_json() == once
    assert _codes(json.loads(once)["orphan-metadata"]["errors"]) == ["ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT"]


def test_file_level_terminal_errors() -> None:
    with pytest.raises(TerminalManifestError) as caught:
        check_manifest_file(b"\n\n")
    assert caught.value.code == "ERROR_EMPTY_MANIFEST"


def test_twenty_percent_rule_counts_blank_lines() -> None:
    good = [classification_line(f"{i}.png", "x") for i in range(4)]
    at_limit = check_manifest_file(manifest_bytes([*good, ""]))  # 1 of 5 = 20 %: allowed
    check_content_rules(at_limit)
    assert at_limit.invalid_indices == [4]
    over = check_manifest_file(manifest_bytes([*good[:3], "", "{"]))  # 2 of 5
    with pytest.raises(TerminalManifestError) as caught:
        check_content_rules(over)
    assert caught.value.code == "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST"


def test_later_duplicate_source_ref_wins() -> None:
    check = check_manifest_file(
        manifest_bytes([classification_line("a.png", "x"), classification_line("a.png", "y")])
    )
    assert [line.labels for line in check.stored_lines()] == [{"y": 0}]


def test_summary_statistics_and_label_rules() -> None:
    train = check_manifest_file(
        manifest_bytes([classification_line("a.png", "cat"), {"source-ref": "s3://images/u.png"}, "not json"])
    )
    test = check_manifest_file(
        manifest_bytes([classification_line("t1.png", "dog"), classification_line("t2.png", "bird")])
    )
    summary = manifest_summary(train, test)
    assert summary["statistics"]["training"] == {
        "use_case": IMAGE_LEVEL_LABELS,
        "total_json_lines": 3,
        "valid_json_lines": 1,
        "invalid_json_lines": 1,
        "ignored_json_lines": 1,
        "error_json_line_indices": [2],
        "errors": [
            {
                "code": "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST",
                "message": summary["statistics"]["training"]["errors"][0]["message"],
            }
        ],
    }
    assert _codes(summary["errors"]) == ["ERROR_MANIFEST_TOO_FEW_LABELS", "ERROR_INSUFFICIENT_LABEL_OVERLAP"]
    empty = check_manifest_file(manifest_bytes([{"source-ref": "s3://images/u.png"}]))
    assert manifest_summary(empty, None)["statistics"]["training"]["use_case"] == NOT_DETERMINED
    detection = check_manifest_file(manifest_bytes([detection_line("d.png", [("cat", 1, 1, 5, 5)])]))
    assert manifest_summary(detection, None)["errors"] == []  # one label is enough for detection
    written = manifest_with_validation(train.lines).decode().splitlines()
    assert len(written) == 2  # the unparseable line cannot be written back
