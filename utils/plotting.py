"""The course's plotting house style and the figures several notebooks draw.

All helpers take NumPy arrays or tensors (moved to CPU) and return the Matplotlib objects
they drew on, so notebooks can add to them.

Every figure of the notebooks is shown with :func:`show_figure`, which gives it a text
alternative (what a screen reader reads in the web book) and first checks that it reads
without colour: lines that the legend tells apart differ by marker or line style, and
colour maps that encode a value are perceptually uniform with a lightness that rises
monotonically (:data:`READABLE_CMAPS`), so that they read in greyscale too.
"""

from __future__ import annotations

import base64
import io
import re
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
    "READABLE_CMAPS",
    "check_readable_without_colour",
    "figure_bundle",
    "show_figure",
]

# Colour maps for values (and their reversed "_r" forms): perceptually uniform, lightness
# rising monotonically, so that they read in greyscale and with any colour vision.
# Diverging maps (coolwarm, RdBu) and "hot", "jet" do not: their two ends, or distant
# values, have the same lightness.
READABLE_CMAPS = ("viridis", "cividis", "inferno", "magma", "plasma")

HOUSE_STYLE = {
    "figure.figsize": [6, 4],  # the lecture's default
    # legible on a projector: no text below 11 pt (the lecture used 9)
    "font.size": 11,
    "axes.titlesize": 12,
    "figure.titlesize": 13,
    "axes.grid": False,
    "grid.alpha": 0.3,
    "image.cmap": "cividis",
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
    """Show one spin configuration of shape (L, L) (or (1, L, L)): +1 light, -1 dark
    (cividis, which reads in greyscale too)."""
    arr = _as_array(config)
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise ValueError(f"config must have shape (L, L) or (1, L, L), got {arr.shape}")
    ax = ax if ax is not None else plt.gca()
    im = ax.imshow(arr, cmap="cividis", vmin=-1, vmax=1)
    if title:
        ax.set_title(title, fontsize=11)
    ax.axis("off")
    return im


def show_filters(weights, ncols: int = 8, title: str | None = None, vmax: float | None = None):
    """Grid of 2-D convolution kernels; ``weights`` (n, 1, k, k) or (n, k, k).

    Colours are symmetric about zero (cividis from -vmax, dark, to +vmax, light; the colour
    bar gives the scale); ``vmax`` defaults to the largest |weight|.
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
            im = ax.imshow(w[i], cmap="cividis", vmin=-vmax, vmax=vmax)
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


def _style_key(artist) -> tuple | None:
    """What tells a legend entry apart without colour: its kind, line style and marker
    (or hatch). None for entries the check does not know."""
    from matplotlib.collections import PathCollection
    from matplotlib.container import BarContainer, ErrorbarContainer
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(artist, ErrorbarContainer):
        line = artist.lines[0]
        return ("error bars", *(_style_key(line)[1:] if line is not None else ()))
    if isinstance(artist, Line2D):
        style = artist.get_linestyle() if artist.get_linestyle() not in ("", " ") else "None"
        return ("line", style, str(artist.get_marker()))
    if isinstance(artist, PathCollection):
        paths = artist.get_paths()
        shape = tuple(np.round(paths[0].vertices, 2).ravel()) if paths else ()
        return ("markers", shape)
    if isinstance(artist, BarContainer):
        artist = artist.patches[0] if artist.patches else None
    if isinstance(artist, Patch):
        return ("area", artist.get_hatch() or "", artist.get_fill())
    return None


def check_readable_without_colour(fig) -> None:
    """Raise ValueError where ``fig`` needs colour vision to be read.

    - Two legend entries of one axes that differ only by colour (same kind, line style
      and marker): give each its own marker or line style ("o-", "s--", "^:").
    - A colour map that encodes a value and is not one of :data:`READABLE_CMAPS`.
    """
    problems = []
    for ax in fig.axes:
        where = f"axes {ax.get_title()!r}" if ax.get_title() else "an axes"
        handles, labels = ax.get_legend_handles_labels()
        seen: dict[tuple, str] = {}
        for handle, label in zip(handles, labels):
            key = _style_key(handle)
            if key is None:
                continue
            if key in seen:
                problems.append(f"{where}: the legend entries {seen[key]!r} and {label!r} "
                                "differ only by colour; give each its own marker or line "
                                "style (e.g. 'o-', 's--', '^:')")
            else:
                seen[key] = label
        for mappable in [*ax.images, *ax.collections]:
            if mappable.get_array() is None:
                continue  # plain colours, no colour map
            name = mappable.get_cmap().name.removesuffix("_r")
            if name not in READABLE_CMAPS:
                problems.append(f"{where}: colour map {name!r} does not read in greyscale; "
                                f"use one of {', '.join(READABLE_CMAPS)}")
    if problems:
        raise ValueError("figure not readable without colour:\n- " + "\n- ".join(
            dict.fromkeys(problems)))


_FILE_NAME = re.compile(r"\.(png|jpe?g|gif|svg|pdf)$", re.IGNORECASE)


def _checked_alt(alt) -> str:
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a string describing the figure, got {type(alt).__name__}")
    alt = " ".join(alt.split())
    if len(alt.split()) < 5 or _FILE_NAME.search(alt):
        raise ValueError(
            f"alt={alt!r} does not describe the figure: say in a sentence or two what it "
            "shows (axes, the trend, the number it makes its point with), as a screen "
            "reader will read it in place of the figure")
    return alt


def figure_bundle(fig, alt: str) -> tuple[dict, dict]:
    """The display data of ``fig`` with the text alternative ``alt``: ``(data, metadata)``.

    The PNG carries ``alt`` as its ``Description`` text chunk, which the web book writes
    into the page's ``<img alt>`` (``_ext/course_site.py``); ``text/plain`` is ``alt``
    (what a text-only front end shows instead of the image) and the output metadata names
    it too. JupyterLab, Colab and nbconvert show the PNG as they show any figure.
    """
    alt = _checked_alt(alt)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Description": alt})
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"image/png": png, "text/plain": alt}, {"image/png": {"alt": alt}}


def show_figure(alt: str, fig=None) -> None:
    """Show ``fig`` (default: the current figure) with its text alternative ``alt``, in
    place of ``plt.show()``, and close it.

    ``alt`` says what the figure shows, for someone who cannot see it: the axes, the
    trend, and the number it makes its point with (formatted from the run's values,
    never typed in). Raises ValueError if ``alt`` is not such a description, or if the
    figure needs colour to be read (:func:`check_readable_without_colour`).
    """
    fig = fig if fig is not None else plt.gcf()
    check_readable_without_colour(fig)
    data, metadata = figure_bundle(fig, alt)
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:  # a plain Python run: no display
        plt.close(fig)
        return
    from IPython.display import display

    display(data, metadata=metadata, raw=True)
    plt.close(fig)  # else the inline backend shows it a second time, without alt
