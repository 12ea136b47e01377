"""Benchmark of the anomaly engine against anomalib (see bench/README.md)."""
