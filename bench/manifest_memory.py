"""Peak RSS of reading an oversized manifest: streamed (this tree) vs whole (a git revision).

Issue 12 #8: a 1,000,000-line manifest (~262 MB) must fail at the first line past the
limit with bounded memory. Each measurement runs in a fresh process (``ru_maxrss``).

    .venv/bin/python -m bench.manifest_memory --lines 1000000 --baseline b5eac2f
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from openlookout.blobs.local import LocalBlobStore

BUCKET, KEY = "bench-manifest", "huge.manifest"

# Runs in the child, against whichever openlookout its PYTHONPATH holds.
CHILD = r"""
import resource, sys
from openlookout.blobs.local import LocalBlobStore
blobs = LocalBlobStore(sys.argv[1]); kind = sys.argv[2]
try:
    if kind == "l4v":
        from openlookout.service.lookoutvision import dataset_jobs as jobs
        from openlookout.manifests import parse_manifest
        from openlookout.manifests.validate import check_image_count
        try:
            lines = jobs.read_manifest(blobs, "bench-manifest", "huge.manifest", "train")
        except TypeError:  # before streaming: bytes, then every line parsed
            lines = parse_manifest(jobs.read_manifest(blobs, "bench-manifest", "huge.manifest"))
        check_image_count(len(lines), "train", False)
    else:
        from openlookout.service.custom_labels import dataset_job as jobs
        if hasattr(jobs, "read_manifest_check"):
            jobs.read_manifest_check(blobs, "bench-manifest", "huge.manifest")
        else:
            from openlookout.manifests.custom_labels import check_manifest_file
            check_manifest_file(jobs.read_manifest(blobs, "bench-manifest", "huge.manifest"))
    outcome = "accepted"
except Exception as exc:
    outcome = str(exc)[:90]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, outcome, sep="\t")
"""


def write_manifest(root: Path, lines: int) -> int:
    blobs = LocalBlobStore(root)
    blobs.create_bucket(BUCKET)
    meta = {"class-name": "normal", "type": "groundtruth/image-classification", "human-annotated": "yes"}
    meta.update({"job-name": "bench", "creation-date": "2024-01-02T03:04:05.000Z", "confidence": 1})
    path = root / "manifest.tmp"
    with path.open("w") as fh:
        for n in range(lines):
            line = {"source-ref": f"s3://{BUCKET}/images/{n:07d}.png", "anomaly-label": 0}
            fh.write(json.dumps({**line, "anomaly-label-metadata": meta}) + "\n")
    with path.open("rb") as fh:
        blobs.put(BUCKET, KEY, fh)
    size = path.stat().st_size
    path.unlink()
    return size


def measure(src: Path, root: Path, kind: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), kind], env=env, capture_output=True, text=True, check=True
    )
    peak, outcome = done.stdout.strip().split("\t", 1)
    return int(peak), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--baseline", default="b5eac2f", help="git revision read whole (before)")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        root, old = Path(tmp) / "buckets", Path(tmp) / "old"
        size = write_manifest(root, args.lines)
        old.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(here), "archive", args.baseline, "src"], capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        print(f"manifest: {args.lines} lines, {size / 2**20:.0f} MiB\n")
        print("| reader | code | peak RSS (MiB) | outcome |\n|---|---|---|---|")
        for kind in ("l4v", "cl"):
            for label, src in ((args.baseline, old / "src"), ("this tree", here / "src")):
                peak, outcome = measure(src, root, kind)
                print(f"| {kind} | {label} | {peak} | {outcome} |")


if __name__ == "__main__":
    main()
