"""The answer to an unexpected exception: the traceback goes to the log, the client gets the id."""

from __future__ import annotations

import logging


def report_internal_error(log: logging.Logger, exc: BaseException, request_id: str, where: str) -> str:
    """Log ``exc`` with its traceback; the message the client sees, which quotes only the request id."""
    log.error("internal error in %s (request id %s)", where, request_id, exc_info=exc)
    return f"An internal error occurred. Quote request id {request_id} when reporting it."
