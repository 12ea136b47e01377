"""uvicorn's h11 protocol with the guards a server on a network needs (issue 12 item 4).

uvicorn times out only idle keep-alive connections. This protocol also:

- closes a connection whose request head (request line + headers) is not complete within
  ``HEADER_TIMEOUT_S`` of its first byte (or of the connection opening), answering
  ``408 Request Timeout``, so half-sent requests cannot hold file descriptors;
- answers a request line over ``MAX_HEAD_BYTES`` with ``414 URI Too Long`` and a longer header
  block with ``431 Request Header Fields Too Large``, then half-closes and discards what the
  client still sends for a moment (a "lingering close"), so the client reads the answer
  instead of a connection reset.

Limits are listed in docs/security.md ("Limits").
"""

from __future__ import annotations

import asyncio
import os
import resource

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = float(os.environ.get("OPENLOOKOUT_HEADER_TIMEOUT_S", "20"))
KEEP_ALIVE_S = 75  # SDKs keep pooled connections; uvicorn's 5 s default drops them mid-poll
MAX_HEAD_BYTES = 64 * 1024  # longest presigned S3 URL plus headers fit many times over
_LINGER_S = 2.0
_LINGER_BYTES = 8 << 20
_FD_RESERVE = 256  # descriptors kept for the database, object files and worker pipes


def concurrency_limit() -> int:
    """Connections served at once: below the process's file limit, so it is never exhausted;
    past it uvicorn answers 503."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(64, min(4096, soft - _FD_RESERVE))


def _raw_response(status: int, reason: str) -> bytes:
    body = f"{status} {reason}\n".encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class GuardedH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._lingering = -1  # bytes discarded after an early answer; -1: not lingering
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering >= 0:
            self._lingering += len(data)
            if self._lingering > _LINGER_BYTES:
                self.transport.close()
            return
        if self.conn.their_state is h11.IDLE:
            # h11 bounds only an incomplete head; one that arrives whole in a read is measured here.
            pending = self.conn.trailing_data[0] + data
            end = pending.find(b"\r\n\r\n")
            if (end + 4 if end >= 0 else len(pending)) > MAX_HEAD_BYTES:
                self._refuse_head(pending)
                return
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self._arm_head_timer()  # a head has begun: it has HEADER_TIMEOUT_S to complete
        elif self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self.conn.trailing_data[0]:
                self.transport.write(_raw_response(408, "Request Timeout"))
            self.transport.close()

    def _refuse_head(self, pending: bytes) -> None:
        self._cancel_head_timer()
        if b"\r\n" not in pending[: MAX_HEAD_BYTES + 2]:
            self.transport.write(_raw_response(414, "URI Too Long"))
        else:
            self.transport.write(_raw_response(431, "Request Header Fields Too Large"))
        self._linger()

    def _linger(self) -> None:
        """Half-close, read and drop what the client is still sending, then close."""
        self._lingering = 0
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER_S, self.transport.close)
