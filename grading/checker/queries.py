"""The checker's queries and reference data, made by the grader from the course's own code.

For every graded question, :func:`prepare` makes two sets of arrays:

- **queries**: the inputs that the student's kernel evaluates its answer on (held-out
  Ising configurations, evaluation points, a model's weights). They go into the
  student's sandbox as ``queries.npz``; they hold nothing that tells the answer (no
  labels, no reference values).
- **references**: what the checker compares with (labels, exact solutions, least-squares
  fits) and, for the networks that cross as weights (01, 02, 05), the configurations and
  clusters it runs them on, most of them held out (the student's kernel never sees
  them). They go only into the checker's sandbox, never into the student's.

They are the same data that the former hidden test cells generated inside the student's
kernel (same seeds, same functions), made once per grading run instead of once per
submission. Trusted code only: nothing from a submission is read here.
"""

from __future__ import annotations

import ast
import itertools
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
LECTURE_TEMPS = np.concatenate([np.linspace(1.0, 2.0, 6), np.linspace(2.5, 4.0, 6)])

Arrays = dict[str, np.ndarray]


def notebook_definition(notebook: str, name: str, namespace: dict):
    """A class or function defined in a course notebook (the lecturer's source)."""
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or source.lstrip().startswith(("%", "!")):
            continue
        for node in ast.parse(source).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
                exec(ast.get_source_segment(source, node), namespace)
                return namespace[name]
    raise LookupError(f"{notebook} defines no {name}")


def cnn(queries: dict, refs: dict) -> None:
    from utils.ising import ising_dataset

    # Judged, held by the checker only: it runs the submitted network's layers on them.
    X, y, _ = ising_dataset(32, LECTURE_TEMPS, 25, seed=2032)  # 300 fresh configurations
    refs["cnn_any_size"] = {"fresh_32": X.astype(np.int8), "fresh_32_labels": y.astype(np.int64)}
    near_tc = np.linspace(2.05, 2.45, 9)  # inside the gap the training data leave out
    for size in (16, 32):
        # four independent Wolff chains per temperature: no critical slowing down
        X, y, _ = ising_dataset(size, np.repeat(near_tc, 4), 30, seed=2100 + size,
                                method="wolff", n_equilibrate=100, n_between=2)
        refs["cnn_any_size"][f"near_tc_{size}"] = X.astype(np.int8)
        refs["cnn_any_size"][f"near_tc_{size}_labels"] = y.astype(np.int64)
    # For the student's kernel: a few configurations of each size, on which the network's
    # own logits must be what its layers give when the checker runs them.
    queries["cnn_any_size"] = {}
    for size in (16, 32):
        X, _, _ = ising_dataset(size, LECTURE_TEMPS, 2, seed=4632 + size)  # 24 per size
        queries["cnn_any_size"][f"check_{size}"] = X.astype(np.int8)
        refs["cnn_any_size"][f"check_{size}"] = X.astype(np.int8)
    refs["cnn_params"] = {"layer_counts": np.array([130, 160, 4640, 32832]),
                          "total": np.array(37762), "n_mlp": np.array(16 * 16 * 64 + 64)}


def autoencoder(queries: dict, refs: dict) -> None:
    import torch

    from utils.ising import ising_dataset, magnetization

    X, _, T = ising_dataset(16, LECTURE_TEMPS, 100, seed=1)  # the notebook's data
    flat = X.reshape(len(X), -1)
    queries["ae_latent"] = {"configs": flat.astype(np.int8)}
    refs["ae_latent"] = {"configs": flat.astype(np.int8),
                         "yardstick": np.array(np.mean(1 - magnetization(X[:, 0]) ** 2))}
    clean = torch.tensor(flat[T < 2.0])  # the ordered configurations
    gen = torch.Generator().manual_seed(2024)
    flips = torch.rand(clean.shape, generator=gen) < 0.1
    noisy = torch.where(flips, -clean, clean).numpy().astype(np.int8)
    queries["ae_denoise"] = {"noisy": noisy}
    refs["ae_denoise"] = {"clean": clean.numpy().astype(np.int8), "noisy": noisy,
                          "perfect": np.array((1 - clean.mean(dim=1) ** 2).mean().item())}
    # Held out: configurations drawn as the notebook's (same lattice and temperatures, 100
    # per temperature, another seed) that only the checker holds, for the networks that
    # cross as weights; the student's kernel never sees them.
    X, _, T = ising_dataset(16, LECTURE_TEMPS, 100, seed=4601)
    flat = X.reshape(len(X), -1)
    refs["ae_latent"] |= {"held_out": flat.astype(np.int8), "held_out_yardstick":
                          np.array(np.mean(1 - magnetization(X[:, 0]) ** 2))}
    clean = flat[T < 2.0]
    flips = np.random.default_rng(4602).random(clean.shape) < 0.1
    refs["ae_denoise"] |= {"held_out_clean": clean.astype(np.int8),
                           "held_out_noisy": np.where(flips, -clean, clean).astype(np.int8),
                           "held_out_perfect": np.array(np.mean(1 - clean.mean(axis=1) ** 2),
                                                        dtype=np.float64)}


