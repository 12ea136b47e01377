"""``stage_progress``: training reports its stages and percent, and trains exactly the same model."""

from __future__ import annotations

from pathlib import Path

from openlookout.ml.anomaly import train_anomaly_model

from .synthetic import labeled


def test_stages_in_order_percent_rising_and_identical_model_files(tmp_path: Path) -> None:
    train = [labeled(i, False) for i in range(6)] + [labeled(100 + i, True) for i in range(3)]
    test = [labeled(200, False), labeled(300, True)]
    seen: list[tuple[str, float]] = []
    with_progress, without = tmp_path / "with", tmp_path / "without"
    train_anomaly_model(
        train, test, with_progress, device="cpu", stage_progress=lambda s, p: seen.append((s, p))
    )
    train_anomaly_model(train, test, without, device="cpu")

    stages = list(dict.fromkeys(stage for stage, _ in seen))
    assert stages == ["features", "held-out scoring", "calibration", "memory bank", "evaluation"]
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 100
    files = sorted(p.relative_to(with_progress) for p in with_progress.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(without) for p in without.rglob("*") if p.is_file())
    for name in files:
        assert (with_progress / name).read_bytes() == (without / name).read_bytes(), name


def test_detection_reports_features_epochs_and_evaluation_and_trains_the_same(tmp_path: Path) -> None:
    from openlookout.ml.detection.model import train_detection_model
    from openlookout.ml.detection.training import TrainingSettings

    from .detection.synthetic import example

    settings = TrainingSettings(epochs=2, min_steps=4, max_steps=4, batch_size=8, warmup_steps=1)
    train = [example(seed) for seed in range(16)]
    test = [example(1000 + seed) for seed in range(3)]
    seen: list[tuple[str, float]] = []
    with_progress, without = tmp_path / "with", tmp_path / "without"
    train_detection_model(
        train, test, with_progress, settings=settings, stage_progress=lambda s, p: seen.append((s, p))
    )
    train_detection_model(train, test, without, settings=settings)

    stages = list(dict.fromkeys(stage for stage, _ in seen))
    assert stages[0] == "features" and stages[-1] == "evaluation"
    assert "epoch 1/2" in stages and "epoch 2/2" in stages
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents) and percents[-1] == 100
    files = sorted(p.relative_to(with_progress) for p in with_progress.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(without) for p in without.rglob("*") if p.is_file())
    for name in files:
        assert (with_progress / name).read_bytes() == (without / name).read_bytes(), name
