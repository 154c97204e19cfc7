"""Grading beyond one run: the local engine against Slurm, a rerun, a resumed kill.

On one machine, one after the other (time it with nothing else running):

1. ``N`` hand-ins of notebook 02 (copies of the worked solution, each with other bytes)
   graded with ``ENGINE=local JOBS=2``;
2. the same command again (every result is kept: nothing should be graded);
3. the same hand-ins with ``ENGINE=slurm`` on a single-node Slurm cluster started here
   (``scripts/slurm_cluster.sh``; its preflight job included);
4. a local run killed with SIGKILL once half of the results are kept, then run again: its
   total time against the uninterrupted run's;
5. with ``--per-notebook``: each notebook's worked solution graded whole, its student's
   sandbox time against the same notebook executed plainly (nbclient, one thread, no
   sandbox): what the sandbox and the checker cost.

    .venv/bin/python -m benchmarks.grading_scale [--copies 12] [--per-notebook [NAME ...]]

Needs ``make assignments`` (or ``make book``) first and root for the Slurm cluster. Writes
``grading_scale.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course.paths import ASSIGNMENTS, ROOT

HERE = Path(__file__).resolve().parent
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]


def copies(folder: Path, name: str, n: int) -> Path:
    solution = json.loads((ASSIGNMENTS / name / "autograder" / f"{name}.ipynb").read_text())
    folder.mkdir(parents=True)
    for k in range(n):
        solution["metadata"]["copy"] = k  # other bytes: another hand-in
        (folder / f"s{k:03d}.ipynb").write_text(json.dumps(solution))
    return folder


def grade(folder: Path, grades: Path, *extra: str, env=None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grading.batch", str(folder), "--grades",
                           str(grades), *extra], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=True)
    return time.perf_counter() - start, done.stdout


def counts(stdout: str) -> str:
    match = re.search(r"(\d+) reused, (\d+) graded", stdout)
    return match.group(0) if match else "?"


def killed_and_resumed(folder: Path, grades: Path, n: int) -> dict:
    command = [sys.executable, "-m", "grading.batch", str(folder), "--grades", str(grades),
               "--jobs", "2"]
    start = time.perf_counter()
    first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)

    def kept() -> int:
        return len(list((grades / "results").rglob("*.json"))) if grades.is_dir() else 0

    while kept() < n // 2 and first.poll() is None:
        time.sleep(0.5)  # polling for the condition: half of the results kept
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    until_kill, at_kill = time.perf_counter() - start, kept()
    rerun, out = grade(folder, grades, "--jobs", "2")
    return {"until_kill_s": until_kill, "kept_at_kill": at_kill, "rerun_s": rerun,
            "rerun": counts(out)}


def sandbox_figures(log: str) -> tuple[float, str]:
    """(seconds, peak memory) of the student's sandbox, from a hand-in's log."""
    match = re.search(r"student's sandbox: exit \S+, ([\d.]+) s, peak memory ([^,]+),", log)
    return (float(match.group(1)), match.group(2)) if match else (float("nan"), "?")


def plain_seconds(name: str) -> float:
    """The autograder's solution notebook executed as run_notebook.py does, no sandbox."""
    import nbformat
    from nbclient import NotebookClient

    path = ASSIGNMENTS / name / "autograder" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and "export(grader" not in c.source]
    with tempfile.TemporaryDirectory() as work:
        shutil.copy(path, Path(work) / path.name)
        client = NotebookClient(nb, allow_errors=True, timeout=None, kernel_name="python3",
                                resources={"metadata": {"path": work}})
        env = {"DL4PHYS_THREADS": "1", "OMP_NUM_THREADS": "1"}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            start = time.perf_counter()
            client.execute()
            return time.perf_counter() - start
        finally:
            for k, v in old.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=12)
    parser.add_argument("--per-notebook", nargs="*", metavar="NAME", default=None,
                        help="also sandboxed against plain time per notebook (all without names)")
    args = parser.parse_args()
    result: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "copies": args.copies}
    with tempfile.TemporaryDirectory(prefix="dl4phys-bench-") as tmp:
        tmp = Path(tmp)
        folder = copies(tmp / "hand-ins", "02_autoencoder", args.copies)
        result["local_s"], out = grade(folder, tmp / "local", "--jobs", "2")
        result["local"] = counts(out)
        result["rerun_s"], out = grade(folder, tmp / "local", "--jobs", "2")
        result["rerun"] = counts(out)
        cluster, env = tmp / "slurm", {}
        if not os.environ.get("SLURM_CONF"):
            subprocess.run([str(ROOT / "scripts" / "slurm_cluster.sh"), "start", str(cluster)],
                           check=True)
            env = {"SLURM_CONF": str(cluster / "slurm.conf")}
        try:
            result["slurm_s"], out = grade(folder, tmp / "slurm-grades", "--engine", "slurm",
                                           env=env)
            result["slurm"] = counts(out)
        finally:
            if env:
                subprocess.run([str(ROOT / "scripts" / "slurm_cluster.sh"), "stop",
                                str(cluster)], check=True)
        result["resumed"] = killed_and_resumed(folder, tmp / "resumed", args.copies)
        notebooks = (args.per_notebook or NAMES) if args.per_notebook is not None else []
        for name in notebooks:
            one = copies(tmp / f"one-{name}", name, 1)
            grade(one, tmp / f"grades-{name}", "--jobs", "1")
            log = next((tmp / f"grades-{name}" / "runs").glob("*/logs/*.log")).read_text()
            seconds, memory = sandbox_figures(log)
            result[name] = {"sandboxed_s": seconds, "peak_memory": memory,
                            "plain_s": plain_seconds(name)}
    (HERE / "grading_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    resumed = result["resumed"]
    lines = [
        "# Grading at scale", "",
        f"`.venv/bin/python -m benchmarks.grading_scale --copies {args.copies}` "
        f"({result['machine']}, {result['date']}): {args.copies} hand-ins of 02.", "",
        "| run | wall time (s) | ratio to the local run | results |", "|---|---|---|---|",
        f"| local, JOBS=2 | {result['local_s']:.1f} | 1.00 | {result['local']} |",
        f"| the same again | {result['rerun_s']:.1f} | "
        f"{result['rerun_s'] / result['local_s']:.3f} | {result['rerun']} |",
        f"| slurm, 2-CPU node (preflight included) | {result['slurm_s']:.1f} | "
        f"{result['slurm_s'] / result['local_s']:.2f} | {result['slurm']} |",
        f"| killed at {resumed['kept_at_kill']} kept, then run again | "
        f"{resumed['until_kill_s']:.1f} + {resumed['rerun_s']:.1f} | "
        f"{(resumed['until_kill_s'] + resumed['rerun_s']) / result['local_s']:.2f} | "
        f"{resumed['rerun']} |"]
    if notebooks:
        lines += ["", "| notebook | student's sandbox (s) | peak memory | plain execution (s) "
                  "| ratio |", "|---|---|---|---|---|"]
        lines += [f"| {n} | {result[n]['sandboxed_s']:.1f} | {result[n]['peak_memory']} | "
                  f"{result[n]['plain_s']:.1f} | "
                  f"{result[n]['sandboxed_s'] / result[n]['plain_s']:.2f} |" for n in notebooks]
    (HERE / "grading_scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
