"""``make grade``'s safety layer, as a specification: the sandbox (``grading/sandbox.py``)
and the grader's reading of what comes out of the checker's sandbox (``grading/grader.py``).

Cheap: small shell and Python commands, no notebook (whole hostile submissions are graded
in tests/assignments). The sandbox tests need bubblewrap: without it they skip and say
so, and in CI (``CI`` set) they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from grading import sandbox
from grading.batch import parse_size
from grading.grader import NotGradable, cap_note, flags, validated

QUESTIONS = {"ae_latent": 1.0, "ae_denoise": 1.0}
SMALL = sandbox.Limits(memory=256 * sandbox.MiB, processes=64, wall=30,
                       disk=16 * sandbox.MiB)


# ---------------------------------------------------------------- reading the verdict
def verdict(**passed) -> bytes:
    return json.dumps({"questions": {q: {"passed": p, "message": "" if p else "why"}
                                     for q, p in passed.items()}}).encode()


def test_a_verdict_is_read_as_rows_scoring_each_questions_points():
    rows = validated(verdict(ae_latent=True, ae_denoise=False), False, QUESTIONS)
    assert [(r["question"], r["score"], r["max"], r["output"]) for r in rows] == [
        ("ae_denoise", 0, 1.0, "why"), ("ae_latent", 1.0, 1.0, "")]


@pytest.mark.parametrize("result, words", [
    (b"\x80\x81", "not JSON"),
    (b"(dp0\nS'questions'\n", "not JSON"),  # a pickle is never unpickled
    (b'{"questions": 3}', "does not name exactly the assignment's questions"),
    (b'[1, 2]', "does not name exactly"),
    (verdict(ae_latent=True, ae_denoise=True, extra=True), "does not name exactly"),
    (verdict(ae_latent=True), "does not name exactly"),
    (b'{"questions": {"ae_latent": {"passed": 1, "message": ""}, '
     b'"ae_denoise": {"passed": true, "message": ""}}}', "no verdict for ae_latent"),
    (b'{"questions": {"ae_latent": {"passed": true}, '
     b'"ae_denoise": {"passed": true, "message": ""}}}', "no verdict for ae_latent"),
])
def test_anything_else_from_the_checker_is_a_submission_row_saying_what(result, words):
    with pytest.raises(NotGradable, match="the checker returned an invalid verdict") as err:
        validated(result, False, QUESTIONS)
    assert words in str(err.value)


def test_a_verdict_cut_at_the_cap_is_rejected():
    with pytest.raises(NotGradable, match="larger than its cap"):
        validated(verdict(ae_latent=True, ae_denoise=True), True, QUESTIONS)


def test_failure_messages_are_kept_to_a_bounded_size():
    result = json.dumps({"questions": {q: {"passed": False, "message": "x" * 10**6}
                                       for q in QUESTIONS}}).encode()
    rows = validated(result, False, QUESTIONS)
    assert all(len(r["output"]) == 4_000 and r["output"].endswith("cut at 4000 characters]")
               for r in rows)


def test_failure_messages_reach_a_person_without_control_characters():
    """A message may quote the student's own error, which goes to the student: no terminal
    escapes (a cleared screen, a rewritten line), no NUL or bell."""
    evil = "ok\x1b[2J\x1b[1;31mred\x1b[0m\r\x07\x00\x9bdone\n\tindented"
    result = json.dumps({"questions": {q: {"passed": False, "message": evil}
                                       for q in QUESTIONS}}).encode()
    assert {r["output"] for r in validated(result, False, QUESTIONS)} == {
        "okreddone\n\tindented"}


# ------------------------------------------------------------------------------- flags
def notebook(*sources: str) -> dict:
    return {"cells": [{"cell_type": "code", "source": s} for s in sources]}


HANDED_OUT = notebook('import otter\ngrader = otter.Notebook("02_autoencoder.ipynb")',
                      'grader.check("ae_latent")', 'grader.export(pdf=False)')


def test_handed_out_cells_and_ordinary_answers_raise_no_flag():
    nb = notebook(*[c["source"] for c in HANDED_OUT["cells"]],
                  "dae = IsingAutoencoder(L * L)\ntrain_autoencoder(dae, X, noise=0.1)")
    assert flags(nb, HANDED_OUT) == ""


@pytest.mark.parametrize("code, label", [
    ("import otter.test_files as t\nt.TestFile.score = 1", "uses otter"),
    ("grader.check = lambda q: None", "uses the grader object"),
    ("grader = None", "uses the grader object"),
    ("open('results.pkl', 'wb')", "names a results file"),
    ("import builtins\nbuiltins.print = len", "patches the interpreter"),
    ("sys.modules['numpy'] = None", "patches the interpreter"),
    ("import subprocess\nsubprocess.run(['ls'])", "starts processes or opens connections"),
    ("import socket", "starts processes or opens connections"),
])
def test_code_that_touches_the_grading_is_flagged_for_a_person(code, label):
    found = flags(notebook(code), HANDED_OUT)
    assert found.startswith(label) and "(cell 0:" in found, found


# ------------------------------------------------------------------------- set-up input
def test_limits_refuse_what_is_not_a_positive_number():
    for field_name, value in [("memory", 0), ("processes", -1), ("cpus", 1.5), ("disk", True)]:
        with pytest.raises(ValueError, match=f"Limits.{field_name} must be a positive"):
            sandbox.Limits(**{field_name: value})
    with pytest.raises(ValueError, match="Limits.wall"):
        sandbox.Limits(wall=0)


def test_a_cap_note_names_every_cap_that_was_hit():
    limits = sandbox.Limits(memory=3 << 30, processes=128, wall=20)
    assert cap_note(("memory",), limits) == "exceeded the memory limit of 3 GiB"
    assert cap_note(("memory", "processes"), limits) == (
        "exceeded the memory limit of 3 GiB and the process limit of 128 processes and "
        "threads")
    assert cap_note(("wall time",), limits) == "timed out: grading took longer than 20 s"


def test_sizes_read_like_make_variables():
    assert parse_size("4G") == 4 << 30 and parse_size("512M") == 512 << 20
    assert parse_size("1.5GiB") == 3 << 29 and parse_size("1000") == 1000
    with pytest.raises(Exception, match="a size such as 4G"):
        parse_size("lots")


# ----------------------------------------------------------------------------- sandbox
CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bwrap(require_built):
    """Bubblewrap, working; else skip (or fail in CI) with the grader's own message."""
    try:
        sandbox.check()
    except sandbox.Unavailable as err:
        require_built(Path("/nonexistent/bubblewrap"), f"apt install bubblewrap ({err})")


