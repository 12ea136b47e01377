"""Job kind → handler instance.

The built-in handlers live in ``service/`` and are imported on first use, so a
worker only loads what its job needs (training pulls in torch). Extra kinds
can be plugged in through ``OPENLOOKOUT_EXTRA_JOB_HANDLERS`` (comma-separated
``module:attribute`` entries naming a handler class or instance); worker
processes inherit the variable, which is how tests add their own kinds.
"""

from __future__ import annotations

import importlib
import os

from openlookout.jobs.base import JobHandler

EXTRA_HANDLERS_ENV = "OPENLOOKOUT_EXTRA_JOB_HANDLERS"
BUILTIN_HANDLERS: dict[str, tuple[str, str]] = {
    "import_dataset": ("openlookout.service.lookoutvision.dataset_jobs", "ImportDatasetHandler"),
    "update_dataset": ("openlookout.service.lookoutvision.dataset_jobs", "UpdateDatasetHandler"),
    "train_model": ("openlookout.service.lookoutvision.training_job", "TrainModelHandler"),
    "cl_import_dataset": (
        "openlookout.service.custom_labels.dataset_job",
        "ImportCustomLabelsDatasetHandler",
    ),
    "package_model": ("openlookout.service.lookoutvision.packaging", "PackageModelHandler"),
    "cl_train_version": (
        "openlookout.service.custom_labels.training_job",
        "TrainCustomLabelsVersionHandler",
    ),
    "cl_copy_version": ("openlookout.service.custom_labels.copy_job", "CopyCustomLabelsVersionHandler"),
}

_registry: dict[str, JobHandler] = {}


class UnknownJobKind(LookupError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"no handler is registered for job kind {kind!r}")
        self.kind = kind


def register_handler(handler: JobHandler) -> None:
    _registry[handler.kind] = handler


def get_handler(kind: str) -> JobHandler:
    if kind not in _registry:
        if kind in BUILTIN_HANDLERS:
            module_name, attribute = BUILTIN_HANDLERS[kind]
            register_handler(_instantiate(module_name, attribute))
        else:
            _load_extra_handlers()
    try:
        return _registry[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None


def _load_extra_handlers() -> None:
    for spec in filter(None, (s.strip() for s in os.environ.get(EXTRA_HANDLERS_ENV, "").split(","))):
        module_name, _, attribute = spec.partition(":")
        if not attribute:
            raise ValueError(f"{EXTRA_HANDLERS_ENV} entries must look like module:attribute; got {spec!r}")
        handler = _instantiate(module_name, attribute)
        _registry.setdefault(handler.kind, handler)


def _instantiate(module_name: str, attribute: str) -> JobHandler:
    target = getattr(importlib.import_module(module_name), attribute)
    handler: JobHandler = target() if isinstance(target, type) else target
    return handler
