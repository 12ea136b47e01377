"""hosting package."""
