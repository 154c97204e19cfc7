"""Small building blocks shared by the PINN notebooks (03 and 04).

The notebooks write the physics (ansatz, residual, loss) themselves; this module holds
only what they would otherwise paste twice: a tanh MLP, the exact heat-equation solution
and the Adam-then-L-BFGS optimisation loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import torch
import torch.nn as nn

from .progress import trange

__all__ = ["mlp", "heat_exact", "train_adam_lbfgs"]


def mlp(n_in: int, width: int, depth: int, n_out: int = 1) -> nn.Sequential:
    """Fully connected tanh network: ``depth`` hidden layers of ``width`` units.

    Input shape (N, n_in), output shape (N, n_out). The last layer is linear and is
    ``net[-1]`` (PINN notebooks solve for it by least squares).
    """
    for name, value, low in (("n_in", n_in, 1), ("width", width, 1), ("depth", depth, 1),
                             ("n_out", n_out, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    layers: list[nn.Module] = [nn.Linear(n_in, width), nn.Tanh()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.Tanh()]
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def heat_exact(x, t, alpha: float = 0.1, L: float = 1.0):
    """u(x, t) = sin(pi x / L) exp(-alpha pi^2 t / L^2): the heat equation u_t = alpha u_xx
    on [0, L] with u(0, t) = u(L, t) = 0 and u(x, 0) = sin(pi x / L).

    ``x`` and ``t`` are arrays or tensors of broadcastable shapes (length and time in the
    units of L and alpha). Returns the same type as ``x``.
    """
    if not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be finite and > 0, got {alpha!r}")
    if not (math.isfinite(L) and L > 0):
        raise ValueError(f"L must be finite and > 0, got {L!r}")
    lib = torch if isinstance(x, torch.Tensor) else np
    return lib.sin(math.pi * x / L) * lib.exp(-alpha * (math.pi / L) ** 2 * t)


def train_adam_lbfgs(
    params: Iterable[torch.nn.Parameter],
    loss_fn: Callable[[], torch.Tensor],
    adam_steps: int = 500,
    lbfgs_iters: int = 500,
    adam_lr: float = 1e-2,
    history_size: int = 50,
    desc: str = "Adam + L-BFGS",
) -> list[float]:
    """Minimise ``loss_fn()`` by a short Adam warm-up, then L-BFGS with strong-Wolfe search.

    Adam moves the parameters out of the random initialisation, where curvature
    information is poor; L-BFGS then converges quickly near the minimum. Returns the loss
    after every Adam step and every L-BFGS function evaluation.
    """
    params = list(params)
    if not params:
        raise ValueError("params must contain at least one parameter")
    for name, value in (("adam_steps", adam_steps), ("lbfgs_iters", lbfgs_iters)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if not (adam_lr > 0 and math.isfinite(adam_lr)):
        raise ValueError(f"adam_lr must be finite and > 0, got {adam_lr!r}")
    history: list[float] = []
    adam = torch.optim.Adam(params, lr=adam_lr)
    for _ in trange(adam_steps, desc=f"{desc} (Adam)") if adam_steps else []:
        adam.zero_grad()
        loss = loss_fn()
        loss.backward()
        adam.step()
        history.append(loss.item())
    if lbfgs_iters:
        lbfgs = torch.optim.LBFGS(
            params, lr=1.0, max_iter=lbfgs_iters, history_size=history_size,
            line_search_fn="strong_wolfe", tolerance_grad=1e-14, tolerance_change=1e-16,
        )
        bar = trange(lbfgs_iters, desc=f"{desc} (L-BFGS)")

        def closure():
            lbfgs.zero_grad()
            loss = loss_fn()
            loss.backward()
            history.append(loss.item())
            if bar.n < bar.total:
                bar.update(1)
            return loss

        lbfgs.step(closure)
        bar.close()
    return history
