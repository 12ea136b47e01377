"""Peak RSS of ``openlookout serve`` under unsigned 100 MB request bodies (issue 12 item 2).

Starts a fresh server per scenario (``--src`` chooses which source tree it runs, so an older
commit can be measured in the same run: ``git archive <commit> src | tar -x -C /tmp/old``),
reads its ``VmHWM`` (peak resident set) from ``/proc`` after start-up, sends the bodies from
client threads (each sends all of its 100 MB unless the server closes first), and reads
``VmHWM`` again. Two kinds of body: an unsigned ``POST /2020-11-20/projects`` (refused), and a
signed 100 MB S3 PutObject through boto3 (stored). Prints one markdown table.

    .venv/bin/python -m bench.request_memory --src src --src /tmp/old/src
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BODY = 100 * 1000 * 1000
_PIECE = b"x" * (1 << 20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not start")


def _unsigned_post(port: int, path: str) -> str:
    """Send the whole body (as a careless or hostile client does); return how it ended."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {BODY}\r\n\r\n"
    )
    sent = 0
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(head.encode())
            while sent < BODY:
                piece = _PIECE[: BODY - sent]
                sock.sendall(piece)
                sent += len(piece)
            answer = sock.recv(200)
            return answer.split(b"\r\n", 1)[0].decode(errors="replace")
    except OSError as error:
        return f"closed after {sent / 1e6:.0f} MB ({type(error).__name__})"


_KEY_ID, _SECRET = "AKIABENCHBENCHBENCH1", "b" * 40


def _signed_put(port: int, index: int) -> str:
    """A signed 100 MB PutObject (boto3 signs the payload's SHA-256, as the CLI does)."""
    import boto3
    from botocore.config import Config

    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id=_KEY_ID,
        aws_secret_access_key=_SECRET,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, read_timeout=300),
    )
    if index == 0:
        s3.create_bucket(Bucket="bench")
    else:
        time.sleep(2)  # after the bucket exists
    etag = s3.put_object(Bucket="bench", Key=f"big-{index}", Body=b"x" * BODY)["ETag"]
    return "stored" if etag else "no ETag"


def measure(src: Path, concurrent: int, kind: str = "unsigned POST") -> tuple[int, int, str]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, PYTHONPATH=str(src.resolve()))
        env.update(OPENLOOKOUT_ACCESS_KEY_ID=_KEY_ID, OPENLOOKOUT_SECRET_ACCESS_KEY=_SECRET)
        command = [sys.executable, "-m", "openlookout", "serve", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--data-dir", data]
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(port, process)
            time.sleep(2)  # let start-up settle (hosting restore, job runner)
            before = _hwm_kib(process.pid)
            outcomes: list[str] = []
            if kind == "unsigned POST":
                jobs = [lambda: _unsigned_post(port, "/2020-11-20/projects")] * concurrent
            else:
                jobs = [lambda i=i: _signed_put(port, i) for i in range(concurrent)]
            threads = [threading.Thread(target=lambda job=job: outcomes.append(job())) for job in jobs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            time.sleep(1)
            return before, _hwm_kib(process.pid), "; ".join(sorted(set(outcomes)))
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", action="append", type=Path, required=True, help="source tree(s) to run")
    args = parser.parse_args()
    print("| source | body | at once | peak RSS before (MiB) | after (MiB) | growth (MiB) | client saw |")
    print("|---|---|---|---|---|---|---|")
    for src in args.src:
        for kind in ("unsigned POST", "signed PutObject"):
            for concurrent in (1, 4):
                before, after, outcome = measure(src, concurrent, kind)
                print(
                    f"| {src} | {kind} | {concurrent} | {before / 1024:.0f} | {after / 1024:.0f} | "
                    f"{(after - before) / 1024:.0f} | {outcome} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
