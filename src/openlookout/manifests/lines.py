"""Parse SageMaker Ground Truth JSON lines as Lookout for Vision reads them (spec A.5.4).

The label attribute and the mask attribute may have any name; the label is
decided by ``class-name`` alone because real clients write inverted numbers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openlookout.manifests.errors import ManifestError
from openlookout.manifests.limits import MAX_ANOMALY_LABELS_PER_MASK
from openlookout.manifests.stream import MAX_LINE_BYTES, LineTooLong, iter_lines

SOURCE_REF = "source-ref"
METADATA_SUFFIX = "-metadata"
REF_SUFFIX = "-ref"
BACKGROUND = "BACKGROUND"
LABELS = ("normal", "anomaly")

_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_S3_URI = re.compile(r"^s3://([^/]+)/(.+)$")


@dataclass(frozen=True)
class ColorClass:
    """One entry of a mask's ``internal-color-map``; ``hex_color`` is lower-case ``#rrggbb``."""

    class_name: str
    hex_color: str

    @property
    def is_background(self) -> bool:
        return self.class_name.upper() == BACKGROUND

    @property
    def rgb(self) -> tuple[int, int, int]:
        value = int(self.hex_color[1:], 16)
        return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


@dataclass(frozen=True)
class ManifestLine:
    line_no: int
    raw: dict[str, Any]  # the user's object, key order kept
    source_ref: str
    label_key: str | None  # the label attribute's name in ``raw``
    label: str | None  # "normal" | "anomaly" | None (unlabeled)
    mask_key: str | None  # the mask attribute's name in ``raw``
    mask_ref: str | None
    color_map: tuple[ColorClass, ...] = ()

    @property
    def bucket(self) -> str:
        return split_s3_uri(self.source_ref)[0]

    @property
    def key(self) -> str:
        return split_s3_uri(self.source_ref)[1]

    @property
    def anomaly_class_names(self) -> list[str]:
        """Distinct non-background class names of the colour map, in map order."""
        names: list[str] = []
        for entry in self.color_map:
            if not entry.is_background and entry.class_name not in names:
                names.append(entry.class_name)
        return names


def split_s3_uri(uri: str) -> tuple[str, str]:
    match = _S3_URI.match(uri)
    if not match:
        raise ValueError(f"{uri!r} is not an s3://bucket/key URI")
    return match.group(1), match.group(2)


def parse_manifest(data: bytes) -> list[ManifestLine]:
    """Parse a whole manifest (JSON Lines, UTF-8); blank lines are skipped."""
    return parse_manifest_lines(iter_lines([data]))


def parse_manifest_lines(
    raw_lines: Iterable[bytes], max_images: int | None = None, too_many: str = ""
) -> list[ManifestLine]:
    """Parse lines as they arrive (a UTF-8 BOM is tolerated); blank lines are skipped.

    With ``max_images``, the first non-blank line past it raises ``ManifestError`` at once,
    ``too_many`` saying which limit it is, so no more of the manifest is read.
    """
    lines: list[ManifestLine] = []
    line_no = 0
    try:
        for line_no, raw_line in enumerate(raw_lines, start=1):
            try:
                text = raw_line.decode("utf-8")
            except UnicodeDecodeError:
                raise ManifestError(line_no, "The line is not valid UTF-8.") from None
            if not text.strip():
                continue
            if max_images is not None and len(lines) == max_images:
                raise ManifestError(line_no, f"This is image {max_images + 1}; {too_many}")
            lines.append(parse_line(text, line_no))
    except LineTooLong as exc:
        raise ManifestError(exc.line_no, f"The line is longer than {MAX_LINE_BYTES} bytes.") from None
    return lines


def parse_line(text: str, line_no: int) -> ManifestLine:
    """Parse and validate one JSON line; raises ``ManifestError`` naming ``line_no``."""
    obj = _load_object(text, line_no)
    source_ref = obj.get(SOURCE_REF)
    if source_ref is None:
        raise ManifestError(line_no, f"'{SOURCE_REF}' is missing.")
    _require_s3_uri(source_ref, SOURCE_REF, line_no)
    label_key, label = _find_label(obj, line_no)
    mask_key, mask_ref, color_map = _find_mask(obj, line_no)
    return ManifestLine(
        line_no=line_no,
        raw=obj,
        source_ref=source_ref,
        label_key=label_key,
        label=label,
        mask_key=mask_key,
        mask_ref=mask_ref,
        color_map=color_map,
    )


def _load_object(text: str, line_no: int) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ManifestError(line_no, f"The key '{key}' appears more than once.")
            result[key] = value
        return result

    try:
        obj = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            line_no, f"The line is not valid JSON ({exc.msg} at column {exc.colno})."
        ) from None
    except RecursionError:
        raise ManifestError(line_no, "The line is not valid JSON (it is nested too deeply).") from None
    if not isinstance(obj, dict):
        raise ManifestError(line_no, "The line must be a JSON object.")
    return obj


def _require_s3_uri(value: object, key: str, line_no: int) -> None:
    if not isinstance(value, str) or not _S3_URI.match(value):
        raise ManifestError(line_no, f"'{key}' must be an S3 URI like s3://bucket/key, got {value!r}.")


# AWS's csv_to_manifest.py writes the label number as a string ("0"/"1"); class-name decides.
_NUMERIC_STRING = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def _is_number(value: object) -> bool:
    if isinstance(value, str):
        return _NUMERIC_STRING.fullmatch(value) is not None
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _require_metadata_fields(meta: dict[str, Any], meta_key: str, line_no: int) -> None:
    for field in ("type", "human-annotated"):
        if field not in meta:
            raise ManifestError(line_no, f"'{meta_key}' has no '{field}'.")
        if not isinstance(meta[field], str):
            raise ManifestError(line_no, f"'{field}' in '{meta_key}' must be a string.")


