"""Run one untrusted command confined: bubblewrap namespaces plus caps on its resources.

This is the confinement layer of ``make grade`` (``grading/batch.py``), kept small and
separate, in the spirit of IOI's ``isolate`` and PrairieLearn's grader. What the command
run by :func:`run` gets, and what it does not:

- **Filesystem: an allowlist**, as IOI's ``isolate`` builds it: a fresh, empty root with
  only what is listed in :data:`SYSTEM` and :data:`ETC` (the system folders that Python,
  PyTorch and the shell need, and the few files of ``/etc`` that the dynamic loader
  reads), a synthesized ``/etc/passwd``, ``/etc/group`` and ``/etc/hosts`` naming only
  the sandbox user and localhost, the Python environment running this (its venv and base
  installation, nothing else of the folder they lie in, the grader's home included), the
  paths in ``keep`` (the installed course package) and, in the work directory, the files
  in ``expose`` (a submission and its own autograder), all read-only; a fresh ``/dev``
  and ``/proc``. Writable are only a private ``/tmp`` and its work directory in it
  (``/tmp/work``: its current directory and ``HOME``), both fresh, in-memory (tmpfs) and
  of bounded size each. Nothing else of the host is there: not the checkout, its
  ``.git`` or notebooks, other submissions or autograders, ``/home``, ``/root``,
  ``/srv``, ``/mnt``, ``/media``, ``/opt``, ``/var``, the rest of ``/etc``.
- **Identity**: the command runs as user 65534 (nobody) with no capabilities. When the
  grader runs as root, the sandbox drops to uid and gid 65534 *on the host* before the
  command starts (bubblewrap builds the namespaces as root, then the command's first
  step gives up root for good), so the command owns none of root's files even where one
  is visible; the exposed files are staged as world-readable copies for it. Otherwise
  user 65534 of its own user namespace is the grader's uid outside (the grader's files
  are simply not there).
- **No network**: its own network namespace, which has only its own loopback (the host's
  127.0.0.1 is not reachable).
- **Processes**: its own PID, IPC and UTS namespaces and a new session; it dies with the
  grader (``--die-with-parent``), and everything it started dies with it (the PID
  namespace).
- **Caps** (:class:`Limits`): memory of the whole process tree (RAM and swap, tmpfs
  included), number of processes and threads, CPU time (a quota of ``cpus`` cores) and
  wall time; its console output is kept up to a size, the rest counted and dropped.

The memory, process and CPU caps use a cgroup per run: cgroup v1 where the ``memory``,
``pids`` and ``cpu`` hierarchies are writable (the CI machine), cgroup v2 where the
grader's own cgroup is writable and delegates ``memory`` and ``pids``; otherwise resource
limits per process (``ulimit -d``: data segment of each process, not of the tree;
``ulimit -u``: processes of the sandbox user), which :func:`mechanism` reports so that
the grader can say so.

Not prevented: anything the command does to itself. Code that runs inside can read what
the sandbox gives it and forge what it reports; the caller must read what comes back as
data (``make grade`` gives a student's sandbox no hidden check and judges its answers in
another sandbox).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

GiB, MiB = 1 << 30, 1 << 20
WORK = "/tmp/work"  # the command's directory, inside its private /tmp
CGROUP_ROOT = Path("/sys/fs/cgroup")
SANDBOX_UID = 65534  # nobody


class Unavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here; the message says what to do."""


@dataclass(frozen=True)
class Limits:
    """Caps for one run. Sizes in bytes, times in seconds."""

    memory: int = 4 * GiB  # RAM + swap of the whole process tree, tmpfs included
    processes: int = 512  # processes and threads at once (a PyTorch kernel has ~20)
    cpus: int = 1  # CPU quota in cores; also the thread count of OpenMP/BLAS/PyTorch
    wall: float = 900.0
    disk: int = 1 * GiB  # each of /tmp and the work directory
    output: int = 1 * MiB  # console output kept (its end); the rest is counted

    def __post_init__(self):
        for name in ("memory", "processes", "cpus", "disk", "output"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}")
        if not (isinstance(self.wall, (int, float)) and self.wall > 0):
            raise ValueError(f"Limits.wall must be a positive number of seconds, got {self.wall!r}")


