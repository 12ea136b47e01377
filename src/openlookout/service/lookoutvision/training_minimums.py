"""The minimum numbers of labeled images a Lookout for Vision training needs (spec A.5.2).

One rule for both checks: CreateModel refuses synchronously (``service/lookoutvision/models.py``), and the
training job checks again (``service/lookoutvision/training_job.py``) because the datasets may have been
updated since. Each counts its own images and words its own message; the comparison is here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Minimums:
    normal: int
    anomaly: int
    per_label: int  # images whose mask shows only that anomaly label (segmentation)


SINGLE_DATASET = Minimums(normal=20, anomaly=10, per_label=20)
SEPARATE_TRAIN = Minimums(normal=10, anomaly=0, per_label=10)
SEPARATE_TEST = Minimums(normal=10, anomaly=10, per_label=10)


@dataclass
class LabelCounts:
    normal: int = 0
    anomaly: int = 0
    # Images whose mask shows exactly one anomaly label, per label: only they count for its minimum.
    single_label: Counter[str] = field(default_factory=Counter)

    def add(self, label: str, anomaly_classes: Sequence[str]) -> None:
        if label == "normal":
            self.normal += 1
        elif label == "anomaly":
            self.anomaly += 1
            if len(anomaly_classes) == 1:
                self.single_label[str(anomaly_classes[0])] += 1


@dataclass(frozen=True)
class Shortfall:
    dataset: str  # "train" | "test"
    counts: LabelCounts
    needed: Minimums
    label: str | None = None  # None: too few normal or anomalous images; else this label's images

    @property
    def found(self) -> int:
        return self.counts.single_label[self.label] if self.label is not None else 0


def shortfalls(train: LabelCounts, test: LabelCounts | None, labels: Iterable[str]) -> list[Shortfall]:
    """What is missing, train before test, each: the normal/anomalous counts, then each label.

    ``test`` is None for a single-dataset project (``train`` then counts its test split too).
    """
    needs = (
        [("train", train, SINGLE_DATASET)]
        if test is None
        else [
            ("train", train, SEPARATE_TRAIN),
            ("test", test, SEPARATE_TEST),
        ]
    )
    found: list[Shortfall] = []
    for name, counts, needed in needs:
        if counts.normal < needed.normal or counts.anomaly < needed.anomaly:
            found.append(Shortfall(name, counts, needed))
        found += [
            Shortfall(name, counts, needed, label)
            for label in sorted(labels)
            if counts.single_label[label] < needed.per_label
        ]
    return found
