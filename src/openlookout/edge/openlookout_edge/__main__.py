"""``python -m openlookout_edge --model DIR IMAGE...``: one DetectAnomalyResult JSON line per image."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .model import EdgeModel, ImageSizeError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openlookout_edge", description=__doc__)
    parser.add_argument("--model", type=Path, required=True, help="folder of the unpacked model package")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: all cores)")
    parser.add_argument("images", type=Path, nargs="+", help="PNG or JPEG images")
    args = parser.parse_args(argv)
    model = EdgeModel(args.model, threads=args.threads)
    status = 0
    for path in args.images:
        try:
            result = model.detect_file(path)
        except (OSError, ImageSizeError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            status = 1
            continue
        print(json.dumps({"DetectAnomalyResult": result}), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
