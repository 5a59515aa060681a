"""What every command family shares: the error line and its exit code."""

from __future__ import annotations

import sys


def fail(message: str, code: int = 2) -> int:
    print(f"tileshop: error: {message}", file=sys.stderr)
    return code
