"""Grading that survives anything, on one machine and on a real Slurm cluster.

With real hand-ins of notebook 02 (the worked solution, which scores full marks) and the
three malformed files that used to stop a whole class's grading (JSON nested 100,000
deep, a list as the assignment's name, a number inside a cell's source):

- no hand-in stops the batch: each malformed file gets its own row saying why;
- ``make grade`` killed with SIGKILL while a hand-in is in its sandbox, then run again:
  the next run removes the killed run's folders and cgroups, reuses every result that
  was kept and grades only the missing hand-in; run a third time it grades nothing;
- a failure of the machinery (a bubblewrap that fails to start, by a stand-in first on
  ``PATH``) is retried and never becomes a zero; when it stays, the hand-in is reported as
  not graded (exit status 3) and the gradebook keeps the grade it had;
- ``ENGINE=slurm`` on a single-node Slurm cluster that the test starts
  (``scripts/slurm_cluster.sh``, Debian's packages; .ci/run installs them) gives the same
  ``grades.csv`` rows and gradebook as the local engine, and an array task whose sandbox
  fails to start is submitted again and graded.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course.paths import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[2]
NAME = "02_autoencoder"
MEMORY = "3G"
# A stand-in for bwrap: the first student's sandbox it is asked for (its command runs
# run_notebook.py) fails as bubblewrap fails when it cannot set up, before anything of
# the student's has run; every other call is the real bubblewrap. always=1: every
# student's sandbox fails. (The grader starts bwrap with PATH as its only variable, so
# the settings are written into the script.)
STAND_IN = """#!/bin/sh
case "$*" in
  *run_notebook.py*)
    if [ {always} = 1 ] || mkdir "{state}/failed-once" 2>/dev/null; then
      echo "bwrap: setting up uid map: Permission denied (a stand-in)" >&2
      exit 1
    fi ;;
