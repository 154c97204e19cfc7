"""The lecture's two long trainings against the notebooks' shorter ones, side by side.

Notebook 03's heat PINN: the lecture's 5000 Adam steps at a fixed 1e-3 against 1500 steps
whose step size decays along a cosine from 3e-3 to 3e-5, for three seeds (the notebook's
42 and two others): wall time and relative L2 error on the notebook's 100 x 100 grid.
Notebook 04's inverse PINN: 5000 epochs at 1e-3 against 2000 at 3e-3 (seed 42): wall
time and the recovered alpha (true 0.1). Same network, points, loss weights and fast
loss as the notebooks (the cells are reproduced here without plotting), PyTorch threads
as ``utils.setup`` gives them (``DL4PHYS_THREADS``). Writes ``pinn_schedules.md``.

    DL4PHYS_THREADS=2 .venv/bin/python -m benchmarks.pinn_schedules
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from utils import setup
from utils.pinn import heat_exact

HERE = Path(__file__).resolve().parent
ALPHA = 0.1


def network() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                         nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))


def second_derivatives(net, xt):
    u = net(xt)
    grad = torch.autograd.grad(u.sum(), xt, create_graph=True)[0]
    u_xx = torch.autograd.grad(grad[:, :1].sum(), xt, create_graph=True)[0][:, :1]
    return grad[:, 1:], u_xx  # u_t, u_xx


def heat(seed: int, steps: int, lr: float, cosine: bool) -> tuple[float, float]:
    """Notebook 03's heat PINN: (seconds, relative L2 error)."""
    torch.manual_seed(seed)
    net = network()  # the notebook's PINN_Heat draws its weights first, then the points
    xt_col = torch.cat([torch.rand(2000, 1), torch.rand(2000, 1)], 1).requires_grad_(True)
    t_bc, x_ic = torch.rand(200, 1), torch.rand(200, 1)
    xt_cond = torch.cat([torch.cat([torch.zeros(200, 1), t_bc], 1),
                         torch.cat([torch.ones(200, 1), t_bc], 1),
                         torch.cat([x_ic, torch.zeros(200, 1)], 1)])
    u_ic = torch.sin(np.pi * x_ic)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps, eta_min=lr / 100)
                if cosine else None)
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        u_t, u_xx = second_derivatives(net, xt_col)
        cond = net(xt_cond)
        loss = (((u_t - ALPHA * u_xx) ** 2).mean()
                + 10 * ((cond[:200] ** 2).mean() + (cond[200:400] ** 2).mean())
                + 10 * ((cond[400:] - u_ic) ** 2).mean())
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
    seconds = time.perf_counter() - start
    x = np.linspace(0, 1, 100)
    X, T = np.meshgrid(x, x)
    grid = torch.tensor(np.column_stack([X.ravel(), T.ravel()]), dtype=torch.float32)
    with torch.no_grad():
        u = net(grid).numpy().reshape(100, 100)
    exact = heat_exact(X, T, ALPHA)
    return seconds, float(np.linalg.norm(u - exact) / np.linalg.norm(exact))


def inverse(seed: int, epochs: int, lr: float) -> tuple[float, float]:
    """Notebook 04's inverse PINN: (seconds, recovered alpha)."""
    rng = np.random.default_rng(2026)  # the notebook's measurements
    x, t = rng.uniform(0.1, 0.9, 100), rng.uniform(0.05, 0.8, 100)
    u_obs = torch.tensor(heat_exact(x, t, ALPHA) + 0.02 * rng.standard_normal(100),
                         dtype=torch.float32).reshape(-1, 1)
    xt_obs = torch.tensor(np.column_stack([x, t]), dtype=torch.float32)
    torch.manual_seed(seed)
    net, log_alpha = network(), nn.Parameter(torch.tensor(0.0))
    optimizer = torch.optim.Adam([*net.parameters(), log_alpha], lr=lr)
    xt_col = torch.cat([torch.rand(1000, 1), torch.rand(1000, 1)], 1).requires_grad_(True)
    start = time.perf_counter()
    for _ in range(epochs):
        optimizer.zero_grad()
        t_bc, x_ic = torch.rand(100, 1), torch.rand(100, 1)
        u_t, u_xx = second_derivatives(net, xt_col)
        zeros = torch.zeros_like(t_bc)
        out = net(torch.cat([xt_obs, torch.cat([zeros, t_bc], 1),
                             torch.cat([zeros + 1, t_bc], 1), torch.cat([x_ic, zeros], 1)]))
        loss = (((u_t - log_alpha.exp() * u_xx) ** 2).mean()
                + 100 * ((out[:100] - u_obs) ** 2).mean()
                + 10 * ((out[100:200] ** 2).mean() + (out[200:300] ** 2).mean())
                + 10 * ((out[300:] - torch.sin(np.pi * x_ic)) ** 2).mean())
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start, log_alpha.exp().item()


def main() -> None:
    setup(seed=0)
    rows = ["| Training | seed | wall time (s) | result |", "|---|---|---|---|"]

    def report(row: str) -> None:
        print(row, flush=True)
        rows.append(row)

    for seed in (42, 0, 1):
        for label, steps, lr, cosine in (("heat, 5000 steps at a fixed 1e-3", 5000, 1e-3, False),
                                         ("heat, 1500 steps, cosine 3e-3 → 3e-5", 1500, 3e-3,
                                          True)):
            seconds, error = heat(seed, steps, lr, cosine)
            report(f"| {label} | {seed} | {seconds:.1f} | relative L2 error {error:.2e} |")
    for label, epochs, lr in (("inverse, 5000 epochs at 1e-3", 5000, 1e-3),
                              ("inverse, 2000 epochs at 3e-3", 2000, 3e-3)):
        seconds, alpha = inverse(42, epochs, lr)
        report(f"| {label} | 42 | {seconds:.1f} | alpha {alpha:.4f} (true 0.1) |")
    machine = (f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} "
               "PyTorch threads")
    (HERE / "pinn_schedules.md").write_text(
        "# The lecture's long PINN trainings against the notebooks' shorter ones\n\n"
        f"`.venv/bin/python -m benchmarks.pinn_schedules` ({machine}).\n\n"
        + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
