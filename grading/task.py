"""One array task of the Slurm engine, run on a node (``python -m grading.task QUEUE N``).

It grades the items ``N*per_task .. N*per_task + per_task - 1`` of ``QUEUE/plan.json``
(:mod:`grading.work`) in their two sandboxes, each result stored the moment it exists,
and writes ``QUEUE/done/INDEX.json`` per item: ``{"ok": true}`` or ``{"failed": reason}``
for a failure of the machinery (which the submitting host retries). ``--probe`` instead
checks what grading needs on this node and writes ``QUEUE/probe.json``
(``make grade-preflight``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from grading import sandbox
from grading.grader import Grader, MachineryFailure
from grading.store import Store
from grading.work import read_plan, stored


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def run_task(queue: Path, task: int, per_task: int) -> int:
    settings, items = read_plan(queue)
    mine = items[task * per_task:(task + 1) * per_task]
    store, done = Store(Path(settings.grades)), queue / "done"
    done.mkdir(exist_ok=True)
    for gone in sandbox.sweep():
        print(f"removed a dead grader's {gone}", flush=True)
    with tempfile.TemporaryDirectory(prefix=sandbox.owned_prefix("grading")) as scratch:
        grader = Grader(settings.make_limits(), Path(scratch), settings.assignment,
                        settings.unsafe, prepared_in=queue)
        for item in mine:
            if (done / f"{item.index}.json").is_file() and json.loads(
                    (done / f"{item.index}.json").read_text()).get("ok"):
                continue  # graded by an earlier try of this run
            try:
                if settings.force or stored(store, item) is None:
                    assignment, rows, log = grader.grade(Path(item.path))
                    store.put(item.assignment, item.handin, item.grader,
                              {"assignment": assignment, "rows": rows, "log": log})
                _write(done / f"{item.index}.json", {"ok": True})
                print(f"item {item.index}: graded", flush=True)
            except MachineryFailure as err:
                _write(done / f"{item.index}.json", {"failed": str(err)})
                print(f"item {item.index}: the machinery failed: {err}", flush=True)
    return 0


def probe(queue: Path) -> int:
    """What grading needs on this node, as sentences; ``QUEUE/probe.json``."""
    problems = []
    try:
        sandbox.check()
    except sandbox.Unavailable as err:
        problems.append(f"bubblewrap on the node: {err}")
    else:
        limits = sandbox.Limits(memory=256 * sandbox.MiB, processes=64, wall=60)
        bomb = sandbox.run(f"{sys.executable} -c 'x = [bytearray(16 << 20) for _ in "
                           "range(1000)]'", limits=limits)
        if "memory" not in bomb.exceeded and bomb.returncode == 0:
            problems.append("the memory cap does not hold on the node: a process took 16 GiB "
                            f"under a cap of 256 MiB (caps by {sandbox.mechanism()})")
    settings, _ = read_plan(queue)
    grades = Path(settings.grades)
    try:
        (grades / "results").mkdir(parents=True, exist_ok=True)
        probe_file = grades / "results" / f".probe-{os.getpid()}"
        probe_file.write_text("ok")
        probe_file.unlink()
    except OSError as err:
        problems.append(f"the grades folder {grades} is not writable from the node ({err})")
    _write(queue / "probe.json", {"problems": problems, "mechanism": sandbox.mechanism(),
                                  "python": sys.executable, "host": os.uname().nodename})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("queue", type=Path)
    parser.add_argument("task", type=int, nargs="?", default=0)
    parser.add_argument("--per-task", type=int, default=1)
    parser.add_argument("--probe", action="store_true")
    args = parser.parse_args(argv)
    return probe(args.queue) if args.probe else run_task(args.queue, args.task, args.per_task)


if __name__ == "__main__":
    sys.exit(main())
