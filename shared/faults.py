"""Fail points: named places where a test may make the process die, to prove crash safety.

Enabled only through the `FAILPOINTS` environment variable (comma-separated names), which
no deployment sets; `crash_point` then ends the process at once, as a power cut would.
"""

from __future__ import annotations

import os
import sys


def crash_point(name: str) -> None:
    if name in {p.strip() for p in os.environ.get("FAILPOINTS", "").split(",") if p.strip()}:
        sys.stderr.write(f"failpoint {name}: exiting abruptly\n")
        sys.stderr.flush()
        os._exit(86)
