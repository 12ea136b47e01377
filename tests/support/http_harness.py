"""Shared helper (no tests here): an ASGI app served by uvicorn on a free loopback port, in a thread.

Importable from every test folder: ``tests/`` is on ``sys.path`` through its conftest.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp


@contextmanager
def serve_app(app: ASGIApp, lifespan: str = "off") -> Iterator[str]:
    """Yield ``http://127.0.0.1:<port>`` while ``app`` is served there (``lifespan="on"``: with
    its start-up and shutdown, as ``openlookout serve`` runs it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
