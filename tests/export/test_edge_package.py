"""The edge package: layout, recipe, and the standalone runner against the PyTorch reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openlookout.edge import REQUIREMENTS
from openlookout.export.package import PackageSource, build_package
from openlookout.export.recipe import ComponentInfo
from openlookout.ml.anomaly import load_anomaly_model
from openlookout.ml.api import ImagePrediction

from .conftest import load_rgb

pytestmark = pytest.mark.slow
COMPONENT = ComponentInfo("cookie-detector", "1.0.0", "cookies", "ARM64", "s3://edge/pk/package.zip")
RUNNER_FILES = ["__init__.py", "__main__.py", "model.py", "result.py", "scoring.py", "segmentation.py"]


@pytest.fixture(scope="module")
def package_dir(cookie_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("edge") / "package"
    source = PackageSource("cookies", 1, "arn:aws:lookoutvision:us-east-1:1:model/cookies/1")
    build_package(cookie_model_dir, out, source, COMPONENT)
    return out


@pytest.fixture(scope="module")
def reference(cookie_model_dir: Path, cookie_test_images: list[Path]) -> list[ImagePrediction]:
    model = load_anomaly_model(cookie_model_dir, device="cpu")
    return [model.predict(load_rgb(path)) for path in cookie_test_images]


def run_runner(python: str, package_dir: Path, images: list[Path]) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH and the package as working directory: the runner sees only its own folder.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    command = [python, "-m", "openlookout_edge", "--model", str(package_dir), "--threads", "2"]
    return subprocess.run(
        [*command, *map(str, images)], cwd=package_dir, env=env, capture_output=True, text=True, timeout=300
    )


def assert_matches(results: list[dict[str, Any]], reference: list[ImagePrediction]) -> None:
    assert len(results) == len(reference)
    for got, want in zip(results, reference, strict=True):
        assert got["IsAnomalous"] == want.is_anomalous
        assert got["Confidence"] == pytest.approx(want.confidence, abs=1e-4)
        assert got["Source"] == {"Type": "direct"}
        assert "AnomalyMask" not in got  # classification model


def test_layout_config_and_recipe(package_dir: Path) -> None:
    files = sorted(p.relative_to(package_dir).as_posix() for p in package_dir.rglob("*") if p.is_file())
    expected = ["model.json", "model.onnx", "package.zip", "recipe.json", "requirements.txt"]
    expected.append("map_normalization.npz")  # per-position statistics of held-out normal maps
    assert files == sorted(expected + [f"openlookout_edge/{name}" for name in RUNNER_FILES])
    assert (package_dir / "requirements.txt").read_text().split() == list(REQUIREMENTS)
    with zipfile.ZipFile(package_dir / "package.zip") as archive:
        zipped = sorted(archive.namelist())
    assert zipped == sorted(f for f in files if f not in {"package.zip", "recipe.json"})
    config = json.loads((package_dir / "model.json").read_text())
    assert config["image_size"] == [768, 576] and config["working_size"] == [288, 224]
    assert config["model_type"] == "classification" and config["classes"] == []
    assert config["calibration"]["threshold"] > 0 and config["calibration"]["scale"] > 0
    recipe = json.loads((package_dir / "recipe.json").read_text())
    assert (recipe["ComponentName"], recipe["ComponentVersion"]) == ("cookie-detector", "1.0.0")
    manifest = recipe["Manifests"][0]
    assert manifest["Platform"] == {"os": "linux", "architecture": "aarch64"}
    assert manifest["Artifacts"] == [{"URI": "s3://edge/pk/package.zip", "Unarchive": "ZIP"}]
    assert "requirements.txt" in manifest["Lifecycle"]["Install"]


def test_runner_never_imports_the_server_package(package_dir: Path) -> None:
    for path in (package_dir / "openlookout_edge").glob("*.py"):
        text = path.read_text()
        assert "import openlookout\n" not in text and "from openlookout." not in text, path.name


def test_runner_reproduces_the_reference_answers(
    package_dir: Path, cookie_test_images: list[Path], reference: list[ImagePrediction]
) -> None:
    done = run_runner(sys.executable, package_dir, cookie_test_images)
    assert done.returncode == 0, done.stderr
    assert_matches([json.loads(line)["DetectAnomalyResult"] for line in done.stdout.splitlines()], reference)


def test_runner_refuses_images_of_another_size(package_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    small = tmp_path / "small.png"
    Image.new("RGB", (64, 48)).save(small)
    done = run_runner(sys.executable, package_dir, [small])
    assert done.returncode == 1
    assert "64x48" in done.stderr and "576x768" in done.stderr
    assert done.stdout == ""


@pytest.fixture(scope="module")
def fresh_venv(package_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A new venv with nothing but the package's requirements.txt (pip uses this machine's index)."""
    venv = tmp_path_factory.mktemp("edge-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(package_dir / "requirements.txt")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if install.returncode != 0:
        pytest.skip(f"pip could not install the package requirements here: {install.stderr[-500:]}")
    yield python


def test_fresh_venv_with_only_the_stated_dependencies_reproduces_the_answers(
    fresh_venv: Path, package_dir: Path, cookie_test_images: list[Path], reference: list[ImagePrediction]
) -> None:
    probe = subprocess.run(
        [str(fresh_venv), "-c", "import openlookout"], cwd=package_dir, capture_output=True, timeout=60
    )
    assert probe.returncode != 0, "the fresh venv must not see the server package"
    done = run_runner(str(fresh_venv), package_dir, cookie_test_images)
    assert done.returncode == 0, done.stderr
    assert_matches([json.loads(line)["DetectAnomalyResult"] for line in done.stdout.splitlines()], reference)
