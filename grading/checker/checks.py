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
exercise's text). Where a question's subject is a trained network (``cnn_any_size``,
``ae_latent``, ``ae_denoise``, ``sym_pooling``), the network itself crosses as data (its
layers' kinds and float32 weights) and is judged by what this file computes with it, in
numpy (:func:`run`, :func:`run_cnn`, :func:`pooled`), on data only the checker holds; the
outputs the student's kernel reports must equal that computation, or the check fails.
The messages are the course's words; the only text they quote from the student's side
is the student's own error message or a type name, cut short.

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
    # The network itself: the checker runs its layers, in the order they are defined, on
    # configurations only it holds; first on the kernel's few, where they must agree.
    net = cnn_layers(a, q)
    require(any(kind == "Conv2d" for kind, _ in net), "`anyL` should be a convolutional "
            "network (the lecture's convolution blocks with a new head), but none of the "
            "layers the checker runs is an nn.Conv2d")
    for size in (16, 32):
        x = ref[f"check_{size}"]
        computed = run_cnn(net, x)
        reported = field(a, q, f"logits_{size}", (len(x), 2), f"logits for {size}x{size} "
                         "lattices")
        gap = float(np.max(np.abs(reported - computed)))
        require(gap <= AGREEMENT * (1.0 + float(np.max(np.abs(computed)))), f"the logits "
                f"`anyL` computes for {size}x{size} lattices differ by up to {gap:.2g} from "
                "those its layers give when the checker runs them in the order they are "
                "defined: make every step a layer (nn.ReLU, nn.Flatten, ..., not a function "
                "in forward), defined in the order forward applies them, as IsingCNNAnyL")
    labels = ref["fresh_32_labels"]
    pred = run_cnn(net, ref["fresh_32"]).argmax(axis=1)
    acc = float(np.mean(pred == labels))
    require(acc >= 0.95, f"accuracy on fresh L = 32 configurations {acc:.3f} < 0.95")
    accuracy = {}
    for size in (16, 32):
        labels = ref[f"near_tc_{size}_labels"]
        pred = run_cnn(net, ref[f"near_tc_{size}"]).argmax(axis=1)
        accuracy[size] = float(np.mean(pred == labels))
    require(accuracy[32] >= accuracy[16],
            f"near T_c your network classifies L = 32 configurations less well "
            f"({accuracy[32]:.3f}) than L = 16 ones ({accuracy[16]:.3f}); the phases are more "
            "distinct on the larger lattice, so features averaged over the lattice do better")


# ------------------------------------------------------------ networks that cross as data
# The checker runs these itself, in float64 from the student's float32 weights: the layers
# of the course's networks (nn.Linear and the activations the lecture uses).
ACTIVATIONS = {"ReLU": lambda h: np.maximum(h, 0.0), "Tanh": np.tanh,
               "Sigmoid": lambda h: 0.5 * (1.0 + np.tanh(0.5 * h))}  # overflow-free
KINDS = "nn.Linear, nn.ReLU, nn.Tanh and nn.Sigmoid"
MAX_LAYERS = 32  # layers of one part (encoder, decoder, phi, rho): the course's have 3 to 6
# Parameters of one network (or of one autoencoder's encoder and decoder together). The
# course's largest, IsingAutoencoder(256, d), has 74,304 + 65 d (74,824 for d = 8); the
# bound leaves room for layers several times as wide and keeps the checker's runs (at most
# 2 x 1,200 configurations a network) inside its 1 GiB and 300 s: 4 MiB of float32 weights
# and ~5 GFLOP (~2 s) per network at most.
MAX_PARAMETERS = 1_000_000
# A network's own outputs (PyTorch, float32) and the checker's run of its weights (float64)
# agree to float32 rounding: each value is a sum of <= 256 products of O(1) terms, through
# at most a few layers, a relative error of order sqrt(256) x 6 x 6e-8 ~ 6e-6 (measured on
# the worked solutions of 01, 02 and 05: at most 3.5e-6, on outputs up to 11). The bound,
# 1e-4 x (1 + the largest output), leaves room for other summation orders (another BLAS,
# a GPU) and catches any other network, whose outputs differ by O(0.1) or more.
AGREEMENT = 1e-4


# The convolutional networks of 01, run layer by layer (NCHW arrays, float64).
CNN_KINDS = ("Conv2d, ReLU, Tanh, Sigmoid, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), "
             "AdaptiveMaxPool2d(1), Flatten, Dropout, BatchNorm1d/2d and Linear")
PADDING = {"zeros": "constant", "circular": "wrap", "reflect": "reflect", "replicate": "edge"}
# Work per 32 x 32 configuration: the lecture's IsingCNNAnyL needs 2.7 MFLOP (its run of
# 2,460 configurations, 1,380 of them 32 x 32, takes the checker 1.7 s); 20 MFLOP (7 times
# that: twice the channels, say, and a layer more) keeps it to ~12 s of its 300 s.
MAX_FLOP_32 = 20e6


def too_many(a: dict, key: str, what: str) -> None:
    """Fail when the parameter count that crossed (``key``) exceeds ``MAX_PARAMETERS`` (the
    student's side then sends the count only, not the weights)."""
    count = a.get(key)
    if count is not None and count.shape == () and count.dtype.kind in "iu":
        require(int(count) <= MAX_PARAMETERS, f"{what} has {int(count):,} parameters, more "
                f"than the {MAX_PARAMETERS:,} the checker runs (the lecture's networks have "
                "at most 75,000)")


def ints(a: dict, key: str, n: int, what: str) -> tuple:
    value = a.get(key)
    require(value is not None and value.dtype.kind in "iu" and value.shape == (n,),
            f"{what} could not be read")
    return tuple(int(v) for v in value)


def cnn_layers(a: dict, q: str) -> list[tuple[str, dict]]:
    """anyL's leaf layers, in the order they are defined, as (kind, arrays); fails, naming
    the layer, on a kind or setting the checker does not run."""
    kinds = a.get(f"{q}.net.kinds")
    require(kinds is not None and kinds.dtype.kind == "U" and kinds.ndim == 1 and len(kinds),
            f"`anyL` has no layers the checker can run ({CNN_KINDS})")
    require(len(kinds) <= MAX_LAYERS, f"`anyL` has more than {MAX_LAYERS} layers; the "
            f"checker runs at most {MAX_LAYERS}")
    too_many(a, f"{q}.net.parameters", "`anyL`")
    net = []
    for i, kind in enumerate(map(str, kinds)):
        key, what = f"{q}.net.{i}", f"layer {i} of `anyL` ({kind[:40]})"
        layer: dict = {}
        if kind in ("Conv2d", "Linear", "BatchNorm1d", "BatchNorm2d"):
            layer["weight"] = field(a, q, f"net.{i}.weight", None, f"weights of {what}")
            n_out = layer["weight"].shape[0] if layer["weight"].ndim else 0
            layer["bias"] = (field(a, q, f"net.{i}.bias", (n_out,), f"bias of {what}")
                             if f"{key}.bias" in a else np.zeros(n_out))
        if kind == "Conv2d":
            require(layer["weight"].ndim == 4, f"the weights of {what} are not 4-dimensional")
            padding = a.get(f"{key}.padding")
            require(padding is not None and padding.dtype.kind in "iu", f"{what}: the checker "
                    "runs numeric padding only (padding=1, not 'same')")
            mode = str(a.get(f"{key}.padding_mode", ""))
            require(mode in PADDING, f"{what}: padding mode {mode[:20]!r} is not one of "
                    f"{sorted(PADDING)}")
            layer |= {"stride": ints(a, f"{key}.stride", 2, what), "mode": mode,
                      "padding": ints(a, f"{key}.padding", 2, what),
                      "dilation": ints(a, f"{key}.dilation", 2, what)}
            require(int(a.get(f"{key}.groups", 0)) == 1, f"{what}: the checker runs groups=1 "
                    "convolutions only")
        elif kind == "Linear":
            require(layer["weight"].ndim == 2, f"the weights of {what} are not 2-dimensional")
        elif kind in ("BatchNorm1d", "BatchNorm2d"):
            n = len(layer["bias"])
            layer |= {"mean": field(a, q, f"net.{i}.running_mean", (n,), f"means of {what}"),
                      "var": field(a, q, f"net.{i}.running_var", (n,), f"variances of {what}"),
                      "eps": float(field(a, q, f"net.{i}.eps", (), f"eps of {what}"))}
        elif kind in ("MaxPool2d", "AvgPool2d"):
            layer |= {"size": ints(a, f"{key}.kernel_size", 2, what),
                      "stride": ints(a, f"{key}.stride", 2, what),
                      "padding": ints(a, f"{key}.padding", 2, what)}
            require(not flag(a, f"{key}.ceil_mode"), f"{what}: the checker runs ceil_mode=False")
            require(kind == "AvgPool2d" or ints(a, f"{key}.dilation", 2, what) == (1, 1),
                    f"{what}: the checker runs dilation=1 pooling only")
        elif kind in ("AdaptiveAvgPool2d", "AdaptiveMaxPool2d"):
            require(ints(a, f"{key}.output_size", 2, what) == (1, 1), f"{what}: the checker "
                    "runs global pooling (output size 1) only")
        elif kind == "Flatten":
            require(ints(a, f"{key}.dims", 2, what) == (1, -1), f"{what}: the checker runs "
                    "nn.Flatten() with its default dimensions only")
        elif kind not in ACTIVATIONS and kind not in ("Dropout", "Dropout2d", "Identity"):
            raise Failed(f"{what}: the checker runs networks of {CNN_KINDS} layers only, "
                         "each step of forward a layer, defined in the order forward applies "
                         "them (as IsingCNNAnyL); build yours from them")
        net.append((kind, layer))
    require(sum(v.size for _, layer in net for k, v in layer.items()
                if k in ("weight", "bias")) <= MAX_PARAMETERS,
            f"`anyL` has more than {MAX_PARAMETERS:,} parameters, the most the checker runs")
    flop = run_cnn(net, np.ones((1, 1, 32, 32), np.int8), count=True)
    require(flop <= MAX_FLOP_32, f"`anyL` needs {flop / 1e6:.0f} MFLOP per 32x32 lattice, more "
            f"than the {MAX_FLOP_32 / 1e6:.0f} the checker runs (the lecture's needs 2.7)")
    return net


def windows(x: np.ndarray, size: tuple, stride: tuple, dilation=(1, 1)) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H', W', kh, kw): each output position's input window (a view)."""
    span = tuple(d * (k - 1) + 1 for k, d in zip(size, dilation))
    require(x.shape[2] >= span[0] and x.shape[3] >= span[1], "a layer of `anyL` gets a "
            f"feature map of {x.shape[2]}x{x.shape[3]}, smaller than its window {span}")
    view = np.lib.stride_tricks.sliding_window_view(x, span, axis=(2, 3))
    return view[:, :, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]