def run(code: str, limits=SMALL, **kwargs) -> sandbox.Outcome:
    command = f"{sys.executable} -c {sandbox._quote(textwrap.dedent(code))}"
    return sandbox.run(command, limits=limits, **kwargs)


def test_the_host_is_read_only_but_work_and_tmp_are_private(bwrap, tmp_path):
    target = tmp_path / "host"
    target.mkdir()
    outcome = run(f"""
        import os
        for path in ["{target}/x", os.environ["WORK"] + "/x", "/tmp/x"]:
            try:
                open(path, "w").write("x"); print("wrote", path)
            except OSError as err:
                print("refused", path, err.strerror)
    """, keep=[tmp_path])
    # read-only; as root, the sandbox user may not even enter root's 0700 folder
    assert (f"refused {target}/x Read-only file system" in outcome.output
            or f"refused {target}/x Permission denied" in outcome.output), outcome.output
    assert f"wrote {sandbox.WORK}/x" in outcome.output and "wrote /tmp/x" in outcome.output
    assert not (target / "x").exists() and outcome.returncode == 0


def test_the_graders_python_is_visible_also_from_a_checkout_under_tmp(bwrap, tmp_path,
                                                                     monkeypatch):
    """/tmp is private inside; a course checkout (and its .venv) under /tmp stays visible."""
    prefix = tmp_path / "checkout" / ".venv"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "tool").write_text("#!/bin/sh\necho tool ran\n")
    (prefix / "bin" / "tool").chmod(0o755)
    monkeypatch.setattr(sys, "prefix", str(prefix))
    outcome = sandbox.run(f"{prefix}/bin/tool", limits=SMALL)
    assert outcome.output.strip() == "tool ran", outcome.output