@dataclass
class Outcome:
    """What came back from one run, all of it data."""

    returncode: int | None  # None when it was killed at the wall-time cap
    exceeded: tuple[str, ...]  # the caps it hit: "memory", "processes", "wall time"
    output: str  # the end of its console output (stdout and stderr)
    output_bytes: int  # how much it printed in all
    result: bytes  # what it wrote to its result channel (RESULT_FD), at most result_cap
    result_truncated: bool
    seconds: float
    peak_memory: int | None = None  # bytes, where the cgroup tells
    peak_processes: int | None = None
    mechanism: str = ""


def bwrap() -> str:
    return shutil.which("bwrap") or "bwrap"


def check() -> None:
    """Raise :class:`Unavailable` unless bubblewrap can build the sandbox here."""
    if not shutil.which("bwrap"):
        raise Unavailable(
            "bubblewrap (bwrap) is not installed. Install it (Debian/Ubuntu: `sudo apt install "
            "bubblewrap`; Fedora: `sudo dnf install bubblewrap`; Arch: `sudo pacman -S "
            "bubblewrap`), or grade without a sandbox with UNSAFE=1, for submissions you trust.")
    probe = subprocess.run(
        [bwrap(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all",
         "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--die-with-parent", "true"],
        capture_output=True, text=True)
    if probe.returncode != 0:
        raise Unavailable(
            "bubblewrap cannot create its namespaces here "
            f"({probe.stderr.strip() or f'exit {probe.returncode}'}). Unprivileged user "
            "namespaces may be switched off (sysctl kernel.unprivileged_userns_clone or "
            "user.max_user_namespaces; inside Docker, run the container with --privileged "
            "or grade on the host). Or grade without a sandbox with UNSAFE=1, for "
            "submissions you trust.")


# ----------------------------------------------------------------------------- cgroups
def _own_cgroup(controller: str | None) -> Path | None:
    """This process's cgroup directory for a v1 controller (or v2 when None)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller is None and controllers == "":
            return CGROUP_ROOT / path.lstrip("/")
        if controller is not None and controller in controllers.split(","):
            return CGROUP_ROOT / controller / path.lstrip("/")
    return None


def _v1_cpu_quota(group: Path, cpus: int, period: int = 100000) -> int:
    """The CPU quota (microseconds per ``period``) for ``cpus`` cores in the v1 cgroup
    ``group``, no more than any cgroup above it allows: cgroup v1 refuses a child's quota
    above its parent's (EINVAL), which would otherwise leave a grader that itself runs
    under a CPU quota (a container's CPU limit, scripts/slow_machine.sh) with only the
    weaker per-process rlimits."""
    quota = period * cpus
    top = CGROUP_ROOT / "cpu"
    for parent in group.parents:
        if not parent.is_relative_to(top):
            break
        try:
            above = int((parent / "cpu.cfs_quota_us").read_text())
            above_period = int((parent / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        if above > 0:
            quota = min(quota, above * period // above_period)
    return max(quota, 1000)  # the kernel's smallest quota: 1 ms


class _Cgroups:
    """One fresh cgroup per run; v1 (memory, pids, cpu) or v2, whichever is writable."""

    _count = 0
    _lock = threading.Lock()

    def __init__(self, limits: Limits, kind: str):
        with _Cgroups._lock:
            _Cgroups._count += 1
            name = f"dl4phys-grade-{os.getpid()}-{_Cgroups._count}"
        self.kind, self.dirs = kind, {}
        try:
            self._make(limits, kind, name)
        except BaseException:  # a refused setting: remove what was made, then say so
            self.remove()
            raise

    def _make(self, limits: Limits, kind: str, name: str) -> None:
        if kind == "cgroup v1":
            for controller in ("memory", "pids", "cpu"):
                self.dirs[controller] = _own_cgroup(controller) / name
                self.dirs[controller].mkdir()
            memory = self.dirs["memory"]
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory))
            if (memory / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
                (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory))
            (self.dirs["pids"] / "pids.max").write_text(str(limits.processes))
            (self.dirs["cpu"] / "cpu.cfs_period_us").write_text("100000")
            (self.dirs["cpu"] / "cpu.cfs_quota_us").write_text(
                str(_v1_cpu_quota(self.dirs["cpu"], limits.cpus)))
        else:
            group = _own_cgroup(None) / name
            group.mkdir()
            self.dirs["v2"] = group
            (group / "memory.max").write_text(str(limits.memory))
            (group / "memory.swap.max").write_text("0")
            (group / "pids.max").write_text(str(limits.processes))
            if (group / "cpu.max").exists():
                (group / "cpu.max").write_text(f"{100000 * limits.cpus} 100000")

    @classmethod
    def usable(cls, kind: str) -> bool:
        try:
            probe = cls(Limits(), kind)
        except (OSError, TypeError):
            return False
        probe.remove()
        return True

    def procs_files(self) -> list[Path]:
        """Where a process writes its pid to join (its children follow it)."""
        if "v2" in self.dirs:
            return [self.dirs["v2"] / "cgroup.procs"]
        return [d / "cgroup.procs" for d in self.dirs.values()]

    def _read(self, key: str, file: str) -> str:
        try:
            return (self.dirs[key] / file).read_text()
        except (KeyError, OSError):
            return ""

    def _counter(self, key: str, file: str, field_name: str) -> int:
        for line in self._read(key, file).splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == field_name:
                return int(parts[1])
        return 0

    def exceeded(self) -> tuple[str, ...]:
        """The caps that stopped something: an out-of-memory kill, a refused fork."""
        if "v2" in self.dirs:
            hits = [self._counter("v2", "memory.events", "oom_kill"),
                    self._counter("v2", "pids.events", "max")]
        else:
            hits = [self._counter("memory", "memory.oom_control", "oom_kill"),
                    self._counter("pids", "pids.events", "max")]
        return tuple(cap for cap, hit in zip(("memory", "processes"), hits) if hit)

    def peaks(self) -> tuple[int | None, int | None]:
        if "v2" in self.dirs:
            memory, pids = self._read("v2", "memory.peak"), self._read("v2", "pids.peak")
        else:
            memory = self._read("memory", "memory.memsw.max_usage_in_bytes") or self._read(
                "memory", "memory.max_usage_in_bytes")
            pids = self._read("pids", "pids.peak")
        return (int(memory) if memory.strip() else None, int(pids) if pids.strip() else None)

    def kill_all(self) -> None:
        key = "v2" if "v2" in self.dirs else "pids"
        for line in self._read(key, "cgroup.procs").split():
            try:
                os.kill(int(line), 9)
            except (OSError, ValueError):
                pass

    def remove(self) -> None:
        for directory in self.dirs.values():
            for _ in range(50):  # the last processes may still be exiting
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


# ------------------------------------------------------- leftovers of a killed grader
# Every folder and cgroup a grader makes names its process: dl4phys-KIND-PID-... A grader
# killed with SIGKILL (or a node that lost power) cannot remove them; the next grader
# does: sweep() removes those whose PID no longer runs.
_OWNED = re.compile(r"^dl4phys-(?:sandbox|grade|grading)-(\d+)-")


def owned_prefix(kind: str) -> str:
    """The prefix of a temporary folder that this process owns: ``dl4phys-KIND-PID-``."""
    return f"dl4phys-{kind}-{os.getpid()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _cgroup_parents() -> list[Path]:
    parents = [_own_cgroup(c) for c in ("memory", "pids", "cpu")] + [_own_cgroup(None)]
    return [p for p in dict.fromkeys(parents) if p is not None and p.is_dir()]


def sweep(tmp: Path | None = None) -> list[str]:
    """Remove what graders that no longer run left behind: their folders in ``tmp``
    (default: the temporary folder) and their cgroups (after killing any process still
    in them). Returns what was removed, one line each; what is not ours is left alone."""
    removed = []
    tmp = Path(tmp or tempfile.gettempdir())
    try:
        entries = list(tmp.iterdir())
    except OSError:
        entries = []
    for entry in entries:
        match = _OWNED.match(entry.name)
        try:
            mine = entry.is_dir() and not entry.is_symlink() and entry.stat().st_uid == os.getuid()
        except OSError:
            continue
        if match and mine and not _running(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(f"folder {entry}")
    for parent in _cgroup_parents():
        for group in parent.iterdir():
            match = _OWNED.match(group.name)
            if not (match and group.is_dir()) or _running(int(match.group(1))):
                continue
            try:
                for line in (group / "cgroup.procs").read_text().split():
                    os.kill(int(line), 9)
            except (OSError, ValueError):
                pass
            for _ in range(50):  # killed processes take a moment to leave
                try:
                    group.rmdir()
                    removed.append(f"cgroup {group}")
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
    return removed


_MECHANISM: str | None = None


def mechanism() -> str:
    """How memory, process and CPU caps are enforced here: "cgroup v1", "cgroup v2" or
    "rlimits" (per process: weaker; see the module docstring)."""
    global _MECHANISM
    if _MECHANISM is None:
        forced = os.environ.get("DL4PHYS_SANDBOX_CAPS")  # for the tests of the fallback
        if forced:
            if forced not in ("cgroup v1", "cgroup v2", "rlimits"):
                raise ValueError("DL4PHYS_SANDBOX_CAPS must be one of 'cgroup v1', "
                                 f"'cgroup v2', 'rlimits', got {forced!r}")
            _MECHANISM = forced
        elif all(_own_cgroup(c) is not None and os.access(_own_cgroup(c), os.W_OK)
                 for c in ("memory", "pids", "cpu")) and _Cgroups.usable("cgroup v1"):
            _MECHANISM = "cgroup v1"
        elif (_own_cgroup(None) is not None and (CGROUP_ROOT / "cgroup.controllers").exists()
              and _Cgroups.usable("cgroup v2")):
            _MECHANISM = "cgroup v2"
        else:
            _MECHANISM = "rlimits"
    return _MECHANISM


# ----------------------------------------------------------------------------- running
RESULT_FD = 3  # where the command finds its result channel (a shell can name only 0-9)

# The launcher, run by the grader's Python before anything of the submission: it joins the
# cgroups or sets the rlimits, moves the result channel to RESULT_FD, and execs bubblewrap.
_LAUNCH = """
import os, resource, sys
fd, memory, processes, join = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for path in filter(None, join.split(os.pathsep)):
    with open(path, "w") as f:
        f.write(str(os.getpid()))
if memory:
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.execvp(sys.argv[5], sys.argv[5:])
"""


def _python_paths() -> list[Path]:
    """The Python running this, as the sandbox needs to see it (venv and base, resolved)."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent}
    return sorted(paths | {p.resolve() for p in paths})


def _environment(limits: Limits, work: str) -> dict[str, str]:
    """The whole environment of the command: nothing of the grader's leaks in."""
    threads = str(limits.cpus)
    return {"WORK": work, "RESULT_FD": str(RESULT_FD), "HOME": work, "TMPDIR": "/tmp",
            "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{work}/.config/matplotlib",
            "IPYTHONDIR": f"{work}/.ipython", "JUPYTER_CONFIG_DIR": f"{work}/.jupyter",
            "JUPYTER_RUNTIME_DIR": f"{work}/.jupyter/runtime", "NUMBA_CACHE_DIR": f"{work}/.numba",
            "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads, "NUMBA_NUM_THREADS": threads,
            "DL4PHYS_THREADS": threads, "DL4PHYS_PROGRESS": "text", "DL4PHYS_DEVICE": "cpu"}


# The fresh root, part 1: system folders, read-only (on a merged-/usr system the top-level
# ones are symlinks into /usr and are made as symlinks).
SYSTEM = {
    "/usr": "programs and shared libraries: the shell, coreutils, libc, libstdc++, libgomp",
    "/bin": "the shell (/bin/sh) and coreutils, where they are not in /usr",
    "/sbin": "the same for system programs",
    "/lib": "the dynamic loader and libc, where they are not in /usr",
    "/lib64": "the dynamic loader's x86_64 path (/lib64/ld-linux-x86-64.so.2)",
    "/lib32": "32-bit libraries, where the system has them",
}
# Part 2: what of /etc is read (the rest, with its secrets and configuration, is not there).
ETC = {
    "/etc/ld.so.cache": "the dynamic loader's cache: where each shared library lies",
    "/etc/ld.so.conf": "the loader's configuration",
    "/etc/ld.so.conf.d": "the loader's configuration, continued",
    "/etc/fonts": "fontconfig's configuration: without it, loading matplotlib's stack prints "
                  "'Fontconfig error: Cannot load default config file' (fonts are in /usr)",
}
# Part 3: written for each run, not taken from the host.
SANDBOX_USER = {
    "/etc/passwd": f"nobody:x:{SANDBOX_UID}:{SANDBOX_UID}:nobody:{WORK}:/usr/sbin/nologin\n",
    "/etc/group": f"nogroup:x:{SANDBOX_UID}:\n",
    "/etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",  # the kernel's own loopback
}

# Run first inside, when the grader is root: give up root for good, then run the command.
_DROP = (f"import os, sys; os.setgroups([]); os.setgid({SANDBOX_UID}); "
         f"os.setuid({SANDBOX_UID}); os.execv('/bin/sh', ['/bin/sh', '-c', sys.argv[1]])")


def as_root() -> bool:
    """Whether the sandbox drops from root to uid 65534 on the host (the grader is root)."""
    return os.geteuid() == 0


def _visible(paths) -> list[Path]:
    """Outermost existing paths first, without those inside another one."""
    found = sorted({Path(p) for p in paths if Path(p).exists()}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in found:
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return kept


def _bwrap_args(limits: Limits, env: dict[str, str], expose: dict[str, Path],
                keep: list[Path], staging: Path) -> list[str]:
    """bubblewrap's arguments, in order: later mounts go on top of earlier ones."""
    args = [bwrap()]
    for top in SYSTEM:
        host = Path(top)
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), top]
        elif host.is_dir():
            args += ["--ro-bind", top, top]
    args += ["--perms", "0755", "--dir", "/etc"]
    for path in ETC:
        if Path(path).exists():
            args += ["--ro-bind", path, path]
    for path, text in SANDBOX_USER.items():
        (staging / Path(path).name).write_text(text)
        (staging / Path(path).name).chmod(0o444)
        args += ["--ro-bind", str(staging / Path(path).name), path]
    args += ["--dev", "/dev", "--proc", "/proc",
             "--perms", "1777", "--size", str(limits.disk), "--tmpfs", "/tmp"]
    # The course's Python and package, also where they lie under /tmp (private inside) or
    # under the grader's home (only they are bound, not the folders around them).
    made = {Path("/"), Path("/tmp")}
    for path in _visible(keep):
        for parent in reversed(path.parents):  # traversable by uid 65534, nothing in them
            if parent not in made and parent not in (Path(t) for t in SYSTEM):
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        args += ["--ro-bind", str(path), str(path)]
    args += ["--perms", "1777", "--size", str(limits.disk), "--tmpfs", WORK]
    for name, source in expose.items():
        args += ["--ro-bind", str(source), f"{WORK}/{name}"]
    args += ["--remount-ro", "/"]  # the fresh root itself: nothing can be written there
    args += ["--clearenv"] + [a for k, v in env.items() for a in ("--setenv", k, v)]
    if as_root():  # namespaces made as root; the command's first step drops to 65534
        args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                 "--unshare-cgroup-try", "--cap-drop", "ALL", "--cap-add", "CAP_SETUID",
                 "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                 "--cap-drop", "ALL"]
    args += ["--die-with-parent", "--new-session", "--chdir", WORK]
    return args


def _stage(expose: dict[str, Path], staging: Path) -> dict[str, Path]:
    """As root: world-readable copies of the exposed files, which uid 65534 can read
    whatever their owner and mode on the host (a submission saved 0600 by root)."""
    staged = {}
    for name, source in expose.items():
        copy = staging / "expose" / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, copy)
        copy.chmod(0o444)
        staged[name] = copy
    return staged


