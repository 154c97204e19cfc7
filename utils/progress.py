"""Progress bars that look right both in JupyterLab and in the built book.

In JupyterLab (and any interactive front end) these are tqdm's bars. A static web page
cannot show a live bar, and the text of one interleaves badly with printed results, so
``make book`` sets ``DL4PHYS_PROGRESS=text``: each loop then prints a single line when
it ends (steps, seconds, steps per second). ``DL4PHYS_PROGRESS=off`` prints nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

__all__ = ["progress", "trange"]

_MODES = ("auto", "text", "off")


def _mode() -> str:
    mode = os.environ.get("DL4PHYS_PROGRESS", "auto")
    if mode not in _MODES:
        raise ValueError(f"DL4PHYS_PROGRESS must be one of {_MODES}, got {mode!r}")
    return mode


class _Summary:
    """A stand-in for a tqdm bar that reports once, when the loop ends."""

    def __init__(self, iterable: Iterable | None, desc: str | None, total: int | None,
                 verbose: bool):
        self.iterable, self.desc, self.verbose = iterable, desc or "progress", verbose
        self.total = total if total is not None else (
            len(iterable) if hasattr(iterable, "__len__") else None)
        self.n, self._start, self._closed = 0, time.perf_counter(), False

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.n += 1
        self.close()

    def __len__(self) -> int:
        return self.total

    def update(self, k: int = 1) -> None:
        self.n += k

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.verbose:
            seconds = time.perf_counter() - self._start
            rate = self.n / seconds if seconds > 0 else float("inf")
            print(f"{self.desc}: {self.n} steps in {seconds:.1f} s ({rate:.0f} steps/s)")


def progress(iterable: Iterable, desc: str | None = None, **kwargs):
    """Wrap ``iterable`` in a progress bar; extra keyword arguments go to tqdm."""
    mode = _mode()
    if mode == "auto":
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=desc, **kwargs)
    return _Summary(iterable, desc, kwargs.get("total"), verbose=mode == "text")


def trange(n: int, desc: str | None = None, **kwargs):
    """``progress(range(n))``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    return progress(range(n), desc=desc, **kwargs)
