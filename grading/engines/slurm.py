"""The Slurm engine: the hand-ins graded by one job array on the department's cluster.

``make grade ENGINE=slurm`` plans on the submitting host as ever; then one ``sbatch`` job
array runs ``python -m grading.task QUEUE N`` (:mod:`grading.task`) on the nodes, ``PER_TASK``
hand-ins per array task, at most ``MAX_TASKS`` tasks at once, each task with ``CPUS`` cores
and the memory cap plus the grader's own share, its time limit from ``TIMEOUT``.
``SLURM_ARGS`` goes to ``sbatch`` as it is (partition, account, QOS). The checkout, its
``.venv``, the hand-ins and the grades folder must be on a filesystem the nodes see
(``make grade-preflight ENGINE=slurm`` checks).

While the array runs, a progress line says how many tasks are pending and running (from
``squeue``) and how many hand-ins are done (from the tasks' ``done/`` files). When no task
is left, hand-ins without a result (a task cancelled, a node that died, a sandbox that
did not start) are submitted again, up to ``RETRIES`` times; then reported, never scored.
The array's job ids are kept in ``QUEUE/jobs``: a ``make grade`` that was killed and is
run again finds the array still running (it waits for it) or finished (it reuses every
result), and submits only what is missing.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from course.paths import ROOT
from grading.engines import Options
from grading.work import Item, Settings, read_plan

CHECKER_SECONDS = 300  # the checker's wall-time cap (grading.grader.CHECKER_LIMITS)
GRADER_MEMORY = 1 << 30  # besides the student's cap: the grader's Python and the checker


class SlurmError(RuntimeError):
    """Slurm is missing or refused the job; the message says what to do."""


def _command(name: str, *args: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SlurmError(f"{name} is not on PATH: ENGINE=slurm needs Slurm's client "
                         "commands (sbatch, squeue) on this machine; run make grade on the "
                         "cluster's login node")
    done = subprocess.run([path, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SlurmError(f"{name} {' '.join(args[:3])}... failed: "
                         f"{(done.stderr or done.stdout).strip()[:300]}")
    return done.stdout


def sbatch_args(queue: Path, settings: Settings, options: Options, indices: list[int]) -> list[str]:
    """sbatch's arguments for an array of the tasks ``indices``."""
    limits = settings.make_limits()
    per_task = max(1, options.per_task)
    seconds = per_task * (limits.wall + CHECKER_SECONDS + 120)
    spec = ",".join(map(str, indices)) + (f"%{options.max_tasks}" if options.max_tasks else "")
    wrap = (f"cd {shlex.quote(str(ROOT))} && exec {shlex.quote(sys.executable)} -m grading.task "
            f"{shlex.quote(str(queue))} $SLURM_ARRAY_TASK_ID --per-task {per_task}")
    return ["--parsable", f"--array={spec}", "--job-name=dl4phys-grade",
            f"--output={queue}/slurm-%A_%a.out", f"--cpus-per-task={limits.cpus}",
            f"--mem={math.ceil((limits.memory + GRADER_MEMORY) / (1 << 20))}M",
            f"--time={math.ceil(seconds / 60)}", *shlex.split(options.slurm_args),
            f"--wrap={wrap}"]


def submit(queue: Path, settings: Settings, options: Options, tasks: list[int]) -> str:
    job = _command("sbatch", *sbatch_args(queue, settings, options, tasks)).strip()
    job = job.split(";")[0]
    with open(queue / "jobs", "a") as f:
        f.write(job + "\n")
    return job


def active(jobs: list[str]) -> dict[str, int]:
    """{state: number of array tasks} of ``jobs`` still in Slurm's queue."""
    if not jobs:
        return {}
    out = _command("squeue", "-h", "-r", "-j", ",".join(jobs), "-o", "%T")
    states: dict[str, int] = {}
    for state in out.split():
        states[state] = states.get(state, 0) + 1
    return states


def done_items(queue: Path) -> dict[int, dict]:
    """{item index: what its task wrote} from ``QUEUE/done/``."""
    found = {}
    for path in (queue / "done").glob("*.json"):
        try:
            found[int(path.stem)] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return found


def wait(queue: Path, jobs: list[str], total: int, poll: float,
         say: Callable[[str], None]) -> None:
    """Until no task of ``jobs`` is pending or running, with a progress line on change."""
    last = ""
    while True:
        states = active(jobs)
        done = done_items(queue)
        ok = sum(1 for d in done.values() if d.get("ok"))
        line = (f"slurm {','.join(jobs)}: {states.get('PENDING', 0)} tasks pending, "
                f"{states.get('RUNNING', 0) + states.get('COMPLETING', 0)} running; "
                f"{ok} of {total} hand-ins done, {len(done) - ok} failed")
        if line != last:
            say(line)
            last = line
        if not states:
            return
        time.sleep(poll)


def run(queue: Path, settings: Settings, items: list[Item], options: Options,
        progress: Callable[[Item, dict | str], None], say=print) -> dict[int, dict | str]:
    from grading.store import Store
    from grading.work import stored

    _, planned = read_plan(queue)
    position = {item.index: k for k, item in enumerate(planned)}
    per_task = max(1, options.per_task)
    (queue / "done").mkdir(exist_ok=True)
    jobs = (queue / "jobs").read_text().split() if (queue / "jobs").is_file() else []
    if active(jobs):  # an earlier make grade submitted them: wait, do not submit again
        say(f"slurm: jobs {','.join(jobs)} of an earlier run are still in the queue: waiting")
        wait(queue, jobs, len(items), options.poll, say)
    for attempt in range(1 + options.retries):
        done = done_items(queue)
        missing = [i for i in items if not done.get(i.index, {}).get("ok")]
        if not missing:
            break
        for index in [i.index for i in missing if i.index in done]:
            os.unlink(queue / "done" / f"{index}.json")  # failed before: tried again
        tasks = sorted({position[i.index] // per_task for i in missing})
        job = submit(queue, settings, options, tasks)
        say(f"slurm: submitted job array {job} ({len(tasks)} tasks for {len(missing)} "
            f"hand-ins{', again' if attempt else ''})")
        wait(queue, [job], len(items), options.poll, say)
    store, done, results = Store(Path(settings.grades)), done_items(queue), {}
    for item in items:
        entry = done.get(item.index, {})
        result = stored(store, item) if entry.get("ok") else None
        if result is not None:
            results[item.index] = {**result, "reused": False}
        else:
            why = entry.get("failed") or ("its Slurm task ended without a result (cancelled, "
                                          "a node failure or its time limit); see "
                                          f"{queue}/slurm-*.out")
            results[item.index] = f"not graded after {1 + options.retries} tries: {why}"
        progress(item, results[item.index])
    return results