def _find_label(obj: dict[str, Any], line_no: int) -> tuple[str | None, str | None]:
    """The label attribute is the key K whose ``K-metadata`` object carries ``class-name``."""
    found: list[str] = []
    for meta_key, meta in obj.items():
        if not meta_key.endswith(METADATA_SUFFIX) or not isinstance(meta, dict) or "class-name" not in meta:
            continue
        key = meta_key[: -len(METADATA_SUFFIX)]
        if key.endswith(REF_SUFFIX):
            continue  # mask metadata never carries a top-level class-name; don't guess
        if key not in obj:
            raise ManifestError(line_no, f"'{meta_key}' has no matching label attribute '{key}'.")
        if not _is_number(obj[key]):
            raise ManifestError(
                line_no, f"The label attribute '{key}' must be a number (or a numeric string such as \"1\")."
            )
        found.append(key)
    if not found:
        return None, None
    if len(found) > 1:
        names = ", ".join(f"'{k}'" for k in found)
        raise ManifestError(line_no, f"The line has more than one label attribute ({names}).")
    key = found[0]
    meta_key = key + METADATA_SUFFIX
    meta = obj[meta_key]
    class_name = meta["class-name"]
    if not isinstance(class_name, str):
        raise ManifestError(line_no, f"'class-name' in '{meta_key}' must be a string.")
    _require_metadata_fields(meta, meta_key, line_no)
    _reject_renaming_clash(obj, key, "anomaly-label", line_no)
    return key, class_name if class_name in LABELS else None


def _find_mask(obj: dict[str, Any], line_no: int) -> tuple[str | None, str | None, tuple[ColorClass, ...]]:
    keys = [k for k in obj if k.endswith(REF_SUFFIX) and k != SOURCE_REF]
    orphan_meta = [
        k
        for k in obj
        if k.endswith(REF_SUFFIX + METADATA_SUFFIX)
        and k != SOURCE_REF + METADATA_SUFFIX
        and k[: -len(METADATA_SUFFIX)] not in obj
    ]
    if orphan_meta:
        raise ManifestError(line_no, f"'{orphan_meta[0]}' has no matching mask reference.")
    if not keys:
        return None, None, ()
    if len(keys) > 1:
        names = ", ".join(f"'{k}'" for k in keys)
        raise ManifestError(line_no, f"The line has more than one mask reference ({names}).")
    key = keys[0]
    meta_key = key + METADATA_SUFFIX
    _require_s3_uri(obj[key], key, line_no)
    meta = obj.get(meta_key)
    if not isinstance(meta, dict):
        raise ManifestError(line_no, f"'{meta_key}' is missing.")
    if "internal-color-map" not in meta:
        raise ManifestError(line_no, f"'{meta_key}' has no 'internal-color-map'.")
    _require_metadata_fields(meta, meta_key, line_no)
    color_map = _parse_color_map(meta["internal-color-map"], line_no)
    anomaly_classes = {c.class_name for c in color_map if not c.is_background}
    if len(anomaly_classes) > MAX_ANOMALY_LABELS_PER_MASK:
        raise ManifestError(
            line_no,
            f"The mask has {len(anomaly_classes)} anomaly labels; "
            f"at most {MAX_ANOMALY_LABELS_PER_MASK} are allowed on one mask.",
        )
    _reject_renaming_clash(obj, key, "anomaly-mask-ref", line_no)
    return key, obj[key], color_map


def _parse_color_map(value: object, line_no: int) -> tuple[ColorClass, ...]:
    if not isinstance(value, dict) or not value:
        raise ManifestError(line_no, "'internal-color-map' must be a non-empty object.")
    entries: list[ColorClass] = []
    seen: dict[str, str] = {}
    for map_key in sorted(value, key=_color_map_order):
        item = value[map_key]
        where = f"'internal-color-map' entry '{map_key}'"
        if not isinstance(item, dict):
            raise ManifestError(line_no, f"{where} must be an object.")
        name = item.get("class-name")
        if not isinstance(name, str) or not name:
            raise ManifestError(line_no, f"{where} needs a 'class-name' string.")
        color = item.get("hex-color")
        if not isinstance(color, str) or not _HEX_COLOR.match(color):
            raise ManifestError(line_no, f"{where} needs a 'hex-color' like #23A436, got {color!r}.")
        if "confidence" in item and not _is_number(item["confidence"]):
            raise ManifestError(line_no, f"{where} has a 'confidence' that is not a number.")
        color = color.lower()
        if color in seen and seen[color] != name:
            raise ManifestError(line_no, f"The colour {color} is used for both '{seen[color]}' and '{name}'.")
        seen[color] = name
        entries.append(ColorClass(class_name=name, hex_color=color))
    return tuple(entries)


def _color_map_order(key: str) -> tuple[int, int | str]:
    # Keys are "0", "1", ...; sort them numerically, anything else after, by text.
    return (0, int(key)) if key.isdigit() else (1, key)


def _reject_renaming_clash(obj: dict[str, Any], key: str, normal_name: str, line_no: int) -> None:
    """Normalisation renames ``key`` to ``normal_name``; a different key of that name would be lost."""
    if key == normal_name:
        return
    for clash in (normal_name, normal_name + METADATA_SUFFIX):
        if clash in obj:
            raise ManifestError(
                line_no, f"The line uses '{key}' and also has a separate '{clash}' key; keep only one."
            )
