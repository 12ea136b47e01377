"""HTTP load generator: N client threads calling DetectAnomalies for a fixed window.

Each thread has its own boto3 client (own session and connection pool, current boto3 with
the generated lookoutvision model, one attempt per call). Threads take the next image
from one shared cycle over the bench images, so the server sees the same bytes in the
same order as the in-process path. Every client makes one untimed call first (connection
set-up); then all start together and run until the window closes. A call fails when it
raises or its answer lacks ``IsAnomalous``; failures are counted, not retried.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.inference_stats import HTTP, Cell

CONTENT_TYPE = "image/jpeg"


class ImageCycle:
    """Thread-safe round robin over the request bodies."""

    def __init__(self, bodies: list[bytes]) -> None:
        self._indices = itertools.cycle(range(len(bodies)))
        self._bodies = bodies
        self._lock = threading.Lock()

    def next(self) -> bytes:
        with self._lock:
            return self._bodies[next(self._indices)]


def detect_call(lv: Any, project: str, version: str) -> Callable[[bytes], bool]:
    """One DetectAnomalies call; True when the answer is well-formed."""

    def call(body: bytes) -> bool:
        result = lv.detect_anomalies(
            ProjectName=project, ModelVersion=version, Body=body, ContentType=CONTENT_TYPE
        )
        return "IsAnomalous" in result.get("DetectAnomalyResult", {})

    return call


def _client_loop(
    call: Callable[[bytes], bool],
    cycle: ImageCycle,
    start: threading.Barrier,
    deadline: list[float],
    cell: Cell,
    lock: threading.Lock,
) -> None:
    with contextlib.suppress(Exception):  # a failed warm-up call shows up in the timed ones
        call(cycle.next())  # untimed: opens the connection
    start.wait()
    latencies: list[float] = []
    failed = 0
    while time.perf_counter() < deadline[0]:
        body = cycle.next()
        before = time.perf_counter()
        try:
            ok = call(body)
        except Exception:
            ok = False
        if ok:
            latencies.append(time.perf_counter() - before)
        else:
            failed += 1
    with lock:
        cell.call_seconds.extend(latencies)
        cell.images += len(latencies)
        cell.failed += failed


def run_clients(
    make_call: Callable[[], Callable[[bytes], bool]],
    bodies: list[bytes],
    clients: int,
    seconds: float,
    system: str,
    units: int,
) -> Cell:
    """``clients`` threads, each with the call ``make_call()`` gives it, for ``seconds``."""
    cell = Cell(HTTP, system, clients=clients, units=units, batch=1)
    cycle = ImageCycle(bodies)
    deadline = [0.0]
    started = [0.0]

    def release() -> None:  # runs once, when every client is connected
        started[0] = time.perf_counter()
        deadline[0] = started[0] + seconds

    start = threading.Barrier(clients, action=release)
    lock = threading.Lock()
    calls = [make_call() for _ in range(clients)]
    threads = [
        threading.Thread(target=_client_loop, args=(call, cycle, start, deadline, cell, lock), daemon=True)
        for call in calls
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # The window ends when the last call that started inside it has answered.
    cell.wall_s = time.perf_counter() - started[0]
    return cell
