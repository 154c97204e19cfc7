"""Each graded question's answer as data: runs in the student's kernel, inside its sandbox.

After the submitted notebook has run, :func:`write` is called in the same kernel with the
notebook's variables. For each graded question it takes the student's objects (numbers,
dicts, trained networks, functions) and turns them into arrays: numbers as they are, a
network's or a function's outputs on the **queries** that the checker prepared (held-out
configurations, evaluation points; ``queries.npz``, inputs only), and, where a question's
subject is a trained network (the CNN of 01, the autoencoders of 02, the pooled Deep Sets
of 05), the network itself: its layers' kinds and weights, which the checker runs on data
the student never sees, and the network's own outputs on a few queries, which must equal
that run. Everything goes into one ``.npz`` of plain numeric and string arrays, which the
checker reads with ``allow_pickle=False``: no code and no object crosses, and nothing here
decides a score.

This file holds no test, no threshold and no reference value: it is public course code,
and the student's code, which runs in the same process, may change it; what it returns is
judged as data. Keys are ``QUESTION.FIELD``. A question whose variable is missing or still
``...`` gets ``QUESTION.missing`` (the variable's name); one whose code raised gets
``QUESTION.error`` (the student's own exception, type and message, cut to 1,000
characters).

Standalone on purpose (numpy and torch only, nothing of the grader): it is the one module
of grading that enters the student's sandbox.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

MAX_TEXT = 1_000  # characters of a student's error message or type name that cross
MAX_KEYS = 32  # entries of a dict answer that cross
MAX_LAYERS = 32  # layers of a network part that cross (the checker refuses more)
# Parameters of a network part whose weights cross: beyond it only the count does (the
# checker refuses it by that count), so one oversized network cannot push the whole
# answers file past the checker's 64 MiB and cost the notebook's other questions.
MAX_PARAMETERS = 1_000_000


class Missing(Exception):
    """An answer variable that is undefined, ``...`` or ``None``."""


def _get(ns: dict, name: str):
    value = ns.get(name)
    if value is None or value is ...:
        raise Missing(name)
    return value


def _text(value) -> np.ndarray:
    return np.array(str(value)[:MAX_TEXT])


def _type(value) -> np.ndarray:
    return _text(type(value).__name__)


def _number(value) -> tuple[float, bool]:
    """(value as float, whether it is a real number); NaN when it is not one."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    try:
        return (float(value) if real else float("nan")), real
    except (TypeError, ValueError, OverflowError):
        return float("nan"), False


def _numpy(tensor) -> np.ndarray:
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"expected a tensor, got {type(tensor).__name__}")
    return tensor.detach().cpu().numpy()


def _device(model):
    import torch

    params = list(model.parameters())
    return params[0].device if params else torch.device("cpu")


def _spins(queries: dict, key: str, device):
    """Spin configurations stored as int8, as the float32 tensor that the networks take."""
    import torch

    return torch.tensor(queries[key].astype(np.float32), device=device)


# ------------------------------------------------------------------------ one per question
def cnn_params(ns: dict, queries: dict) -> dict:
    layers = _get(ns, "layers")
    out = {"layers_type": _type(layers)}
    if isinstance(layers, dict):
        items = list(layers.items())[:MAX_KEYS]
        out["layers_names"] = np.array([str(k)[:200] for k, _ in items] or [""])[:len(items)]
        pairs = [_number(v) for _, v in items]
        out["layers_counts"] = np.array([v for v, _ in pairs], dtype=np.float64)
        out["layers_whole"] = np.array(
            [isinstance(v, numbers.Integral) and not isinstance(v, bool) for _, v in items],
            dtype=bool)
        out["layers_n"] = np.array(len(layers))
    n_mlp = _get(ns, "n_mlp_first_layer")
    out["n_mlp"], _ = _number(n_mlp)
    out["n_mlp"] = np.array(out["n_mlp"])
    out["n_mlp_type"] = _type(n_mlp)
    return out


