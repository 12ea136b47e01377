"""``LabelClassifier``: image vectors from the shared backbone and a linear head over them.

``fit`` learns the labels and the head from training examples; ``scores`` and
``predict_many`` run the fitted (or loaded) classifier. Thresholds are not its concern:
they are chosen on the test set by ``train_label_model`` and saved beside the head.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from openlookout.ml.api import TrainingDataError
from openlookout.ml.backbone import select_device, shared_backbone
from openlookout.ml.labels.embedding import embed_images
from openlookout.ml.labels.head import LinearHead, fit_head
from openlookout.ml.labels.types import LabelExample, LabelPrediction


def training_labels(train: Sequence[LabelExample]) -> list[str]:
    """The sorted labels of the training data; a classifier needs at least two."""
    labels = sorted({label for example in train for label in example.labels})
    if len(labels) < 2:
        raise TrainingDataError(
            f"Image-level training needs at least 2 labels; the training data has {labels}."
        )
    return labels


def label_truth(examples: Sequence[LabelExample], labels: list[str]) -> np.ndarray:
    """(N, len(labels)) 0/1: which of ``labels`` each example carries."""
    index = {label: k for k, label in enumerate(labels)}
    truth = np.zeros((len(examples), len(labels)), dtype=np.uint8)
    for row, example in enumerate(examples):
        for label in example.labels:
            if label in index:
                truth[row, index[label]] = 1
    return truth


class LabelClassifier:
    """Scores every label of an image; softmax head for one label per image, logistic for several."""

    def __init__(
        self, device: str | None = None, labels: Sequence[str] = (), head: LinearHead | None = None
    ) -> None:
        self._backbone = shared_backbone(str(select_device(device)))
        self.labels = list(labels)
        self._head = head

    @property
    def head(self) -> LinearHead:
        if self._head is None:
            raise RuntimeError("the label classifier is not fitted")
        return self._head

    def fit(self, train: Sequence[LabelExample], multi_label: bool | None = None) -> LabelClassifier:
        """Learn labels and head; ``multi_label`` None: several labels on any training image."""
        labels = training_labels(train)
        if multi_label is None:
            multi_label = any(len(example.labels) > 1 for example in train)
        vectors = embed_images(self._backbone, [example.load for example in train])
        self.labels, self._head = labels, fit_head(vectors, label_truth(train, labels), multi_label)
        return self

    def scores(self, loaders: Sequence[Callable[[], np.ndarray]]) -> np.ndarray:
        """(N, len(labels)) scores in [0, 1], in input order."""
        return self.head.scores(embed_images(self._backbone, loaders))

    def predict_many(
        self, loaders: Sequence[Callable[[], np.ndarray]], refs: Sequence[str]
    ) -> list[LabelPrediction]:
        return predictions(self.labels, refs, self.scores(loaders))


def predictions(labels: list[str], refs: Sequence[str], scores: np.ndarray) -> list[LabelPrediction]:
    return [
        LabelPrediction(ref, {label: float(score) for label, score in zip(labels, row, strict=True)})
        for ref, row in zip(refs, scores, strict=True)
    ]
