"""Harnesses shared by several test folders."""