def test_what_is_not_kept_is_not_there(bwrap, tmp_path):
    """An allowlist: a folder of the host that is not kept does not exist inside."""
    secret = tmp_path / "submissions"
    secret.mkdir()
    (secret / "ada.ipynb").write_text("{}")
    outcome = run(f"""
        import os
        for path in ["{secret}", "{secret}/ada.ipynb", "/etc/shadow", "/home", "/root/.bashrc",
                     "/var", "/opt", "/srv", "/mnt", "/media", "{CHECKOUT}/notebooks",
                     "{CHECKOUT}/.git", "{CHECKOUT}/_build"]:
            print(path, "exists" if os.path.exists(path) else "absent")
    """)
    lines = outcome.output.splitlines()
    assert lines and all(line.endswith(" absent") for line in lines), outcome.output
    assert os.listdir(secret) == ["ada.ipynb"]


def test_the_root_holds_only_the_allowlist(bwrap):
    outcome = run("import os; print(sorted(os.listdir('/'))); print(sorted(os.listdir('/etc')))")
    tops, etc = (eval(line) for line in outcome.output.splitlines()[:2])
    kept = {Path(p).parts[1] for p in sandbox._python_paths()}
    allowed = {Path(t).name for t in sandbox.SYSTEM} | {"dev", "etc", "proc", "tmp"} | kept
    assert set(tops) <= allowed and {"usr", "dev", "proc", "tmp", "etc"} <= set(tops), tops
    assert set(etc) == {Path(p).name for p in (*sandbox.ETC, *sandbox.SANDBOX_USER)
                        if Path(p).exists() or p in sandbox.SANDBOX_USER}, etc


def test_as_root_it_owns_none_of_roots_files(bwrap, tmp_path):
    """Where the grader is root, the command runs as uid 65534 on the host: a file of
    root's with mode 0600 is unreadable even where it is visible (here: kept on purpose)."""
    if not sandbox.as_root():
        pytest.skip("the grader is not root: its uid is the sandbox user's only inside")
    folder = tmp_path / "kept"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / "secret").write_text("root's")
    (folder / "secret").chmod(0o600)
    outcome = run(f"""
        import os
        print("ids", os.getuid(), os.geteuid(), os.getgid(), os.getgroups())
        try:
            print("READ", open("{folder}/secret").read())
        except OSError as err:
            print("refused:", err.strerror)
    """, keep=[folder])
    assert "ids 65534 65534 65534 []" in outcome.output, outcome.output
    assert "refused: Permission denied" in outcome.output and "READ" not in outcome.output


def test_exposed_files_are_readable_whoever_owns_them(bwrap, tmp_path):
    """A submission saved 0600 (by root, say) is still readable by the sandbox user."""
    (tmp_path / "sub.ipynb").write_text("submitted")
    (tmp_path / "sub.ipynb").chmod(0o600)
    outcome = sandbox.run('cat "$WORK/in.ipynb"', limits=SMALL,
                          expose={"in.ipynb": tmp_path / "sub.ipynb"})
    assert outcome.output == "submitted", outcome.output


