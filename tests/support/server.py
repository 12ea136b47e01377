"""Run ``openlookout serve`` as a real subprocess and know when it answers.

Also the suite's server set-up (root key, restricted keys in a policy file) shared by the
end-to-end tests and the Custom Labels detection flow.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import urllib3
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed_list_projects_status(endpoint: str, access_key: str, secret_key: str) -> int:
    """HTTP status of a SigV4-signed ListProjects (needs no service model)."""
    url = f"{endpoint}/2020-11-20/projects"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(access_key, secret_key), "lookoutvision", REGION).add_auth(request)
    prepared = urllib.request.Request(url, headers=dict(request.headers.items()), method="GET")
    try:
        with urllib.request.urlopen(prepared, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def signed_json_request(
    endpoint: str,
    path: str,
    key: tuple[str, str],
    service: str = "lookoutvision",
    region: str = REGION,
    method: str = "GET",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    """A raw SigV4-signed request (any service and region in the scope): (status, headers, JSON)."""
    url = f"{endpoint}{path}"
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials(*key), service, region).add_auth(request)
    prepared = urllib.request.Request(
        url, data=body or None, headers=dict(request.headers.items()), method=method
    )
    try:
        with urllib.request.urlopen(prepared, timeout=60) as response:
            return response.status, _lower(response.headers.items()), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers.items()), json.loads(error.read() or b"{}")


def _lower(items: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


def signed_request(
    endpoint: str,
    keys: tuple[str, str],
    service: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    send: bytes | None = None,
) -> urllib3.BaseHTTPResponse:
    """A raw SigV4-signed request (S3 signing for ``s3``); ``send`` replaces the signed body on
    the wire. No retries: a dropped connection raises urllib3's HTTPError."""
    request = AWSRequest(
        method=method, url=endpoint + path, data=body, headers=headers or {}, params=params or {}
    )
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(Credentials(*keys), service, REGION).add_auth(request)
    prepared = request.prepare()
    data = body if send is None else send
    return urllib3.request(
        method, prepared.url, body=data, headers=dict(prepared.headers), timeout=60, retries=False
    )


@dataclass
class ServerProcess:
    data_dir: Path
    access_key: str
    secret_key: str
    policy_file: Path | None = None
    port: int = field(default_factory=free_port)
    # Process umask of the server (None: inherit); empty access_key: the server generates one.
    umask: int | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def keys(self) -> tuple[str, str]:
        return self.access_key, self.secret_key

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}-server.log"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "openlookout", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        cmd += ["--region", REGION, "--account-id", ACCOUNT_ID]
        if self.policy_file:
            cmd += ["--policy-file", str(self.policy_file)]
        return cmd

    def start(self, ready_timeout_s: float = 90.0) -> None:
        env = dict(os.environ)
        env.pop("OPENLOOKOUT_ACCESS_KEY_ID", None)
        env.pop("OPENLOOKOUT_SECRET_ACCESS_KEY", None)
        if self.access_key:
            env.update(OPENLOOKOUT_ACCESS_KEY_ID=self.access_key)
            env.update(OPENLOOKOUT_SECRET_ACCESS_KEY=self.secret_key)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self.umask is None:
            self.data_dir.mkdir(exist_ok=True)  # with a umask under test, the server creates it
        with self.log_path.open("ab") as log:
            # Own process group: stop() and crash tests reach the job workers too.
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                umask=-1 if self.umask is None else self.umask,
            )
        if not self.access_key:
            self._read_generated_key(ready_timeout_s)
        self.wait_ready(ready_timeout_s)

    def _read_generated_key(self, timeout_s: float) -> None:
        path = self.data_dir / "credentials.json"
        deadline = time.monotonic() + timeout_s
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.2)  # written atomically (temp file + rename): complete once it exists
        data = json.loads(path.read_text())
        self.access_key, self.secret_key = data["access_key_id"], data["secret_access_key"]

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}\n{self.log_tail()}")
            try:
                status = signed_list_projects_status(self.endpoint, self.access_key, self.secret_key)
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as error:
                last = str(error)
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"server not ready in {timeout_s:.0f}s (last: {last})\n{self.log_tail()}")

    def kill_hard(self) -> None:
        """SIGKILL the server and its job workers at once, like a crashed machine."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if not self.process or self.process.poll() is not None:
            self._reap_group(signal.SIGKILL)
            return
        self._reap_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._reap_group(signal.SIGKILL)
            self.process.wait(timeout=20)
        self._reap_group(signal.SIGKILL)  # workers left behind by a slow shutdown

    def _reap_group(self, sig: signal.Signals) -> None:
        if self.process:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)

    def log_tail(self, max_chars: int = 12000) -> str:
        if not self.log_path.exists():
            return "(no server log)"
        text = self.log_path.read_text(errors="replace")
        return f"--- server log {self.log_path} (tail) ---\n{text[-max_chars:]}"


# The suite's server: a root key and restricted keys in a policy file (docs/security.md).
ROOT_KEY = ("OLE2EROOTKEY00000001", "e2e-root-secret-0123456789abcdefghijklmn")
# "denied" may use S3 only; "creator" may create models but not tag them; "l4v-only" and
# "rekognition-only" may call every operation of their API but nothing of S3.
RESTRICTED_KEYS: dict[str, tuple[str, str, list[str]]] = {
    "denied": ("OLE2EDENIEDKEY000001", "e2e-denied-secret-0123456789abcdefghij", ["s3:*"]),
    "l4v-only": ("OLE2EL4VONLYKEY00001", "e2e-l4v-only-secret-0123456789abcdefgh", ["lookoutvision:*"]),
    "rekognition-only": (
        "OLE2EREKONLYKEY00001",
        "e2e-rek-only-secret-0123456789abcdefghi",
        ["rekognition:*"],
    ),
    "creator": (
        "OLE2ECREATORKEY00001",
        "e2e-creator-secret-0123456789abcdefghi",
        ["lookoutvision:CreateModel", "lookoutvision:Describe*", "lookoutvision:List*"],
    ),
}

STARTED_SERVERS: list[ServerProcess] = []


def write_policy_file(path: Path) -> Path:
    """Policy file in the docs/security.md format: extra keys with allow-lists."""
    keys = [
        {"access_key_id": k, "secret_access_key": s, "allow": allow}
        for k, s, allow in RESTRICTED_KEYS.values()
    ]
    path.write_text(json.dumps({"keys": keys}, indent=2))
    return path


def start_server(base: Path, name: str) -> ServerProcess:
    server = ServerProcess(
        data_dir=base / name,
        access_key=ROOT_KEY[0],
        secret_key=ROOT_KEY[1],
        policy_file=write_policy_file(base / f"{name}-policy.json"),
    )
    STARTED_SERVERS.append(server)
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return server


def client_config(server: ServerProcess, data_path: Path) -> dict[str, Any]:
    keys = {"root": list(ROOT_KEY)}
    keys.update({role: [k, s] for role, (k, s, _) in RESTRICTED_KEYS.items()})
    return {"endpoint": server.endpoint, "region": REGION, "keys": keys, "data_path": str(data_path)}
