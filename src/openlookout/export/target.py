"""Validation of ``Configuration.Greengrass`` for StartModelPackagingJob (spec A.9).

Rules enforced here (each violation is a ValidationException naming the field):
- exactly one of ``TargetDevice`` (``jetson_xavier``) and ``TargetPlatform{Os, Arch, Accelerator?}``;
- ``CompilerOptions`` must not come with ``TargetDevice``; when given it is a JSON object;
- an NVIDIA accelerator needs ``gpu-code`` (e.g. ``sm_72``), ``trt-ver`` (x.y.z) and
  ``cuda-ver`` (x.y) in CompilerOptions; a CPU platform accepts only ``mcpu`` and ``mattr``;
- ``S3OutputLocation{Bucket, Prefix?}``, ``ComponentName`` and the semantic
  ``ComponentVersion`` (default ``<ModelVersion>.0.0``) follow the API's patterns.
This module does not import torch: the API process validates without loading the model stack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from openlookout.errors import InvalidInputError

DEVICES = {"jetson_xavier": "ARM64"}  # target device -> architecture of its package
OPERATING_SYSTEMS = {"LINUX"}
ARCHITECTURES = {"ARM64", "X86_64"}
ACCELERATORS = {"NVIDIA"}
NVIDIA_OPTIONS = {
    "gpu-code": re.compile(r"^sm_[0-9]{2,3}$"),
    "trt-ver": re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$"),
    "cuda-ver": re.compile(r"^[0-9]+\.[0-9]+$"),
}
CPU_OPTIONS = {"mcpu", "mattr"}
COMPONENT_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,128}$")
COMPONENT_VERSION = re.compile(r"^([0-9]{1,6})\.([0-9]{1,6})\.([0-9]{1,6})$")
DESCRIPTION = re.compile(r"^[a-zA-Z0-9\-_. ()':,;?]{1,256}$")
S3_BUCKET = re.compile(r"^[0-9A-Za-z.\-_]{3,63}$")
S3_PREFIX = re.compile(r"^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$")
FIELD = "Configuration.Greengrass"


@dataclass(frozen=True)
class GreengrassTarget:
    """A validated configuration, with defaults filled in."""

    architecture: str  # "ARM64" | "X86_64"
    accelerator: str | None
    compiler_options: dict[str, Any]
    bucket: str
    prefix: str
    component_name: str
    component_version: str
    component_description: str | None
    configuration: dict[str, Any]  # as DescribeModelPackagingJob echoes it (ComponentVersion filled in)


def _fail(message: str, field: str) -> InvalidInputError:
    return InvalidInputError(message, field=f"{FIELD}.{field}")


def _string(config: dict[str, Any], key: str, pattern: re.Pattern[str], required: bool) -> str | None:
    value = config.get(key)
    if value is None:
        if required:
            raise _fail(f"{key} is required.", key)
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise _fail(f"{key} {value!r} does not match {pattern.pattern}.", key)
    return value


def _compiler_options(text: Any, accelerator: str | None) -> dict[str, Any]:
    if text is None:
        options: dict[str, Any] = {}
    else:
        try:
            parsed = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict):
            raise _fail(
                'CompilerOptions must be a JSON object such as {"mcpu": "core-avx2"}.', "CompilerOptions"
            )
        options = parsed
    if accelerator == "NVIDIA":
        for key, pattern in NVIDIA_OPTIONS.items():
            value = options.get(key)
            if not isinstance(value, str) or not pattern.match(value):
                raise _fail(
                    "An NVIDIA accelerator needs CompilerOptions with gpu-code (e.g. sm_72), trt-ver (x.y.z) "
                    f"and cuda-ver (x.y); {key} is missing or malformed.",
                    "CompilerOptions",
                )
        return options
    unknown = sorted(set(options) - CPU_OPTIONS)
    if unknown:
        raise _fail(
            f"CompilerOptions for a CPU target accept only mcpu and mattr; got {', '.join(unknown)}.",
            "CompilerOptions",
        )
    return options


def _architecture(config: dict[str, Any]) -> tuple[str, str | None]:
    device, platform = config.get("TargetDevice"), config.get("TargetPlatform")
    if (device is None) == (platform is None):
        raise _fail("Specify exactly one of TargetDevice and TargetPlatform.", "TargetDevice")
    if device is not None:
        if device not in DEVICES:
            raise _fail(f"TargetDevice must be one of {', '.join(sorted(DEVICES))}.", "TargetDevice")
        if config.get("CompilerOptions") is not None:
            raise _fail("CompilerOptions cannot be used with TargetDevice.", "CompilerOptions")
        return DEVICES[device], None
    if not isinstance(platform, dict):
        raise _fail("TargetPlatform must be {Os, Arch, Accelerator?}.", "TargetPlatform")
    if platform.get("Os") not in OPERATING_SYSTEMS:
        raise _fail("TargetPlatform.Os must be LINUX.", "TargetPlatform.Os")
    if platform.get("Arch") not in ARCHITECTURES:
        raise _fail("TargetPlatform.Arch must be ARM64 or X86_64.", "TargetPlatform.Arch")
    accelerator = platform.get("Accelerator")
    if accelerator is not None and accelerator not in ACCELERATORS:
        raise _fail("TargetPlatform.Accelerator must be NVIDIA.", "TargetPlatform.Accelerator")
    return str(platform["Arch"]), accelerator


def parse_greengrass(configuration: Any, model_version: int) -> GreengrassTarget:
    """Validate ``Configuration`` (``{"Greengrass": {...}}``) for a model version."""
    config = configuration.get("Greengrass") if isinstance(configuration, dict) else None
    if not isinstance(config, dict):
        raise InvalidInputError("Configuration must be {Greengrass: {...}}.", field="Configuration")
    architecture, accelerator = _architecture(config)
    options = _compiler_options(config.get("CompilerOptions"), accelerator)
    location = config.get("S3OutputLocation")
    if not isinstance(location, dict):
        raise _fail("S3OutputLocation {Bucket, Prefix?} is required.", "S3OutputLocation")
    bucket = _string(location, "Bucket", S3_BUCKET, required=True)
    prefix = _string(location, "Prefix", S3_PREFIX, required=False) or ""
    name = _string(config, "ComponentName", COMPONENT_NAME, required=True)
    version = _string(config, "ComponentVersion", COMPONENT_VERSION, required=False) or f"{model_version}.0.0"
    description = _string(config, "ComponentDescription", DESCRIPTION, required=False)
    assert bucket is not None and name is not None  # required above
    return GreengrassTarget(
        architecture=architecture,
        accelerator=accelerator,
        compiler_options=options,
        bucket=bucket,
        prefix=prefix,
        component_name=name,
        component_version=version,
        component_description=description,
        configuration={"Greengrass": {**config, "ComponentVersion": version}},
    )
