"""The onnxruntime path against the PyTorch reference on the cookie test images."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from openlookout.export.hosted import load_hosted_model
from openlookout.export.onnx_export import ONNX_FILE, export_graph
from openlookout.export.onnx_model import OnnxAnomalyModel, load_onnx_model
from openlookout.ml.anomaly import AnomalyModel, load_anomaly_model
from openlookout.ml.artifacts import load_artifacts

from .conftest import load_rgb

pytestmark = pytest.mark.slow


def export_model_dir(model_dir: Path, out_path: Path | None = None) -> Path:
    """Export the model saved in ``model_dir`` (default target: ``model_dir/model.onnx``)."""
    return export_graph(load_artifacts(model_dir), out_path or model_dir / ONNX_FILE)


@pytest.fixture(scope="module")
def models(cookie_model_dir: Path) -> tuple[AnomalyModel, OnnxAnomalyModel]:
    return load_anomaly_model(cookie_model_dir, device="cpu"), load_onnx_model(cookie_model_dir, threads=2)


def test_scores_and_decisions_match_pytorch(
    models: tuple[AnomalyModel, OnnxAnomalyModel], cookie_test_images: list[Path]
) -> None:
    reference, onnx = models
    images = [load_rgb(path) for path in cookie_test_images]
    expected = reference.predict_many([lambda i=i: i for i in images], [str(p) for p in cookie_test_images])
    got = onnx.predict_many([lambda i=i: i for i in images], [str(p) for p in cookie_test_images])
    assert [p.ref for p in got] == [p.ref for p in expected]
    assert [p.is_anomalous for p in got] == [p.is_anomalous for p in expected]
    # Both classes occur, so the comparison covers each side of the threshold.
    assert {p.is_anomalous for p in expected} == {True, False}
    for a, b in zip(expected, got, strict=True):
        assert abs(a.score - b.score) <= 1e-4 * max(1.0, abs(a.score)), a.ref
        assert abs(a.confidence - b.confidence) <= 1e-4, a.ref
        assert a.anomaly_map is not None and b.anomaly_map is not None
        assert a.anomaly_map.shape == b.anomaly_map.shape
        np.testing.assert_allclose(b.anomaly_map, a.anomaly_map, atol=1e-3)


def test_batches_give_the_single_image_answers(
    models: tuple[AnomalyModel, OnnxAnomalyModel], cookie_test_images: list[Path]
) -> None:
    _, onnx = models
    images = [load_rgb(path) for path in cookie_test_images[:5]]
    batch = onnx.predict_many([lambda i=i: i for i in images], [""] * len(images))
    for image, batched in zip(images, batch, strict=True):
        single = onnx.predict(image)
        assert single.is_anomalous == batched.is_anomalous
        assert single.score == pytest.approx(batched.score, rel=1e-5)


def test_hosted_loader_serves_onnx_on_cpu_and_exports_once(cookie_model_dir: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "hosted"
    shutil.copytree(cookie_model_dir, model_dir)
    (model_dir / ONNX_FILE).unlink(missing_ok=True)
    model = load_hosted_model(model_dir, device="cpu")
    assert isinstance(model, OnnxAnomalyModel)
    assert (model_dir / ONNX_FILE).is_file()
    assert not list(model_dir.glob("*.partial"))
    assert model.image_size == (768, 576)
    assert model.model_type == "classification"


def test_export_refuses_a_folder_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        export_model_dir(tmp_path)


def test_exported_graph_is_valid_onnx_with_the_documented_interface(
    cookie_model_dir: Path, tmp_path: Path
) -> None:
    import onnx

    path = export_model_dir(cookie_model_dir, tmp_path / "check.onnx")
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    assert max(op.version for op in graph.opset_import if op.domain in ("", "ai.onnx")) == 17
    assert [i.name for i in graph.graph.input] == ["image"]
    assert [o.name for o in graph.graph.output] == ["features", "distances"]
    dims = graph.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [288, 224, 3]


def test_benchmark_reports_both_paths(
    cookie_model_dir: Path, cookie_test_images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from openlookout.export.benchmark import main

    main([str(cookie_model_dir), *map(str, cookie_test_images[:2]), "--threads", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("pytorch") and lines[1].startswith("onnxruntime")
    assert lines[-1] == "decisions equal: True"
