"""Figures that every student can read: a text alternative, and no need for colour vision.

``utils.plotting.show_figure`` shows a figure with its text alternative (the PNG carries
it, and the book's extension writes it into the page's ``<img alt>``) after checking that
the figure reads without colour. These are the browser-free halves of the accessibility
check of the built book (tests/browser/test_accessibility.py).
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from utils import plotting
from utils.plotting import (
    READABLE_CMAPS,
    check_readable_without_colour,
    figure_bundle,
    show_figure,
)

matplotlib.use("Agg")  # no display: figures are drawn off screen

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
ALT = "Accuracy against epoch: training rises to 0.99, test stays near 0.98."


@pytest.fixture
def fig():
    figure, _ = plt.subplots()
    yield figure
    plt.close(figure)


def test_the_png_carries_the_text_alternative(fig):
    fig.axes[0].plot([1, 2, 3], [0.9, 0.95, 0.99])
    alt = "Test accuracy σ ≈ 0.02 − rising from 0.90 to 0.99 over three epochs."
    data, metadata = figure_bundle(fig, alt)
    image = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert image.format == "PNG" and image.text["Description"] == alt  # not Latin-1: iTXt
    assert data["text/plain"] == alt  # what a text-only front end shows instead
    assert metadata == {"image/png": {"alt": alt}}


@pytest.mark.parametrize("alt", ["", "a plot", "../_images/6d9cb7329.png",
                                 "see the figure in file loss_curve.png"])
def test_an_alt_text_must_describe_the_figure(fig, alt):
    with pytest.raises(ValueError, match="does not describe the figure"):
        figure_bundle(fig, alt)
    with pytest.raises(TypeError, match="alt must be a string"):
        figure_bundle(fig, None)


def test_legend_entries_that_differ_only_by_colour_are_refused(fig):
    ax = fig.axes[0]
    ax.set_title("Binder cumulants")
    ax.plot([1, 2], [1, 2], "o-", label="L = 8")
    ax.plot([1, 2], [2, 3], "o-", label="L = 16")
    ax.legend()
    with pytest.raises(ValueError, match=r"'Binder cumulants'.*'L = 8' and 'L = 16'.*marker"):
        check_readable_without_colour(fig)


def test_markers_or_line_styles_tell_them_apart(fig):
    ax = fig.axes[0]
    ax.plot([1, 2], [1, 2], "o-", label="L = 8")
    ax.plot([1, 2], [2, 3], "s-", label="L = 16")
    ax.plot([1, 2], [3, 4], "--", label="exact")
    ax.errorbar([1, 2], [1, 2], yerr=[0.1, 0.1], fmt="o", label="mean ± error")
    ax.scatter([1, 2], [4, 5], label="samples")
    ax.scatter([1, 2], [5, 6], marker="x", label="flipped samples")
    ax.axvspan(1, 2, alpha=0.1, label="± 3 s.e.")
    ax.legend()
    check_readable_without_colour(fig)  # no error


def test_scatter_markers_of_one_shape_are_refused(fig):
    ax = fig.axes[0]
    ax.scatter([1, 2], [1, 2], s=8, label="ordered")
    ax.scatter([1, 2], [2, 3], s=4, c="gray", label="disordered")
    ax.legend()
    with pytest.raises(ValueError, match="'ordered' and 'disordered'"):
        check_readable_without_colour(fig)


@pytest.mark.parametrize("cmap", ["coolwarm", "RdBu", "hot", "jet"])
def test_colour_maps_that_fail_in_greyscale_are_refused(fig, cmap):
    fig.axes[0].imshow(np.arange(4.0).reshape(2, 2), cmap=cmap)
    with pytest.raises(ValueError, match=f"colour map '{cmap}' does not read in greyscale"):
        check_readable_without_colour(fig)


@pytest.mark.parametrize("cmap", [*READABLE_CMAPS, "cividis_r"])
def test_perceptually_uniform_colour_maps_pass(fig, cmap):
    fig.axes[0].imshow(np.arange(4.0).reshape(2, 2), cmap=cmap)
    fig.axes[0].scatter([0, 1], [0, 1], c=[0.0, 1.0], cmap=cmap)
    check_readable_without_colour(fig)


def test_readable_colour_maps_get_lighter_monotonically():
    """Why these maps: their lightness (CIE L*, from sRGB) rises with the value, so that a
    greyscale print or a reader without colour vision still sees the order."""
    x = np.linspace(0, 1, 64)
    for name in READABLE_CMAPS:
        rgb = plt.get_cmap(name)(x)[:, :3]
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        luminance = linear @ [0.2126, 0.7152, 0.0722]
        assert np.all(np.diff(luminance) > 0), name
    for name in ("coolwarm", "RdBu"):  # diverging: dark, light, dark again
        rgb = plt.get_cmap(name)(x)[:, :3]
        assert not np.all(np.diff(rgb @ [0.2126, 0.7152, 0.0722]) > 0), name


def test_the_house_style_and_the_spin_plots_use_a_readable_map(fig):
    assert plotting.HOUSE_STYLE["image.cmap"] in READABLE_CMAPS
    plotting.show_spins(np.ones((4, 4)), ax=fig.axes[0])
    check_readable_without_colour(fig)
    filters, _ = plotting.show_filters(np.random.default_rng(0).normal(size=(4, 3, 3)))
    check_readable_without_colour(filters)
    plt.close(filters)


def test_show_figure_displays_the_bundle_and_closes_the_figure(fig, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display",
                        lambda data, metadata, raw: shown.append((data, metadata, raw)))
    fig.axes[0].plot([0, 1], [0, 1])
    show_figure(ALT, fig)
    assert len(shown) == 1 and shown[0][0]["text/plain"] == ALT and shown[0][2] is True
    assert not plt.fignum_exists(fig.number)  # else the inline backend shows it again


def test_show_figure_checks_before_it_shows(fig, monkeypatch):
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: pytest.fail("shown"))
    fig.axes[0].imshow(np.eye(2), cmap="coolwarm")
    with pytest.raises(ValueError, match="coolwarm"):
        show_figure(ALT, fig)


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_show_every_figure_with_a_text_alternative(name):
    """plt.show() (or a figure left for the inline backend to show) has no text
    alternative: the notebooks call show_figure, and name no colour map outside
    READABLE_CMAPS."""
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "plt.show()" not in code, f"{name}: use show_figure(alt) instead of plt.show()"
    assert "show_figure(" in code, f"{name}: no figure shown with show_figure"
    maps = set(re.findall(r"cmap=\"(\w+)\"", code)) | set(re.findall(r"plt\.cm\.(\w+)", code))
    assert {m.removesuffix("_r") for m in maps} <= set(READABLE_CMAPS), (
        f"{name}: colour maps {sorted(maps)}; use one of {READABLE_CMAPS}")


def test_the_book_writes_the_png_description_into_img_alt(tmp_path):
    """_ext/course_site.py: the image nodes of a page get the description of their PNG;
    an image without one, or with an alt of its own, is left alone."""
    from docutils import nodes

    from _ext import course_site

    figure, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    data, _ = figure_bundle(figure, ALT)
    plt.close(figure)
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "fig.png").write_bytes(base64.b64decode(data["image/png"]))
    Image.new("RGB", (2, 2)).save(tmp_path / "_build" / "plain.png")
    assert course_site.png_description(tmp_path / "_build" / "fig.png") == ALT
    assert course_site.png_description(tmp_path / "_build" / "plain.png") is None
    assert course_site.png_description(tmp_path / "missing.png") is None

    doctree = nodes.section()
    described = nodes.image(uri="/_build/fig.png")  # myst-nb: relative to the source folder
    plain = nodes.image(uri="_build/plain.png")
    own = nodes.image(uri="_build/fig.png", alt="its own")
    doctree += [described, plain, own]

    class App:
        srcdir = str(tmp_path)

        class env:
            docname = "notebooks/01_cnn"

    course_site._figure_alt_text(App, doctree)
    assert described["alt"] == ALT
    assert "alt" not in plain and own["alt"] == "its own"


def test_citations_become_list_items():
    from _ext import course_site

    context = {"body": '<div role="list" class="citation-list">'
                       '<div class="citation" id="id2" role="doc-biblioentry">x</div></div>'}
    course_site._listitem_citations(None, "references", "page.html", context, None)
    assert 'role="doc-biblioentry"' not in context["body"]
    assert context["body"].count('role="listitem"') == 1