def _leaves(net, prefix: str) -> dict:
    """A network as data, layer by layer: its leaf modules in the order they are defined
    (``net.modules()``), which the checker applies in that order. ``PREFIX.kinds``: the
    class names; for layer I its arrays ``PREFIX.I.NAME``: ``weight`` and ``bias`` of a
    Linear, Conv2d or BatchNorm (float32), the BatchNorm's ``running_mean``,
    ``running_var`` and ``eps``; a Conv2d's ``stride``, ``padding``, ``dilation``,
    ``groups`` and ``padding_mode``; a pooling layer's ``kernel_size``, ``stride``,
    ``padding`` or ``output_size``; a Flatten's ``dims``. Others cross as their name only.
    ``PREFIX.parameters``: the parameter count; beyond ``MAX_PARAMETERS`` only it crosses.
    """
    import torch
    from torch import nn

    def pair(value) -> np.ndarray:
        return np.array(value if isinstance(value, (tuple, list)) else (value, value),
                        dtype=np.int64).reshape(-1)[:2]

    leaves = [m for m in net.modules() if not list(m.children())]
    kinds = [type(m).__name__[:40] for m in leaves[:MAX_LAYERS + 1]]
    out = {f"{prefix}.kinds": np.array(kinds or [""])[:len(kinds)],
           f"{prefix}.parameters": np.array(sum(p.numel() for p in net.parameters()))}
    for i, layer in enumerate(leaves[:MAX_LAYERS] if out[f"{prefix}.parameters"]
                              <= MAX_PARAMETERS else []):
        key = f"{prefix}.{i}"
        for name in ("weight", "bias", "running_mean", "running_var"):
            value = getattr(layer, name, None)
            if isinstance(value, torch.Tensor):
                out[f"{key}.{name}"] = _numpy(value).astype(np.float32)
        if isinstance(layer, nn.Conv2d):
            out |= {f"{key}.stride": pair(layer.stride), f"{key}.dilation": pair(layer.dilation),
                    f"{key}.padding": (pair(layer.padding) if not isinstance(layer.padding, str)
                                       else _text(layer.padding)),
                    f"{key}.groups": np.array(layer.groups), f"{key}.padding_mode":
                    _text(layer.padding_mode)}
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            out |= {f"{key}.kernel_size": pair(layer.kernel_size),
                    f"{key}.stride": pair(layer.stride), f"{key}.padding": pair(layer.padding),
                    f"{key}.ceil_mode": np.array(bool(layer.ceil_mode))}
            if isinstance(layer, nn.MaxPool2d):
                out[f"{key}.dilation"] = pair(layer.dilation)
        elif isinstance(layer, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
            size = layer.output_size
            out[f"{key}.output_size"] = np.array(
                [-1 if v is None else v for v in (size if isinstance(size, tuple)
                                                  else (size, size))], dtype=np.int64)
        elif isinstance(layer, nn.Flatten):
            out[f"{key}.dims"] = np.array([layer.start_dim, layer.end_dim], dtype=np.int64)
        elif isinstance(layer, nn.modules.batchnorm._BatchNorm):
            out[f"{key}.eps"] = np.array(float(layer.eps))
    return out


def cnn_any_size(ns: dict, queries: dict) -> dict:
    import torch

    net, out = _module(ns, "anyL")
    if not isinstance(net, torch.nn.Module):
        return out
    out["has_conv"] = np.array(any(isinstance(m, torch.nn.Conv2d) for m in net.modules()))
    dev = _device(net)
    for size in (16, 32):
        try:
            with torch.no_grad():
                shape = tuple(net(torch.ones(3, 1, size, size, device=dev)).shape)
            out[f"shape_{size}"] = np.array(shape, dtype=np.int64)
        except Exception as err:  # noqa: BLE001 - the student's own error, reported
            out[f"error_{size}"] = _text(f"{type(err).__name__}: {str(err).splitlines()[0]}")
            return out
    out |= _leaves(net, "net")  # judged: the checker runs these layers on its own data
    was_training = net.training
    net.eval()
    with torch.no_grad():  # compared with the checker's run of the layers above
        for size in (16, 32):
            out[f"logits_{size}"] = _numpy(net(_spins(queries, f"check_{size}", dev))).astype(
                np.float32)
    net.train(was_training)
    return out


def _module(ns: dict, name: str) -> tuple[object, dict]:
    """(the answer, its type and whether it is a torch.nn.Module)."""
    import torch

    model = _get(ns, name)
    return model, {"type": _type(model), "is_module": np.array(isinstance(model, torch.nn.Module))}


def _dict_of_models(ns: dict, name: str) -> tuple[object, dict]:
    """(the answer, its type and, for a dict, the repr of its keys)."""
    models = _get(ns, name)
    out = {"type": _type(models)}
    if isinstance(models, dict):
        keys = [repr(k)[:40] for k in list(models)[:MAX_KEYS]]
        out["keys"] = np.array(keys or [""])[:len(keys)]
    return models, out


def _reconstruct(model, x):
    """``model(x)`` as (reconstruction, latent) arrays; TypeError unless it is such a pair."""
    import torch

    with torch.no_grad():
        result = model(x)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"returned {type(result).__name__}, not a pair (reconstruction, latent)")
    return _numpy(result[0]).astype(np.float32), _numpy(result[1])


