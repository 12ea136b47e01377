"""Embedded default host: worker processes in the server, dynamic batching, autoscaling.

Each hosted model has one request queue shared by its units. A unit's dispatcher takes
the oldest request and whatever else is waiting; when others were waiting it also waits
at most ``max_wait_s`` for more (up to ``max_batch``). It sends them to its process as one
batch, so concurrent callers share a forward pass, a lone caller never waits for a batch,
and idle units pick up work first. Requests carry the encoded image; the unit decodes it
(``worker.py``), and an image that does not decode fails only its own request.

The queue is bounded: at most ``queue_per_unit`` requests per ready unit wait (16 by default,
two full batches). Past that, ``submit`` refuses at once with HostBusyError (the API answers
it as throttling, so clients back off and retry) instead of letting every caller wait longer.
The bound is well above the scale-up threshold, so autoscaling sees the depth and adds units
before callers are refused, and each unit it adds raises the bound.

Autoscaling (checked every ``check_interval_s``), between MinInferenceUnits and
MaxInferenceUnits:
- up: when more requests wait than ``scale_up_depth`` per ready unit, one more unit is
  started (at most one start at a time; it takes requests once its model is loaded);
- down: when the queue has been empty and no batch has run for ``scale_down_idle_s``,
  one unit beyond the minimum is retired (then the idle clock restarts);
- a unit whose process died is dropped, and the minimum is restored.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Generic

from openlookout.hosting.base import (
    EncodedImage,
    HostBusyError,
    HostingError,
    HostStatus,
    ModelInfo,
    ModelNotHostedError,
    ResultT,
)
from openlookout.hosting.units import BatchLimits, Request, Unit
from openlookout.hosting.worker import DEFAULT_LOADER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HostingPolicy:
    max_batch: int = 8
    max_wait_s: float = 0.005
    queue_per_unit: int = 16  # waiting requests allowed per ready unit before HostBusyError
    scale_up_depth: int = 2
    scale_down_idle_s: float = 60.0
    check_interval_s: float = 0.25
    start_timeout_s: float = 300.0
    # Torch threads per unit; None shares the machine's cores between the model's max units.
    threads_per_unit: int | None = None
    device: str | None = None  # None: CUDA when available, else CPU
    loader: str = DEFAULT_LOADER  # "module:function" that loads an artefact folder


class _HostedModel(Generic[ResultT]):
    def __init__(
        self, key: str, artifact_dir: Path, min_units: int, max_units: int, policy: HostingPolicy
    ) -> None:
        self.key, self.artifact_dir, self.policy = key, artifact_dir, policy
        self.min_units, self.max_units = min_units, max_units
        self.requests: queue.Queue[Request] = queue.Queue()
        self.limits = BatchLimits(policy.max_batch, policy.max_wait_s)
        self.units: list[Unit] = []
        self.starting = 0
        self.info: ModelInfo | None = None
        self.batches = 0
        self.served = 0
        self.throttled = 0
        self.last_busy = time.monotonic()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        self._counter = 0
        self._scaler: threading.Thread | None = None

    # -- units ---------------------------------------------------------------------------

    def _threads(self) -> int:
        if self.policy.threads_per_unit is not None:
            return self.policy.threads_per_unit
        return max(1, (os.cpu_count() or 1) // self.max_units)

    def _spawn(self) -> Unit:
        self._counter += 1
        return Unit(
            self._context,
            self.artifact_dir,
            self._threads(),
            self.policy.device,
            self.policy.loader,
            name=f"openlookout-unit-{self.key}-{self._counter}",
        )

    def _admit(self, unit: Unit, info: ModelInfo) -> None:
        with self.lock:
            if self.stopped.is_set():
                unit.close()
                return
            self.info = self.info or info
            self.units.append(unit)
        unit.start_dispatching(self.requests, self.limits, self._count_batch)

    def _count_batch(self, size: int) -> None:
        with self.lock:
            self.batches += 1
            self.served += size
            self.last_busy = time.monotonic()

    def start(self) -> ModelInfo:
        spawned = [self._spawn() for _ in range(self.min_units)]
        try:
            infos = [unit.wait_ready(self.policy.start_timeout_s) for unit in spawned]
        except BaseException:
            for unit in spawned:
                unit.close()
            raise
        for unit, info in zip(spawned, infos, strict=True):
            self._admit(unit, info)
        self._scaler = threading.Thread(target=self._autoscale, name=f"scaler-{self.key}", daemon=True)
        self._scaler.start()
        assert self.info is not None
        return self.info

    def _grow(self) -> None:
        """Start one unit in the background; it joins the pool once loaded."""
        try:
            unit = self._spawn()
            try:
                info = unit.wait_ready(self.policy.start_timeout_s)
            except Exception:
                unit.close()
                raise
            self._admit(unit, info)
        except Exception as exc:
            log.warning("model %s: could not add an inference unit: %s", self.key, exc)
        finally:
            with self.lock:
                self.starting -= 1

    def _autoscale(self) -> None:
        while not self.stopped.wait(self.policy.check_interval_s):
            self._scale_once()

    def _scale_once(self) -> None:
        depth = self.requests.qsize()
        now = time.monotonic()
        retire: Unit | None = None
        grow = False
        with self.lock:
            self.units = [u for u in self.units if not u.dead]
            ready, total = len(self.units), len(self.units) + self.starting
            if depth:
                self.last_busy = now
            if total < self.min_units or (
                depth > self.policy.scale_up_depth * max(ready, 1)
                and total < self.max_units
                and self.starting == 0
            ):
                self.starting += 1
                grow = True
            elif ready > self.min_units and now - self.last_busy > self.policy.scale_down_idle_s:
                retire = self.units.pop()
                self.last_busy = now
        if grow:
            threading.Thread(target=self._grow, name=f"grow-{self.key}", daemon=True).start()
        if retire is not None:
            log.info("model %s: idle, retiring unit %s", self.key, retire.name)
            retire.retire.set()

    # -- requests ------------------------------------------------------------------------

    def queue_bound(self) -> int:
        return self.policy.queue_per_unit * max(len(self.units), 1)

    def submit(self, image: EncodedImage) -> Future[ResultT]:
        future: Future[ResultT] = Future()
        if self.stopped.is_set():
            future.set_exception(ModelNotHostedError(f"Model {self.key} is not hosted."))
            return future
        with self.lock:  # the check and the put as one step, so the bound holds under concurrency
            bound = self.queue_bound()
            busy = self.requests.qsize() >= bound
            if busy:
                self.throttled += 1
            else:
                self.requests.put(Request(image, future))
        if busy:
            future.set_exception(
                HostBusyError(
                    f"Model {self.key} has {bound} requests waiting for its inference units; "
                    "retry later or raise MaxInferenceUnits."
                )
            )
        return future

    def status(self) -> HostStatus:
        assert self.info is not None
        with self.lock:
            return HostStatus(
                info=self.info,
                min_units=self.min_units,
                max_units=self.max_units,
                ready_units=len(self.units),
                starting_units=self.starting,
                queue_depth=self.requests.qsize(),
                batches=self.batches,
                served=self.served,
                queue_bound=self.queue_bound(),
                throttled=self.throttled,
            )

    def stop(self) -> None:
        self.stopped.set()
        with self.lock:
            units, self.units = self.units, []
        for unit in units:
            unit.retire.set()
        for unit in units:
            unit.join_dispatcher(10.0)
            unit.close()
        while True:  # whoever still waits gets an answer rather than hanging
            try:
                request = self.requests.get_nowait()
            except queue.Empty:
                break
            if request.future.set_running_or_notify_cancel():
                request.future.set_exception(ModelNotHostedError(f"Model {self.key} was stopped."))


class LocalModelHost(Generic[ResultT]):
    """``ModelHost`` running every unit as a spawned process of this server."""

    def __init__(self, policy: HostingPolicy | None = None) -> None:
        self.policy = policy or HostingPolicy()
        self._models: dict[str, _HostedModel[ResultT]] = {}
        self._lock = threading.Lock()

    def start(self, model_key: str, artifact_dir: Path, min_units: int, max_units: int) -> ModelInfo:
        if not 1 <= min_units <= max_units:
            raise HostingError(f"Inference units must satisfy 1 <= min ({min_units}) <= max ({max_units}).")
        model = _HostedModel[ResultT](model_key, Path(artifact_dir), min_units, max_units, self.policy)
        with self._lock:
            if model_key in self._models:
                raise HostingError(f"Model {model_key} is already hosted.")
            self._models[model_key] = model
        try:
            return model.start()
        except BaseException:
            with self._lock:
                self._models.pop(model_key, None)
            model.stop()
            raise

    def stop(self, model_key: str) -> None:
        with self._lock:
            model = self._models.pop(model_key, None)
        if model is not None:
            model.stop()

    def _ready_model(self, model_key: str) -> _HostedModel[ResultT]:
        model = self._models.get(model_key)
        if model is None or model.info is None:
            raise ModelNotHostedError(f"Model {model_key} is not hosted.")
        return model

    def submit(self, model_key: str, image: EncodedImage) -> Future[ResultT]:
        return self._ready_model(model_key).submit(image)

    def predict(self, model_key: str, image: EncodedImage, timeout_s: float | None = None) -> ResultT:
        return self.submit(model_key, image).result(timeout_s)

    def status(self, model_key: str) -> HostStatus | None:
        model = self._models.get(model_key)
        if model is None or model.info is None:
            return None
        return model.status()

    def shutdown(self) -> None:
        with self._lock:
            keys = list(self._models)
        for key in keys:
            self.stop(key)
