"""A throw-away ``openlookout serve`` for the benchmark, its clients, and its workers' peak RAM.

The server runs in its own process group with a temporary data dir on a free loopback
port. Training runs in job worker processes (``python -m openlookout.jobs.worker <id>``)
that the server starts; ``WorkerMemoryWatch`` polls ``/proc`` for them and keeps each
one's ``VmHWM`` (the kernel's peak RSS of the process), so the peak is the worker's own,
not the server's. Polling every 0.2 s can miss a peak reached in a worker's last 0.2 s.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
ACCESS_KEY = "OLBENCHKEY0000000001"
SECRET_KEY = "bench-secret-0123456789abcdefghijklmnopq"
WORKER_MODULE = "openlookout.jobs.worker"
POLL_S = 0.2
CLIENT_CONFIG = Config(retries={"total_max_attempts": 3, "mode": "standard"}, read_timeout=300)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Children of every thread of ``pid``: the server starts job workers from its runner thread,
    and ``/proc/PID/task/TID/children`` lists only the children that thread started."""
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in children.read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        for child in _children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def peak_rss_kib(pid: int) -> int | None:
    """``VmHWM`` of a live process in KiB, None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def is_job_worker(pid: int) -> bool:
    try:
        return WORKER_MODULE.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


@dataclass
class WorkerMemoryWatch:
    """Polls the job workers under ``server_pid`` and keeps their peak RSS until stopped."""

    server_pid: int
    peaks_kib: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> WorkerMemoryWatch:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            for pid in descendants(self.server_pid):
                if is_job_worker(pid) and (kib := peak_rss_kib(pid)) is not None:
                    self.peaks_kib[pid] = max(kib, self.peaks_kib.get(pid, 0))
            self._stop.wait(POLL_S)

    @property
    def peak_gib(self) -> float | None:
        return max(self.peaks_kib.values()) / 2**20 if self.peaks_kib else None


@dataclass
class BenchServer:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / "server.log"

    def start(self, ready_timeout_s: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = os.environ | {
            "OPENLOOKOUT_ACCESS_KEY_ID": ACCESS_KEY,
            "OPENLOOKOUT_SECRET_ACCESS_KEY": SECRET_KEY,
        }
        command = [
            sys.executable,
            "-m",
            "openlookout",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        command += ["--data-dir", str(self.data_dir), "--region", REGION]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + ready_timeout_s
        rekognition = self.client("rekognition")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; log: {self.log_path}")
            try:
                rekognition.describe_projects()
                return
            except Exception:  # not listening yet
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server not ready in {ready_timeout_s:.0f} s; log: {self.log_path}")

    def stop(self) -> None:
        if not self.process:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=30)
        # Job workers and hosting units left behind by a slow shutdown.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def client(self, service: str) -> Any:
        extra = {"config": CLIENT_CONFIG}
        if service == "s3":
            extra["config"] = CLIENT_CONFIG.merge(
                Config(s3={"addressing_style": "path"}, signature_version="s3v4")
            )
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            **extra,
        )

    def __enter__(self) -> BenchServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
