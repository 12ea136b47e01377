"""Run the operation matrix (tests/e2e/matrix.py) with whatever boto3 this Python has.

Usage: python run_matrix.py CONFIG.json  -- CONFIG holds the connect.py keys plus
``ctx`` (the matrix context). Prints one JSON object on stdout: step id ->
null (passed) or a failure description.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import matrix  # noqa: E402
from connect import clients_by_role  # noqa: E402


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    outcomes = matrix.run_steps(clients_by_role(config), config["ctx"])
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