def conv2d(x: np.ndarray, layer: dict) -> np.ndarray:
    """nn.Conv2d (groups=1): (N, C, H, W) -> (N, O, H', W'), one matrix product per kernel
    offset (no copy of every window)."""
    weight, (ph, pw) = layer["weight"].astype(np.float64), layer["padding"]
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode=PADDING[layer["mode"]])
    require(x.shape[1] == weight.shape[1], f"a convolution of `anyL` takes {weight.shape[1]} "
            f"channels, but the layer before it gives {x.shape[1]}")
    (sh, sw), (dh, dw), (kh, kw) = layer["stride"], layer["dilation"], weight.shape[2:]
    height, width = x.shape[2] - dh * (kh - 1), x.shape[3] - dw * (kw - 1)
    require(height > 0 and width > 0, "a convolution of `anyL` gets a feature map of "
            f"{x.shape[2]}x{x.shape[3]}, smaller than its kernel")
    channels_last = x.transpose(0, 2, 3, 1)
    out = 0.0
    for i in range(kh):
        for j in range(kw):
            shifted = channels_last[:, i * dh:i * dh + height:sh, j * dw:j * dw + width:sw]
            out = out + shifted @ weight[:, :, i, j].T
    return out.transpose(0, 3, 1, 2) + layer["bias"][None, :, None, None]


