"""Notebook set-up: seeding, device choice and a version report, in one call."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import random
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import torch

__all__ = [
    "seed_everything", "get_device", "versions", "tune_cpu_allocator", "default_threads", "setup",
]

_DEVICES = ("cpu", "cuda")


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global RNG and PyTorch (CPU and CUDA)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA if available, else CPU. ``prefer`` ('cpu' or 'cuda') forces a choice.

    The environment variable ``DL4PHYS_DEVICE`` (cpu or cuda) does the same without
    editing a notebook; asking for CUDA where there is none raises ``ValueError``.
    """
    prefer = prefer if prefer is not None else os.environ.get("DL4PHYS_DEVICE") or None
    if prefer is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if prefer not in _DEVICES:
        raise ValueError(f"prefer must be one of {_DEVICES} or None, got {prefer!r}")
    if prefer == "cuda" and not torch.cuda.is_available():
        raise ValueError("prefer='cuda' but torch.cuda.is_available() is False on this machine")
    return torch.device(prefer)


def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """Versions of Python and the course's main packages.

    Read from the installed package metadata, so that a notebook which does not use
    SciPy or scikit-learn does not pay for importing them (~0.6 s for scikit-learn).
    """
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scipy": _installed("scipy"),
        "matplotlib": _installed("matplotlib"),
        "scikit-learn": _installed("scikit-learn"),
    }


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 2**20  # the largest value glibc accepts on 64-bit systems
_TRIM_THRESHOLD = 256 * 2**20


def tune_cpu_allocator() -> bool:
    """Let glibc's malloc keep freed tensor memory instead of returning it to the system.

    A PINN training step allocates and frees hundreds of tensors of ~0.5 MB (2000 points
    x 64 units x 4 bytes). With glibc's defaults each of them is a fresh ``mmap`` or is
    trimmed back to the system, and every page is zeroed again by the kernel on first
    use; on the 2-core test machine that costs ~12 % of the heat-equation PINN's
    training time (40.3 s against 35.3 s for its 5000 epochs, mean of four runs
    each). Raising the mmap and trim thresholds (32 MiB, 256 MiB) keeps the
    memory in the process, as the jemalloc/tcmalloc allocators recommended by PyTorch's
    performance guide do. Results are unchanged: only where memory comes from changes.

    Returns True where it applied (Linux with glibc), False elsewhere (macOS, Windows,
    musl), where it does nothing.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
                    and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def default_threads() -> int:
    """PyTorch CPU threads for a notebook: ``DL4PHYS_THREADS``, else half the cores.

    PyTorch's default (one thread per core) is fastest on an idle machine, but its
    OpenMP threads wait for each other at every operation: when any other busy process
    (a second kernel, a browser, a parallel test worker) takes one core, every step waits
    for the descheduled thread. Measured on the 2-core test machine, a notebook then ran
    many times slower (``benchmarks/thread_robustness.py``). Half the cores leaves room
    for one other busy process at a small cost on an idle machine; the results do not
    depend on the thread count (every check passes and every glued value is identical
    with 1 and 2 threads). ``make test`` sets ``DL4PHYS_THREADS`` so that parallel
    workers times threads equals the cores.
    """
    value = os.environ.get("DL4PHYS_THREADS")
    if value is None or value == "":
        return max(1, _available_cores() // 2)
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"DL4PHYS_THREADS must be a positive integer, got {value!r}")
    return threads


def setup(seed: int = 42, *, prefer: str | None = None, style: bool = True,
          threads: int | None = None) -> torch.device:
    """Seed everything, apply the plotting house style, print versions; return the device.

    Prints the lecture's first line, ``PyTorch <version>, device: <device>``, followed by
    the other versions and the CPU thread count. Also applies :func:`tune_cpu_allocator`
    and sets PyTorch's CPU threads to ``threads`` (default: :func:`default_threads`).
    """
    if threads is None:
        threads = default_threads()
    elif isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    seed_everything(seed)
    tune_cpu_allocator()
    torch.set_num_threads(threads)
    if style:
        from .plotting import use_house_style

        use_house_style()
    device = get_device(prefer)
    v = versions()
    print(f"PyTorch {v['torch']}, device: {device}")
    others = ", ".join(f"{k} {val}" for k, val in v.items() if k != "torch")
    print(f"{others}; {torch.get_num_threads()} CPU threads; seed {seed}")
    if device.type == "cuda":
        print(f"GPU: {torch.cuda.get_device_name(device)}")
    return device
