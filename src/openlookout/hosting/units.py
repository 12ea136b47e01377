"""The host side of one inference unit: its process, its pipe and its dispatcher thread."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import Any

from openlookout.hosting.base import EncodedImage, HostingError, ImageDecodeError, ModelInfo
from openlookout.hosting.worker import ImageRejected, serve

log = logging.getLogger(__name__)

STOP_GRACE_S = 5.0
POLL_S = 0.1  # how often an idle dispatcher looks at its retire flag


@dataclass
class Request:
    image: EncodedImage
    future: Future[Any]  # the API's prediction type; the unit passes it through


@dataclass(frozen=True)
class BatchLimits:
    max_batch: int
    max_wait_s: float


def collect_batch(requests: queue.Queue[Request], first: Request, limits: BatchLimits) -> list[Request]:
    """``first`` plus the requests already waiting, at most ``max_batch`` in all.

    Only when others were waiting (concurrent callers) does it also wait up to
    ``max_wait_s`` for more: a lone caller is not held back by a window nobody else
    will use, while under load the requests that queue up during one forward pass form
    the next batch anyway.
    """
    batch = [first]
    while len(batch) < limits.max_batch:
        try:
            batch.append(requests.get_nowait())
        except queue.Empty:
            break
    if len(batch) == 1:
        return batch
    deadline = time.monotonic() + limits.max_wait_s
    while len(batch) < limits.max_batch:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            batch.append(requests.get(timeout=remaining))
        except queue.Empty:
            break
    return batch


class Unit:
    """A worker process that has the model loaded, fed by one dispatcher thread."""

    def __init__(
        self,
        context: SpawnContext,
        artifact_dir: Path,
        threads: int,
        device: str | None,
        loader: str,
        name: str,
    ) -> None:
        self.name = name
        self._conn, child = context.Pipe()
        self.process = context.Process(
            target=serve,
            args=(child, str(artifact_dir), threads, device, loader),
            name=name,
            daemon=True,  # never outlive the server
        )
        self.process.start()
        child.close()
        self.retire = threading.Event()
        self.dead = False
        self._closed = False
        self._close_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wait_ready(self, timeout_s: float) -> ModelInfo:
        deadline = time.monotonic() + timeout_s
        while not self._conn.poll(0.2):
            if not self.process.is_alive():
                raise HostingError(
                    f"The inference unit exited with code {self.process.exitcode} while loading."
                )
            if time.monotonic() > deadline:
                raise HostingError(f"The inference unit did not load the model within {timeout_s:.0f} s.")
        try:
            kind, payload = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise HostingError("The inference unit exited while loading the model.") from exc
        if kind != "ready":
            raise HostingError(str(payload))
        return payload

    def run_batch(self, images: list[EncodedImage]) -> list[Any]:  # predictions | ImageRejected
        """One answer per image, in order; HostingError when the whole batch failed."""
        try:
            self._conn.send(("predict", images))
            kind, payload = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self.dead = True
            raise HostingError("The inference unit stopped unexpectedly; please retry.") from exc
        if kind != "ok":
            raise HostingError(str(payload))
        return payload

    def start_dispatching(
        self,
        requests: queue.Queue[Request],
        limits: BatchLimits,
        on_batch: Callable[[int], None],
    ) -> None:
        self._thread = threading.Thread(
            target=self._dispatch,
            args=(requests, limits, on_batch),
            name=f"{self.name}-dispatch",
            daemon=True,
        )
        self._thread.start()

    def _dispatch(
        self, requests: queue.Queue[Request], limits: BatchLimits, on_batch: Callable[[int], None]
    ) -> None:
        while not self.retire.is_set() and not self.dead:
            try:
                first = requests.get(timeout=POLL_S)
            except queue.Empty:
                continue
            batch = [
                r for r in collect_batch(requests, first, limits) if r.future.set_running_or_notify_cancel()
            ]
            if not batch:
                continue
            on_batch(len(batch))
            try:
                predictions = self.run_batch([r.image for r in batch])
            except Exception as exc:
                for request in batch:
                    request.future.set_exception(exc)
                continue
            for request, answer in zip(batch, predictions, strict=True):
                if isinstance(answer, ImageRejected):
                    request.future.set_exception(ImageDecodeError(answer.message))
                else:
                    request.future.set_result(answer)
        self.close()

    def join_dispatcher(self, timeout_s: float) -> None:
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)

    def close(self) -> None:
        """Ask the process to exit, then make sure it has; safe to call twice."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self.process.join(STOP_GRACE_S)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_GRACE_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self._conn.close()
