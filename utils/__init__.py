"""Shared helpers for Lecture 22, *Deep Learning for Physics*.

- :mod:`utils.session`: ``setup`` (seed, device, versions, allocator), ``seed_everything``,
  ``get_device``, ``tune_cpu_allocator``
- :mod:`utils.plotting`: the house style and common figures
- :mod:`utils.progress`: progress bars for JupyterLab and for the built book
- :mod:`utils.report`: results tables displayed by code (numbers never live in prose)
- :mod:`utils.ising`: a fast equilibrium Ising sampler, observables, exact results
- :mod:`utils.capture`: ``capture_step``, a training step as one CUDA graph on a GPU
- :mod:`utils.assignment`: the assignments' set-up and export cells; ``answered``
"""

from .assignment import answered
from .plotting import (
    plot_comparison,
    plot_loss,
    show_filters,
    show_spins,
    use_house_style,
)
from .progress import progress, trange
from .report import Table, glue, show_table
from .session import (
    default_threads,
    get_device,
    seed_everything,
    setup,
    tune_cpu_allocator,
    versions,
)

__all__ = [
    "answered",
    "setup",
    "seed_everything",
    "get_device",
    "versions",
    "tune_cpu_allocator",
    "default_threads",
    "use_house_style",
    "show_spins",
    "show_filters",
    "plot_loss",
    "plot_comparison",
    "progress",
    "trange",
    "Table",
    "show_table",
    "glue",
]
