"""How much a notebook slows down beside one other CPU-bound process, per thread count.

Runs a notebook in a fresh kernel (nbclient, as nbval and the book do) with
``DL4PHYS_THREADS`` = each requested value, once on an otherwise idle machine and once
beside one busy process (a pure-Python loop, like another kernel training on one core),
and prints the wall times and their ratio. Nothing else may run meanwhile: the idle runs
must be idle.

    .venv/bin/python -m benchmarks.thread_robustness 02_autoencoder --threads 2 1

Writes thread_robustness.json beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def run_notebook(name: str, threads: int, cap_s: float) -> float | None:
    """Wall time of one fresh-kernel run in seconds; None if it did not finish in cap_s."""
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    os.environ["DL4PHYS_THREADS"] = str(threads)
    os.environ["DL4PHYS_PROGRESS"] = "off"
    client = NotebookClient(nb, timeout=int(cap_s), kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    start = time.perf_counter()
    try:
        client.execute(transport_encryption="auto")  # CurveZMQ, as make lab
    except (CellTimeoutError, DeadKernelError, TimeoutError):
        return None
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", default="02_autoencoder")
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--cap", type=float, default=300, help="seconds per cell at most")
    args = parser.parse_args()

    rows = []
    for threads in args.threads:
        idle = run_notebook(args.notebook, threads, args.cap)
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            busy = run_notebook(args.notebook, threads, args.cap)
        finally:
            hog.kill()
            hog.wait()
        ratio = busy / idle if busy and idle else None
        rows.append({"threads": threads, "idle_s": idle, "busy_s": busy, "ratio": ratio})
        busy_text = f"{busy:.1f} s" if busy else f"not finished (a cell ran over {args.cap:.0f} s)"
        ratio_text = f"{ratio:.2f}" if ratio else "-"
        print(f"{args.notebook}, {threads} thread(s): idle {idle:.1f} s, beside one busy "
              f"process {busy_text}, ratio {ratio_text}", flush=True)
    result = {"notebook": args.notebook, "machine": platform.processor() or platform.machine(),
              "cores": os.cpu_count(), "cell_limit_s": args.cap, "rows": rows}
    (HERE / "thread_robustness.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
