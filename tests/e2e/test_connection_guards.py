"""Slow and huge request heads against the real server (issue 12 item 4).

A server of its own with a 2 s head timeout (``OPENLOOKOUT_HEADER_TIMEOUT_S``), so the test
waits seconds, not the default 20.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import ROOT_KEY, ServerProcess, signed_list_projects_status


@pytest.fixture(scope="module")
def guarded(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[ServerProcess]:
    monkeypatch_module.setenv("OPENLOOKOUT_HEADER_TIMEOUT_S", "2")
    server = ServerProcess(
        data_dir=Path(tmp_path_factory.mktemp("guards")) / "data",
        access_key=ROOT_KEY[0],
        secret_key=ROOT_KEY[1],
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_half_sent_heads_are_answered_408_and_closed(guarded: ServerProcess) -> None:
    sockets = []
    for _ in range(100):
        sock = socket.create_connection(("127.0.0.1", guarded.port), timeout=15)
        sock.sendall(b"GET /2020-11-20/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        sockets.append(sock)
    idle = socket.create_connection(("127.0.0.1", guarded.port), timeout=15)  # sends nothing at all
    started = time.monotonic()
    try:
        answers = [_read_all(sock) for sock in sockets]
        assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers)
        assert _read_all(idle) == b""  # closed without an answer: there was no request
        assert time.monotonic() - started < 12
    finally:
        for sock in [*sockets, idle]:
            sock.close()
    # A slow head does not starve others: the server still answers.
    assert signed_list_projects_status(guarded.endpoint, guarded.access_key, guarded.secret_key) == 200


def test_a_300_kb_request_line_gets_414_not_a_reset(guarded: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=15) as sock:
        sock.sendall(b"GET /bucket/" + b"k" * 300_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 414 URI Too Long\r\n")


def test_a_100_kb_header_block_gets_431(guarded: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", guarded.port), timeout=15) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Pad: " + b"p" * 100_000 + b"\r\n\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
