"""Manifest lines from a byte stream, holding one chunk and one line at a time.

Imports read the manifest object chunk by chunk (``BlobStore.iter_chunks``) and stop at the
first line past a limit, so a manifest of any size costs at most the lines the limit allows
(issue 12 #8; limits in docs/security.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

# No Ground Truth line comes near this (50 boxes or a 20-class colour map are a few KB).
MAX_LINE_BYTES = 1024 * 1024
_BOM = b"\xef\xbb\xbf"


class LineTooLong(ValueError):
    def __init__(self, line_no: int) -> None:
        super().__init__(f"Line {line_no} is longer than {MAX_LINE_BYTES} bytes.")
        self.line_no = line_no


def iter_lines(chunks: Iterable[bytes], max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of the stream without their ``\\n`` (and without a leading UTF-8 BOM).

    A final newline does not make an extra line. Raises ``LineTooLong`` as soon as a line
    outgrows ``max_line_bytes``, before reading the rest of it.
    """
    pending = bytearray()
    line_no = 1
    first = True
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            pending += chunk[start:end]
            if len(pending) > max_line_bytes:
                raise LineTooLong(line_no)
            yield _strip_bom(bytes(pending), first)
            pending.clear()
            first, line_no, start = False, line_no + 1, end + 1
        pending += chunk[start:]
        if len(pending) > max_line_bytes:
            raise LineTooLong(line_no)
    if pending:
        yield _strip_bom(bytes(pending), first)


def _strip_bom(line: bytes, first: bool) -> bytes:
    return line[len(_BOM) :] if first and line.startswith(_BOM) else line
