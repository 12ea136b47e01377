"""The standalone edge runner copied into every model package (docs/packaging.md).

``openlookout_edge`` below is shipped as-is: it imports only onnxruntime, NumPy and Pillow,
never ``openlookout``, so a device runs it with nothing else installed.
"""

from __future__ import annotations

from pathlib import Path

RUNNER_DIR = Path(__file__).parent / "openlookout_edge"
# The runner's own dependencies, pinned to the versions the server is tested with.
REQUIREMENTS = ("onnxruntime==1.31.1", "numpy==2.4.6", "pillow==13.0.0")


def runner_files() -> list[Path]:
    """The runner's source files, relative to ``RUNNER_DIR`` (no caches)."""
    return sorted(p.relative_to(RUNNER_DIR) for p in RUNNER_DIR.glob("*.py"))
