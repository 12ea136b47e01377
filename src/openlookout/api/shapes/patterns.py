"""Compile the model's (Java-flavoured) constraint patterns for Python's ``re``.

The service model uses Unicode property classes such as ``\\p{L}`` (any letter),
which ``re`` lacks. We translate each ``\\p{X}`` into explicit code point ranges
computed from ``unicodedata``, so the check is exact for Python's Unicode version
instead of approximated with ``\\w``.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

_PROPERTY = re.compile(r"\\([pP])\{([A-Za-z]{1,2})\}")


@cache
def _ranges_by_category() -> dict[str, list[tuple[int, int]]]:
    """Code point ranges of every two-letter general category, from one sweep of Unicode."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    current, start = unicodedata.category("\0"), 0
    for code in range(1, sys.maxunicode + 2):
        category = unicodedata.category(chr(code)) if code <= sys.maxunicode else ""
        if category != current:
            ranges.setdefault(current, []).append((start, code - 1))
            current, start = category, code
    return ranges


@cache
def _category_ranges(category: str) -> str:
    """Character-class body (no brackets) matching every code point of a general category.

    ``category`` is one letter (``L``: all letters) or two (``Lu``: upper-case letters).
    """
    selected = sorted(
        span for name, spans in _ranges_by_category().items() if name.startswith(category) for span in spans
    )
    if not selected:
        raise ValueError(f"unknown Unicode category: {category}")
    merged: list[tuple[int, int]] = []
    for lo, hi in selected:
        if merged and lo == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return "".join(_escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}" for lo, hi in merged)


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


def _inside_class(pattern: str, index: int) -> bool:
    """Whether ``pattern[index]`` lies inside a ``[...]`` character class."""
    depth = 0
    escaped = False
    for char in pattern[:index]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
    return depth > 0


def translate(pattern: str) -> str:
    """Rewrite Unicode property classes as ranges; everything else is valid for ``re`` as it is."""
    parts: list[str] = []
    last = 0
    for match in _PROPERTY.finditer(pattern):
        negated, category = match.group(1) == "P", match.group(2)
        ranges = _category_ranges(category)
        if _inside_class(pattern, match.start()):
            if negated:
                raise ValueError(f"negated property class inside [...] is not supported: {pattern}")
            replacement = ranges
        else:
            replacement = f"[{'^' if negated else ''}{ranges}]"
        parts.append(pattern[last : match.start()])
        parts.append(replacement)
        last = match.end()
    parts.append(pattern[last:])
    return "".join(parts)


@cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled pattern; callers use ``fullmatch`` (AWS patterns constrain the whole value)."""
    return re.compile(translate(pattern))
