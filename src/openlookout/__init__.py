"""openlookout: a self-hosted, wire-compatible successor to Amazon Lookout for Vision."""

import os

__version__ = "0.1.0"

# torch, faiss and NumPy's OpenBLAS each keep a thread pool. With OpenMP's default
# busy-waiting and a second BLAS pool, idle threads of one library spin on the cores the
# next one needs: a cookie training run used 2.2x the CPU time it needs on 2 cores. These
# defaults are read when those libraries load, so they are set on the package's first
# import (entry points import it before NumPy or torch); an explicit setting wins.
# docs/anomaly_engine.md, "Threads".
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
