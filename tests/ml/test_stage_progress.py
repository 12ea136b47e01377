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
