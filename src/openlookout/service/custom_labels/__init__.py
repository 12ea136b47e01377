"""Rekognition Custom Labels service layer: projects, datasets, policies, tags, versions.

Protocol-free like the Lookout for Vision service; ``facade.CustomLabelsService`` is what
the JSON 1.1 handler calls (one snake_case method per operation).
"""
