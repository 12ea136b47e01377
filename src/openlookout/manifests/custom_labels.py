"""Rekognition Custom Labels manifest validation (spec B.4).

Each JSON line is checked without touching any image: the result is the line
with non-terminal ``errors`` arrays attached where the problem is (line level,
inside ``<attr>-metadata``, or inside one ``annotations`` item), plus the usable
labels it contributes. Whole-manifest rules (the 20 % invalid-line rule, one
bucket, label counts, train/test label overlap) and the ``manifest_summary.json``
document are built from those per-line results.

Pure: text in, values out; image checks are added by the caller through
``ValidatedLine.add_line_error``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from openlookout.manifests.stream import LineTooLong, iter_lines

CLASSIFICATION_TYPE = "groundtruth/image-classification"
DETECTION_TYPE = "groundtruth/object-detection"
IMAGE_LEVEL_LABELS = "IMAGE_LEVEL_LABELS"
OBJECT_LOCALIZATION = "OBJECT_LOCALIZATION"
NOT_DETERMINED = "NOT_DETERMINED"

MAX_MANIFEST_BYTES = 1024 * 1024 * 1024
MAX_MANIFEST_LINES = 250_000
MAX_INVALID_FRACTION = 0.20
MAX_BOXES_PER_IMAGE = 50
MAX_LABELS_PER_IMAGE = 50
MAX_LABELS_PER_MANIFEST = 250
MIN_CLASSIFICATION_LABELS = 2
MIN_DETECTION_LABELS = 1
MIN_LABEL_OVERLAP = 0.5
MAX_LABEL_NAME = 255
# A box narrower or lower than this many pixels cannot be learned from.
MIN_BOX_SIDE = 1.0

_S3_URI = re.compile(r"^s3://([^/]+)/(.+)$")


class TerminalManifestError(Exception):
    """A rule that fails the whole manifest; ``code`` goes first in the StatusMessage."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


