"""Specification of utils.pinn."""

import numpy as np
import pytest
import torch

from utils.pinn import heat_exact, mlp, train_adam_lbfgs


def test_mlp_shapes_and_last_layer_is_linear():
    net = mlp(2, 16, 3)
    assert net(torch.zeros(5, 2)).shape == (5, 1)
    assert isinstance(net[-1], torch.nn.Linear) and net[-1].in_features == 16
    assert sum(isinstance(m, torch.nn.Tanh) for m in net) == 3


@pytest.mark.parametrize("kwargs, name", [
    (dict(n_in=0, width=4, depth=1), "n_in"),
    (dict(n_in=1, width=0, depth=1), "width"),
    (dict(n_in=1, width=4, depth=0), "depth"),
    (dict(n_in=1, width=4, depth=1, n_out=1.5), "n_out"),
])
def test_mlp_rejects_bad_sizes(kwargs, name):
    with pytest.raises(ValueError, match=name):
        mlp(**kwargs)


def test_heat_exact_solves_the_heat_equation():
    alpha, h = 0.1, 1e-4
    x, t = np.linspace(0.1, 0.9, 7), 0.3
    u_t = (heat_exact(x, t + h, alpha) - heat_exact(x, t - h, alpha)) / (2 * h)
    u_xx = (heat_exact(x + h, t, alpha) - 2 * heat_exact(x, t, alpha)
            + heat_exact(x - h, t, alpha)) / h**2
    np.testing.assert_allclose(u_t, alpha * u_xx, rtol=1e-5)  # O(h^2) differences
    np.testing.assert_allclose(heat_exact(np.array([0.0, 1.0]), 0.7), 0.0, atol=1e-15)
    np.testing.assert_allclose(heat_exact(x, 0.0), np.sin(np.pi * x))


def test_heat_exact_accepts_tensors_and_rejects_bad_parameters():
    out = heat_exact(torch.tensor([0.5]), torch.tensor([0.0]))
    assert isinstance(out, torch.Tensor) and out.item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="alpha"):
        heat_exact(0.5, 0.1, alpha=-1.0)
    with pytest.raises(ValueError, match="L"):
        heat_exact(0.5, 0.1, L=0.0)


def test_train_adam_lbfgs_minimises_a_quadratic(monkeypatch):
    monkeypatch.setenv("DL4PHYS_PROGRESS", "off")
    w = torch.nn.Parameter(torch.tensor([3.0, -2.0], dtype=torch.float64))
    target = torch.tensor([1.0, 0.5], dtype=torch.float64)
    history = train_adam_lbfgs([w], lambda: ((w - target) ** 2).sum(), adam_steps=10,
                               lbfgs_iters=20)
    assert len(history) >= 11
    torch.testing.assert_close(w.detach(), target, atol=1e-8, rtol=0)


def test_train_adam_lbfgs_rejects_bad_arguments():
    w = torch.nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="params"):
        train_adam_lbfgs([], lambda: w.sum())
    with pytest.raises(ValueError, match="adam_steps"):
        train_adam_lbfgs([w], lambda: w.sum(), adam_steps=-1)
    with pytest.raises(ValueError, match="adam_lr"):
        train_adam_lbfgs([w], lambda: w.sum(), adam_lr=0.0)