def run_cnn(net: list, x: np.ndarray, count: bool = False, batch: int = 128):
    """The checker's forward pass of anyL: spins (N, 1, L, L) -> logits (N, out), float64,
    in batches (bounded memory); with ``count``, the multiply-adds x 2 of one input."""
    if len(x) > batch:
        return np.concatenate([run_cnn(net, x[i:i + batch]) for i in range(0, len(x), batch)])
    h, flop = x.astype(np.float64), 0.0
    for kind, layer in net:
        if kind == "Conv2d":
            h = conv2d(h, layer)
            flop += 2 * h[0].size * layer["weight"][0].size
        elif kind == "Linear":
            if h.ndim > 2:  # torch.flatten(x, 1) in forward, before the layer
                h = h.reshape(len(h), -1)
            weight = layer["weight"]
            require(h.shape[1] == weight.shape[1], f"a linear layer of `anyL` takes "
                    f"{weight.shape[1]} inputs, but the layers before it give {h.shape[1]}")
            h = h @ weight.T.astype(np.float64) + layer["bias"]
            flop += 2 * weight.size
        elif kind in ("BatchNorm1d", "BatchNorm2d"):
            shape = (1, -1) + (1,) * (h.ndim - 2)
            h = ((h - layer["mean"].reshape(shape)) / np.sqrt(layer["var"].reshape(shape)
                 + layer["eps"]) * layer["weight"].reshape(shape) + layer["bias"].reshape(shape))
        elif kind in ("MaxPool2d", "AvgPool2d"):
            (ph, pw), maximum = layer["padding"], kind == "MaxPool2d"
            if ph or pw:
                h = np.pad(h, ((0, 0), (0, 0), (ph, ph), (pw, pw)),
                           constant_values=-np.inf if maximum else 0.0)
            win = windows(h, layer["size"], layer["stride"])
            h = win.max(axis=(4, 5)) if maximum else win.mean(axis=(4, 5))
        elif kind == "AdaptiveAvgPool2d":
            h = h.mean(axis=(2, 3), keepdims=True)
        elif kind == "AdaptiveMaxPool2d":
            h = h.max(axis=(2, 3), keepdims=True)
        elif kind == "Flatten":
            h = h.reshape(len(h), -1)
        elif kind in ACTIVATIONS:
            h = ACTIVATIONS[kind](h)
    if count:
        return flop
    require(h.ndim == 2, f"`anyL`'s layers, run in order, end in an array of shape "
            f"{h.shape[1:]} per lattice, not logits")
    return h


