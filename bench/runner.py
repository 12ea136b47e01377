"""Run one bench worker in its own process and measure it from outside.

Peak RAM: Linux carries a process's high-water RSS across fork and exec, so a worker
started straight from this (numpy-laden) process would report at least this process's own
RSS. Each worker is therefore started by a bare launcher interpreter (a few MiB) that runs
only that worker and reports ``getrusage(RUSAGE_CHILDREN).ru_maxrss``. A worker that
crashes, is killed (the kernel's OOM killer sends SIGKILL) or runs past its time limit is
recorded with that status rather than dropped; for a time-out the peak is the worker's
``VmHWM`` as last polled. Workers run under an ``RLIMIT_DATA`` cap (``memory_cap_gib``) so a
runaway peer fails inside its own process instead of waking the OOM killer on a shared
machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

POLL_S = 0.2
LOG_TAIL_CHARS = 6000
DEFAULT_MEMORY_CAP_GIB = 16.0
OUT_OF_MEMORY_MARKERS = ("MemoryError", "out of memory", "can't allocate memory", "Cannot allocate memory")
# Caps the worker's data memory at argv[2] bytes, runs argv[3:], then writes its exit code
# and the worker's peak RSS (KiB) to argv[1].
LAUNCHER = (
    "import json, resource, subprocess, sys\n"
    "cap = int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))\n"
    "code = subprocess.call(sys.argv[3:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(json.dumps({'exit': code, 'maxrss_kib': peak}))\n"
)


@dataclass
class WorkerRun:
    status: str  # "ok", "timeout after N s", "killed by SIGKILL (out of memory?)", "crashed (exit N): ..."
    wall_s: float
    peak_rss_mb: float | None
    result: dict | None
    log_path: Path


def describe_failure(exit_code: int, log_text: str) -> str:
    """A one-line status for a worker that did not finish cleanly."""
    if exit_code == -signal.SIGKILL:
        return "killed by SIGKILL (out of memory?)"
    if exit_code < 0:
        return f"killed by {signal.Signals(-exit_code).name}"
    if any(marker in log_text for marker in OUT_OF_MEMORY_MARKERS):
        return f"out of memory (exit {exit_code})"
    lines = [line for line in log_text.strip().splitlines() if line.strip()]
    last = lines[-1][:160] if lines else "no output"
    return f"crashed (exit {exit_code}): {last}" if exit_code else f"no result (exit 0): {last}"


def _worker_hwm_kib(launcher_pid: int) -> int | None:
    """The launcher's child's VmHWM (peak RSS of its current image), if it is running."""
    try:
        children = Path(f"/proc/{launcher_pid}/task/{launcher_pid}/children").read_text().split()
        for line in Path(f"/proc/{children[0]}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return None


def run_worker(
    command: list[str],
    cwd: Path,
    out_dir: Path,
    timeout_s: float,
    env: dict[str, str] | None = None,
    memory_cap_gib: float = DEFAULT_MEMORY_CAP_GIB,
) -> WorkerRun:
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path, usage_path, result_path = (
        out_dir / "worker.log",
        out_dir / "usage.json",
        out_dir / "result.json",
    )
    usage_path.unlink(missing_ok=True)
    start = time.perf_counter()
    polled_kib: int | None = None
    with log_path.open("wb") as log:
        cap = str(int(memory_cap_gib * 2**30))
        launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, str(usage_path), cap, *command]
        # A new session so a time-out can kill the launcher and the worker together.
        process = subprocess.Popen(
            launcher,
            cwd=cwd,
            env=None if env is None else os.environ | env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        timed_out = False
        while process.poll() is None:
            polled_kib = _worker_hwm_kib(process.pid) or polled_kib
            if time.perf_counter() - start > timeout_s:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                break
            time.sleep(POLL_S)
    wall_s = time.perf_counter() - start
    usage = json.loads(usage_path.read_text()) if usage_path.is_file() else None
    peak_kib = usage["maxrss_kib"] if usage else polled_kib
    if timed_out:
        status = f"timeout after {timeout_s:.0f} s"
    elif usage is None:
        status = describe_failure(process.returncode, "")
    elif usage["exit"] == 0 and result_path.is_file():
        status = "ok"
    else:
        status = describe_failure(usage["exit"], log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:])
    result = json.loads(result_path.read_text()) if status == "ok" else None
    return WorkerRun(status, wall_s, None if peak_kib is None else peak_kib / 1024.0, result, log_path)