esac
exec {bwrap} "$@"
"""


def grade(folder: Path, grades: Path, *extra: str, env: dict | None = None,
          check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "grading.batch", str(folder), "--grades", str(grades),
               "--memory", MEMORY, *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if check and done.returncode != 0:
        pytest.fail(f"make grade exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def last_run(grades: Path) -> Path:
    return sorted((grades / "runs").iterdir())[-1]


def rows(grades: Path) -> list[tuple]:
    with open(last_run(grades) / "grades.csv") as f:
        return sorted((r["student"], r["question"], r["score"], r["max"], r["note"])
                      for r in csv.DictReader(f))


def book(grades: Path) -> list[tuple]:
    with open(grades / "gradebook.csv") as f:
        return sorted((r["student"], r["assignment"], r["score"], r["max"], r["total"])
                      for r in csv.DictReader(f))


@pytest.fixture(scope="module")
def hand_ins(tmp_path_factory, require_built):
    """a_deep, b_listed, c_number (malformed, graded first: quick) and zed (the worked
    solution): the order in which one job at a time takes them."""
    solution = ASSIGNMENTS / NAME / "autograder" / f"{NAME}.ipynb"
    require_built(solution, "make assignments")
    folder = tmp_path_factory.mktemp("scale") / "hand-ins"
    folder.mkdir()
    (folder / "a_deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    nb = json.loads(solution.read_text())
    listed = json.loads(json.dumps(nb))
    listed["metadata"]["otter"]["assignment_name"] = [NAME]
    (folder / "b_listed.ipynb").write_text(json.dumps(listed))
    number = json.loads(json.dumps(nb))
    number["cells"][1]["source"] = ["x = 1\n", 1]
    (folder / "c_number.ipynb").write_text(json.dumps(number))
    shutil.copy(solution, folder / "zed.ipynb")
    return folder


def owned_leftovers(pid: int) -> list[str]:
    """Folders in the temporary folder and cgroups that a grader with ``pid`` made."""
    from grading import sandbox

    prefixes = tuple(f"dl4phys-{kind}-{pid}-" for kind in ("sandbox", "grade", "grading"))
    found = [str(p) for p in Path("/tmp").iterdir() if p.name.startswith(prefixes)]
    for parent in sandbox._cgroup_parents():
        found += [str(p) for p in parent.iterdir() if p.name.startswith(prefixes)]
    return found


@pytest.fixture(scope="module")
def resumed(hand_ins, tmp_path_factory):
    """make grade killed with SIGKILL while zed is in its sandbox, then run twice more."""
    grades = tmp_path_factory.mktemp("scale") / "grades"
    command = [sys.executable, "-m", "grading.batch", str(hand_ins), "--grades", str(grades),
               "--memory", MEMORY, "--jobs", "1"]
    killed = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        sandbox_of_zed = f"dl4phys-sandbox-{killed.pid}-"
        while not any(p.name.startswith(sandbox_of_zed) for p in Path("/tmp").iterdir()):
            assert killed.poll() is None, "make grade ended before it could be killed"
            time.sleep(0.2)  # polling for the condition: zed's sandbox exists
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
    left = owned_leftovers(killed.pid)
    second = grade(hand_ins, grades, "--jobs", "1")
    after = owned_leftovers(killed.pid)
    third = grade(hand_ins, grades, "--jobs", "1")
    return {"grades": grades, "left": left, "after": after, "second": second, "third": third,
            "stored": sorted((grades / "results").rglob("*.json"))}


def test_no_hand_in_stops_the_batch_and_each_bad_file_gets_its_reason(resumed):
    found = {r[0]: r for r in rows(resumed["grades"])}
    assert found["a_deep"][1:4] == ("(submission)", "0", "")
    assert "cannot be read (its JSON is nested too deeply)" in found["a_deep"][4]
    assert "its assignment name" in found["b_listed"][4]
    assert "the source of cell 1 is not text" in found["c_number"][4]
    assert [r for r in rows(resumed["grades"]) if r[0] == "zed"] == [
        ("zed", "ae_denoise", "1.0", "1.0", ""), ("zed", "ae_latent", "1.0", "1.0", "")]


def test_a_killed_run_is_resumed_grading_only_what_is_missing(resumed):
    assert "3 reused, 1 graded" in resumed["second"].stdout, resumed["second"].stdout
    assert "4 reused, 0 graded" in resumed["third"].stdout, resumed["third"].stdout
    assert book(resumed["grades"]) == [("zed", NAME, "2", "2", "2")]
    assert len(resumed["stored"]) == 4  # one result per hand-in, nothing half-written
    assert not [p for p in resumed["stored"] if p.name.startswith(".")]


def test_the_next_run_removes_what_the_killed_run_left_behind(resumed):
    # The next grader on the machine removes them: this test's rerun, or a grader that
    # another test started meanwhile (both sweep; either may print "removed what a
    # killed grader left"), so only their absence is asserted.
    assert resumed["left"], "the killed run left nothing to remove (was it killed too late?)"
    assert resumed["after"] == []


def test_results_and_grades_are_readable_by_the_grader_only(resumed):
    grades = resumed["grades"]
    for path in [grades / "results", *resumed["stored"], grades / "gradebook.csv",
                 last_run(grades) / "grades.csv", *(last_run(grades) / "feedback").iterdir()]:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"


def make_stand_in(folder: Path, always: bool) -> dict:
    """The environment with the bwrap stand-in first on PATH; STAND_IN_STATE: its state."""
    real = shutil.which("bwrap")
    if real is None:
        pytest.skip("no bubblewrap")
    (folder / "bin").mkdir(parents=True)
    (folder / "state").mkdir()
    script = folder / "bin" / "bwrap"
    script.write_text(STAND_IN.format(bwrap=real, state=folder / "state", always=int(always)))
    script.chmod(0o755)
    return {"PATH": f"{folder / 'bin'}:{os.environ['PATH']}",
            "STAND_IN_STATE": str(folder / "state")}


@pytest.fixture
def stand_in(tmp_path):
    return make_stand_in(tmp_path, always=False)


def only_zed(hand_ins: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "zed-only"
    folder.mkdir()
    shutil.copy(hand_ins / "zed.ipynb", folder / "zed.ipynb")
    return folder


def test_a_sandbox_that_fails_to_start_is_retried_never_a_zero(hand_ins, stand_in, tmp_path):
    grades = tmp_path / "grades"
    done = grade(only_zed(hand_ins, tmp_path), grades, env=stand_in)
    assert (Path(stand_in["STAND_IN_STATE"]) / "failed-once").is_dir()  # it did fail once
    assert book(grades) == [("zed", NAME, "2", "2", "2")], done.stdout


def test_a_failure_that_stays_is_reported_and_keeps_the_grade(resumed, hand_ins, tmp_path):
    grades = tmp_path / "grades"
    shutil.copytree(resumed["grades"], grades)
    before = book(grades)
    always = make_stand_in(tmp_path / "always", always=True)
    done = grade(hand_ins, grades, "--force", env=always, check=False)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "NOT graded" in done.stderr and "zed" in (last_run(grades) / "not-graded.txt"
                                                      ).read_text()
    assert "the student's sandbox did not start" in (last_run(grades) / "not-graded.txt"
                                                     ).read_text()
    assert book(grades) == before  # no zero, the grade it had
    assert "zed" not in {r[0] for r in rows(grades)}
    with open(grades / "history.csv") as f:
        assert all(float(r["total"]) > 0 for r in csv.DictReader(f) if r["student"] == "zed")


# ------------------------------------------------------------------- a real Slurm cluster
@pytest.fixture(scope="module")
def slurm(tmp_path_factory, require_built):
    """A single-node Slurm cluster started for these tests (stopped after them), or the
    one that SLURM_CONF names."""
    if os.environ.get("SLURM_CONF"):
        yield {"SLURM_CONF": os.environ["SLURM_CONF"]}
        return
    for program in ("slurmctld", "slurmd", "sbatch", "munged"):
        if not (shutil.which(program) or Path(f"/usr/sbin/{program}").exists()):
            require_built(Path(f"/usr/sbin/{program}"),
                          "apt-get install slurmctld slurmd slurm-client munge")
    if os.geteuid() != 0:
        pytest.skip("the test cluster runs its daemons as root (SlurmUser=root)")
    folder = tmp_path_factory.mktemp("slurm")
    script = ROOT / "scripts" / "slurm_cluster.sh"
    subprocess.run([str(script), "start", str(folder)], check=True)
    try:
        yield {"SLURM_CONF": str(folder / "slurm.conf")}
    finally:
        subprocess.run([str(script), "stop", str(folder)], check=True)


def test_slurm_grades_as_the_local_engine_does(resumed, hand_ins, slurm, tmp_path):
    grades = tmp_path / "grades"
    done = grade(hand_ins, grades, "--engine", "slurm", env=slurm)
    assert "submitted job array" in done.stdout
    assert rows(grades) == rows(resumed["grades"])
    assert book(grades) == book(resumed["grades"])


def test_a_slurm_task_whose_sandbox_fails_is_submitted_again(hand_ins, slurm, stand_in,
                                                            tmp_path):
    grades = tmp_path / "grades"
    done = grade(only_zed(hand_ins, tmp_path), grades, "--engine", "slurm",
                 env={**slurm, **stand_in})
    assert (Path(stand_in["STAND_IN_STATE"]) / "failed-once").is_dir()
    assert "again" in done.stdout, done.stdout  # the second submission
    assert book(grades) == [("zed", NAME, "2", "2", "2")]