def layers(a: dict, q: str, prefix: str, what: str, n_in: int) -> tuple[list, int, int]:
    """A network part that crossed as data (``PREFIX.kinds``, ``PREFIX.I.weight`` (out, in),
    ``PREFIX.I.bias`` (out,)), validated: ([(kind, weight, bias)], output width, parameter
    count). Fails, naming the layer, on a kind the checker does not run or a size that does
    not chain (the input has ``n_in`` numbers)."""
    kinds = a.get(f"{q}.{prefix}.kinds")
    require(kinds is not None and kinds.dtype.kind == "U" and kinds.ndim == 1 and len(kinds),
            f"{what} should be an nn.Sequential of {KINDS} layers, as in IsingAutoencoder")
    require(len(kinds) <= MAX_LAYERS, f"{what} has more than {MAX_LAYERS} layers; the "
            f"checker runs at most {MAX_LAYERS}")
    too_many(a, f"{q}.{prefix}.parameters", what)
    found, width, count = [], n_in, 0
    for i, kind in enumerate(map(str, kinds)):
        if kind in ACTIVATIONS:
            found.append((kind, None, None))
            continue
        require(kind == "Linear", f"layer {i} of {what} is a {kind[:40]}: the checker runs "
                f"networks of {KINDS} layers only (the lecture's); build yours from them")
        weight = field(a, q, f"{prefix}.{i}.weight", (-1, -1), f"weights of layer {i} of {what}")
        require(weight.shape[1] == width, f"layer {i} of {what} takes {weight.shape[1]} "
                f"inputs, but the layer before it gives {width}")
        bias = (field(a, q, f"{prefix}.{i}.bias", (weight.shape[0],), f"bias of layer {i} of "
                      f"{what}") if f"{q}.{prefix}.{i}.bias" in a else np.zeros(weight.shape[0]))
        found.append((kind, weight.astype(np.float64), bias.astype(np.float64)))
        width, count = weight.shape[0], count + weight.size + bias.size
        require(count <= MAX_PARAMETERS, f"{what} has more than {MAX_PARAMETERS:,} parameters,"
                " the most the checker runs (the lecture's networks have at most 75,000)")
    return found, width, count


