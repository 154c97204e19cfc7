"""Progress bars that look right both in JupyterLab and in the built book.

In JupyterLab (and any interactive front end) these are tqdm's widget bars. A static web
page cannot show a widget, so ``make book`` sets ``DL4PHYS_PROGRESS=text``: the bars are
then plain text on stdout, and the page shows each bar's final state (steps, time, rate).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

__all__ = ["progress", "trange"]

_MODES = ("auto", "text", "off")


def _mode() -> str:
    mode = os.environ.get("DL4PHYS_PROGRESS", "auto")
    if mode not in _MODES:
        raise ValueError(f"DL4PHYS_PROGRESS must be one of {_MODES}, got {mode!r}")
    return mode


def progress(iterable: Iterable, desc: str | None = None, **kwargs):
    """Wrap ``iterable`` in a progress bar (tqdm); extra keyword arguments go to tqdm."""
    mode = _mode()
    if mode == "auto":
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=desc, **kwargs)
    from tqdm.std import tqdm

    kwargs.setdefault("file", sys.stdout)
    return tqdm(iterable, desc=desc, disable=mode == "off", **kwargs)


def trange(n: int, desc: str | None = None, **kwargs):
    """``progress(range(n))``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    return progress(range(n), desc=desc, **kwargs)
