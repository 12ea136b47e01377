"""The pieces that let the detector learn 1-3 px wide objects, the working size rule, the
validation split and the confidence calibration, on hand-made boxes and numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from openlookout.ml.detection.box_coding import ENCODINGS, OFFSET, SIDES, decode_boxes, unmirror_box_channels
from openlookout.ml.detection.boxes import aligned_giou, flip_corners
from openlookout.ml.detection.calibration import IDENTITY, calibrate, fit_platt
from openlookout.ml.detection.feature_maps import MAX_SIDE, MIN_SIDE, PIXEL_BUDGET, choose_work_size
from openlookout.ml.detection.model import fit_calibration, validation_split
from openlookout.ml.detection.targets import assign_targets, location_centres, widen
from openlookout.ml.detection.types import Box, Detection, DetectionExample, DetectionPrediction

CENTRES = location_centres((4, 4), 8)  # cell centres at 4, 12, 20, 28 px
THIN = torch.tensor([[13.0, 0.0, 15.0, 32.0]])  # a 2-px vertical scratch between columns 12 and 20


def test_a_thin_box_gets_a_line_of_locations_beside_it() -> None:
    fcos = assign_targets(THIN, torch.tensor([0]), CENTRES, 8, min_region_strides=0)
    assert int((fcos.classes >= 0).sum()) == 1  # no centre inside: only the forced nearest
    grown = assign_targets(THIN, torch.tensor([0]), CENTRES, 8)
    grid = grown.classes.reshape(4, 4)
    assert grid[:, 1].tolist() == [0, 0, 0, 0] and int((grid >= 0).sum()) == 4
    # Each learns the true 2-px box, not the grown region.
    assert grown.boxes[grown.classes >= 0].tolist() == [[13.0, 0.0, 15.0, 32.0]] * 4
    assert bool((grown.centerness[grown.classes >= 0] > 0).all())


def test_widen_keeps_the_centre_and_only_grows_thin_sides() -> None:
    grown = widen(torch.tensor([[10.0, 10.0, 11.0, 40.0]]), 8)
    assert grown.tolist() == [[6.5, 10.0, 14.5, 40.0]]


def test_offset_coding_reaches_a_one_pixel_box_from_a_location_beside_it() -> None:
    location = torch.tensor([[12.0, 12.0]])  # 2.5 px left of a 1-px-wide, 40-px-high box
    target = torch.tensor([[14.5, -8.0, 15.5, 32.0]])
    distances = torch.tensor([[12.0 - 14.5, 12.0 + 8.0, 15.5 - 12.0, 32.0 - 12.0]])
    raw = torch.log((distances + 4) / 8)  # the inverse of the offset coding at stride 8
    torch.testing.assert_close(decode_boxes(location, raw, 8, OFFSET), target)
    # The sides coding cannot: its distances are positive, so the location stays inside.
    sides = decode_boxes(location, torch.full((1, 4), -20.0), 8, SIDES)
    assert bool((sides[:, :2] <= location).all() and (sides[:, 2:] >= location).all())


def test_giou_training_regresses_a_one_pixel_box_from_beside_it() -> None:
    location, target = torch.tensor([[12.0, 12.0]]), torch.tensor([[14.0, 0.0, 15.0, 32.0]])
    raw = torch.zeros(1, 4, requires_grad=True)
    optimizer = torch.optim.Adam([raw], lr=0.05)
    for _ in range(300):
        loss = 1 - aligned_giou(decode_boxes(location, raw, 8, OFFSET), target)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
    found = decode_boxes(location, raw.detach(), 8, OFFSET)
    assert aligned_giou(found, target).item() > 0.9


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(("horizontal", "vertical"), [(True, False), (False, True), (True, True)])
def test_boxes_predicted_on_mirrored_maps_come_back_unmirrored(
    encoding: str, horizontal: bool, vertical: bool
) -> None:
    raw = torch.randn(1, 4, 4, 4, generator=torch.Generator().manual_seed(0)) * 0.5
    dims = [d for d, flip in ((3, horizontal), (2, vertical)) if flip]
    flat = lambda r: r[0].reshape(4, -1).T  # noqa: E731
    in_mirror = flip_corners(decode_boxes(CENTRES, flat(raw), 8, encoding), (32, 32), horizontal, vertical)
    back = decode_boxes(
        CENTRES, flat(unmirror_box_channels(raw.flip(dims), horizontal, vertical)), 8, encoding
    )
    # Location (r, c) of the image is location (mirrored r, c) of the mirrored image.
    grid = in_mirror.reshape(4, 4, 4).flip([d - 2 for d in dims]).reshape(-1, 4)
    torch.testing.assert_close(back, grid)


@pytest.mark.parametrize(
    ("sizes", "count", "side"),
    [
        ([(200, 200)] * 10, 1440, 224),  # NEU-DET: 200 px rounds up to the minimum
        ([(100, 80)], 50, MIN_SIDE),
        ([(640, 640)] * 5, 300, 640),
        ([(480, 640), (600, 800)], 300, 640),  # the median long side, capped at MAX_SIDE
        ([(640, 640)], 700, 448),  # the pixel budget lowers the side in steps of 32
        ([(640, 640)], 100_000, MIN_SIDE),  # never below the minimum
    ],
)
def test_work_size_rule(sizes: list[tuple[int, int]], count: int, side: int) -> None:
    assert choose_work_size(sizes, count) == (side, side)
    assert side <= MAX_SIDE and (side == MIN_SIDE or count * side * side <= PIXEL_BUDGET)


def test_small_boxes_raise_the_working_size_at_most_twofold() -> None:
    neu_like = [0.1] * 90 + [0.09] * 10  # >= 18 px on 200-px images: no change
    assert choose_work_size([(200, 200)], 1440, neu_like) == (224, 224)
    spots = [0.02] * 20 + [0.3] * 80  # 4-px boxes at the 10th percentile: 8 / 4 = 2x
    assert choose_work_size([(200, 200)], 400, spots) == (416, 416)
    tiny = [0.005] * 100  # 1 px: capped at twice the images' size
    assert choose_work_size([(200, 200)], 400, tiny) == (416, 416)
    assert choose_work_size([(200, 200)], 1440, tiny) == (288, 288)  # the pixel budget wins


def _examples(count: int) -> list[DetectionExample]:
    return [
        DetectionExample(f"s3://b/{n}.png", lambda: np.zeros((8, 8, 3), np.uint8), []) for n in range(count)
    ]


def test_validation_split_is_a_fixed_tenth_of_train() -> None:
    examples = _examples(200)
    fit, held = validation_split(examples)
    assert len(held) == 20 and len(fit) == 180
    assert {e.ref for e in fit}.isdisjoint({e.ref for e in held})
    assert [e.ref for e in validation_split(list(reversed(examples)))[1]] == [e.ref for e in reversed(held)]
    small = _examples(30)
    assert validation_split(small) == (small, [])


def test_platt_fit_recovers_a_known_curve_and_never_reverses_ranking() -> None:
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.05, 0.95, 4000)
    truth = 1 / (1 + np.exp(-(2.0 * np.log(raw / (1 - raw)) - 1.0)))
    hits = rng.uniform(size=raw.size) < truth
    a, b = fit_platt(raw, hits)
    assert a == pytest.approx(2.0, abs=0.2) and b == pytest.approx(-1.0, abs=0.2)
    assert fit_platt(raw[:8], hits[:8]) == IDENTITY  # too few boxes of one kind
    assert fit_platt(raw, ~(raw > 0)) == IDENTITY  # no hit at all
    assert fit_platt(raw, raw < 0.5) == IDENTITY  # a falling curve is refused
    curve = calibrate(np.sort(raw), (a, b))
    assert bool(np.all(np.diff(curve) >= 0))


def test_calibration_is_fitted_per_label_on_true_and_false_positives() -> None:
    truth = [("crack", Box(0.1, 0.1, 0.2, 0.2))]
    miss = Box(0.6, 0.6, 0.2, 0.2)
    found, truths = [], []
    for n in range(40):  # confident boxes are right, weak ones are elsewhere
        right = n % 2 == 0
        confidence = 0.55 + 0.4 * (n / 40) if right else 0.5 + 0.1 * (n / 40)
        found.append(
            DetectionPrediction(str(n), [Detection("crack", confidence, truth[0][1] if right else miss)])
        )
        truths.append(truth)
    curves = fit_calibration(["crack", "spot"], truths, found)
    assert curves["spot"] == IDENTITY
    a, b = curves["crack"]
    assert a > 1  # the fit stretches the narrow 0.5-0.95 band of raw scores
    low, high = calibrate(np.array([0.52, 0.9]), (a, b))
    assert low < 0.5 < high