def run(network: list, x: np.ndarray) -> np.ndarray:
    """The checker's own forward pass: x (N, in) -> (N, out), float64."""
    h = np.asarray(x, dtype=np.float64)
    for kind, weight, bias in network:
        h = ACTIVATIONS[kind](h) if weight is None else h @ weight.T + bias
    return h


def autoencoder(a: dict, q: str, prefix: str, what: str, n: int, latent: int | None,
                max_latent: int | None = None) -> tuple[list, list]:
    """(encoder, decoder) of an autoencoder that crossed as weights, validated: ``n``
    numbers in and out, a latent code of ``latent`` numbers (or at most ``max_latent``)."""
    require(flag(a, f"{q}.{prefix}.parts"), f"{what} should be an autoencoder of the course's "
            "kind, with an `encoder` and a `decoder` (each an nn.Sequential of "
            f"{KINDS} layers) and forward(x) = (decoder(encoder(x)), encoder(x)), as "
            "IsingAutoencoder: the checker runs its weights itself")
    encoder, code, n_enc = layers(a, q, f"{prefix}.encoder", f"the encoder of {what}", n)
    if latent is not None:
        require(code == latent, f"the encoder of {what} ends in {code} numbers; its latent "
                f"code should have {latent}: the bottleneck is the point of the question")
    if max_latent is not None:
        require(code <= max_latent, f"the encoder of {what} ends in {code} numbers, more than "
                f"{max_latent}: a denoiser's code must be a bottleneck (the lecture's has 2)")
    decoder, out, n_dec = layers(a, q, f"{prefix}.decoder", f"the decoder of {what}", code)
    require(out == n, f"the decoder of {what} returns {out} numbers per configuration, "
            f"expected {n} (one per spin)")
    require(n_enc + n_dec <= MAX_PARAMETERS, f"{what} has {n_enc + n_dec:,} parameters, "
            f"more than {MAX_PARAMETERS:,} (the lecture's autoencoder has about 75,000)")
    return encoder, decoder


def agree(reported: np.ndarray, computed: np.ndarray, what: str) -> None:
    """Fail unless a network's own outputs (from the student's kernel) are what its weights
    compute: a kernel that reports one network and hands in another fails here."""
    gap = float(np.max(np.abs(reported.astype(np.float64) - computed)))
    scale = 1.0 + float(np.max(np.abs(computed)))
    require(gap <= AGREEMENT * scale, f"the {what} your notebook computes differ by up to "
            f"{gap:.2g} from those its weights give when the checker runs them: the network "
            "should compute decoder(encoder(x)) with its own encoder and decoder, nothing else")