@dataclass
class ValidatedLine:
    """One manifest line after validation."""

    index: int  # 0-based position in the manifest
    document: dict[str, Any] | None  # None when the line is blank or not a JSON object
    line_errors: list[dict[str, str]] = field(default_factory=list)
    # label name → number of usable boxes (0 for an image-level label)
    labels: dict[str, int] = field(default_factory=dict)
    use_cases: set[str] = field(default_factory=set)
    has_nested_errors: bool = False
    has_label_attributes: bool = False
    # Only detection attributes with zero boxes: labeled as "no objects" (WARNING_NO_ANNOTATIONS).
    empty_detection: bool = False

    @property
    def source_ref(self) -> str | None:
        ref = self.document.get("source-ref") if self.document else None
        return ref if isinstance(ref, str) and _S3_URI.match(ref) else None

    @property
    def bucket(self) -> str | None:
        ref = self.source_ref
        match = _S3_URI.match(ref) if ref else None
        return match.group(1) if match else None

    @property
    def is_valid(self) -> bool:
        """Usable at all: no line-level error (annotation or metadata errors only drop labels)."""
        return self.document is not None and not self.line_errors

    @property
    def labeled(self) -> bool:
        return self.is_valid and (bool(self.labels) or self.empty_detection)

    @property
    def has_errors(self) -> bool:
        return bool(self.line_errors) or self.has_nested_errors

    def add_line_error(self, code: str, message: str) -> None:
        self.line_errors.append(_error(code, message))
        if self.document is not None:
            self.document.setdefault("errors", []).append(_error(code, message))

    def to_json(self) -> str:
        """The line as stored and listed: the input with its ``errors`` arrays."""
        return json.dumps(self.document, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------- lines


def split_lines(data: bytes) -> list[str]:
    """Manifest lines; a final newline does not make an extra (blank) line."""
    text = data.decode("utf-8-sig", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def validate_line(text: str, index: int) -> ValidatedLine:
    if not text.strip():
        result = ValidatedLine(index, None)
        result.line_errors.append(_error("ERROR_INVALID_JSON_LINE", "The line is blank."))
        return result
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc if isinstance(exc, json.JSONDecodeError) else "it is nested too deeply"
        result = ValidatedLine(index, None)
        result.line_errors.append(_error("ERROR_INVALID_JSON_LINE", f"The line is not valid JSON: {reason}"))
        return result
    if not isinstance(document, dict):
        result = ValidatedLine(index, None)
        result.line_errors.append(_error("ERROR_INVALID_JSON_LINE", "The line is not a JSON object."))
        return result
    # Errors from an earlier validation are recomputed, never carried over.
    document.pop("errors", None)
    result = ValidatedLine(index, document)
    _check_source_ref(result)
    _check_label_attributes(result)
    return result


def _check_source_ref(result: ValidatedLine) -> None:
    assert result.document is not None
    ref = result.document.get("source-ref")
    if ref is None:
        result.add_line_error("ERROR_MISSING_SOURCE_REF", "The line has no source-ref.")
    elif not isinstance(ref, str) or not _S3_URI.match(ref):
        result.add_line_error(
            "ERROR_INVALID_SOURCE_REF_FORMAT", f"source-ref {ref!r} is not an s3://bucket/key URI."
        )


def label_attributes(document: dict[str, Any]) -> list[str]:
    """Names of the attributes that come with an ``<attr>-metadata`` companion, in line order."""
    return [
        key
        for key in document
        if key not in ("source-ref", "errors")
        and not key.endswith("-metadata")
        and f"{key}-metadata" in document
    ]


def _check_label_attributes(result: ValidatedLine) -> None:
    document = result.document
    assert document is not None
    attributes = label_attributes(document)
    orphans = [
        key for key in document if key.endswith("-metadata") and key.removesuffix("-metadata") not in document
    ]
    for key in orphans:
        if isinstance(document[key], dict):
            document[key].pop("errors", None)
        _metadata_error(
            document,
            key,
            "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT",
            f"{key} has no label attribute named {key.removesuffix('-metadata')!r}.",
        )
        result.has_nested_errors = True
    if not attributes:
        # An unlabeled image is a valid dataset entry; training reports it (summary rules).
        return
    result.has_label_attributes = True
    labels: dict[str, int] = {}
    for attribute in attributes:
        for label, boxes in _check_attribute(result, attribute).items():
            labels[label] = labels.get(label, 0) + boxes
    result.empty_detection = not labels and _has_empty_detection(result, attributes)
    if not labels and not result.empty_detection:
        result.add_line_error(
            "ERROR_NO_VALID_LABEL_ATTRIBUTES", "None of the line's label attributes is usable."
        )
        return
    if len(labels) > MAX_LABELS_PER_IMAGE:
        result.add_line_error(
            "ERROR_TOO_MANY_LABELS_PER_IMAGE",
            f"The image has {len(labels)} labels; at most {MAX_LABELS_PER_IMAGE} are allowed.",
        )
        return
    result.labels = labels


def _has_empty_detection(result: ValidatedLine, attributes: Sequence[str]) -> bool:
    """A detection attribute with zero boxes labels the image as 'nothing here' (a warning only)."""
    assert result.document is not None
    return any(
        isinstance(result.document.get(f"{a}-metadata"), dict)
        and result.document[f"{a}-metadata"].get("type") == DETECTION_TYPE
        and isinstance(result.document.get(a), dict)
        and result.document[a].get("annotations") == []
        for a in attributes
    )


def _metadata_error(document: dict[str, Any], key: str, code: str, message: str) -> None:
    meta = document.get(key)
    if isinstance(meta, dict):
        meta.setdefault("errors", []).append(_error(code, message))
    else:
        document.setdefault("errors", []).append(_error(code, message))


def _check_attribute(result: ValidatedLine, attribute: str) -> dict[str, int]:
    """Usable labels of one attribute; problems are recorded in its metadata."""
    document = result.document
    assert document is not None
    meta_key = f"{attribute}-metadata"
    meta = document[meta_key]

    def fail(code: str, message: str) -> dict[str, int]:
        _metadata_error(document, meta_key, code, message)
        result.has_nested_errors = True
        return {}

    if not isinstance(meta, dict):
        return fail("ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT", f"{meta_key} is not a JSON object.")
    meta.pop("errors", None)
    kind = meta.get("type")
    if kind not in (CLASSIFICATION_TYPE, DETECTION_TYPE):
        return fail(
            "ERROR_UNSUPPORTED_USE_CASE_TYPE",
            f"{meta_key}.type {kind!r} is not {CLASSIFICATION_TYPE!r} or {DETECTION_TYPE!r}.",
        )
    problem = _common_metadata_problem(meta, meta_key)
    if problem:
        return fail("ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT", problem)
    check = _check_classification if kind == CLASSIFICATION_TYPE else _check_detection
    return check(result, attribute, document[attribute], meta, fail)


def _common_metadata_problem(meta: dict[str, Any], meta_key: str) -> str | None:
    if meta.get("human-annotated") not in ("yes", "no"):
        return f"{meta_key}.human-annotated must be 'yes' or 'no'."
    if not isinstance(meta.get("creation-date"), str) or not meta["creation-date"]:
        return f"{meta_key}.creation-date is required."
    if "job-name" in meta and not isinstance(meta["job-name"], str):
        return f"{meta_key}.job-name must be a string."
    return None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_classification(
    result: ValidatedLine, attribute: str, value: Any, meta: dict[str, Any], fail: Any
) -> dict[str, int]:
    meta_key = f"{attribute}-metadata"
    if not isinstance(value, int) or isinstance(value, bool):
        return fail("ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT", f"{attribute} must be an integer class id.")
    name = meta.get("class-name")
    if not isinstance(name, str):
        return fail("ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT", f"{meta_key}.class-name is required.")
    if not 1 <= len(name) <= MAX_LABEL_NAME:
        return fail(
            "ERROR_INVALID_LABEL_NAME_LENGTH", f"Label names must be 1-{MAX_LABEL_NAME} characters long."
        )
    confidence = meta.get("confidence")
    if not _is_number(confidence) or not 0 <= confidence <= 1:
        return fail(
            "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT", f"{meta_key}.confidence must be a number 0-1."
        )
    result.use_cases.add(IMAGE_LEVEL_LABELS)
    return {name: 0}


def _check_detection(
    result: ValidatedLine, attribute: str, value: Any, meta: dict[str, Any], fail: Any
) -> dict[str, int]:
    meta_key = f"{attribute}-metadata"
    if not isinstance(value, dict) or not isinstance(value.get("annotations"), list):
        return fail(
            "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT", f"{attribute} must hold image_size and annotations."
        )
    size = _image_size(value.get("image_size"))
    if size is None:
        return fail(
            "ERROR_INVALID_IMAGE_DIMENSION",
            f"{attribute}.image_size must be [{{width, height, depth}}] with positive integers.",
        )
    class_map = meta.get("class-map")
    objects = meta.get("objects")
    if not isinstance(class_map, dict) or not isinstance(objects, list):
        return fail(
            "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT", f"{meta_key} needs class-map and objects."
        )
    annotations: list[Any] = value["annotations"]
    if len(annotations) > MAX_BOXES_PER_IMAGE:
        return fail(
            "ERROR_TOO_MANY_BOUNDING_BOXES",
            f"{len(annotations)} bounding boxes; at most {MAX_BOXES_PER_IMAGE} per image.",
        )
    result.use_cases.add(OBJECT_LOCALIZATION)
    document = result.document
    assert document is not None
    if not annotations:
        _metadata_error(document, meta_key, "WARNING_NO_ANNOTATIONS", "The image has no bounding boxes.")
        result.has_nested_errors = True
        return {}
    labels: dict[str, int] = {}
    for position, annotation in enumerate(annotations):
        label = _check_box(annotation, position, objects, class_map, size)
        if isinstance(label, dict):  # an error for this box only
            if isinstance(annotation, dict):
                annotation.setdefault("errors", []).append(label)
            else:
                _metadata_error(document, meta_key, label["code"], label["message"])
            result.has_nested_errors = True
        else:
            labels[label] = labels.get(label, 0) + 1
    if not labels:
        return fail("ERROR_NO_VALID_ANNOTATIONS", "None of the bounding boxes is usable.")
    return labels


def _image_size(value: object) -> tuple[int, int] | None:
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
        return None
    item = value[0]
    dims = [item.get(key) for key in ("width", "height", "depth")]
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        return None
    return item["width"], item["height"]


def _check_box(
    annotation: object, position: int, objects: list[Any], class_map: dict[str, Any], size: tuple[int, int]
) -> str | dict[str, str]:
    """The box's label, or the error dict to attach to it."""
    if isinstance(annotation, dict):
        annotation.pop("errors", None)
    fields = ("class_id", "top", "left", "width", "height")
    if not isinstance(annotation, dict) or not all(_is_number(annotation.get(f)) for f in fields):
        return _error("ERROR_INVALID_BOUNDING_BOX", f"Box {position} needs numeric {', '.join(fields)}.")
    class_id = annotation["class_id"]
    if not isinstance(class_id, int) or str(class_id) not in class_map:
        return _error("ERROR_MISSING_CLASS_MAP_ID", f"class_id {class_id} is not in the class-map.")
    label = class_map[str(class_id)]
    if not isinstance(label, str) or not 1 <= len(label) <= MAX_LABEL_NAME:
        return _error(
            "ERROR_INVALID_LABEL_NAME_LENGTH", f"Label names must be 1-{MAX_LABEL_NAME} characters."
        )
    item = objects[position] if position < len(objects) else None
    if not isinstance(item, dict) or not _is_number(item.get("confidence")):
        return _error("ERROR_MISSING_BOUNDING_BOX_CONFIDENCE", f"objects[{position}].confidence is missing.")
    top, left, width, height = (annotation[f] for f in ("top", "left", "width", "height"))
    image_width, image_height = size
    if top < 0 or left < 0 or left + width > image_width or top + height > image_height:
        return _error(
            "ERROR_INVALID_BOUNDING_BOX",
            f"Box {position} lies outside the {image_width}x{image_height} image.",
        )
    if width < MIN_BOX_SIDE or height < MIN_BOX_SIDE:
        return _error(
            "ERROR_BOUNDING_BOX_TOO_SMALL", f"Box {position} is smaller than {MIN_BOX_SIDE:g} pixel."
        )
    return label


# ---------------------------------------------------------------- usable boxes (training)


@dataclass(frozen=True)
class PixelBox:
    """One usable ground-truth box in pixels, with the ``image_size`` its attribute declares."""

    label: str
    left: float
    top: float
    width: float
    height: float
    image_width: int
    image_height: int


@dataclass(frozen=True)
class DetectionTruth:
    """A line's object-detection ground truth: every usable box of its detection attributes."""

    image_size: tuple[int, int] | None  # (width, height) of the first detection attribute
    boxes: list[PixelBox]
    has_detection: bool  # at least one detection attribute (with boxes or deliberately without)


def detection_truth(document: dict[str, Any]) -> DetectionTruth:
    """The boxes validation accepts, read again without changing the document.

    The same checks as ``validate_line`` decide which boxes count, so training uses exactly
    the boxes the validation files report as valid.
    """
    size: tuple[int, int] | None = None
    boxes: list[PixelBox] = []
    has_detection = False
    for attribute in label_attributes(document):
        parts = _detection_parts(document[attribute], document[f"{attribute}-metadata"])
        if parts is None:
            continue
        annotations, attribute_size, class_map, objects = parts
        has_detection = True
        size = size or attribute_size
        for position, annotation in enumerate(annotations):
            # A copy: _check_box drops the errors an earlier validation attached to the item.
            item = (
                {k: v for k, v in annotation.items() if k != "errors"}
                if isinstance(annotation, dict)
                else None
            )
            label = _check_box(item, position, objects, class_map, attribute_size)
            if isinstance(label, str) and item is not None:
                left, top, width, height = (float(item[f]) for f in ("left", "top", "width", "height"))
                boxes.append(PixelBox(label, left, top, width, height, *attribute_size))
    return DetectionTruth(size, boxes, has_detection)


def _detection_parts(
    value: object, meta: object
) -> tuple[list[Any], tuple[int, int], dict[str, Any], list[Any]] | None:
    """(annotations, image size, class-map, objects) of a well-formed detection attribute."""
    if not isinstance(meta, dict) or meta.get("type") != DETECTION_TYPE or not isinstance(value, dict):
        return None
    annotations, size = value.get("annotations"), _image_size(value.get("image_size"))
    class_map, objects = meta.get("class-map"), meta.get("objects")
    if (
        _common_metadata_problem(meta, "") is not None
        or not isinstance(annotations, list)
        or len(annotations) > MAX_BOXES_PER_IMAGE
        or size is None
        or not isinstance(class_map, dict)
        or not isinstance(objects, list)
    ):
        return None
    return annotations, size, class_map, objects


# ---------------------------------------------------------------- whole manifests


@dataclass
class ManifestCheck:
    """Every line of a manifest after validation, plus the rules that span lines."""

    lines: list[ValidatedLine]

    @property
    def invalid_indices(self) -> list[int]:
        return [line.index for line in self.lines if not line.is_valid]

    @property
    def labels(self) -> dict[str, int]:
        """Label → number of valid lines using it."""
        counts: dict[str, int] = {}
        for line in self.lines:
            if line.is_valid:
                for label in line.labels:
                    counts[label] = counts.get(label, 0) + 1
        return counts

    @property
    def use_case(self) -> str:
        cases = {case for line in self.lines if line.labeled for case in line.use_cases}
        if OBJECT_LOCALIZATION in cases:
            return OBJECT_LOCALIZATION
        return IMAGE_LEVEL_LABELS if cases else NOT_DETERMINED

    def stored_lines(self) -> list[ValidatedLine]:
        """Lines a dataset keeps: those with a usable source-ref (a later duplicate replaces an earlier)."""
        by_ref: dict[str, ValidatedLine] = {}
        for line in self.lines:
            ref = line.source_ref
            if ref is not None:
                by_ref.pop(ref, None)
                by_ref[ref] = line
        return list(by_ref.values())


def check_manifest_file(data: bytes) -> ManifestCheck:
    """Validate every line; raises ``TerminalManifestError`` for the file-level errors."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise TerminalManifestError(
            "ERROR_MANIFEST_SIZE_TOO_LARGE", f"The manifest is {len(data)} bytes; the limit is 1 GB."
        )
    return check_manifest_lines(iter_lines([data]))


def check_manifest_lines(raw_lines: Iterable[bytes]) -> ManifestCheck:
    """Validate lines as they arrive; reading stops at the first line past the line limit."""
    lines: list[ValidatedLine] = []
    has_content = False
    try:
        for index, raw in enumerate(raw_lines):
            if index == MAX_MANIFEST_LINES:
                raise TerminalManifestError(
                    "ERROR_TOO_MANY_RECORDS_IN_ERROR",
                    f"The manifest has more than {MAX_MANIFEST_LINES} lines (line {index + 1}); "
                    f"at most {MAX_MANIFEST_LINES} are allowed.",
                )
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            has_content = has_content or bool(text.strip())
            lines.append(validate_line(text, index))
    except LineTooLong as exc:
        raise TerminalManifestError("ERROR_MANIFEST_INACCESSIBLE_OR_UNSUPPORTED_FORMAT", str(exc)) from None
    if not has_content:
        raise TerminalManifestError("ERROR_EMPTY_MANIFEST", "The manifest has no JSON lines.")
    return ManifestCheck(lines)


def check_content_rules(
    check: ManifestCheck, prior_total: int = 0, prior_invalid: int = 0, prior_buckets: Iterable[str] = ()
) -> None:
    """The manifest-content rules a dataset import enforces (20 % rule, one bucket, label cap).

    For an update, ``prior_*`` describe the entries the changes leave in place, so the
    rules apply to the dataset as it will be, not to the batch of changes alone.
    """
    total = len(check.lines) + prior_total
    invalid = len(check.invalid_indices) + prior_invalid
    if total and invalid / total > MAX_INVALID_FRACTION:
        raise TerminalManifestError(
            "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST",
            f"{invalid} of {total} lines are invalid; at most {MAX_INVALID_FRACTION:.0%} may be.",
        )
    buckets = sorted(
        {line.bucket for line in check.lines if line.is_valid and line.bucket} | set(prior_buckets)
    )
    if len(buckets) > 1:
        raise TerminalManifestError(
            "ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS",
            f"The images are in {len(buckets)} buckets ({', '.join(buckets)}); they must all be in one.",
        )
    if len(check.labels) > MAX_LABELS_PER_MANIFEST:
        raise TerminalManifestError(
            "ERROR_MANIFEST_TOO_MANY_LABELS",
            f"The manifest has {len(check.labels)} labels; at most {MAX_LABELS_PER_MANIFEST} are allowed.",
        )


# ---------------------------------------------------------------- training-time summary


def training_label_errors(train: ManifestCheck, test: ManifestCheck | None) -> list[dict[str, str]]:
    """Terminal errors of a training run that span both datasets (label counts and overlap)."""
    errors: list[dict[str, str]] = []
    train_labels = set(train.labels)
    minimum = MIN_DETECTION_LABELS if train.use_case == OBJECT_LOCALIZATION else MIN_CLASSIFICATION_LABELS
    if len(train_labels) < minimum:
        errors.append(
            _error(
                "ERROR_MANIFEST_TOO_FEW_LABELS",
                f"The training data has {len(train_labels)} usable labels; at least {minimum} are needed.",
            )
        )
    if len(train_labels) > MAX_LABELS_PER_MANIFEST:
        errors.append(
            _error("ERROR_MANIFEST_TOO_MANY_LABELS", f"At most {MAX_LABELS_PER_MANIFEST} labels are allowed.")
        )
    if test is not None and test.labels:
        test_labels = set(test.labels)
        overlap = len(test_labels & train_labels) / len(test_labels)
        if overlap < MIN_LABEL_OVERLAP:
            errors.append(
                _error(
                    "ERROR_INSUFFICIENT_LABEL_OVERLAP",
                    f"Only {overlap:.0%} of the test labels are training labels; at least "
                    f"{MIN_LABEL_OVERLAP:.0%} must be.",
                )
            )
    return errors


def dataset_statistics(check: ManifestCheck) -> dict[str, Any]:
    """One ``statistics.training`` / ``statistics.testing`` block of ``manifest_summary.json``."""
    invalid = check.invalid_indices
    unlabeled = [line.index for line in check.lines if line.is_valid and not line.labeled]
    errors: list[dict[str, str]] = []
    total = len(check.lines)
    if total and len(invalid) / total > MAX_INVALID_FRACTION:
        errors.append(
            _error(
                "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST",
                f"{len(invalid)} of {total} lines are invalid; at most {MAX_INVALID_FRACTION:.0%} may be.",
            )
        )
    return {
        "use_case": check.use_case,
        "total_json_lines": total,
        "valid_json_lines": total - len(invalid) - len(unlabeled),
        "invalid_json_lines": len(invalid),
        # Valid but unlabeled lines teach nothing and are left out of training.
        "ignored_json_lines": len(unlabeled),
        "error_json_line_indices": invalid,
        "errors": errors,
    }


def manifest_summary(train: ManifestCheck, test: ManifestCheck | None) -> dict[str, Any]:
    """``manifest_summary.json`` (spec B.5)."""
    statistics: dict[str, Any] = {"training": dataset_statistics(train)}
    if test is not None:
        statistics["testing"] = dataset_statistics(test)
    return {"statistics": statistics, "errors": training_label_errors(train, test)}


def manifest_with_validation(lines: Iterable[ValidatedLine]) -> bytes:
    """``*_manifest_with_validation.json``: every parseable line with its errors, JSON Lines."""
    return "".join(line.to_json() + "\n" for line in lines if line.document is not None).encode()
