"""Notebook set-up: seeding, device choice and a version report, in one call."""

from __future__ import annotations

import os
import platform
import random

import numpy as np
import torch

__all__ = ["seed_everything", "get_device", "versions", "setup"]

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


def versions() -> dict[str, str]:
    """Versions of Python and the course's main packages."""
    import matplotlib
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "matplotlib": matplotlib.__version__,
        "scikit-learn": sklearn.__version__,
    }


def setup(seed: int = 42, *, prefer: str | None = None, style: bool = True) -> torch.device:
    """Seed everything, apply the plotting house style, print versions; return the device.

    Prints the lecture's first line, ``PyTorch <version>, device: <device>``, followed by
    the other versions and the CPU thread count.
    """
    seed_everything(seed)
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
