"""The README quickstart, run verbatim on a fresh clone.

The clone sits next to a ``shared`` link so the README's ``../shared/datasets``
paths resolve exactly as they do for a user of the team checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
README_PORT = 8080
TRAINING_TIMEOUT_S = 900


def readme_block(name: str) -> str:
    """The fenced bash block that follows ``<!-- quickstart:<name> -->``."""
    text = (REPO_ROOT / "README.md").read_text()
    match = re.search(rf"<!-- quickstart:{name} -->\s*```bash\n(.*?)```", text, re.S)
    assert match, f"README.md has no quickstart:{name} block"
    return match.group(1)


def split_last_command(block: str) -> tuple[str, str]:
    lines = block.rstrip("\n").split("\n")
    return "\n".join(lines[:-1]) + "\n", lines[-1] + "\n"


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the serve command exited with {proc.returncode}")
        if not port_is_free(port):
            return
        time.sleep(0.5)
    raise AssertionError(f"nothing listened on port {port} within {timeout} s")


def run_bash(script: str, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"script failed ({done.returncode}):\n{script}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_readme_quickstart_on_a_fresh_clone(tmp_path: Path) -> None:
    if not (SHARED / "datasets" / "lfv-cookies").is_dir():
        pytest.skip("../shared/datasets/lfv-cookies is absent: the quickstart uses the cookie images")
    if not port_is_free(README_PORT):
        pytest.skip(f"port {README_PORT} (the README's default) is in use on this machine")
    (tmp_path / "shared").symlink_to(SHARED)
    clone = tmp_path / "openlookout"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENLOOKOUT_", "VIRTUAL_ENV"))}

    server = subprocess.Popen(
        ["bash", "-c", readme_block("serve")],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(README_PORT, server, timeout=900)
        flow, fetch_result = split_last_command(readme_block("flow"))
        run_bash(flow, clone, env)
        poll = (
            'eval "$(.venv/bin/openlookout env)"\n'
            ".venv-clients/bin/aws lookoutvision describe-model --project-name cookies --model-version 1"
        )
        deadline = time.monotonic() + TRAINING_TIMEOUT_S
        while True:
            model = json.loads(run_bash(poll, clone, env))["ModelDescription"]
            if model["Status"] != "TRAINING":
                break
            assert time.monotonic() < deadline, "the cookie model was still TRAINING after 15 minutes"
            time.sleep(3)
        assert model["Status"] == "TRAINED", model["StatusMessage"]
        assert model["Performance"]["F1Score"] >= 0.9
        header = 'eval "$(.venv/bin/openlookout env)"\nexport PATH="$PWD/.venv-clients/bin:$PATH"\n'
        result = json.loads(run_bash(header + fetch_result, clone, env))
        assert result["Version"] == 1
        assert result["AggregatedEvaluationResults"]["Metrics"]["F1Score"] >= 0.9
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(clone / ".venv", ignore_errors=True)
        shutil.rmtree(clone / ".venv-clients", ignore_errors=True)