def mean_squared(x_hat: np.ndarray, x: np.ndarray) -> float:
    """The mean squared difference of reconstructions (N, n) from configurations (N, n)."""
    return float(np.mean((x_hat - x.astype(np.float64)) ** 2))


def ae_latent(a: dict, ref: dict) -> None:
    q = "ae_latent"
    keys = a.get(f"{q}.keys")
    require(str(a.get(f"{q}.type")) == "dict" and keys is not None
            and sorted(map(str, keys)) == ["1", "2", "8"],  # the keys' repr: ints
            "`latent_models` should be a dict with the keys 1, 2 and 8 (the latent dimensions),"
            f" got a {quote(a, q + '.type')} with keys {key_list(keys)}")
    x, held_out = ref["configs"], ref["held_out"]
    n = x.shape[1]
    mse_nb, mse_held = {}, {}
    for dim in (1, 2, 8):
        what = f"latent_models[{dim}]"
        require(f"{q}.x_hat_{dim}" in a or f"{q}.z_shape_{dim}" in a,
                f"{what} is not a network that returns (reconstruction, latent)")
        z_shape = tuple(field(a, q, f"z_shape_{dim}", (-1,)))
        require(z_shape == (len(x), dim), f"{what} encodes {len(x)} configurations to a "
                f"latent array of shape {z_shape}, expected ({len(x)}, {dim})")
        encoder, decoder = autoencoder(a, q, f"model_{dim}", what, n, latent=dim)
        # the reconstruction comes from the latent code: encode, then decode, here
        z = run(encoder, x)
        x_hat = run(decoder, z)
        agree(field(a, q, f"z_{dim}", z.shape, f"latent code of {what}"), z,
              f"latent codes of {what}")
        agree(field(a, q, f"x_hat_{dim}", x.shape, f"reconstruction of {what}"), x_hat,
              f"reconstructions of {what}")
        mse_nb[dim] = mean_squared(x_hat, x)
        mse_held[dim] = mean_squared(run(decoder, run(encoder, held_out)), held_out)
    # The exercise's bounds, on the notebook's configurations (computed here from the weights)
    yardstick = float(ref["yardstick"])
    require(mse_nb[1] <= 1.05 * yardstick, f"latent 1: MSE {mse_nb[1]:.4f} does not reach the "
            f"1 - m^2 yardstick {yardstick:.4f} (+ 5 %): is the model trained?")
    require(mse_nb[2] < mse_nb[1], f"latent 2 MSE {mse_nb[2]:.4f} not below latent 1 "
                                   f"{mse_nb[1]:.4f}")
    require(mse_nb[8] < mse_nb[2], f"latent 8 MSE {mse_nb[8]:.4f} not below latent 2 "
                                   f"{mse_nb[2]:.4f}")
    # Held out (configurations only the checker has): the same 5 % for latent 1, and 8 below
    # 1. The worked solution, over five training seeds: 1.013-1.021 x the yardstick for
    # latent 1, 0.907-0.925 for latent 8 (and 1.013-1.014 on four other held-out sets with
    # seed 0); latent 2 gets 0.994-0.999, within 2 % of latent 1 (the notebook's held-out
    # scores: the second dimension buys little beyond m), too close to ask for its order.
    # A network that memorised the notebook's configurations instead of learning m fails.
    held_yard = float(ref["held_out_yardstick"])
    require(mse_held[1] <= 1.05 * held_yard, f"latent 1: on fresh configurations MSE "
            f"{mse_held[1]:.4f}, more than 5 % above their 1 - m^2 yardstick {held_yard:.4f}, "
            "though it does well on the notebook's: has it memorised its training data?")
    require(mse_held[8] < mse_held[1], f"latent 8: on fresh configurations MSE "
            f"{mse_held[8]:.4f}, not below latent 1's {mse_held[1]:.4f}")


