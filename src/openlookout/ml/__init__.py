"""Training and inference. No HTTP, no database: arrays and paths in, artefacts and metrics out."""