def test_no_network_not_even_the_hosts_loopback(bwrap):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    outcome = run(f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=5)
            print("connected")
        except OSError as err:
            print("refused:", err)
    """)
    with pytest.raises(socket.timeout):
        server.accept()
    server.close()
    assert "refused" in outcome.output and "connected" not in outcome.output


def test_a_memory_bomb_hits_the_memory_cap(bwrap):
    outcome = run("x = [bytearray(16 << 20) for _ in range(1000)]")
    if sandbox.mechanism() == "rlimits":
        assert outcome.returncode != 0 and "MemoryError" in outcome.output
    else:
        assert outcome.exceeded == ("memory",) and outcome.returncode != 0


def test_a_fork_bomb_hits_the_process_cap(bwrap):
    outcome = run("""
        import os, time
        n = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
        except OSError as err:
            print("stopped after", n, "forks:", err.strerror)
    """)
    assert "stopped after" in outcome.output and outcome.seconds < 30
    if sandbox.mechanism() != "rlimits":
        assert "processes" in outcome.exceeded


def _running(marker: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(proc.name)
        except OSError:
            pass
    return found


def test_nothing_it_starts_outlives_it(bwrap):
    marker = f"{time.time_ns() % 10**9}"
    outcome = run(f"""
        import subprocess
        subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
        subprocess.Popen(["sh", "-c", "(sleep {marker} &) ; exit 0"])
        print("daemons started")
    """)
    assert "daemons started" in outcome.output
    # The PID namespace's end kills them with SIGKILL, which the kernel delivers at once
    # but a process can take a moment to die of: wait for the condition (a deadline for
    # a hang), not for a time.
    deadline = time.monotonic() + 30
    while _running(f"sleep\0{marker}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _running(f"sleep\0{marker}") == [], "still running 30 s after the sandbox ended"


def test_past_the_wall_time_it_is_stopped(bwrap):
    marker = f"{time.time_ns() % 10**9 + 1}"
    start = time.monotonic()
    outcome = sandbox.run(f"sleep {marker}", limits=sandbox.Limits(wall=2))
    assert outcome.exceeded == ("wall time",) and outcome.returncode is None
    assert time.monotonic() - start < 15 and _running(f"sleep\0{marker}") == []


def test_its_output_is_kept_to_the_cap_and_counted(bwrap):
    outcome = sandbox.run("head -c 5000000 /dev/zero | tr '\\0' y; echo the-end",
                          limits=sandbox.Limits(output=4096))
    assert outcome.output_bytes == 5000000 + len("the-end\n")
    assert len(outcome.output) == 4096 and outcome.output.endswith("the-end\n")


def test_the_result_channel_is_read_up_to_its_cap(bwrap):
    outcome = sandbox.run('printf "%s" "$WORK" >&"$RESULT_FD"', limits=SMALL)
    assert outcome.result == sandbox.WORK.encode() and not outcome.result_truncated
    outcome = sandbox.run('yes | head -c 100000 >&"$RESULT_FD"', limits=SMALL, result_cap=1000)
    assert len(outcome.result) == 1000 and outcome.result_truncated


def test_exposed_files_are_there_read_only(bwrap, tmp_path):
    (tmp_path / "sub.ipynb").write_text("submitted")
    outcome = sandbox.run('cat "$WORK/in.ipynb"; echo >> "$WORK/in.ipynb" || echo refused',
                          limits=SMALL, expose={"in.ipynb": tmp_path / "sub.ipynb"})
    assert outcome.output.startswith("submitted") and "refused" in outcome.output
    assert (tmp_path / "sub.ipynb").read_text() == "submitted"


def test_the_environment_is_the_sandboxs_own(bwrap, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    outcome = sandbox.run("env", limits=SMALL)
    assert "s3cret" not in outcome.output and f"HOME={sandbox.WORK}" in outcome.output
    assert "OMP_NUM_THREADS=1" in outcome.output


def test_unsafe_mode_runs_unconfined_in_a_scratch_folder(tmp_path):
    outcome = sandbox.run('pwd; touch "$WORK/x" && echo ok', limits=SMALL, confined=False)
    scratch = outcome.output.splitlines()[0]
    assert scratch != sandbox.WORK and "ok" in outcome.output and not Path(scratch).exists()


def test_without_bubblewrap_the_message_says_what_to_do(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(sandbox.Unavailable, match="apt install bubblewrap.*UNSAFE=1"):
        sandbox.check()


def test_the_rlimit_fallback_still_stops_a_memory_bomb(bwrap, monkeypatch):
    monkeypatch.setattr(sandbox, "_MECHANISM", "rlimits")
    outcome = run("x = [bytearray(16 << 20) for _ in range(1000)]")
    assert outcome.returncode != 0 and "MemoryError" in outcome.output
    assert outcome.mechanism == "rlimits"


def test_a_runs_cpu_quota_is_no_more_than_the_graders_own(tmp_path, monkeypatch):
    """cgroup v1 refuses a child's CPU quota above its parent's: asked for one core under
    a grader held to half a core (a container's CPU limit, scripts/slow_machine.sh), a
    run gets half a core, not an error that leaves only the rlimits."""
    monkeypatch.setattr(sandbox, "CGROUP_ROOT", tmp_path)
    group = tmp_path / "cpu" / "container" / "grader" / "run"
    group.mkdir(parents=True)
    for directory, quota, period in [(tmp_path / "cpu", -1, 100000),
                                     (tmp_path / "cpu" / "container", 25000, 50000),
                                     (tmp_path / "cpu" / "container" / "grader", -1, 100000)]:
        (directory / "cpu.cfs_quota_us").write_text(f"{quota}\n")
        (directory / "cpu.cfs_period_us").write_text(f"{period}\n")
    assert sandbox._v1_cpu_quota(group, cpus=1) == 50000
    assert sandbox._v1_cpu_quota(group, cpus=2) == 50000
    (tmp_path / "cpu" / "container" / "cpu.cfs_quota_us").write_text("-1\n")
    assert sandbox._v1_cpu_quota(group, cpus=2) == 200000


def _writable_v1_cpu_cgroup() -> Path:
    own = sandbox._own_cgroup("cpu")
    if sandbox.mechanism() != "cgroup v1" or own is None or not os.access(own, os.W_OK):
        pytest.skip(f"needs writable cgroup v1 hierarchies (caps here: {sandbox.mechanism()})")
    return own


def test_a_refused_cgroup_setting_leaves_no_cgroup_behind(bwrap, monkeypatch):
    """The kernel refuses a quota above the parent's (what the sandbox wrote before it
    read the parent's): the half-made cgroups are removed, none is left behind."""
    parent = _writable_v1_cpu_cgroup() / f"dl4phys-test-refused-{os.getpid()}"
    parent.mkdir()
    own = sandbox._own_cgroup
    try:
        (parent / "cpu.cfs_quota_us").write_text("50000")
        monkeypatch.setattr(sandbox, "_own_cgroup", lambda c: parent if c == "cpu" else own(c))
        monkeypatch.setattr(sandbox, "_v1_cpu_quota", lambda group, cpus: 100000)
        assert not sandbox._Cgroups.usable("cgroup v1")
        # only this process's own (another grader on the machine may have its own now)
        left = [d for top in (own("memory"), own("pids"), parent) for d in top.iterdir()
                if d.name.startswith(f"dl4phys-grade-{os.getpid()}-")]
        assert left == []
    finally:
        parent.rmdir()


def test_a_grader_under_a_cpu_quota_still_caps_by_cgroup(bwrap):
    """The grader in a cgroup of half a core (as scripts/slow_machine.sh puts it) keeps
    cgroup caps: the memory bomb is stopped by the memory cap, not a MemoryError."""
    parent = _writable_v1_cpu_cgroup() / f"dl4phys-test-quota-{os.getpid()}"
    parent.mkdir()
    try:
        (parent / "cpu.cfs_period_us").write_text("100000")
        (parent / "cpu.cfs_quota_us").write_text("50000")
        script = f"""
            from pathlib import Path
            import os, sys
            Path({str(parent / "cgroup.procs")!r}).write_text(str(os.getpid()))
            from grading import sandbox
            limits = sandbox.Limits(memory=256 * sandbox.MiB, processes=64, wall=120)
            command = sys.executable + " -c 'x = [bytearray(16 << 20) for _ in range(1000)]'"
            outcome = sandbox.run(command, limits=limits)
            print(sandbox.mechanism(), outcome.exceeded)
        """
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=CHECKOUT,
                              capture_output=True, text=True, timeout=600)
        assert done.stdout.strip() == "cgroup v1 ('memory',)", done.stdout + done.stderr
    finally:
        parent.rmdir()