def ae_denoise(a: dict, ref: dict) -> None:
    q = "ae_denoise"
    kind(a, q, "is_module", "`dae` should be your trained denoising autoencoder")
    clean, noisy = ref["clean"], ref["noisy"]
    # The latent code: at most 8 numbers, the widest of the latent-dimension exercise.
    encoder, decoder = autoencoder(a, q, "model", "`dae`", clean.shape[1], latent=None,
                                   max_latent=8)
    agree(field(a, q, "denoised", clean.shape, "reconstruction of `dae`"),
          run(decoder, run(encoder, noisy)), "reconstructions of `dae`")
    # Within 10 % of a perfect denoiser's 1 - m^2, on the notebook's ordered configurations
    # and on fresh ones only the checker has (the worked solution over five training seeds:
    # 1.023-1.058 and 1.027-1.063 x 1 - m^2).
    for data, label in [("", "the ordered configurations"), ("held_out_", "fresh ordered "
                                                                         "configurations")]:
        mse = mean_squared(run(decoder, run(encoder, ref[data + "noisy"])), ref[data + "clean"])
        perfect = float(ref[data + "perfect"])
        require(mse <= 1.1 * perfect, f"on {label}, with 10 % of their spins flipped, MSE to "
                f"the clean configurations {mse:.4f}, more than 10 % above a perfect "
                f"denoiser's {perfect:.4f}: was the network trained with noise?")


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


POOLS = {"mean": lambda h: h.mean(axis=1), "max": lambda h: h.max(axis=1)}


def deep_set(a: dict, q: str, name: str) -> list:
    """(phi, rho) of pooled_models[name], crossed as weights: phi maps one distance to
    features, rho the pooled features to one energy."""
    what = f"pooled_models[{name!r}]"
    require(flag(a, f"{q}.{name}.parts"), f"{what} should be a Deep Sets network of the "
            f"course's kind, with `phi` and `rho` (each an nn.Sequential of {KINDS} layers) "
            f"and forward = rho({name} over pairs of phi(distance)), as SymmetricNN: the "
            "checker runs its weights itself")
    phi, width, n_phi = layers(a, q, f"{name}.phi", f"phi of {what}", 1)
    rho, out, n_rho = layers(a, q, f"{name}.rho", f"rho of {what}", width)
    require(out == 1, f"rho of {what} returns {out} numbers per cluster, expected 1 (its energy)")
    return phi, rho


def pooled(phi: list, rho: list, pool: str, d: np.ndarray) -> np.ndarray:
    """The checker's own Deep Sets forward pass: distances (N, pairs) -> energies (N, 1)."""
    n, pairs = d.shape
    features = run(phi, d.reshape(-1, 1)).reshape(n, pairs, -1)
    return run(rho, POOLS[pool](features))


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
        # The network itself: the checker pools phi's features with the true mean or max,
        # so what it judges is invariant and is rho(pool of phi) by construction.
        phi, rho = deep_set(a, q, name)
        computed = pooled(phi, rho, name, ref["distances"])
        scale = 1.0 + float(np.max(np.abs(computed)))
        gap = float(np.max(np.abs(out - computed)))
        require(gap <= AGREEMENT * scale, f"the energies your notebook computes with "
                f"pooled_models[{name!r}] differ by up to {gap:.2g} from rho({name} of phi) "
                "that the checker computes with its weights: forward should be exactly that")
        # Trained: the best affine map of the checker's outputs on 2,000 clusters that only
        # it holds onto their energies (the notebook trains on standardised energies). The
        # worked solution over five seeds: RMS 0.05-0.13 of the spread (mean), 0.22-0.30
        # (max); untrained networks leave nearly all of it.
        energy, out = ref["held_out_energy"], pooled(phi, rho, name, ref["held_out"])
        design = np.column_stack([out[:, 0], np.ones(len(energy))])
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