def forward_pinn(queries: dict, refs: dict) -> None:
    gamma, omega = 0.2, 2.0
    w_d = np.sqrt(omega**2 - gamma**2)
    s = np.linspace(0, 2 * np.pi, 500)
    queries["pinn_damped"] = {"t": s}
    refs["pinn_damped"] = {
        "exact": np.exp(-gamma * s) * (np.cos(w_d * s) + gamma / w_d * np.sin(w_d * s))}
    line = np.linspace(0, 1, 51)
    zeros, ones = np.zeros_like(line), np.ones_like(line)
    X, T = np.meshgrid(np.linspace(0, 1, 100), np.linspace(0, 1, 100))
    alpha = 0.1
    queries["pinn_heat_two"] = {
        "initial": np.column_stack([line, zeros]), "left": np.column_stack([zeros, line]),
        "right": np.column_stack([ones, line]),
        "grid": np.column_stack([X.ravel(), T.ravel()])}
    refs["pinn_heat_two"] = {
        "initial": np.sin(2 * np.pi * line) + 0.5 * np.sin(np.pi * line),
        "grid": (np.sin(2 * np.pi * X) * np.exp(-4 * np.pi**2 * alpha * T)
                 + 0.5 * np.sin(np.pi * X) * np.exp(-np.pi**2 * alpha * T)).ravel()}


def inverse_pinn(queries: dict, refs: dict) -> None:
    from scipy.optimize import curve_fit

    alpha, sigma, n = 0.1, 0.02, 100
    refs["inv_design"] = {"t_star": np.array(1 / (alpha * np.pi**2)), "alpha": np.array(alpha),
                          "sigma": np.array(sigma), "n": np.array(n)}
    rng = np.random.default_rng(2026)  # make_observations(100, 0.02, seed=2026)
    x, t = rng.uniform(0.1, 0.9, n), rng.uniform(0.05, 0.8, n)
    u = np.sin(np.pi * x) * np.exp(-0.1 * np.pi**2 * t) + sigma * rng.standard_normal(n)

    def model(xt, amp, a):
        return amp * np.sin(np.pi * xt[0]) * np.exp(-a * np.pi**2 * xt[1])

    best, cov = curve_fit(model, (x, t), u, p0=[1.0, 0.1], sigma=np.full(n, sigma),
                          absolute_sigma=True)
    refs["inv_two"] = {"best": best, "se": np.sqrt(np.diag(cov))}  # from the known noise


def symmetry(queries: dict, refs: dict) -> None:
    import torch
    from torch import nn

    rng = np.random.default_rng(seed=2027)  # three atoms in a box of side 2, as the data
    pos = rng.uniform(0, 2, (20000, 3, 3))
    d = np.stack([np.linalg.norm(pos[:, i] - pos[:, j], axis=1)
                  for i, j in [(0, 1), (0, 2), (1, 2)]], axis=1)
    d = np.sort(d[(d.min(axis=1) > 0.9) & (d.max(axis=1) < 2.5)][:2000], axis=1)
    queries["sym_pooling"] = {"distances": d.astype(np.float32),
                              "orderings": np.array(list(itertools.permutations(range(3))))}
    refs["sym_pooling"] = {"distances": d.astype(np.float32),
                           "energy": (4 * (d**-12 - d**-6)).sum(axis=1)}
    # Held out: 2,000 more clusters drawn alike (another seed), for the networks that cross
    # as weights; only the checker holds them.
    pos = np.random.default_rng(seed=4605).uniform(0, 2, (20000, 3, 3))
    d = np.stack([np.linalg.norm(pos[:, i] - pos[:, j], axis=1)
                  for i, j in [(0, 1), (0, 2), (1, 2)]], axis=1)
    d = np.sort(d[(d.min(axis=1) > 0.9) & (d.max(axis=1) < 2.5)][:2000], axis=1)
    refs["sym_pooling"] |= {"held_out": d.astype(np.float32),
                            "held_out_energy": (4 * (d**-12 - d**-6)).sum(axis=1)}
    # per-atom energies of a SymmetricNN with weights chosen here (the lecture's class)
    symmetric_nn = notebook_definition("05_symmetry", "SymmetricNN", {"nn": nn})
    torch.manual_seed(1)
    model = symmetric_nn()
    gen = torch.Generator().manual_seed(1)
    positions = torch.rand(6, 3, generator=gen) * 2
    perm = torch.randperm(6, generator=gen)
    with torch.no_grad():
        expected = torch.stack([
            model.rho(sum(model.phi((positions[i] - positions[j]).norm().reshape(1, 1))
                          for j in range(6) if j != i))[0, 0] for i in range(6)])
    queries["sym_equivariant"] = {"positions": positions.numpy(), "perm": perm.numpy()} | {
        f"weight:{k}": v.numpy() for k, v in model.state_dict().items()}
    refs["sym_equivariant"] = {"expected": expected.numpy().astype(np.float64),
                              "perm": perm.numpy()}


MAKERS = {"01_cnn": cnn, "02_autoencoder": autoencoder, "03_pinn_forward": forward_pinn,
          "04_pinn_inverse": inverse_pinn, "05_symmetry": symmetry}


def prepare(assignment: str) -> tuple[dict[str, Arrays], dict[str, Arrays]]:
    """(queries, references) of an assignment, each {question: {name: array}}."""
    if assignment not in MAKERS:
        raise ValueError(f"assignment must be one of {sorted(MAKERS)}, got {assignment!r}")
    queries: dict[str, Arrays] = {}
    refs: dict[str, Arrays] = {}
    MAKERS[assignment](queries, refs)
    return queries, refs


def save(arrays: dict[str, Arrays], path: Path) -> Path:
    """{question: {name: array}} as one ``.npz`` with keys ``QUESTION.NAME``."""
    with open(path, "wb") as f:
        np.savez(f, **{f"{q}.{k}": v for q, fields in arrays.items() for k, v in fields.items()})
    return path