def test_the_thread_that_reads_output_never_blocks_the_grader(bwrap):
    """A command that closes nothing and prints forever is stopped at its wall time."""
    done = threading.Event()
    outcome = sandbox.run("yes", limits=sandbox.Limits(wall=2, output=1024))
    done.set()
    assert outcome.exceeded == ("wall time",) and outcome.output_bytes > 10**6


def _dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_sweep_removes_the_folders_of_dead_graders_only(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    names = [f"dl4phys-sandbox-{dead}-a", f"dl4phys-grading-{dead}-b",
             f"dl4phys-sandbox-{alive}-c", "dl4phys-sandbox-x", "someone-else"]
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "notebook.ipynb").write_text("{}")
    removed = sandbox.sweep(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"dl4phys-sandbox-{alive}-c", "dl4phys-sandbox-x", "someone-else"]
    assert len(removed) == 2


def test_sweep_removes_a_dead_graders_cgroups_and_kills_what_runs_in_them(bwrap, monkeypatch):
    """A grader killed with SIGKILL leaves its cgroups, maybe with a student's process in
    them: the next grader kills that process and removes the cgroups; a live grader's
    cgroups stay."""
    parent = _writable_v1_cpu_cgroup() / f"dl4phys-test-sweep-{os.getpid()}"
    parent.mkdir()
    monkeypatch.setattr(sandbox, "_cgroup_parents", lambda: [parent])
    dead, alive = _dead_pid(), os.getpid()
    (parent / f"dl4phys-grade-{dead}-1").mkdir()
    (parent / f"dl4phys-grade-{alive}-1").mkdir()
    orphan = subprocess.Popen(["sleep", "600"])
    try:
        (parent / f"dl4phys-grade-{dead}-1" / "cgroup.procs").write_text(str(orphan.pid))
        assert sandbox.sweep(Path(tempfile.mkdtemp())) == [
            f"cgroup {parent / f'dl4phys-grade-{dead}-1'}"]
        assert orphan.wait(timeout=60) == -9
        assert [d.name for d in parent.iterdir() if d.is_dir()] == [f"dl4phys-grade-{alive}-1"]
    finally:
        orphan.kill()
        for group in parent.iterdir():
            if group.is_dir():
                group.rmdir()
        parent.rmdir()


