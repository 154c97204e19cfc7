"""Time the lecture's own code, section by section, on this machine.

This is the baseline the course is measured against (``make bench`` runs it next to the
notebooks). The code is the lecture's, verbatim (``lecture_code.py``), executed in one
namespace with a non-interactive Matplotlib backend. Writes ``lecture_baseline.json``.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import lecture_code  # noqa: E402


def main() -> dict:
    namespace: dict = {}
    timings = {}
    for k in range(1, 6):
        name = getattr(lecture_code, f"SECTION_{k}")
        code = getattr(lecture_code, f"CODE_{k}")
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, f"<lecture {name}>", "exec"), namespace)
        timings[name] = time.perf_counter() - t0
        print(f"{name:22s} {timings[name]:7.1f} s", flush=True)
    total = sum(timings.values())
    print(f"{'total':22s} {total:7.1f} s")
    result = {"sections_seconds": timings, "total_seconds": total}
    out = Path(__file__).with_name("lecture_baseline.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
