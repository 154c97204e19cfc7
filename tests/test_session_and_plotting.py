"""Specification of utils.session, utils.plotting and utils.progress."""

import os

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from utils import (
    Table,
    default_threads,
    get_device,
    plot_comparison,
    plot_loss,
    progress,
    seed_everything,
    setup,
    show_filters,
    show_spins,
    trange,
    tune_cpu_allocator,
    versions,
)

matplotlib.use("Agg")  # no display: figures are drawn off screen


def test_seed_everything_makes_numpy_and_torch_repeatable():
    seed_everything(3)
    a = (np.random.rand(3), torch.rand(3))
    seed_everything(3)
    b = (np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1])


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "1", True])
def test_seed_everything_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(seed)


def test_get_device_defaults_to_cuda_if_available(monkeypatch):
    monkeypatch.delenv("DL4PHYS_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected
    assert get_device("cpu").type == "cpu"


def test_get_device_rejects_unknown_or_unavailable(monkeypatch):
    with pytest.raises(ValueError, match="prefer"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            get_device("cuda")
    monkeypatch.setenv("DL4PHYS_DEVICE", "cpu")
    assert get_device().type == "cpu"


def test_setup_prints_lecture_line_and_applies_style(capsys):
    device = setup(seed=1, prefer="cpu")
    out = capsys.readouterr().out
    assert out.startswith(f"PyTorch {torch.__version__}, device: cpu")
    assert device.type == "cpu"
    assert list(plt.rcParams["figure.figsize"]) == [6, 4]
    assert plt.rcParams["font.size"] >= 11  # legible on a projector
    assert set(versions()) >= {"python", "torch", "numpy", "scipy", "matplotlib"}


def test_versions_match_the_imported_packages():
    import scipy
    import sklearn

    v = versions()
    assert v["scipy"] == scipy.__version__
    assert v["scikit-learn"] == sklearn.__version__
    assert v["matplotlib"] == matplotlib.__version__


def test_tune_cpu_allocator_applies_on_glibc_only(monkeypatch):
    import platform

    on_glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert tune_cpu_allocator() is on_glibc
    monkeypatch.setattr(platform, "system", lambda: "Darwin")
    assert tune_cpu_allocator() is False


def test_show_spins_accepts_2d_and_channel_first():
    fig, ax = plt.subplots()
    im = show_spins(np.ones((4, 4)), ax=ax, title="up")
    assert im.get_array().shape == (4, 4)
    show_spins(torch.ones(1, 4, 4), ax=ax)
    plt.close(fig)


def test_show_spins_names_expected_shape():
    with pytest.raises(ValueError, match=r"\(L, L\)"):
        show_spins(np.ones((2, 3, 4)))


def test_show_filters_grid_and_shape_check():
    fig, axes = show_filters(torch.randn(16, 1, 3, 3), ncols=8)
    assert axes.shape == (2, 8)
    assert min(t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()) >= 11
    assert any(ax.get_ylabel() == "weight" for ax in fig.axes)  # the colour bar says what
    plt.close(fig)
    fig, axes = show_filters(torch.randn(3, 3, 3), ncols=8)  # fewer filters than columns
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\(n, 1, k, k\)"):
        show_filters(np.ones((3, 3)))
    with pytest.raises(ValueError, match="ncols"):
        show_filters(np.ones((2, 3, 3)), ncols=0)


def test_plot_loss_uses_log_axis_and_rejects_2d():
    fig, ax = plt.subplots()
    plot_loss([1.0, 0.1, 0.01], ax=ax)
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "Epoch" and ax.get_ylabel() == "Loss"
    with pytest.raises(ValueError, match="1-D"):
        plot_loss(np.ones((2, 2)), ax=ax)
    plt.close(fig)


def test_plot_comparison_reports_max_error_and_checks_shapes():
    x = np.linspace(0, 1, 11)
    ax0, ax1 = plot_comparison(x[:, None], x**2 + 1e-3, x**2)
    assert ax1.get_yscale() == "log"
    assert "1.00e-03" in ax1.get_title()
    with pytest.raises(ValueError, match="equal shape"):
        plot_comparison(x, x[:5], x)
    plt.close("all")


def test_progress_modes(monkeypatch, capsys):
    monkeypatch.setenv("DL4PHYS_PROGRESS", "text")
    assert list(trange(3, desc="demo")) == [0, 1, 2]
    assert capsys.readouterr().out.startswith("demo: 3 steps in ")
    bar = trange(5, desc="manual")
    bar.update(2)
    bar.close()
    assert capsys.readouterr().out.startswith("manual: 2 steps")
    monkeypatch.setenv("DL4PHYS_PROGRESS", "off")
    assert list(progress([5, 6])) == [5, 6]
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("DL4PHYS_PROGRESS", "fancy")
    with pytest.raises(ValueError, match="DL4PHYS_PROGRESS"):
        trange(2)
    with pytest.raises(ValueError, match="n must"):
        trange(-1)


def test_setup_sets_the_thread_count_and_sampling_keeps_it(monkeypatch):
    from utils.ising import sample

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("DL4PHYS_THREADS", "1")
        setup(seed=0, style=False)
        assert torch.get_num_threads() == 1
        sample(8, [2.0, 3.0], 2, n_equilibrate=5, seed=0)  # Numba's OpenMP parallel region
        assert torch.get_num_threads() == 1
        setup(seed=0, style=False, threads=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_thread_count_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("DL4PHYS_THREADS", value)
    with pytest.raises(ValueError, match="DL4PHYS_THREADS must be a positive integer"):
        default_threads()


@pytest.mark.parametrize("threads", [0, -2, 1.5, True, "2"])
def test_bad_threads_argument_is_rejected(threads):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        setup(seed=0, style=False, threads=threads)


def test_default_threads_leaves_room_for_one_busy_process(monkeypatch):
    monkeypatch.delenv("DL4PHYS_THREADS", raising=False)
    n = default_threads()
    assert 1 <= n and (n == 1 or n <= (os.cpu_count() or 1) // 2)


def test_table_has_markdown_and_plain_text_forms():
    table = Table(("Method", "error"), [("PINN", "1.5e-05"), ("a|b", 2)], title="Heat")
    markdown = table._repr_markdown_()
    assert markdown.splitlines() == [
        "**Heat**", "", "| Method | error |", "|---|---|", "| PINN | 1.5e-05 |", r"| a\|b | 2 |"]
    text = repr(table)
    assert text.splitlines()[0] == "Heat" and "PINN" in text and "1.5e-05" in text


@pytest.mark.parametrize("header, rows, match", [
    ((), [], "header must be a non-empty"),
    ("Method", [], "header must be a non-empty"),
    (("a", "b"), [("only one",)], r"rows\[0\] must have 2 values"),
])
def test_bad_table_input_says_what_is_wrong(header, rows, match):
    with pytest.raises(ValueError, match=match):
        Table(header, rows)