def test_a_sandbox_folder_is_private_to_the_grader(bwrap, monkeypatch, tmp_path):
    """It holds a student's notebook: 0700, and the sandbox still reads what it exposes."""
    seen = []
    real = sandbox._bwrap_args

    def spy(limits, env, expose, keep, staging):
        seen.append(staging.stat().st_mode & 0o777)
        return real(limits, env, expose, keep, staging)

    monkeypatch.setattr(sandbox, "_bwrap_args", spy)
    (tmp_path / "answer.txt").write_text("42")
    outcome = sandbox.run("cat answer.txt", limits=sandbox.Limits(wall=60),
                          expose={"answer.txt": tmp_path / "answer.txt"})
    assert seen == [0o700]
    assert outcome.returncode == 0 and outcome.output.strip() == "42"


def test_grading_without_the_handed_out_notebooks_stops_and_says_what_to_build(
        tmp_path, monkeypatch, capsys):
    """After make clean, every hand-in would be flagged (its own code compared with
    nothing): make grade stops instead and names the build step."""
    from grading import batch, grader

    folder = tmp_path / "hand-ins"
    folder.mkdir()
    nb = {"cells": [], "metadata": {"otter": {"assignment_name": "02_autoencoder"}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / "ada.ipynb").write_text(json.dumps(nb))
    monkeypatch.setattr(grader, "ASSIGNMENTS", tmp_path / "not-built")
    with pytest.raises(SystemExit) as stop:
        batch.plan_run([str(folder), "--grades", str(tmp_path / "grades")])
    assert stop.value.code == 2
    assert "run `make assignments` (or `make book`) first" in capsys.readouterr().err
