"""utils.capture: one code path for training steps, identity on the CPU.

The CUDA-graph path needs a GPU (``benchmarks/gpu_check.py`` runs the notebooks with it);
the tests marked ``cuda`` run only where ``torch.cuda.is_available()``.
"""

from __future__ import annotations

import pytest
import torch

from utils.capture import capture_step, graphs_enabled
from utils.pinn import mlp


def heat_like_training(wrap: bool, device: str = "cpu", steps: int = 30):
    """A small PINN-style training (double backward, Adam); returns (losses, parameters)."""
    torch.manual_seed(0)
    net = mlp(2, 16, 2).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    xt = torch.rand(64, 2, device=device).requires_grad_(True)

    def step():
        optimizer.zero_grad()
        u = net(xt)
        grad_u = torch.autograd.grad(u.sum(), xt, create_graph=True)[0]
        u_xx = torch.autograd.grad(grad_u[:, 0].sum(), xt, create_graph=True)[0][:, :1]
        loss = ((grad_u[:, 1:] - 0.1 * u_xx) ** 2).mean() + (u[:8] ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss.detach()

    run = capture_step(step, optimizers=[optimizer]) if wrap else step
    history = torch.zeros(steps, device=device)
    for i in range(steps):
        history[i] = run()
    return history.tolist(), [p.detach().cpu().clone() for p in net.parameters()]


def test_on_the_cpu_the_step_is_returned_itself(monkeypatch):
    optimizer = torch.optim.Adam(mlp(1, 4, 1).parameters())

    def step():
        return None

    for value in ("0", "1"):  # graphs or not: nothing to capture on a CPU
        monkeypatch.setenv("DL4PHYS_CUDA_GRAPHS", value)
        assert capture_step(step, optimizers=[optimizer]) is step
    assert "capturable" not in optimizer.param_groups[0] or not optimizer.param_groups[0][
        "capturable"]


def test_on_the_cpu_training_is_bit_identical():
    plain, wrapped = heat_like_training(False), heat_like_training(True)
    assert plain[0] == wrapped[0]
    assert all(torch.equal(a, b) for a, b in zip(plain[1], wrapped[1]))
    assert plain[0][-1] < plain[0][0]  # it trained


@pytest.mark.parametrize("kwargs, name", [
    ({"step": 3}, "step"),
    ({"optimizers": []}, "optimizers"),
    ({"optimizers": ["adam"]}, "optimizers"),
    ({"warmup": 0}, "warmup"),
    ({"warmup": True}, "warmup"),
    ({"warmup": 2.5}, "warmup"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    optimizer = torch.optim.Adam(mlp(1, 4, 1).parameters())
    args = {"step": lambda: None, "optimizers": [optimizer], **kwargs}
    step = args.pop("step")
    with pytest.raises(ValueError, match=name):
        capture_step(step, **args)


def test_the_switch_takes_0_or_1_only(monkeypatch):
    monkeypatch.setenv("DL4PHYS_CUDA_GRAPHS", "yes")
    with pytest.raises(ValueError, match="DL4PHYS_CUDA_GRAPHS must be 0 or 1"):
        graphs_enabled()
    monkeypatch.delenv("DL4PHYS_CUDA_GRAPHS")
    assert graphs_enabled() is False  # opt-in until the GPU check has passed with it


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@cuda
def test_on_a_gpu_the_captured_training_matches_the_eager_one(monkeypatch):
    """Same losses to float32 round-off: capture changes how kernels are launched, not
    what they compute (capturable Adam keeps its step count on the GPU: same arithmetic)."""
    monkeypatch.setenv("DL4PHYS_CUDA_GRAPHS", "0")
    eager = heat_like_training(True, "cuda", steps=50)
    monkeypatch.setenv("DL4PHYS_CUDA_GRAPHS", "1")
    captured = heat_like_training(True, "cuda", steps=50)
    torch.testing.assert_close(torch.tensor(captured[0]), torch.tensor(eager[0]),
                               rtol=1e-4, atol=1e-6)
