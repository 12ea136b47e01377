"""Run the cookie flow (cookie_flow.py) with whatever boto3 this Python has.

Usage: python run_cookie_flow.py CONFIG.json  -- CONFIG holds the connect.py keys
plus ``plan``. Prints the flow summary as one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from connect import lookoutvision_client, s3_client
from cookie_flow import run_cookie_flow, to_json


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    summary = run_cookie_flow(lookoutvision_client(config), s3_client(config), config["plan"])
    print(to_json(summary))


if __name__ == "__main__":
    main()
