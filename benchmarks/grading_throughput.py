"""How many submissions per hour ``make grade`` grades, one at a time and in parallel.

For each notebook, N copies of its worked solution (the autograder's solution notebook,
which scores full marks) are graded by ``grading/batch.py`` twice in one run, each
submission sandboxed as in ``make grade``: with ``--jobs 1`` and with ``--jobs J`` (default:
the number of cores). The grades of the two runs must be identical.

    .venv/bin/python -m benchmarks.grading_throughput [--copies N] [--jobs J] [NAME ...]

Needs ``make assignments`` first. Writes ``grading_throughput.md`` and ``.json``. Time it
on an otherwise idle machine: it measures the machine as much as the grader.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course.paths import ASSIGNMENTS as OUT
from course.paths import ROOT

NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]


def grade(folder: Path, out: Path, jobs: int) -> tuple[float, list[dict]]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grading.batch", str(folder),
                    "--grades", str(out), "--jobs", str(jobs)], check=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    with open(run_folder(out) / "grades.csv") as f:
        return seconds, list(csv.DictReader(f))


def run_folder(out: Path) -> Path:
    return sorted((out / "runs").iterdir())[-1]


def peaks(out: Path) -> list[str]:
    return [log.read_text().splitlines()[0]
            for log in sorted((run_folder(out) / "logs").glob("*.log"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=NAMES)
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names:
            folder = Path(tmp) / name
            folder.mkdir()
            for k in range(args.copies):
                shutil.copy(OUT / name / "autograder" / f"{name}.ipynb", folder / f"s{k}.ipynb")
            serial_s, serial = grade(folder, Path(tmp) / f"{name}-serial", 1)
            parallel_s, parallel = grade(folder, Path(tmp) / f"{name}-parallel", args.jobs)
            full = all(float(r["score"]) == float(r["max"]) > 0 for r in serial)
            rows.append({"notebook": name, "copies": args.copies, "serial_s": serial_s,
                         "parallel_s": parallel_s, "jobs": args.jobs,
                         "identical": serial == parallel, "full_marks": full,
                         "per_hour_serial": 3600 * args.copies / serial_s,
                         "per_hour_parallel": 3600 * args.copies / parallel_s,
                         "sandbox": peaks(Path(tmp) / f"{name}-parallel")})
            print(json.dumps(rows[-1], indent=1), flush=True)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    (Path(__file__).with_name("grading_throughput.json")).write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=1))
    lines = ["# Grading throughput", "",
             f"`.venv/bin/python -m benchmarks.grading_throughput`: {args.copies} "
             f"copies of each solution, graded sandboxed one at a time and {args.jobs} at a "
             f"time ({machine}).", "",
             "| Notebook | serial (s) | parallel (s) | per hour, serial | per hour, parallel "
             "| identical grades | full marks |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['notebook']} | {r['serial_s']:.0f} | {r['parallel_s']:.0f} | "
                     f"{r['per_hour_serial']:.0f} | {r['per_hour_parallel']:.0f} | "
                     f"{'yes' if r['identical'] else 'NO'} | "
                     f"{'yes' if r['full_marks'] else 'NO'} |")
    (Path(__file__).with_name("grading_throughput.md")).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
