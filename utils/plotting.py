"""The course's plotting house style and the figures several notebooks draw.

All helpers take NumPy arrays or tensors (moved to CPU) and return the Matplotlib objects
they drew on, so notebooks can add to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "HOUSE_STYLE",
    "use_house_style",
    "show_spins",
    "show_filters",
    "plot_loss",
    "plot_comparison",
]

HOUSE_STYLE = {
    "figure.figsize": [6, 4],  # the lecture's default
    # legible on a projector: no text below 11 pt (the lecture used 9)
    "font.size": 11,
    "axes.titlesize": 12,
    "figure.titlesize": 13,
    "axes.grid": False,
    "grid.alpha": 0.3,
    "image.cmap": "coolwarm",
    "figure.dpi": 100,
    "savefig.bbox": "tight",
}


def use_house_style() -> None:
    """Apply the course's rcParams: the lecture's figure size [6, 4], text of 11 pt or more."""
    plt.rcParams.update(HOUSE_STYLE)


def _as_array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _column_to_1d(a: np.ndarray) -> np.ndarray:
    return a[:, 0] if a.ndim == 2 and a.shape[1] == 1 else a


def show_spins(config, ax=None, title: str | None = None):
    """Show one spin configuration of shape (L, L) (or (1, L, L)) in +-1 colours."""
    arr = _as_array(config)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f"config must have shape (L, L) or (1, L, L), got {arr.shape}")
    ax = ax if ax is not None else plt.gca()
    im = ax.imshow(arr, cmap="coolwarm", vmin=-1, vmax=1)
    if title:
        ax.set_title(title, fontsize=11)
    ax.axis("off")
    return im


def show_filters(weights, ncols: int = 8, title: str | None = None, vmax: float | None = None):
    """Grid of 2-D convolution kernels; ``weights`` (n, 1, k, k) or (n, k, k).

    Colours are symmetric about zero (RdBu); ``vmax`` defaults to the largest |weight|.
    Returns ``(fig, axes)``.
    """
    w = _as_array(weights)
    if w.ndim == 4 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 3:
        raise ValueError(f"weights must have shape (n, 1, k, k) or (n, k, k), got {w.shape}")
    if not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be an integer >= 1, got {ncols!r}")
    n = w.shape[0]
    nrows = -(-n // ncols)
    vmax = float(np.abs(w).max()) if vmax is None else vmax
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.75 * ncols + 1, 2 * nrows), squeeze=False,
                             layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            im = ax.imshow(w[i], cmap="RdBu", vmin=-vmax, vmax=vmax)
            ax.set_title(f"Filter {i}", fontsize=11)
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    if title:
        fig.suptitle(title)
    return fig, axes


def plot_loss(
    losses: Sequence[float] | np.ndarray,
    ax=None,
    label: str | None = None,
    title: str = "Training loss",
    xlabel: str = "Epoch",
):
    """Loss curve on a logarithmic y axis; ``losses`` is 1-D."""
    y = _as_array(losses)
    if y.ndim != 1:
        raise ValueError(f"losses must be 1-D (one value per step), got shape {y.shape}")
    ax = ax if ax is not None else plt.gca()
    ax.semilogy(y, alpha=0.8, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if label:
        ax.legend()
    return ax


def plot_comparison(
    x,
    approx,
    exact,
    *,
    xlabel: str = "t",
    ylabel: str = "u",
    approx_label: str = "PINN",
    exact_label: str = "Exact",
    title: str | None = None,
    axes=None,
):
    """Two panels: the approximation over the exact solution, and |error| on log axes.

    ``x``, ``approx`` and ``exact`` are 1-D of equal length (column vectors are
    flattened). Returns the two axes.
    """
    xs, a, e = (_column_to_1d(_as_array(v)) for v in (x, approx, exact))
    if not (xs.ndim == a.ndim == e.ndim == 1) or not (xs.shape == a.shape == e.shape):
        raise ValueError(
            "x, approx and exact must be 1-D arrays of equal shape (n,), got "
            f"{xs.shape}, {a.shape} and {e.shape}"
        )
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4))
    ax0, ax1 = axes
    ax0.plot(xs, e, "k--", lw=2, label=exact_label)
    ax0.plot(xs, a, "b-", lw=2, alpha=0.8, label=approx_label)
    ax0.set_xlabel(xlabel)
    ax0.set_ylabel(ylabel)
    if title:
        ax0.set_title(title)
    ax0.legend()
    ax0.grid(alpha=0.3)
    ax1.semilogy(xs, np.abs(a - e) + 1e-300, "r-", lw=1.5)
    ax1.set_xlabel(xlabel)
    ax1.set_ylabel("|Error|")
    ax1.set_title(f"Absolute error (max = {np.max(np.abs(a - e)):.2e})")
    ax1.grid(alpha=0.3)
    return axes