def _layers(part, prefix: str) -> dict:
    """A network part (an ``nn.Sequential``, or one layer) as data, for the checker to run.

    ``PREFIX.kinds``: each layer's class name, in order (at most ``MAX_LAYERS``);
    ``PREFIX.I.weight`` (out, in) and ``PREFIX.I.bias`` (out,) for each ``nn.Linear`` I,
    float32. Any other layer crosses as its name only: the checker runs the layers it
    knows (Linear and the course's activations) and refuses the rest, by name.
    ``PREFIX.parameters``: the parameter count; beyond ``MAX_PARAMETERS`` only it crosses.
    """
    import torch

    layers = list(part) if isinstance(part, torch.nn.Sequential) else [part]
    kinds = [type(layer).__name__[:40] for layer in layers[:MAX_LAYERS + 1]]
    out = {f"{prefix}.kinds": np.array(kinds or [""])[:len(kinds)],
           f"{prefix}.parameters": np.array(sum(p.numel() for p in part.parameters()))}
    for i, layer in enumerate(layers[:MAX_LAYERS] if out[f"{prefix}.parameters"]
                              <= MAX_PARAMETERS else []):
        if isinstance(layer, torch.nn.Linear):
            out[f"{prefix}.{i}.weight"] = _numpy(layer.weight).astype(np.float32)
            if layer.bias is not None:
                out[f"{prefix}.{i}.bias"] = _numpy(layer.bias).astype(np.float32)
    return out


def _autoencoder(model, prefix: str) -> dict:
    """An autoencoder's weights as data: ``PREFIX.encoder.*`` and ``PREFIX.decoder.*`` (see
    :func:`_layers`), or ``PREFIX.parts`` False when it has no ``encoder`` and ``decoder``
    modules (the structure of the course's ``IsingAutoencoder``)."""
    import torch

    parts = [getattr(model, name, None) for name in ("encoder", "decoder")]
    if not all(isinstance(part, torch.nn.Module) for part in parts):
        return {f"{prefix}.parts": np.array(False)}
    return ({f"{prefix}.parts": np.array(True)} | _layers(parts[0], f"{prefix}.encoder")
            | _layers(parts[1], f"{prefix}.decoder"))


def ae_latent(ns: dict, queries: dict) -> dict:
    import torch

    models, out = _dict_of_models(ns, "latent_models")
    if not isinstance(models, dict):
        return out
    for dim in (1, 2, 8):
        model = models.get(dim)
        if not isinstance(model, torch.nn.Module):
            continue
        model.eval()
        out |= _autoencoder(model, f"model_{dim}")  # judged: the checker runs these weights
        x = _spins(queries, "configs", _device(model)).reshape(len(queries["configs"]), -1)
        out[f"x_hat_{dim}"], z = _reconstruct(model, x)  # compared with the checker's run
        out[f"z_shape_{dim}"] = np.array(z.shape, dtype=np.int64)
        out[f"z_{dim}"] = z.astype(np.float32)
    return out


def ae_denoise(ns: dict, queries: dict) -> dict:
    import torch

    dae, out = _module(ns, "dae")
    if isinstance(dae, torch.nn.Module):
        dae.eval()
        out |= _autoencoder(dae, "model")  # judged: the checker runs these weights
        out["denoised"], _ = _reconstruct(dae, _spins(queries, "noisy", _device(dae)))
    return out


def _function(ns: dict, name: str) -> tuple[object, dict]:
    """(the answer, its type and whether it can be called)."""
    function = _get(ns, name)
    return function, {"type": _type(function), "callable": np.array(callable(function))}


def _call_in_either_precision(function: Callable, points: np.ndarray, device, grad=False):
    """``function`` of a float64 tensor, or of a float32 one when it refuses float64 (a
    float32 network)."""
    import torch

    try:
        x = torch.tensor(points, dtype=torch.float64, device=device, requires_grad=grad)
        return x, function(x)
    except RuntimeError:
        x = torch.tensor(points, dtype=torch.float32, device=device, requires_grad=grad)
        return x, function(x)


def pinn_damped(ns: dict, queries: dict) -> dict:
    import torch

    solution, out = _function(ns, "solution_damped")
    device = ns.get("device", "cpu")
    if not callable(solution):
        return out
    t0, x0 = _call_in_either_precision(solution, np.zeros((1, 1)), device, grad=True)
    out["x0_shape"] = np.array(tuple(x0.shape), dtype=np.int64)
    (v0,) = torch.autograd.grad(x0.sum(), t0)
    out["x0"], out["v0"] = _numpy(x0).ravel()[:1], _numpy(v0).ravel()[:1]
    with torch.no_grad():
        _, x = _call_in_either_precision(solution, queries["t"].reshape(-1, 1), device)
    out["x"] = _numpy(x).astype(np.float64)
    return out


def pinn_heat_two(ns: dict, queries: dict) -> dict:
    import torch

    u_two, out = _function(ns, "u_two")
    device = ns.get("device", "cpu")
    if not callable(u_two):
        return out
    for key in ("initial", "left", "right", "grid"):
        with torch.no_grad():
            u = u_two(torch.tensor(queries[key], dtype=torch.float64, device=device))
        if not isinstance(u, torch.Tensor):
            out["returned"] = _type(u)
            return out
        out[f"u_{key}"] = _numpy(u).astype(np.float64)
    return out


