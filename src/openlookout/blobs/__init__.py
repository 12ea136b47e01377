"""Object storage behind one interface: local folder (default) or any S3-compatible store."""
