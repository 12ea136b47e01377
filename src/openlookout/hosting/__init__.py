"""Model hosting: the ModelHost seam (base.py) and its embedded default (local.py); see docs/hosting.md."""
