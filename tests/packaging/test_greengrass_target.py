"""Configuration.Greengrass validation rules (spec A.9)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from packaging_helpers import greengrass

from openlookout.errors import InvalidInputError
from openlookout.export.target import parse_greengrass

NVIDIA = {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}
NVIDIA_OPTIONS = {"gpu-code": "sm_72", "trt-ver": "7.1.3", "cuda-ver": "10.2"}


def test_platform_target_with_defaults() -> None:
    target = parse_greengrass(greengrass(), 3)
    assert (target.architecture, target.accelerator) == ("X86_64", None)
    assert (target.component_name, target.component_version) == ("cookie-detector", "3.0.0")
    assert (target.bucket, target.prefix) == ("edge-out", "packages/")
    assert target.configuration["Greengrass"]["ComponentVersion"] == "3.0.0"


def test_target_device_maps_to_arm64() -> None:
    target = parse_greengrass(greengrass(TargetPlatform=None, TargetDevice="jetson_xavier"), 1)
    assert target.architecture == "ARM64"


def test_nvidia_platform_accepts_complete_compiler_options() -> None:
    config = greengrass(TargetPlatform=NVIDIA, CompilerOptions=json.dumps(NVIDIA_OPTIONS))
    target = parse_greengrass(config, 1)
    assert target.accelerator == "NVIDIA"
    assert target.compiler_options == NVIDIA_OPTIONS


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"TargetPlatform": None}, "TargetDevice", "exactly one"),
        ({"TargetDevice": "jetson_xavier"}, "TargetDevice", "exactly one"),
        (
            {"TargetPlatform": None, "TargetDevice": "jetson_xavier", "CompilerOptions": '{"mcpu": "x"}'},
            "CompilerOptions",
            "cannot be used with TargetDevice",
        ),
        ({"TargetPlatform": None, "TargetDevice": "raspberry"}, "TargetDevice", "jetson_xavier"),
        ({"TargetPlatform": {"Os": "WINDOWS", "Arch": "X86_64"}}, "TargetPlatform.Os", "LINUX"),
        ({"TargetPlatform": {"Os": "LINUX", "Arch": "MIPS"}}, "TargetPlatform.Arch", "ARM64"),
        ({"TargetPlatform": NVIDIA}, "CompilerOptions", "gpu-code"),
        (
            {"TargetPlatform": NVIDIA, "CompilerOptions": json.dumps({**NVIDIA_OPTIONS, "trt-ver": "7.1"})},
            "CompilerOptions",
            "trt-ver",
        ),
        (
            {"TargetPlatform": NVIDIA, "CompilerOptions": json.dumps({**NVIDIA_OPTIONS, "cuda-ver": None})},
            "CompilerOptions",
            "cuda-ver",
        ),
        ({"CompilerOptions": "not json"}, "CompilerOptions", "JSON object"),
        ({"CompilerOptions": '["mcpu"]'}, "CompilerOptions", "JSON object"),
        ({"CompilerOptions": '{"gpu-code": "sm_72"}'}, "CompilerOptions", "only mcpu and mattr"),
        ({"ComponentVersion": "1.0"}, "ComponentVersion", "does not match"),
        ({"ComponentName": None}, "ComponentName", "required"),
        ({"ComponentName": "bad name"}, "ComponentName", "does not match"),
        ({"S3OutputLocation": None}, "S3OutputLocation", "required"),
        ({"S3OutputLocation": {"Prefix": "x/"}}, "Bucket", "required"),
    ],
)
def test_invalid_configurations_name_the_field(overrides: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(InvalidInputError, match=text) as err:
        parse_greengrass(greengrass(**overrides), 1)
    assert err.value.field is not None and err.value.field.endswith(field)


def test_cpu_compiler_options_are_kept() -> None:
    options = {"mcpu": "cortex-a72", "mattr": ["+neon"]}
    assert parse_greengrass(greengrass(CompilerOptions=json.dumps(options)), 1).compiler_options == options


@pytest.mark.parametrize("configuration", [{}, {"Greengrass": "x"}, None])
def test_configuration_must_hold_greengrass(configuration: Any) -> None:
    with pytest.raises(InvalidInputError) as err:
        parse_greengrass(configuration, 1)
    assert err.value.field == "Configuration"
