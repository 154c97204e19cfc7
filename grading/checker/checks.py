"""The graded checks: judge a submission's answers (data) against the reference data.

Runs in its own sandbox (``grading/sandbox.py``), after the student's sandbox has ended,
with only this file, the student's ``answers.npz`` and the assignment's
``references.npz`` in its work folder::

    python checks.py QUESTION [QUESTION ...]

It reads both files with ``numpy.load(..., allow_pickle=False)``: arrays of numbers and
strings, never code or objects; it imports nothing of the course or the submission, and
calls nothing that came from it. It writes one JSON object to ``$RESULT_FD``:
``{"questions": {QUESTION: {"passed": bool, "message": str}}}``; the grader turns it into
scores (each question all or nothing, as its ``points`` in the notebook say).

Each check is the former hidden and public tests of its question, on arrays instead of
live objects: the same data, the same bounds (the reasons for each bound are in the
exercise's text). The messages are the course's words; the only text they quote from
the student's side is the student's own error message or a type name, cut short.

Standalone on purpose (numpy only): these are the hidden tests, and this file never
enters a student's sandbox.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

MAX_QUOTE = 300  # characters quoted from the student's side (an error message, a type name)


class Failed(Exception):
    """A check that failed; the message says why, in words a student can act on."""


def quote(answers: dict, key: str) -> str:
    return str(answers.get(key, ""))[:MAX_QUOTE]


def require(condition, message: str) -> None:
    if not condition:
        raise Failed(message)


def field(answers: dict, question: str, name: str, shape: tuple | None = None,
          what: str = "") -> np.ndarray:
    """A numeric field of the answers, checked for its kind and shape (-1: any length)."""
    key = f"{question}.{name}"
    if key not in answers:
        raise Failed(f"the answer has no {what or name}")
    value = answers[key]
    if value.dtype.kind not in "biuf":
        raise Failed(f"the answer's {what or name} is not numeric ({value.dtype})")
    if shape is not None and (value.ndim != len(shape) or any(
            s not in (-1, n) for s, n in zip(shape, value.shape))):
        raise Failed(f"the answer's {what or name} has shape {value.shape}, expected "
                     f"{tuple('N' if s == -1 else s for s in shape)}")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise Failed(f"the answer's {what or name} holds NaN or infinite values")
    return value


def key_list(keys) -> str:
    return ", ".join(str(k)[:40] for k in (keys if keys is not None else [])[:8]) or "none"


def flag(answers: dict, key: str) -> bool:
    value = answers.get(key)
    return bool(value) if value is not None and value.shape == () and value.dtype == bool else False


def kind(a: dict, q: str, key: str, should_be: str) -> None:
    """Fail unless the answer of question ``q`` is of the kind that ``key`` flags
    (``is_module``, ``callable``): "`NAME` should be ..., not <its type>"."""
    require(flag(a, f"{q}.{key}"), f"{should_be}, not {quote(a, q + '.type')}")


# ------------------------------------------------------------------------ one per question
def cnn_params(a: dict, ref: dict) -> None:
    q = "cnn_params"
    require(str(a.get(f"{q}.layers_type")) == "dict",
            "`layers` should be a dict with one entry for each of the four layers of IsingCNN "
            f"(two convolutions, two fully connected layers), not {quote(a, q + '.layers_type')}")
    n = int(field(a, q, "layers_n", ()))
    require(n == 4, f"`layers` has {n} entries: it should have one for each of the four "
                    "layers of IsingCNN (two convolutions, two fully connected layers)")
    counts = field(a, q, "layers_counts", (4,))
    whole = a.get(f"{q}.layers_whole")
    require(whole is not None and whole.dtype == bool and whole.shape == (4,) and whole.all(),
            "every count in `layers` should be a whole number (an int)")
    total = counts.sum()
    require(total == ref["total"], f"your four counts add up to {total:,.0f}, but IsingCNN has "
            "37,762 parameters: did you count each layer's biases, and the 16 input channels "
            "of conv2?")
    require(sorted(counts) == sorted(ref["layer_counts"]),
            f"the per-layer counts {sorted(int(c) for c in counts)} are not those of IsingCNN's "
            "layers, though they add up: count each layer's weights and biases on its own")
    n_mlp = field(a, q, "n_mlp", ())
    require(n_mlp == ref["n_mlp"], f"first MLP layer: {float(n_mlp):g} parameters, expected "
            "256 x 64 weights + 64 biases")


def cnn_any_size(a: dict, ref: dict) -> None:
    q = "cnn_any_size"
    kind(a, q, "is_module", "`anyL` should be your trained network (a torch.nn.Module)")
    require(flag(a, f"{q}.has_conv"), "`anyL` should be a convolutional network (the "
            "lecture's convolution blocks with a new head), but it has no torch.nn.Conv2d layer")
    for size in (16, 32):
        if f"{q}.error_{size}" in a:
            raise Failed(f"`anyL` cannot classify {size}x{size} lattices "
                         f"({quote(a, f'{q}.error_{size}')}): a head that flattens a "
                         "fixed-size feature map only fits one L; average each feature over "
                         "the lattice instead")
        shape = tuple(field(a, q, f"shape_{size}", (-1,)))
        require(shape == (3, 2), f"for 3 lattices of size {size} `anyL` should return logits "
                                 f"of shape (3, 2), got {shape}")
    labels = ref["fresh_32_labels"]
    pred = field(a, q, "pred_fresh_32", labels.shape, "predictions for fresh L = 32 lattices")
    acc = float(np.mean(pred == labels))
    require(acc >= 0.95, f"accuracy on fresh L = 32 configurations {acc:.3f} < 0.95")
    accuracy = {}
    for size in (16, 32):
        labels = ref[f"near_tc_{size}_labels"]
        pred = field(a, q, f"pred_near_tc_{size}", labels.shape,
                     f"predictions near T_c, L = {size}")
        accuracy[size] = float(np.mean(pred == labels))
    require(accuracy[32] >= accuracy[16],
            f"near T_c your network classifies L = 32 configurations less well "
            f"({accuracy[32]:.3f}) than L = 16 ones ({accuracy[16]:.3f}); the phases are more "
            "distinct on the larger lattice, so features averaged over the lattice do better")


def ae_latent(a: dict, ref: dict) -> None:
    q = "ae_latent"
    keys = a.get(f"{q}.keys")
    require(str(a.get(f"{q}.type")) == "dict" and keys is not None
            and sorted(map(str, keys)) == ["1", "2", "8"],  # the keys' repr: ints
            "`latent_models` should be a dict with the keys 1, 2 and 8 (the latent dimensions),"
            f" got a {quote(a, q + '.type')} with keys {key_list(keys)}")
    x = ref["configs"]
    mse = {}
    for dim in (1, 2, 8):
        require(f"{q}.x_hat_{dim}" in a or f"{q}.z_shape_{dim}" in a,
                f"latent_models[{dim}] is not a network that returns (reconstruction, latent)")
        z_shape = tuple(field(a, q, f"z_shape_{dim}", (-1,)))
        require(z_shape == (len(x), dim), f"latent_models[{dim}] encodes {len(x)} "
                f"configurations to a latent array of shape {z_shape}, expected ({len(x)}, {dim})")
        x_hat = field(a, q, f"x_hat_{dim}", x.shape, f"reconstruction of latent_models[{dim}]")
        mse[dim] = float(np.mean((x_hat.astype(np.float64) - x) ** 2))
    yardstick = float(ref["yardstick"])
    require(mse[1] <= 1.05 * yardstick, f"latent 1: MSE {mse[1]:.4f} does not reach the "
            f"1 - m^2 yardstick {yardstick:.4f} (+ 5 %): is the model trained?")
    require(mse[2] < mse[1], f"latent 2 MSE {mse[2]:.4f} not below latent 1 {mse[1]:.4f}")
    require(mse[8] < mse[2], f"latent 8 MSE {mse[8]:.4f} not below latent 2 {mse[2]:.4f}")


def ae_denoise(a: dict, ref: dict) -> None:
    q = "ae_denoise"
    kind(a, q, "is_module", "`dae` should be your trained denoising autoencoder")
    clean = ref["clean"]
    denoised = field(a, q, "denoised", clean.shape, "reconstruction of `dae`")
    mse = float(np.mean((denoised.astype(np.float64) - clean) ** 2))
    perfect = float(ref["perfect"])
    require(mse <= 1.1 * perfect, f"MSE to the clean configurations {mse:.4f}, more than 10 % "
            f"above a perfect denoiser's {perfect:.4f}: was the network trained with noise?")


def pinn_damped(a: dict, ref: dict) -> None:
    q = "pinn_damped"
    kind(a, q, "callable", "`solution_damped` should be a function of t (a tensor of shape "
         "(N, 1))")
    shape = tuple(field(a, q, "x0_shape", (-1,)))
    require(shape == (1, 1), f"`solution_damped` of one time (shape (1, 1)) has shape {shape}")
    x0, v0 = float(field(a, q, "x0", (1,))[0]), float(field(a, q, "v0", (1,))[0])
    require(abs(x0 - 1) <= 3e-4, f"x(0) = {x0:.6f}, but the problem has x(0) = 1")
    require(abs(v0) <= 3e-4, f"dx/dt(0) = {v0:.2e}, but the oscillator starts at rest")
    exact = ref["exact"]
    x = field(a, q, "x", (len(exact), -1), "values on [0, 2 pi]")
    require(x.shape == (len(exact), 1), f"`solution_damped` of {len(exact)} times has shape "
                                        f"{x.shape}, expected ({len(exact)}, 1)")
    err = float(np.max(np.abs(x.ravel() - exact)))
    require(err <= 3e-4, f"maximum error {err:.2e} > 3e-4")


def pinn_heat_two(a: dict, ref: dict) -> None:
    q = "pinn_heat_two"
    kind(a, q, "callable", "`u_two` should be a function of xt")
    require(f"{q}.returned" not in a, "`u_two` should return a tensor of shape (N, 1), but it "
            f"returned {quote(a, q + '.returned')}: complete its return line (and u0_two_modes')")
    initial = field(a, q, "u_initial", (-1, -1), "values at t = 0")
    require(initial.shape == (51, 1), f"`u_two` of 51 points (shape (51, 2)) has shape "
                                      f"{initial.shape}, expected (51, 1)")
    gap = float(np.max(np.abs(initial.ravel() - ref["initial"])))
    require(gap <= 1e-6, f"u_two(x, 0) differs from sin(2 pi x) + sin(pi x)/2 by up to "
            f"{gap:.1e}: the first term of the ansatz must be the new initial condition")
    edges = [field(a, q, f"u_{side}", (51, 1), f"values at the {side} end") for side in
             ("left", "right")]
    edge = max(float(np.max(np.abs(e))) for e in edges)
    require(edge <= 1e-6, f"u_two is {edge:.1e} at x = 0 or x = 1, where the rod is held at "
                          "u = 0: keep the factor x (1 - x) in front of the network")
    exact = ref["grid"]
    u = field(a, q, "u_grid", (len(exact), 1), "values on [0, 1]^2")
    err = float(np.linalg.norm(u.ravel() - exact) / np.linalg.norm(exact))
    require(err <= 1e-2, f"relative L2 error {err:.2e} > 1e-2")


def real(a: dict, q: str, name: str) -> float:
    require(flag(a, f"{q}.{name}_real"), f"`{name}` should be a number, not "
                                         f"{quote(a, f'{q}.{name}_type')}")
    value = float(field(a, q, name, ()))
    return value


def inv_design(a: dict, ref: dict) -> None:
    q = "inv_design"
    t_best, se_best = real(a, q, "t_best"), real(a, q, "se_best")
    require(0 < t_best <= 3, f"`t_best` = {t_best} lies outside the times considered, (0, 3]")
    require(se_best > 0, f"a standard error is positive, `se_best` = {se_best}")
    t_star, alpha = float(ref["t_star"]), float(ref["alpha"])
    require(abs(t_best - t_star) <= 0.02, f"t_best = {t_best:.3f}, expected {t_star:.3f}")
    info = (np.pi**2 * t_best * np.exp(-alpha * np.pi**2 * t_best)) ** 2
    se = float(ref["sigma"]) / np.sqrt(float(ref["n"]) * info)
    require(abs(se_best - se) <= 0.01 * se, f"se_best = {se_best:.3e}, expected {se:.3e}")


def inv_two(a: dict, ref: dict) -> None:
    q = "inv_two"
    values = {name: real(a, q, name) for name in ("amp_lsq", "alpha_two", "amp_pinn_two",
                                                  "alpha_pinn_two")}
    require(f"{q}.se_two" in a and tuple(a.get(f"{q}.se_two_shape", ())) == (2,),
            "`se_two` should hold two standard errors, of A and of alpha")
    se_two = field(a, q, "se_two", (2,), "standard errors `se_two`")
    require(np.all(se_two > 0), f"`se_two` should hold two positive standard errors, of A and "
                                f"of alpha, not {se_two.tolist()}")
    best, se = ref["best"], ref["se"]
    for name, k in [("amp_lsq", 0), ("alpha_two", 1)]:
        require(abs(values[name] - best[k]) <= 0.05 * se[k],
                f"{name} = {values[name]:.6f}, but least squares gives {best[k]:.6f}")
    for k, name in enumerate(["A", "alpha"]):
        require(abs(se_two[k] - se[k]) <= 0.01 * se[k], f"standard error of {name} "
                f"{se_two[k]:.3e}, expected {se[k]:.3e} (from the known noise level)")
    require(abs(values["amp_pinn_two"] - best[0]) <= 0.5 * se[0],
            f"PINN A = {values['amp_pinn_two']:.4f}")
    require(abs(values["alpha_pinn_two"] - best[1]) <= 0.5 * se[1],
            f"PINN alpha = {values['alpha_pinn_two']:.5f}")


def sym_pooling(a: dict, ref: dict) -> None:
    q = "sym_pooling"
    keys = a.get(f"{q}.keys")
    require(str(a.get(f"{q}.type")) == "dict" and keys is not None
            and {"'mean'", "'max'"} <= set(map(str, keys)),  # repr of the keys
            "`pooled_models` should be a dict with (at least) the keys 'mean' and 'max', got a "
            f"{quote(a, q + '.type')} with keys {key_list(keys)}")
    energy = ref["energy"]
    n = len(energy)
    for name in ("mean", "max"):
        require(f"{q}.{name}_out" in a, f"pooled_models[{name!r}] is not a network")
        out = field(a, q, f"{name}_out", (-1, -1), f"output of pooled_models[{name!r}]")
        require(out.shape == (n, 1), f"pooled_models[{name!r}] maps {n} clusters (shape "
                f"({n}, 3)) to shape {out.shape}, expected one energy each, ({n}, 1)")
        permuted = field(a, q, f"{name}_permuted", (6, n, 1), f"outputs of pooled_models"
                         f"[{name!r}] for reordered distances")
        gap = float(np.max(np.abs(permuted - out)))
        require(gap <= 1e-5, f"{name}: invariance gap {gap:.1e} > 1e-5")
        direct = field(a, q, f"{name}_direct", (n, 1), f"rho({name} of phi) of pooled_models"
                                                       f"[{name!r}]")
        require(float(np.max(np.abs(direct - out))) <= 1e-5, f"{name}: not rho({name} of phi)")
        # the best affine map of the output onto the energies (they were standardised)
        design = np.column_stack([out[:, 0], np.ones(n)])
        fit = design @ np.linalg.lstsq(design, energy, rcond=None)[0]
        rms, spread = float(np.sqrt(np.mean((fit - energy) ** 2))), float(np.std(energy, ddof=1))
        require(rms <= 0.5 * spread, f"{name}: RMS error {rms:.2f} on fresh clusters, more than "
                f"half the spread of their energies ({spread:.2f}): is the model trained?")


def sym_equivariant(a: dict, ref: dict) -> None:
    q = "sym_equivariant"
    kind(a, q, "callable", "`per_atom_energies` should be a function (model, positions) -> "
         "energies")
    expected = ref["expected"]
    n = len(expected)
    require(f"{q}.returned" not in a, f"for {n} atoms `per_atom_energies` should return a "
            f"tensor of {n} energies, shape ({n},), not {quote(a, q + '.returned')}")
    e = field(a, q, "energies", None, "energies")
    require(e.shape == (n,), f"for {n} atoms `per_atom_energies` should return a tensor of {n} "
                             f"energies, shape ({n},), not {e.shape}")
    e_perm = field(a, q, "energies_permuted", (n,), "energies of the permuted atoms")
    perm = ref["perm"].astype(np.int64)
    require(float(np.max(np.abs(e_perm - e[perm]))) <= 1e-5, "not permutation equivariant")
    require(float(np.max(np.abs(e - expected))) <= 1e-5, f"E_i {np.round(e, 5).tolist()} differ "
            f"from {np.round(expected, 5).tolist()}")


CHECKS = {f.__name__: f for f in (cnn_params, cnn_any_size, ae_latent, ae_denoise, pinn_damped,
                                  pinn_heat_two, inv_design, inv_two, sym_pooling,
                                  sym_equivariant)}


def judge(questions: list[str], answers: dict[str, np.ndarray],
          references: dict[str, np.ndarray]) -> dict[str, dict]:
    """{question: {"passed", "message"}} for answers and references keyed QUESTION.NAME."""
    verdicts = {}
    for question in questions:
        ref = {k.partition(".")[2]: v for k, v in references.items()
               if k.startswith(question + ".")}
        try:
            if f"{question}.missing" in answers:
                raise Failed(f"`{quote(answers, question + '.missing')}` has no answer yet "
                             "(it is still ... or undefined)")
            if f"{question}.error" in answers:
                raise Failed("your code raised an error while its answer was read: "
                             f"{quote(answers, question + '.error')}")
            CHECKS[question](answers, ref)
            verdicts[question] = {"passed": True, "message": ""}
        except Failed as failure:
            verdicts[question] = {"passed": False, "message": str(failure)}
        except Exception as err:  # noqa: BLE001 - malformed answers: this question fails
            verdicts[question] = {"passed": False, "message": "the answer could not be read "
                                  f"as data ({type(err).__name__}: {str(err)[:200]})"}
    return verdicts


def load(path: str, limit: int = 64 << 20) -> dict[str, np.ndarray]:
    """An .npz of plain arrays, never pickles; at most ``limit`` bytes uncompressed."""
    with np.load(path, allow_pickle=False) as data:
        arrays, total = {}, 0
        for key in data.files[:4096]:
            value = data[key]
            total += value.nbytes
            if total > limit:
                raise ValueError(f"the answers are larger than {limit >> 20} MiB")
            if value.dtype.kind not in "biufU":
                raise ValueError(f"{key[:60]} has dtype {value.dtype}, not numbers or text")
            arrays[key] = value
    return arrays


def main(questions: list[str]) -> int:
    references = load("references.npz", limit=1 << 30)
    try:
        answers = load("answers.npz")
    except Exception as err:  # noqa: BLE001 - an unreadable answers file: every question 0
        verdicts = {q: {"passed": False, "message": "the answers from your notebook could not "
                        f"be read ({type(err).__name__}: {str(err)[:200]})"} for q in questions}
    else:
        verdicts = judge(questions, answers, references)
    result_fd = int(os.environ.get("RESULT_FD", "1"))
    with os.fdopen(result_fd, "w", closefd=False) as out:
        json.dump({"questions": verdicts}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