def _numbers(ns: dict, names: list[str]) -> dict:
    out = {}
    for name in names:
        value = _get(ns, name)
        number, real = _number(value)
        out[name], out[f"{name}_real"] = np.array(number), np.array(real)
        out[f"{name}_type"] = _type(value)
    return out


def inv_design(ns: dict, queries: dict) -> dict:
    return _numbers(ns, ["t_best", "se_best"])


def inv_two(ns: dict, queries: dict) -> dict:
    out = _numbers(ns, ["amp_lsq", "alpha_two", "amp_pinn_two", "alpha_pinn_two"])
    se = _get(ns, "se_two")
    try:
        out["se_two"] = np.asarray(se, dtype=np.float64).reshape(-1)[:8]
        out["se_two_shape"] = np.array(np.shape(se), dtype=np.int64)
    except (TypeError, ValueError):
        out["se_two_type"] = _type(se)
    return out


POOLS = {"mean": lambda h: h.mean(dim=1), "max": lambda h: h.max(dim=1).values}


def sym_pooling(ns: dict, queries: dict) -> dict:
    import torch

    models, out = _dict_of_models(ns, "pooled_models")
    if not isinstance(models, dict):
        return out
    for name, pool in POOLS.items():
        model = models.get(name)
        if not isinstance(model, torch.nn.Module):
            continue
        model.eval()
        x = torch.tensor(queries["distances"], dtype=torch.float32, device=_device(model))
        parts = [getattr(model, part, None) for part in ("phi", "rho")]
        out[f"{name}.parts"] = np.array(all(isinstance(p, torch.nn.Module) for p in parts))
        if out[f"{name}.parts"]:  # judged: the checker runs these weights, pooling itself
            out |= _layers(parts[0], f"{name}.phi") | _layers(parts[1], f"{name}.rho")
        with torch.no_grad():
            out[f"{name}_out"] = _numpy(model(x)).astype(np.float64)
            out[f"{name}_permuted"] = np.stack([_numpy(model(x[:, list(p)]))
                                                for p in queries["orderings"]]).astype(np.float64)
            out[f"{name}_direct"] = _numpy(
                model.rho(pool(model.phi(x.unsqueeze(-1))))).astype(np.float64)
    return out


def sym_equivariant(ns: dict, queries: dict) -> dict:
    import torch

    function, out = _function(ns, "per_atom_energies")
    if not callable(function):
        return out
    model = _get(ns, "SymmetricNN")()
    weights = {key.removeprefix("weight:"): torch.tensor(queries[key])
               for key in queries if key.startswith("weight:")}
    model.load_state_dict(weights)
    positions = torch.tensor(queries["positions"], dtype=torch.float32)
    perm = torch.tensor(queries["perm"], dtype=torch.int64)
    with torch.no_grad():
        e, e_perm = function(model, positions), function(model, positions[perm])
    if not isinstance(e, torch.Tensor):
        out["returned"] = _type(e)
        return out
    out["energies"] = _numpy(e).astype(np.float64)
    out["energies_permuted"] = _numpy(e_perm).astype(np.float64)
    return out


QUESTIONS = {f.__name__: f for f in (cnn_params, cnn_any_size, ae_latent, ae_denoise,
                                     pinn_damped, pinn_heat_two, inv_design, inv_two,
                                     sym_pooling, sym_equivariant)}


def collect(ns: dict, questions: list[str], queries: dict) -> dict[str, np.ndarray]:
    """Every question's answer as arrays, keyed ``QUESTION.FIELD`` (see the docstring)."""
    answers = {}
    for question in questions:
        try:
            fields = QUESTIONS[question](ns, queries.get(question, {}))
        except Missing as name:
            fields = {"missing": np.array(str(name))}
        except Exception as err:  # noqa: BLE001 - the student's own error, reported
            fields = {"error": _text(f"{type(err).__name__}: {err}")}
        answers.update({f"{question}.{k}": np.asarray(v) for k, v in fields.items()})
    return answers


def read_queries(path: str) -> dict[str, dict[str, np.ndarray]]:
    """``queries.npz`` (keys ``QUESTION.NAME``) as {question: {name: array}}."""
    found: dict[str, dict[str, np.ndarray]] = {}
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            question, _, name = key.partition(".")
            found.setdefault(question, {})[name] = data[key]
    return found


def write(ns: dict, questions: list[str], queries_path: str, answers_path: str) -> None:
    """Called in the student's kernel once the notebook has run: answers to a file."""
    answers = collect(ns, questions, read_queries(queries_path))
    with open(answers_path, "wb") as f:
        np.savez(f, **answers)
