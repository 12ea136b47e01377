"""Drive the pinned old clients (boto3 1.40.60, awscli 1.42.60) as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from .paths import CLIENT_SCRIPTS, OLD_AWS, OLD_PYTHON


def old_client_env(workdir: Path) -> dict[str, str]:
    """Hide any ~/.aws setup, use path-style S3 and make exactly one attempt per request."""
    aws_config = workdir / "aws-config"
    aws_config.write_text(
        "[default]\nregion = us-east-1\noutput = json\nretry_mode = standard\nmax_attempts = 1\n"
        "s3 =\n    addressing_style = path\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(aws_config),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_old_boto3_script(script: str, config: dict[str, Any], workdir: Path, timeout_s: float) -> Any:
    """Run clients/<script> under the old boto3 with ``config`` and return its JSON output."""
    config_file = workdir / f"{Path(script).stem}-config.json"
    # boto3 1.40.60 ships its own lookoutvision model: no generated one.
    config_file.write_text(json.dumps({**config, "data_path": None}))
    done = subprocess.run(
        [str(OLD_PYTHON), str(CLIENT_SCRIPTS / script), str(config_file)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=old_client_env(workdir),
    )
    assert done.returncode == 0, f"{script} under old boto3 crashed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)


class AwsCli:
    """awscli 1.42.60 run as a user would, one process per command."""

    def __init__(self, config: dict[str, Any], workdir: Path) -> None:
        self.endpoint = config["endpoint"]
        self.env = old_client_env(workdir)
        access_key, secret = config["keys"]["root"]
        self.env.update(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret)

    def _run(self, args: tuple[str, ...], timeout: float) -> subprocess.CompletedProcess[str]:
        cmd = [str(OLD_AWS), "--endpoint-url", self.endpoint, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env)

    def run(self, *args: str, timeout: float = 300) -> str:
        done = self._run(args, timeout)
        assert done.returncode == 0, (
            f"aws {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
        return done.stdout

    def run_failing(self, *args: str, timeout: float = 120) -> str:
        """Run a command that must fail; returns its stderr."""
        done = self._run(args, timeout)
        assert done.returncode != 0, f"aws {' '.join(args)} unexpectedly succeeded:\n{done.stdout[-2000:]}"
        return done.stderr

    def json(self, *args: str) -> dict[str, Any]:
        return json.loads(self.run(*args, "--output", "json"))

    def poll(
        self, args: tuple[str, ...], path: tuple[str, str], waiting: str, timeout_s: float, interval_s: float
    ) -> dict[str, Any]:
        """Repeat a describe command until the status at ``path`` is no longer ``waiting``."""
        deadline = time.monotonic() + timeout_s
        while True:
            response = self.json(*args)
            if response[path[0]][path[1]] != waiting or time.monotonic() > deadline:
                return response
            time.sleep(interval_s)
