"""What a cluster's nodes lack for grading (``make grade-preflight ENGINE=slurm``).

One short job runs ``python -m grading.task QUEUE --probe`` on a node and writes back
what it found: that the checkout and its ``.venv`` start there (the job's first command
runs from them), that the grades folder is writable there (its answer comes back through
it), that bubblewrap builds its sandbox there, and that a memory cap holds. Each problem
is one sentence; ``make grade ENGINE=slurm`` runs the same checks first.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from course.paths import GRADES
from grading import sandbox
from grading.engines import Options
from grading.engines.slurm import SlurmError, sbatch_args
from grading.work import Settings, write_plan


def check_slurm(grades: Path, options: Options) -> list[str]:
    """The problems found (an empty list: the nodes can grade)."""
    for command in ("sbatch", "squeue"):
        if shutil.which(command) is None:
            return [f"{command} is not on PATH here: run make grade on a machine with Slurm's "
                    "client commands (the cluster's login node)"]
    grades = grades.resolve()
    queue = grades / "queue" / "preflight"
    shutil.rmtree(queue, ignore_errors=True)
    queue.mkdir(mode=0o700, parents=True)
    settings = Settings(str(grades), {"memory": 512 * sandbox.MiB, "processes": 64,
                                      "wall": 120.0}, None, False, False)
    write_plan(queue, settings, [])
    args = sbatch_args(queue, settings, options, [0])
    wrap = next(a for a in args if a.startswith("--wrap="))
    args = [a for a in args if not a.startswith(("--wrap=", "--array=", "--parsable"))]
    args = [a.replace("%A_%a", "%j") for a in args]
    wrap = wrap.replace("$SLURM_ARRAY_TASK_ID --per-task 1", "--probe")
    done = subprocess.run(["sbatch", "--wait", *args, wrap], capture_output=True, text=True)
    if done.returncode != 0 and not (queue / "probe.json").is_file():
        output = "".join(p.read_text(errors="replace") for p in queue.glob("slurm-*.out"))
        reason = (output or done.stderr or done.stdout).strip().splitlines()[-3:]
        return [f"the probe job failed on the node: {' | '.join(reason) or 'no output'}. The "
                f"checkout ({Path(sys.executable).parents[2]}), its .venv and the grades "
                f"folder ({grades}) must be on a filesystem the nodes see, at the same paths"]
    try:
        found = json.loads((queue / "probe.json").read_text())
    except (OSError, ValueError):
        return [f"the probe job ran but its answer did not come back through {grades}: the "
                "grades folder must be on a filesystem the nodes see (not /tmp or a local "
                "disk)"]
    shutil.rmtree(queue, ignore_errors=True)
    return list(found.get("problems", []))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["local", "slurm"], default="slurm")
    parser.add_argument("--grades", type=Path, default=GRADES)
    parser.add_argument("--slurm-args", default="")
    args = parser.parse_args(argv)
    if args.engine == "local":
        try:
            sandbox.check()
        except sandbox.Unavailable as err:
            print(f"preflight: {err}", file=sys.stderr)
            return 2
        print(f"preflight: this machine can grade (caps by {sandbox.mechanism()})")
        return 0
    try:
        problems = check_slurm(args.grades, Options(slurm_args=args.slurm_args))
    except SlurmError as err:
        problems = [str(err)]
    for problem in problems:
        print(f"preflight: {problem}", file=sys.stderr)
    if not problems:
        print("preflight: the cluster's nodes can grade: the checkout and .venv start there, "
              "the grades folder is shared, bubblewrap works and the memory cap holds")
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