def run(command: str, *, limits: Limits, expose: dict[str, Path] | None = None,
        keep: list[Path] = (), result_cap: int = 8 * MiB, confined: bool = True) -> Outcome:
    """Run the shell ``command`` in a fresh sandbox and return what came back, as data.

    The command runs in its work directory ``$WORK`` (``/tmp/work``), where ``expose``
    (``{name in $WORK: host file}``) appears read-only, and may write its result to the
    file descriptor ``$RESULT_FD``, read here up to ``result_cap`` bytes. It sees only
    the allowlist of the module docstring; ``keep``: host paths it needs besides (the
    installed course package), read-only, at their own paths, also where they lie under
    ``/tmp`` (which is private inside). The Python running this (its environment and
    base installation) is always kept: ``$PATH`` inside starts with its ``bin`` folder.

    ``confined=False`` runs it without bubblewrap (the grader's UNSAFE mode): in a
    scratch folder of its own, with the same caps, but with the grader's view of the
    machine and network.
    """
    kind = mechanism()
    groups = _Cgroups(limits, kind) if kind != "rlimits" else None
    read_fd, write_fd = os.pipe()
    scratch = staging = None
    try:
        if confined:
            # private to the grader (mkdtemp's 0700): it holds a student's notebook; the
            # sandbox sees its files through bind mounts, not through this folder
            staging = Path(tempfile.mkdtemp(prefix=owned_prefix("sandbox")))
            exposed = dict(expose or {})
            if as_root():
                exposed = _stage(exposed, staging)
            env = _environment(limits, WORK)
            keep = [*keep, *_python_paths()]
            argv = _bwrap_args(limits, env, exposed, keep, staging) + ["--"]
            if as_root():
                argv += [str(Path(sys.executable).resolve()), "-I", "-S", "-c", _DROP, command]
            else:
                argv += ["/bin/sh", "-c", command]
            popen_env, cwd = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, None
        else:
            scratch = Path(tempfile.mkdtemp(prefix=owned_prefix("grade")))
            for name, source in (expose or {}).items():
                (scratch / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, scratch / name)
            popen_env = _environment(limits, str(scratch))
            argv, cwd = ["/bin/sh", "-c", command], scratch
        join = os.pathsep.join(str(f) for f in groups.procs_files()) if groups else ""
        rlimits = (0, 0) if groups else (limits.memory, limits.processes)
        start = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _LAUNCH, str(write_fd), *map(str, rlimits),
             join, *argv],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), start_new_session=True, env=popen_env, cwd=cwd)
        os.close(write_fd)
        write_fd = None
        console, result = _Tail(limits.output), _Capped(result_cap)
        result_stream = os.fdopen(read_fd, "rb")
        read_fd = None
        readers = [threading.Thread(target=console.drain, args=(process.stdout,), daemon=True),
                   threading.Thread(target=result.drain, args=(result_stream,), daemon=True)]
        for reader in readers:
            reader.start()
        try:
            returncode, exceeded = process.wait(timeout=limits.wall), ()
        except subprocess.TimeoutExpired:
            returncode, exceeded = None, ("wall time",)
        _kill_group(process)
        if groups:
            groups.kill_all()
        process.wait()
        for reader in readers:
            reader.join(timeout=10)
        seconds = time.monotonic() - start
        peak_memory = peak_processes = None
        if groups:
            exceeded = groups.exceeded() + exceeded
            peak_memory, peak_processes = groups.peaks()
        return Outcome(returncode, exceeded, console.text(), console.total, bytes(result.data),
                       result.truncated, seconds, peak_memory, peak_processes, kind)
    finally:
        for fd in (read_fd, write_fd):
            if fd is not None:
                os.close(fd)
        if groups:
            groups.remove()
        for folder in (scratch, staging):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, 9)
    except OSError:
        pass


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


class _Tail:
    """Keeps the last ``cap`` bytes of a stream and counts all of them."""

    def __init__(self, cap: int):
        self.cap, self.total, self.buffer = cap, 0, bytearray()

    def drain(self, stream) -> None:
        with stream:
            while chunk := stream.read1(65536):
                self.total += len(chunk)
                self.buffer += chunk
                if len(self.buffer) > 2 * self.cap:
                    del self.buffer[:-self.cap]

    def text(self) -> str:
        return bytes(self.buffer[-self.cap:]).decode("utf-8", errors="replace")


class _Capped:
    """Keeps the first ``cap`` bytes of a stream; ``truncated`` if there was more."""

    def __init__(self, cap: int):
        self.cap, self.data, self.truncated = cap, bytearray(), False

    def drain(self, stream) -> None:
        with stream:
            while chunk := stream.read(65536):
                room = self.cap - len(self.data)
                self.truncated = self.truncated or len(chunk) > room
                self.data += chunk[:max(room, 0)]
