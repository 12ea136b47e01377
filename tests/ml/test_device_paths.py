"""CPU and CUDA share one implementation: the device is chosen in one place, at run time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from openlookout.ml import backbone
from openlookout.ml.backbone import select_device

ML_ROOT = Path(backbone.__file__).resolve().parent


def test_cuda_is_chosen_when_present_and_an_explicit_device_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device() == torch.device("cuda")
    assert select_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert select_device() == torch.device("cpu")


def test_no_module_branches_on_the_device_type() -> None:
    # Anything CUDA-specific outside select_device would be a second code path that CI
    # (CPU only) never runs.
    offenders = []
    for path in sorted(ML_ROOT.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if re.search(r"cuda|device\.type|\.is_available\(", code):
                offenders.append(f"{path.relative_to(ML_ROOT)}:{number}: {line.strip()}")
    # The one expected hit is select_device's own return line.
    assert len(offenders) == 1 and offenders[0].startswith("backbone.py:"), offenders
    assert 'torch.device("cuda" if torch.cuda.is_available() else "cpu")' in offenders[0]
