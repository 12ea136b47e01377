"""The stored form of a manifest line (docs/datasets.md, "Normalised lines").

The user's line is kept, key order included; only the label and mask
attributes get their conventional names, and the label number is made to
agree with ``class-name`` (1 = anomaly, 0 = normal) because real clients write
it inverted.
"""

from __future__ import annotations

import json
from typing import Any

from openlookout.manifests.lines import METADATA_SUFFIX, ManifestLine

LABEL_KEY = "anomaly-label"
MASK_KEY = "anomaly-mask-ref"


def normalise_line(line: ManifestLine) -> dict[str, Any]:
    renames: dict[str, str] = {}
    if line.label_key is not None:
        renames[line.label_key] = LABEL_KEY
        renames[line.label_key + METADATA_SUFFIX] = LABEL_KEY + METADATA_SUFFIX
    if line.mask_key is not None:
        renames[line.mask_key] = MASK_KEY
        renames[line.mask_key + METADATA_SUFFIX] = MASK_KEY + METADATA_SUFFIX
    result = {renames.get(key, key): value for key, value in line.raw.items()}
    if line.label == "anomaly":
        result[LABEL_KEY] = 1
    elif line.label == "normal":
        result[LABEL_KEY] = 0
    return result


def normalised_json(line: ManifestLine) -> str:
    """The normalised line as the compact JSON string ListDatasetEntries returns."""
    return json.dumps(normalise_line(line), ensure_ascii=False, separators=(",", ":"))
