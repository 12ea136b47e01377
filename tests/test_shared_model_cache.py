"""The cross-run cache of trained test models: keyed by code and data, trained once per key."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import shared_models


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(shared_models.CACHE_ENV, str(folder))
    return folder


def _writer(calls: list[Path]):
    def train(out: Path) -> None:
        calls.append(out)
        out.mkdir()
        (out / "model.bin").write_bytes(b"weights")

    return train


def test_trains_once_per_key_and_reuses_the_folder(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "train" / "normal" / "a.jpg"
    data.parent.mkdir(parents=True)
    data.write_bytes(b"one")
    calls: list[Path] = []
    first = shared_models.shared_model_dir(tmp_path_factory, "m", _writer(calls), inputs=[data])
    again = shared_models.shared_model_dir(tmp_path_factory, "m", _writer(calls), inputs=[data])
    assert first == again and len(calls) == 1
    assert first.parent == cache_dir and (first / "model.bin").read_bytes() == b"weights"

    data.write_bytes(b"two")  # other data: another key, trained again, the stale one dropped
    changed = shared_models.shared_model_dir(tmp_path_factory, "m", _writer(calls), inputs=[data])
    assert changed != first and len(calls) == 2
    assert not first.exists()


def test_key_follows_label_folders_and_test_code(tmp_path: Path) -> None:
    normal, anomaly = tmp_path / "normal" / "x.jpg", tmp_path / "anomaly" / "x.jpg"
    for path in (normal, anomaly):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"same")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "conftest.py").write_text("SEED = 1\n")
    key = shared_models.cache_key("m", [normal], package)
    assert key != shared_models.cache_key("m", [anomaly], package)
    assert key != shared_models.cache_key("other", [normal], package)
    shared_models.source_digest.cache_clear()
    (package / "conftest.py").write_text("SEED = 2\n")
    assert key != shared_models.cache_key("m", [normal], package)


def test_failed_training_leaves_nothing(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> None:
    def fail(out: Path) -> None:
        out.mkdir()
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        shared_models.shared_model_dir(tmp_path_factory, "broken", fail)
    assert [p for p in cache_dir.iterdir() if p.is_dir()] == []


def test_off_keeps_models_to_the_run(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(shared_models.CACHE_ENV, "off")
    assert shared_models.cache_root() is None
    calls: list[Path] = []
    folder = shared_models.shared_model_dir(tmp_path_factory, "per-run", _writer(calls))
    assert folder.parent == shared_models.run_shared_dir(tmp_path_factory) / "shared-models"
