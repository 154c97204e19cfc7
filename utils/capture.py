"""Whole training steps as CUDA graphs on a GPU; the plain step everywhere else.

The course's networks are tiny: on a GPU one training step of the heat PINN is hundreds of
small kernels, and launching them costs more than computing them (measured on an H200:
5.1 ms per step launched one by one, 0.57 ms captured once as a CUDA graph and replayed;
12.2 ms on two CPU cores). :func:`capture_step` takes the step as the notebook writes it
(zero_grad, losses, backward, optimizer step) and returns what to call each epoch:

- on the CPU, or on a GPU unless ``DL4PHYS_CUDA_GRAPHS=1`` is set: the step itself, so
  results are bit-identical to calling it directly;
- on a GPU with ``DL4PHYS_CUDA_GRAPHS=1``: the step runs ``warmup`` times on a side
  stream (real training steps), is then captured once with ``torch.cuda.graph`` and
  replayed on every later call (NVIDIA PhysicsNeMo's ``StaticCaptureTraining`` does the
  same). ``torch.compile`` and ``make_graphed_callables`` cannot: PINN losses take
  derivatives of derivatives (double backward).

Capture is opt-in on a GPU until ``benchmarks/gpu_check.py`` has shown every notebook's
checks passing with it. What a captured step must respect (the notebooks do): the same
shapes every call; tensors it reads (collocation points, data) created before, on the
device; no ``.item()``, ``.cpu()`` or printing inside; random numbers drawn on the device
(``torch.rand(..., device=device)``). The tensors it returns are overwritten by the next
call: copy what you keep (``history[epoch] = loss``, a device tensor: no host sync). A
learning-rate schedule stepped outside the step (``CosineAnnealingLR``, as notebook 03
does) works: the captured optimizer reads its learning rate from a device tensor.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import torch

__all__ = ["capture_step", "graphs_enabled"]


def graphs_enabled() -> bool:
    """Whether :func:`capture_step` captures CUDA graphs (``DL4PHYS_CUDA_GRAPHS=1``)."""
    value = os.environ.get("DL4PHYS_CUDA_GRAPHS", "0")
    if value not in ("0", "1"):
        raise ValueError(f"DL4PHYS_CUDA_GRAPHS must be 0 or 1, got {value!r}")
    return value == "1"


def _device(optimizers: Sequence[torch.optim.Optimizer]) -> torch.device:
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            for param in group["params"]:
                return param.device
    raise ValueError("optimizers must hold at least one parameter")


def capture_step(step: Callable[[], Any], *, optimizers: Sequence[torch.optim.Optimizer],
                 warmup: int = 3) -> Callable[[], Any]:
    """What to call once per training step instead of ``step``.

    Args:
        step: the whole training step, no arguments: zero_grad, forward, losses,
            backward, ``optimizer.step()``; returns the (detached) losses to keep.
        optimizers: the optimizers that ``step`` steps (their parameters tell the device;
            on a GPU, Adam and its relatives are switched to ``capturable=True``).
        warmup: eager steps before capture (on a GPU only), an integer >= 1.

    Returns:
        ``step`` itself, unless its parameters are on a CUDA device and
        ``DL4PHYS_CUDA_GRAPHS=1``; then a callable that replays the captured step and
        returns the same (static, overwritten on the next call) tensors.
    """
    if not callable(step):
        raise ValueError(f"step must be a function of no arguments, got {step!r:.60}")
    optimizers = list(optimizers)
    if not optimizers or not all(isinstance(o, torch.optim.Optimizer) for o in optimizers):
        raise ValueError("optimizers must be a non-empty list of torch.optim.Optimizer, got "
                         f"{optimizers!r:.80}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 1:
        raise ValueError(f"warmup must be an integer >= 1, got {warmup!r}")
    device = _device(optimizers)
    if device.type != "cuda" or not graphs_enabled():
        return step
    return _CudaGraphStep(step, optimizers, warmup)


class _CudaGraphStep:
    """Eager warm-up on a side stream, one capture, then replays (CUDA only)."""

    def __init__(self, step: Callable[[], Any], optimizers: list, warmup: int):
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                if "capturable" in group:  # Adam, AdamW, ...: keep their step count on the GPU
                    if optimizer.state:
                        raise ValueError("optimizers must not have stepped yet: wrap the step "
                                         "before training (capturable state is created then)")
                    group["capturable"] = True
                    if not isinstance(group["lr"], torch.Tensor):  # a captured float lr is
                        # frozen in the graph; a device tensor is read at every replay, and
                        # learning-rate schedulers update it in place (fill_)
                        group["lr"] = torch.tensor(float(group["lr"]),
                                                   device=group["params"][0].device)
        self.step, self.warmup, self.calls = step, warmup, 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.output: Any = None

    def __call__(self) -> Any:
        self.calls += 1
        if self.graph is not None:
            self.graph.replay()
            return self.output
        if self.calls <= self.warmup:  # side stream: what capture will need is allocated
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                output = self.step()
            torch.cuda.current_stream().wait_stream(side)
            return output
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.output = self.step()
        self.graph.replay()  # capturing records the step; this replay performs it
        return self.output
