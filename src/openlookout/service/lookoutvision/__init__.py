"""Lookout for Vision service layer: projects, datasets, models, hosting, packaging, tags.

Protocol-free like the Custom Labels service; ``facade.LookoutVisionService`` is what the
REST handler calls (one snake_case method per operation, bound from its ``operations`` table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openlookout.service.lookoutvision.facade import LookoutVisionService

__all__ = ["LookoutVisionService"]


def __getattr__(name: str) -> Any:
    # Imported on first use: a job worker importing one handler module of this package
    # should not load the facade and every module it wires (jobs/handlers.py).
    if name == "LookoutVisionService":
        from openlookout.service.lookoutvision.facade import LookoutVisionService

        return LookoutVisionService
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
