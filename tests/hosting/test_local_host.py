"""LocalModelHost with a real (small) model: units, batching, autoscaling, clean stops."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from openlookout.hosting.base import EncodedImage, HostingError, ImageDecodeError, ModelNotHostedError
from openlookout.hosting.local import HostingPolicy, LocalModelHost
from openlookout.ml.anomaly import load_anomaly_model

from .conftest import encoded_striped, striped_image


def wait_for(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def test_two_units_answer_like_the_in_process_model_and_stop_frees_processes(model_dir: Path) -> None:
    host = LocalModelHost(HostingPolicy(threads_per_unit=1, device="cpu"))
    info = host.start("m", model_dir, 2, 2)
    try:
        assert info.image_size == (64, 96) and info.model_type == "classification"
        status = host.status("m")
        assert status is not None and status.ready_units == 2
        processes = [unit.process for unit in host._models["m"].units]
        assert all(p.is_alive() for p in processes)
        local = load_anomaly_model(model_dir, device="cpu")
        for seed, anomalous in [(900, False), (901, True)]:
            hosted = host.predict("m", encoded_striped(seed, anomalous), timeout_s=60)
            expected = local.predict(striped_image(seed, anomalous))
            assert hosted.is_anomalous == expected.is_anomalous == anomalous
            assert hosted.score == pytest.approx(expected.score, rel=1e-4)
    finally:
        host.stop("m")
    assert host.status("m") is None
    assert not any(p.is_alive() for p in processes)
    with pytest.raises(ModelNotHostedError):
        host.predict("m", encoded_striped(1, False))


def test_concurrent_requests_share_batches_and_an_undecodable_image_fails_alone(model_dir: Path) -> None:
    # A long wait makes the grouping deterministic on a busy CI machine.
    host = LocalModelHost(HostingPolicy(threads_per_unit=1, device="cpu", max_batch=8, max_wait_s=0.5))
    host.start("m", model_dir, 1, 1)
    try:
        images = [encoded_striped(400 + i, i % 2 == 1) for i in range(8)]
        # Header intact, data cut short: only the unit's full decode finds out.
        images[3] = EncodedImage(images[3].data[: len(images[3].data) // 2], images[3].size)
        futures = [host.submit("m", image) for image in images]
        with pytest.raises(ImageDecodeError, match="could not be decoded"):
            futures[3].result(timeout=60)
        answered = [i for i in range(8) if i != 3]
        results = [futures[i].result(timeout=60) for i in answered]
        assert [r.is_anomalous for r in results] == [i % 2 == 1 for i in answered]
        status = host.status("m")
        assert status is not None and status.served == 8
        assert status.batches < 8, "concurrent requests should share batches"
        # The unit keeps serving after a rejected image.
        assert host.predict("m", encoded_striped(409, True), timeout_s=60).is_anomalous
    finally:
        host.shutdown()


def test_autoscales_up_on_queue_depth_and_back_down_when_idle(model_dir: Path) -> None:
    # A queue bound above the 40-request backlog: this test is about scaling, not throttling.
    policy = HostingPolicy(
        threads_per_unit=1,
        device="cpu",
        max_batch=1,
        scale_up_depth=2,
        scale_down_idle_s=1.0,
        queue_per_unit=40,
    )
    host = LocalModelHost(policy)
    host.start("m", model_dir, 1, 2)
    try:
        # A backlog deeper than scale_up_depth per unit asks for the second unit.
        futures = [host.submit("m", encoded_striped(i, False)) for i in range(40)]
        wait_for(lambda: host.status("m").ready_units == 2, 120)  # type: ignore[union-attr]
        for future in futures:
            future.result(timeout=120)
        # Idle for scale_down_idle_s: back to the minimum, and the retired process exits.
        wait_for(lambda: host.status("m").ready_units == 1, 30)  # type: ignore[union-attr]
    finally:
        host.shutdown()


def test_start_refuses_bad_units_and_unloadable_models(tmp_path: Path) -> None:
    host = LocalModelHost(HostingPolicy(threads_per_unit=1, device="cpu", start_timeout_s=60))
    with pytest.raises(HostingError):
        host.start("m", tmp_path, 2, 1)
    with pytest.raises(HostingError, match="could not be loaded"):
        host.start("m", tmp_path / "missing", 1, 1)
    assert host.status("m") is None
