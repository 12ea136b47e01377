"""Lookout for Vision service layer: projects, datasets, models, hosting, packaging, tags.

Protocol-free like the Custom Labels service; ``facade.LookoutVisionService`` is what the
REST handler calls (one snake_case method per operation).
"""

from openlookout.service.lookoutvision.facade import LookoutVisionService

__all__ = ["LookoutVisionService"]
