"""Grade a folder of submitted notebooks (``make grade SUBMISSIONS=dir``).

Every file in the folder is one student's submission (the student is the file name
without its extension): a student notebook ``.ipynb`` or the ``.zip`` that its export
cell writes. The assignment is read from the notebook's metadata
(``otter.assignment_name``) unless ``--assignment`` names it.

Each submission is graded in two sandboxes with only data between them
(``grading/grader.py``); without bubblewrap the script stops and says what to do;
``--unsafe`` grades without sandboxes and says so in every row.

Three steps, each in its own module: **plan** (collect the folder: who handed in what,
when; ``grading/collect.py``), **grade** (every hand-in without a kept result through
``grading/grader.py``, on an engine: ``--engine local``, ``JOBS`` at a time, or ``--engine
slurm``, a job array; ``grading/engines/``) and **write** (the run's folder and the term's
gradebook, ``grading/report.py``). Each result is kept in ``GRADES/results/`` the moment it
exists (``grading/store.py``): the same command run again grades only what is missing. A
failure of the machinery is retried ``--retries`` times, then listed in ``not-graded.txt``
and kept out of every grade (exit status 3). It writes, in ``GRADES/runs/RUN/``
(``GRADES`` default ``grades/``):

- ``grades.csv``: one row per student and question (``student, assignment, question,
  score, max, note, flags``). A submission that is not a notebook, cannot be graded, hits
  a cap ("exceeded the memory limit of 4 GiB") or returns no answers gets one row with
  question ``(submission)``, score 0, the assignment's maximum when known and the reason
  in ``note``; the other submissions are graded as usual. ``flags`` lists what in the
  student's own code (cells that are not in the handed-out notebook) touches otter, the
  grader object, result files or the interpreter's machinery, for a person to look at.
- ``feedback/STUDENT_ASSIGNMENT.txt``: the student's scores and, for each failed
  question, the checker's reason;
- ``results/STUDENT_ASSIGNMENT.json``: the validated result (question, score, max, output);
- ``logs/STUDENT_ASSIGNMENT.log``: the end of both sandboxes' console output and their
  resource use;
- ``collected.txt`` and ``not-graded.txt``;
- ``lms/``: what the LMS takes back in bulk (``grading/lms.py``): Moodle's grading
  worksheet filled (with ``--worksheet``) and its feedback-files zip, Canvas's re-upload
  zip.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path

from course import notebooks as course_notebooks
from course.paths import GRADES
from course.schedule import Assignment, schedule, term_due
from grading import collect, gradebook, privacy, report, sandbox
from grading.engines import ENGINES, Options
from grading.grader import SUBMISSION, UNSAFE_NOTE, Grader, handed_out_path, size_text
from grading.store import Store, file_hash, grader_identity, load_times, record_times
from grading.work import Item, Settings, stored, write_plan


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)i?B?\s*", str(text), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(
            f"a size such as 4G, 512M or 4294967296 (bytes), got {text!r}")
    factor = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[match.group(2).upper()]
    return int(float(match.group(1)) * factor)


def default_jobs(memory: int) -> int:
    """One submission per core, but no more than fit in memory at their cap each."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        ram = cores * memory
    return max(1, min(cores or 1, ram // memory))


def new_run(grades: Path) -> tuple[str, Path]:
    """(name, folder) of a new run in ``grades/runs/``: named by the time (UTC), never the
    folder of an earlier run."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    (grades / "runs").mkdir(parents=True, exist_ok=True)
    for k in range(1, 1000):
        run = stamp if k == 1 else f"{stamp}-{k}"
        try:
            (grades / "runs" / run).mkdir()
        except FileExistsError:
            continue
        for folder in ("feedback", "results", "logs"):
            (grades / "runs" / run / folder).mkdir()
        return run, grades / "runs" / run
    raise RuntimeError(f"cannot make a new run folder in {grades / 'runs'}")


@dataclasses.dataclass
class Plan:
    """What one ``make grade`` will do: its settings and the hand-ins it grades."""

    args: argparse.Namespace
    limits: sandbox.Limits
    found: collect.Collection
    schedule: dict[str, Assignment]
    due: dict[str, dt.datetime]
    policy: gradebook.LatePolicy
    jobs: int


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path,
                        help="folder of hand-ins: plain, or an LMS download (Moodle, Canvas)")
    parser.add_argument("--roster", type=Path, help="CSV with the columns id, name, email")
    parser.add_argument("--worksheet", type=Path,
                        help="Moodle's grading worksheet of the assignment (make grade "
                             "WORKSHEET=file.csv): matches participants by id and is "
                             "written back filled")
    parser.add_argument("--assignment", help="assignment name (default: from each notebook)")
    parser.add_argument("--grades", type=Path, default=GRADES,
                        help="the term's grades folder (default grades/): every run is kept")
    parser.add_argument("--timeout", type=float, default=900,
                        help="wall-time cap per submission, seconds (default 900)")
    parser.add_argument("--memory", type=parse_size, default=4 * sandbox.GiB,
                        help="memory cap per submission, whole process tree (default 4G)")
    parser.add_argument("--processes", type=int, default=512,
                        help="processes and threads per submission (default 512)")
    parser.add_argument("--cpus", type=int, default=1,
                        help="CPU cores (quota and threads) per submission (default 1)")
    parser.add_argument("--jobs", type=int, default=0,
                        help="submissions graded at once (default: cores, as memory allows)")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade without a sandbox (only for submissions you trust)")
    parser.add_argument("--engine", choices=ENGINES, default="local",
                        help="where to grade: local (threads here) or slurm (a job array)")
    parser.add_argument("--retries", type=int, default=2,
                        help="tries again after a failure of the machinery (default 2)")
    parser.add_argument("--force", action="store_true",
                        help="grade again even the hand-ins whose result is kept")
    parser.add_argument("--per-task", type=int, default=1,
                        help="slurm: hand-ins per array task (default 1)")
    parser.add_argument("--max-tasks", type=int, default=0,
                        help="slurm: array tasks at once (default: as Slurm allows)")
    parser.add_argument("--slurm-args", default="",
                        help="slurm: more sbatch arguments, e.g. '--partition=short'")
    return parser


def plan_run(argv=None) -> Plan:
    """Parse the command line and collect the hand-ins; exits with a message on bad input."""
    cli = parser()
    args = cli.parse_args(argv)
    if not args.submissions.is_dir():
        cli.error(f"SUBMISSIONS must be a folder of hand-ins (unpack an LMS download "
                  f"first), got {args.submissions}")
    try:
        limits = sandbox.Limits(memory=args.memory, processes=args.processes, cpus=args.cpus,
                                wall=args.timeout)
    except ValueError as err:
        cli.error(str(err).replace("Limits.wall", "--timeout (TIMEOUT)").replace("Limits.", "--"))
    for name in ("jobs", "retries", "per_task", "max_tasks"):
        if getattr(args, name) < 0:
            flag = name.replace("_", "-")
            cli.error(f"--{flag} ({name.upper()}) must be 0 or more, got {getattr(args, name)}")
    try:
        roster = collect.read_roster(args.roster) if args.roster else None
        worksheet = collect.read_worksheet(args.worksheet) if args.worksheet else None
        policy = gradebook.LatePolicy.from_config()
        plan, due = schedule(), term_due()
    except (OSError, ValueError) as err:
        cli.error(str(err))
    tracked = privacy.tracked({"SUBMISSIONS": args.submissions, "ROSTER": args.roster,
                               "WORKSHEET": args.worksheet, "GRADES": args.grades})
    if tracked:
        cli.error(tracked)
    found = collect.collect(args.submissions, roster, due, args.assignment, worksheet,
                            seen=load_times(args.grades))
    if not found.chosen and not found.problems:
        cli.error(f"no submissions in {args.submissions}")
    missing = sorted({h.assignment for h in found.chosen if h.assignment in plan
                      and not handed_out_path(h.assignment).is_file()})
    if missing:  # the flags compare each hand-in with it (and make similarity does)
        cli.error(f"the handed-out notebooks of {missing} are not built "
                  f"({handed_out_path(missing[0])} is missing): run `make assignments` (or "
                  "`make book`) first, so that each hand-in is compared with what students got")
    return Plan(args, limits, found, plan, due, policy,
                args.jobs or default_jobs(limits.memory))


def items_of(plan: Plan) -> list[Item]:
    """The chosen hand-ins as work items: file, SHA-256, assignment, grader identity."""
    args, identities, items = plan.args, {}, []
    settings = {"limits": dataclasses.asdict(plan.limits), "unsafe": args.unsafe,
                "assignment": args.assignment}
    for index, hand_in in enumerate(plan.found.chosen):
        name = hand_in.assignment
        if name not in identities:
            extra = ([course_notebooks.path(name), handed_out_path(name)]
                     if name in course_notebooks.names() else [])
            identities[name] = grader_identity(name, settings, extra)
        items.append(Item(index, str(hand_in.path.resolve()),
                          hand_in.sha256 or file_hash(hand_in.path), name,
                          identities[name]))
    return items


def queue_folder(grades: Path, settings: Settings, items: list[Item]) -> Path:
    """``GRADES/queue/KEY``, private: the same hand-ins and settings, the same folder (a
    rerun after a kill finds the earlier run's jobs and results there)."""
    key = hashlib.sha256(json.dumps([dataclasses.asdict(settings),
                                     [dataclasses.asdict(i) for i in items]],
                                    sort_keys=True).encode()).hexdigest()[:16]
    queue = grades / "queue" / key
    queue.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(grades / "queue", 0o700)
    return queue


def grade_all(plan: Plan) -> tuple[dict[int, tuple[str, list[dict], str]], dict[int, str]]:
    """Every chosen hand-in graded or found graded: ({id(hand-in): (assignment, rows,
    log)}, {id(hand-in): why the machinery could not grade it}), with a progress line
    per hand-in and a summary ("N reused, M graded")."""
    args, chosen = plan.args, plan.found.chosen
    items = items_of(plan)
    grades = args.grades.resolve()
    settings = Settings(str(grades), dataclasses.asdict(plan.limits), args.assignment,
                        args.unsafe, args.force)
    store, queue = Store(grades), queue_folder(grades, settings, items)
    write_plan(queue, settings, items)
    results: dict[int, dict | str] = {}
    if not args.force:
        for item in items:
            found = stored(store, item)
            if found is not None:
                results[item.index] = {**found, "reused": True}
    todo = [i for i in items if i.index not in results]
    done = [len(results)]

    def progress(item: Item, result: dict | str) -> None:
        done[0] += 1
        key = chosen[item.index].student.key
        if isinstance(result, str):
            print(f"  [{done[0]}/{len(items)}] {key:24s} NOT GRADED: {result}", flush=True)
            return
        rows = result["rows"]
        scored = sum(float(r["score"]) for r in rows)
        possible = sum(float(r["max"] or 0) for r in rows)
        note = rows[0]["note"] if rows[0]["question"] == SUBMISSION else ""
        print(f"  [{done[0]}/{len(items)}] {key:24s} {result['assignment']:16s} "
              f"{scored:g} / {possible:g}  {note}", flush=True)

    if todo:
        for assignment in sorted({i.assignment for i in todo} & set(course_notebooks.names())):
            Grader(plan.limits, queue, prepared_in=queue).prepared(assignment)
        options = Options(jobs=plan.jobs, retries=args.retries, per_task=args.per_task,
                          max_tasks=args.max_tasks, slurm_args=args.slurm_args)
        engine = __import__(f"grading.engines.{args.engine}", fromlist=["run"])
        results.update(engine.run(queue, settings, todo, options, progress))
    reused = sum(1 for r in results.values() if isinstance(r, dict) and r["reused"])
    failed = {id(chosen[i]): r for i, r in results.items() if isinstance(r, str)}
    print(f"{reused} reused, {len(results) - reused - len(failed)} graded"
          + (f", {len(failed)} NOT graded (the machinery failed; run make grade again)"
             if failed else ""), flush=True)
    if not failed:
        shutil.rmtree(queue, ignore_errors=True)
    graded = {id(chosen[i]): (r["assignment"], r["rows"], r["log"])
              for i, r in results.items() if isinstance(r, dict)}
    return graded, failed


def announce(plan: Plan, out: Path) -> None:
    found, limits = plan.found, plan.limits
    lines = [f"layout: {found.layout}; {len(found.chosen)} submissions graded",
             *report.due_lines(plan)]
    lines += ["", "not graded:"] + [f"  {p}" for p in found.problems] if found.problems else []
    lines += ["", "several files:"] + [f"  {c}" for c in found.choices] if found.choices else []
    (out / "collected.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    print(f"grading {len(found.chosen)} submissions, {plan.jobs} at a time, each "
          f"{'UNSANDBOXED' if plan.args.unsafe else 'in a sandbox'} with at most "
          f"{size_text(limits.memory)}, {limits.processes} processes, {limits.cpus} CPU, "
          f"{limits.wall:g} s (caps by {sandbox.mechanism()}); checked in a sandbox of its own",
          flush=True)


def main(argv=None) -> int:
    os.umask(0o077)  # grades, feedback and logs are personal data: the grader's only
    plan = plan_run(argv)
    if plan.args.unsafe:
        print(f"WARNING: {UNSAFE_NOTE}: the submitted code runs as you, with your files "
              "and network. Only for submissions you trust.", file=sys.stderr)
    else:
        try:
            sandbox.check()
        except sandbox.Unavailable as err:
            print(f"make grade: {err}", file=sys.stderr)
            return 2
    if plan.args.engine == "slurm":
        from grading.engines.slurm import SlurmError
        from grading.preflight import check_slurm

        try:
            problems = check_slurm(plan.args.grades, Options(slurm_args=plan.args.slurm_args))
        except SlurmError as err:
            problems = [str(err)]
        if problems:
            print("make grade: the cluster cannot grade yet:\n" + "\n".join(
                f"  {p}" for p in problems), file=sys.stderr)
            return 2
    for gone in sandbox.sweep():
        print(f"removed what a killed grader left: {gone}", flush=True)
    run, out = new_run(plan.args.grades)
    announce(plan, out)
    graded, failed = grade_all(plan)
    changes = report.write_run(plan, run, out, graded, failed)
    record_times(plan.args.grades, plan.found.chosen)
    grades = plan.args.grades
    print(f"this run: {out}/ (grades.csv, feedback/, collected.txt)")
    print(f"the term: {grades / 'gradebook.csv'}, term.csv, moodle.csv, canvas.csv")
    returned = sorted((out / "lms").glob("*")) if (out / "lms").is_dir() else []
    if returned:
        print("back to the students through the LMS (docs/assignments.md): "
              + ", ".join(f"lms/{p.name}" for p in returned))
    if changes:
        print("grades changed by this run:\n" + "\n".join(f"  {c}" for c in changes))
    if failed:
        print(f"{len(failed)} hand-ins NOT graded (a failure of the machinery, not the "
              f"students'; none is in the gradebook): {out / 'not-graded.txt'}. Run the "
              "same make grade again: it grades only these.", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
