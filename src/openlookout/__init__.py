"""openlookout: a self-hosted, wire-compatible successor to Amazon Lookout for Vision."""

__version__ = "0.1.0"
