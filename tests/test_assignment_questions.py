"""The assignment questions and their graded checks, as a specification (no notebook is
executed).

Each notebook's graded exercises are otter-grader questions: raw delimiter cells around
the prompt, the worked solution and the public test cells (``grader.check``, for
learning). The score comes from elsewhere: ``grading/inside/answers.py`` turns the
notebook's variables into arrays (a network's outputs on the checker's queries, numbers
as they are), and ``grading/checker/checks.py`` judges those arrays against reference
data that ``grading/checker/queries.py`` makes. Here both run in this process, as
``make grade`` runs them in two sandboxes, on objects built in the test (the answers
cross an ``.npz`` round trip, as in grading):

- the right answer (the notebook's own solution code, trained here with its seeds, or a
  hand-made object with the required property) passes every test of its question;
- a blank answer (the student notebook's ``...``, or nothing defined) fails, and both
  the public tests and the checker say what is missing in words, not with a traceback;
- the wrong answers a student would really write (listed per question below: forgotten
  training, the wrong pooling, a plain autoencoder as a denoiser, the default
  ``curve_fit`` standard errors, ...) each fail their question and leave the other
  question of the notebook at full marks (questions are all-or-nothing, so such an answer
  loses exactly that question's points).

Nothing here depends on the global random state: every network is built and trained
under its own seed, every data set is generated from its own. The autouse fixture below
seeds the global generators differently in every run (``DL4PHYS_TEST_SEED``, printed in
the header; random when unset), so a test that leaned on them would show up as flaky.

Grading whole submissions with otter is tested in tests/assignments (``make
assignments-check``).
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import itertools
import os
import random
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course.markup import block_boundary, questions
from grading.checker import checks
from grading.checker import queries as checker_queries
from grading.inside import answers
from scripts.assignments import master
from utils import trange
from utils.ising import ising_dataset, magnetization

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
LECTURE_TEMPS = np.concatenate([np.linspace(1.0, 2.0, 6), np.linspace(2.5, 4.0, 6)])
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def _global_random_state_differs_in_every_run():
    seed = int(os.environ["DL4PHYS_TEST_SEED"])  # set (or drawn) by tests/conftest.py
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def notebook(name):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def notebook_definitions(name: str, *names: str, **context) -> dict:
    """Classes and functions defined in a notebook's code cells, executed in ``context``
    (plus torch, nn, np and the DataLoader helpers): the notebook's own code, unchanged."""
    sources = {}
    for cell in notebook(name).cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in names:
                sources[node.name] = ast.get_source_segment(cell.source, node)
    missing = set(names) - set(sources)
    assert not missing, f"{name} defines no {sorted(missing)}"
    namespace = {"torch": torch, "nn": nn, "np": np, "DataLoader": DataLoader,
                 "TensorDataset": TensorDataset, "trange": trange, "device": CPU} | context
    for definition in names:
        exec(sources[definition], namespace)
    return namespace


def is_hidden(source: str) -> bool:
    """Otter's rule: a first line that is a comment with the word 'hidden'."""
    first = source.lstrip().splitlines()[0]
    return first.startswith("#") and bool(re.search(r"\bhidden\b", first, re.IGNORECASE))


def question_test_functions(name: str, question: str) -> list[tuple[bool, callable]]:
    """(hidden, function) for each test cell of a question, defined as otter defines them."""
    (q,) = [q for q in questions(notebook(name)) if q["name"] == question]
    functions = []
    for source in q["tests"]:
        tree = ast.parse(source)
        namespace: dict = {}
        exec(compile(ast.Module([tree.body[0]], []), f"<{question} test>", "exec"), namespace)
        functions.append((is_hidden(source), namespace[tree.body[0].name]))
    return functions


def public_tests(name: str, question: str, env: dict) -> list[BaseException | None]:
    """Each public test of ``question`` called like otter does: its exception or None."""
    results = []
    for _, func in question_test_functions(name, question):
        kwargs = {p: env.get(p) for p in inspect.signature(func).parameters}
        try:
            func(**kwargs)
            results.append(None)
        except Exception as err:  # noqa: BLE001 - a failing test case, as otter counts it
            results.append(err)
    return results


@functools.cache
def prepared(name: str) -> tuple[dict, dict]:
    """The checker's queries (by question) and references (flat), as grading makes them."""
    queries, refs = checker_queries.prepare(name)
    return queries, {f"{q}.{k}": v for q, fields in refs.items() for k, v in fields.items()}


def verdict(name: str, question: str, env: dict) -> dict:
    """The checker's verdict on ``env``'s answer: {"passed", "message"}."""
    queries, refs = prepared(name)
    buffer = io.BytesIO()
    np.savez(buffer, **answers.collect(env, [question], queries))
    buffer.seek(0)
    return checks.judge([question], checks.load(buffer), refs)[question]


def full_marks(name, question, env) -> bool:
    return verdict(name, question, env)["passed"]


def assert_loses_exactly(name, question, env):
    """The mistake fails ``question``; every other question of the notebook scores full."""
    assert not full_marks(name, question, env), f"{name}: a mistake in {question} scored"
    for other in questions(notebook(name)):
        if other["name"] != question:
            assert_full_marks(name, other["name"], env)


def assert_full_marks(name, question, env):
    result = verdict(name, question, env)
    assert result["passed"], f"{name} {question} with the right answer: {result['message']}"
    failed = [f"{type(e).__name__}: {e}" for e in public_tests(name, question, env) if e]
    assert not failed, f"{name} {question}: the public tests fail the right answer: {failed}"


# ------------------------------------------------------------------ structure of the markup
@pytest.mark.parametrize("name", NAMES)
def test_each_graded_question_has_public_tests_and_a_check_outside_the_notebook(name):
    """The notebook holds the public tests only; the graded check of each question lives
    in the checker (never in the student's notebook or sandbox), with its answer format."""
    qs = questions(notebook(name))
    assert len(qs) >= 2, f"{name}: {len(qs)} graded questions"
    for q in qs:
        assert q["config"].get("all_or_nothing") is True, q["name"]
        assert q["tests"] and not any(is_hidden(t) for t in q["tests"]), q["name"]
        assert q["name"] in checks.CHECKS and q["name"] in answers.QUESTIONS, q["name"]
        for source in q["tests"]:  # otter's rule for exception-based test cells
            body = ast.parse(source).body
            assert isinstance(body[0], ast.FunctionDef) and len(body) == 2, q["name"]
        assert any("```{exercise}" in c.source for c in q["prompt"]), q["name"]


@pytest.mark.parametrize("name", NAMES)
def test_markup_is_hidden_from_the_book_and_folded_in_jupyterlab(name):
    nb = notebook(name)
    raw = [c for c in nb.cells if c.cell_type == "raw"]
    assert raw and all(c.metadata.get("jupyter", {}).get("source_hidden") for c in raw)
    config = [c for c in raw if c.source.startswith("# ASSIGNMENT CONFIG")]
    assert len(config) == 1 and f"name: {name}" in config[0].source
    assert "ok_format: false" in config[0].source  # exception-based tests
    tests = [c for c in nb.cells if "otter-test" in c.metadata.get("tags", [])]
    assert tests and all("remove-cell" in c.metadata["tags"] for c in tests)
    assert all(c.cell_type == "raw" for c in nb.cells if block_boundary(c))


@pytest.mark.parametrize("name", NAMES)
def test_master_drops_ungraded_solutions_and_unfolds_answers(name):
    nb = master(notebook(name))
    graded = {id(c) for q in questions(nb) for c in q["solution"]}
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            assert id(cell) in graded, f"{name}: an ungraded solution would be handed out"
            assert "jupyter" not in cell.metadata, f"{name}: a folded answer cell"


# ------------------------------------------------------------------------------- 01 CNN
RIGHT_LAYERS = {"conv1": 16 * 9 + 16, "conv2": 32 * 16 * 9 + 32, "fc1": 512 * 64 + 64,
                "fc2": 64 * 2 + 2}


@pytest.fixture(scope="module")
def cnn():
    """The notebook's classes and L = 16 training data; its worked solution, trained."""
    from sklearn.model_selection import train_test_split

    ns = notebook_definitions("01_cnn", "IsingCNN", "IsingCNNAnyL", "train_one_cycle")
    X, y, _ = ising_dataset(16, LECTURE_TEMPS, 100, seed=1)
    X_tr, _, y_tr, _ = train_test_split(X, y, test_size=0.3, random_state=42)
    ns["X_tr_t"], ns["y_tr_t"] = torch.tensor(X_tr), torch.tensor(y_tr)

    def trained(model, seed=0):
        return ns["train_one_cycle"](model, ns["X_tr_t"], ns["y_tr_t"], epochs=8, seed=seed)

    torch.manual_seed(1)
    ns["solution"] = trained(ns["IsingCNNAnyL"]())
    ns["trained"] = trained
    return ns


def cnn_env(cnn, **override):
    env = {"layers": dict(RIGHT_LAYERS), "n_mlp_first_layer": 16 * 16 * 64 + 64,
           "anyL": cnn["solution"]}
    return env | override


class GlobalMaxPooling(nn.Module):
    """The lecture's convolutions with global *max* pooling: accepts any L, but the largest
    local feature grows with the lattice (an extreme value), so it does not transfer."""

    def __init__(self, cnn):
        super().__init__()
        self.conv = cnn["IsingCNN"](padding_mode="circular").conv
        self.head = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(32, 2))

    def forward(self, x):
        return self.head(self.conv(x))


class MagnetisationThreshold(nn.Module):
    """|m| < 0.73 means disordered (the notebook's fitted threshold): one number, no CNN."""

    def forward(self, x):
        m = x.mean(dim=(1, 2, 3)).abs()
        return torch.stack([m - 0.73, 0.73 - m], dim=1) * 20


class FixedSizeHead(nn.Module):
    """The lecture's mistake: a flattening head that fits L = 16 only."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)
        self.fc = nn.Linear(16 * 16, 2)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


def untrained(factory, seed=0):
    torch.manual_seed(seed)
    return factory()


def max_pooling_trained(cnn):
    if "max pooling" not in cnn:  # trained once, as the worked solution but for the head
        torch.manual_seed(1)
        cnn["max pooling"] = cnn["trained"](GlobalMaxPooling(cnn))
    return cnn["max pooling"]


def test_cnn_right_answers_get_full_marks(cnn):
    assert_full_marks("01_cnn", "cnn_params", cnn_env(cnn))
    assert_full_marks("01_cnn", "cnn_any_size", cnn_env(cnn))


CNN_MISTAKES = {
    "conv biases forgotten": ("cnn_params", lambda cnn: {
        "layers": RIGHT_LAYERS | {"conv1": 144, "conv2": 4608}}),
    "MLP biases forgotten": ("cnn_params", lambda cnn: {"n_mlp_first_layer": 16 * 16 * 64}),
    "the lecture's flattening head": ("cnn_any_size", lambda cnn: {"anyL": FixedSizeHead()}),
    "IsingCNNAnyL never trained": ("cnn_any_size", lambda cnn: {
        "anyL": untrained(cnn["IsingCNNAnyL"])}),
    "global max pooling instead of average": ("cnn_any_size", lambda cnn: {
        "anyL": max_pooling_trained(cnn)}),
    "an |m| threshold instead of a CNN": ("cnn_any_size", lambda cnn: {
        "anyL": MagnetisationThreshold()}),
}


@pytest.mark.parametrize("mistake", CNN_MISTAKES)
def test_cnn_wrong_answer_loses_exactly_its_question(cnn, mistake):
    question, make = CNN_MISTAKES[mistake]
    assert_loses_exactly("01_cnn", question, cnn_env(cnn, **make(cnn)))


def test_cnn_max_pooling_passes_the_lecture_temperatures_and_fails_near_tc(cnn):
    """Why the check looks near T_c: at the lecture's temperatures global max pooling
    reaches the 0.95 bound; near T_c it classifies L = 32 worse than L = 16."""
    result = verdict("01_cnn", "cnn_any_size", cnn_env(cnn, anyL=max_pooling_trained(cnn)))
    assert result["message"].startswith("near T_c your network classifies L = 32"), result


# anyL is judged on the network itself: its layers cross as data, and the checker runs
# them, in the order they are defined, on configurations only it holds.
class Threshold(nn.Module):
    """An |m| threshold (0.73, the notebook's) with a convolution that it never uses: it
    met the former output-only check (accuracy 1.0 on fresh L = 32, near T_c 0.88 at
    L = 32 against 0.77 at L = 16). No CNN classifies here."""

    def __init__(self, layers=None):
        super().__init__()
        self.layers = layers if layers is not None else nn.Conv2d(1, 1, 3, padding=1)

    def forward(self, x):
        return MagnetisationThreshold()(x)


def cnn_outputs_alone_would_pass(net) -> bool:
    """The former check, on the network's own outputs for the checker's configurations."""
    _, refs = prepared("01_cnn")

    def accuracy(key):
        with torch.no_grad():
            pred = net(torch.tensor(refs[f"cnn_any_size.{key}"], dtype=torch.float32))
        return float(np.mean(pred.argmax(1).numpy() == refs[f"cnn_any_size.{key}_labels"]))

    return accuracy("fresh_32") >= 0.95 and accuracy("near_tc_32") >= accuracy("near_tc_16")


@pytest.mark.parametrize("disguise", ["a convolution it never uses", "the solution's layers"])
def test_cnn_imitation_earns_nothing(cnn, disguise):
    net = Threshold(None if disguise.startswith("a conv") else cnn["solution"])
    assert cnn_outputs_alone_would_pass(net), "not a real imitation"
    result = verdict("01_cnn", "cnn_any_size", cnn_env(cnn, anyL=net))
    assert not result["passed"], disguise
    assert ("not logits" in result["message"] if disguise.startswith("a conv") else
            "differ by up to" in result["message"]), result


class Varied(nn.Module):
    """Layers a student may choose, each run by the checker: a strided reflect-padded
    convolution, batch norm, average and max pooling, Tanh, Sigmoid, dropout, a flatten
    in forward (no nn.Flatten), two linear layers."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, padding_mode="reflect"), nn.BatchNorm2d(8),
            nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Dropout(0.2), nn.AdaptiveMaxPool2d(1))
        self.fc1, self.act, self.fc2 = nn.Linear(8, 16), nn.Sigmoid(), nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(torch.flatten(self.body(x), 1))))


def cnn_run_by_checker(net, x: np.ndarray) -> np.ndarray:
    a = checks.load(savez({k.partition(".")[2]: v for k, v in answers._leaves(
        net, "x.net").items()}))
    return checks.run_cnn(checks.cnn_layers(a, ""), x)


def test_checkers_cnn_pass_equals_pytorchs_to_float32_precision(cnn):
    """On the worked solution (measured: logits agree to ~1e-6 of their size) and on a
    network of other layers with random batch-norm statistics."""
    _, refs = prepared("01_cnn")
    varied = untrained(Varied).eval()
    with torch.no_grad():
        bn = varied.body[1]
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    for net in (cnn["solution"].eval(), varied):
        for key in ("fresh_32", "near_tc_16"):
            x = refs[f"cnn_any_size.{key}"]
            with torch.no_grad():
                expected = net(torch.tensor(x, dtype=torch.float32)).numpy()
            computed = cnn_run_by_checker(net, x)
            gap = np.max(np.abs(computed - expected))
            assert gap <= 1e-5 * (1 + np.max(np.abs(computed))), (type(net).__name__, key, gap)


def test_cnn_without_a_convolution_among_the_layers_that_cross_fails(cnn):
    """The kernel's own "it has a Conv2d" can be forged; the layers that cross cannot."""
    plain = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1, 2))
    queries, refs = prepared("01_cnn")
    sent = answers.collect(cnn_env(cnn, anyL=plain), ["cnn_any_size"], queries)
    sent["cnn_any_size.has_conv"] = np.array(True)  # a forged flag
    result = checks.judge(["cnn_any_size"], checks.load(savez(
        {k.removeprefix("cnn_any_size"): v for k, v in sent.items()}, prefix="cnn_any_size")),
        refs)["cnn_any_size"]
    assert not result["passed"] and "none of the layers the checker runs is an nn.Conv2d" in (
        result["message"]), result


def test_cnn_too_costly_to_run_is_refused_before_it_runs(cnn):
    heavy = nn.Sequential(nn.Conv2d(1, 64, 5, padding=2), nn.ReLU(),
                          nn.Conv2d(64, 64, 5, padding=2), nn.ReLU(),  # 210 MFLOP at L = 32
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 2))
    result = verdict("01_cnn", "cnn_any_size", cnn_env(cnn, anyL=untrained(lambda: heavy)))
    assert not result["passed"] and "MFLOP per 32x32 lattice" in result["message"], result


def test_cnn_with_a_step_that_is_not_a_layer_is_told_so(cnn):
    class FunctionalHead(nn.Module):  # the solution's layers, and ReLU as a function
        def __init__(self, net):
            super().__init__()
            self.conv, self.head = net.conv, net.head

        def forward(self, x):
            return self.head(nn.functional.relu(self.conv(x) - 0.5))

    result = verdict("01_cnn", "cnn_any_size", cnn_env(cnn, anyL=FunctionalHead(
        cnn["solution"])))
    assert not result["passed"] and "make every step a layer" in result["message"], result


# ----------------------------------------------------------------------- 02 autoencoder
# Both questions are judged on the network itself: its weights cross as data, and the
# checker runs them (encode, then decode) on the notebook's configurations and on fresh
# ones only it holds. Outputs without such a network earn nothing, however good they are.
@pytest.fixture(scope="module")
def ae():
    """The notebook's data, classes and training function; autoencoders trained as a
    student would, each under its own seed; the worked solutions of both questions."""
    ns = notebook_definitions("02_autoencoder", "IsingAutoencoder", "train_autoencoder")
    X, _, T = ising_dataset(16, LECTURE_TEMPS, 100, seed=1)
    ns["X_flat_t"] = torch.tensor(X.reshape(len(X), -1))
    ns["m_all"], ns["T_all"] = magnetization(X[:, 0]), T

    @functools.cache
    def trained(latent_dim, noise=0.0, data=None):
        torch.manual_seed(0)
        model = ns["IsingAutoencoder"](256, latent_dim=latent_dim)
        ns["train_autoencoder"](model, ns["X_flat_t"] if data is None else data, epochs=30,
                                noise=noise, report_every=0)
        return model.eval()

    ns["trained"] = trained
    ns["latent_models"] = {d: trained(d) for d in (1, 2, 8)}  # the worked solutions
    ns["denoiser"] = trained(2, noise=0.1)
    return ns


def ae_env(ae, **override):
    return {"X_flat_t": ae["X_flat_t"], "m_all": ae["m_all"], "T_all": ae["T_all"],
            "latent_models": dict(ae["latent_models"]), "dae": ae["denoiser"]} | override


def test_autoencoder_right_answers_get_full_marks(ae):
    assert_full_marks("02_autoencoder", "ae_latent", ae_env(ae))
    assert_full_marks("02_autoencoder", "ae_denoise", ae_env(ae))


class Wider(nn.Module):
    """An autoencoder of the student's own making, in the course's layers: hidden layers
    twice as wide as the lecture's, no final Tanh. A right answer once trained."""

    def __init__(self, latent_dim):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 64),
                                     nn.Tanh(), nn.Linear(64, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, 64), nn.ReLU(),
                                     nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256))

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z


def test_autoencoder_of_the_students_own_layers_is_judged_too(ae):
    torch.manual_seed(0)
    model = Wider(2)
    ae["train_autoencoder"](model, ae["X_flat_t"], epochs=30, noise=0.1, report_every=0)
    assert_full_marks("02_autoencoder", "ae_denoise", ae_env(ae, dae=model.eval()))


def test_checkers_forward_pass_equals_pytorchs_to_float32_precision(ae):
    """The checker's numpy run of the submitted weights (float64 from float32 weights) is
    PyTorch's float32 forward pass of the worked solutions, to float32 rounding: the
    sums have at most 256 terms of order one, so ~1e-6; measured below 4e-6."""
    queries, refs = prepared("02_autoencoder")
    x = refs["ae_latent.held_out"]
    for name, model in [(f"latent {d}", m) for d, m in ae["latent_models"].items()] + [
            ("denoiser", ae["denoiser"])]:
        a = checks.load(savez(answers._autoencoder(model, "m")))
        enc, width, _ = checks.layers(a, "", "m.encoder", "encoder", 256)
        dec, _, _ = checks.layers(a, "", "m.decoder", "decoder", width)
        z = checks.run(enc, x)
        with torch.no_grad():
            x_hat_torch, z_torch = model(torch.tensor(x, dtype=torch.float32))
        assert np.max(np.abs(z - z_torch.numpy())) <= 1e-5 * (1 + np.max(np.abs(z))), name
        assert np.max(np.abs(checks.run(dec, z) - x_hat_torch.numpy())) <= 1e-5, name


def savez(arrays: dict, prefix: str = "") -> io.BytesIO:
    """{FIELD: array} as the .npz bytes that cross the sandbox, keys ``PREFIX.FIELD`` (the
    empty prefix: the empty question, for checks.layers(a, "", ...))."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{prefix}.{k.lstrip('.')}": v for k, v in arrays.items()})
    buffer.seek(0)
    return buffer


def prenoised(ae):
    """Noise flipped once into the data, so the target is noisy too."""
    gen = torch.Generator().manual_seed(0)
    x = ae["X_flat_t"]
    return torch.where(torch.rand(x.shape, generator=gen) < 0.1, -x, x)


def zeroed_encoder(model):
    """The model with its encoder's first layer zeroed: its code ignores the input."""
    import copy

    model = copy.deepcopy(model)
    with torch.no_grad():
        model.encoder[0].weight.zero_()
    return model


AE_MISTAKES = {
    "every dimension the same model": ("ae_latent", lambda ae: {
        "latent_models": {d: ae["trained"](2) for d in (1, 2, 8)}}),
    "latent 2 never trained": ("ae_latent", lambda ae: {
        "latent_models": ae["latent_models"] | {
            2: untrained(lambda: ae["IsingAutoencoder"](256, 2))}}),
    "no model trained": ("ae_latent", lambda ae: {"latent_models": {
        d: untrained(lambda d=d: ae["IsingAutoencoder"](256, d)) for d in (1, 2, 8)}}),
    "an encoder that ignores its input": ("ae_latent", lambda ae: {"latent_models": {
        d: zeroed_encoder(m) for d, m in ae["latent_models"].items()}}),
    "denoiser trained without noise, latent 2": ("ae_denoise", lambda ae: {
        "dae": ae["trained"](2)}),
    "denoiser trained without noise, latent 1": ("ae_denoise", lambda ae: {
        "dae": ae["trained"](1)}),
    "noise flipped into the targets too": ("ae_denoise", lambda ae: {
        "dae": ae["trained"](2, data=prenoised(ae))}),
}


@pytest.mark.parametrize("mistake", AE_MISTAKES)
def test_autoencoder_wrong_answer_loses_exactly_its_question(ae, mistake):
    question, make = AE_MISTAKES[mistake]
    assert_loses_exactly("02_autoencoder", question, ae_env(ae, **make(ae)))


# Imitations: outputs without an autoencoder (issue 46). Each earned its point when only
# outputs were judged (shown by ``outputs_alone_would_pass``); each earns 0 now, bare (a
# module with no encoder and decoder) or disguised (the lecture's layers, trained or not,
# beside a forward that returns the imitation: its outputs are not what its weights give).
class NoisyCopy(nn.Module):
    """Latent d: the input plus Gaussian noise whose variance is tuned from the input's
    own magnetisation to land just under the 1 - m^2 yardstick, less for larger d."""

    share = {1: 0.99, 2: 0.95, 8: 0.9}

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        m = x.mean(dim=1, keepdim=True)
        sigma = (self.share[self.dim] * (1 - m**2).mean()).sqrt()
        gen = torch.Generator().manual_seed(self.dim)
        return x + sigma * torch.randn(x.shape, generator=gen), m.expand(-1, self.dim)


class MajorityVote(nn.Module):
    """Every spin takes the sign of the majority of its configuration."""

    def forward(self, x):
        m = x.mean(dim=1, keepdim=True)
        return torch.sign(m).expand_as(x), m


class Lookup(nn.Module):
    """The nearest of the configurations the notebook (and ae_latent's queries) hold."""

    def __init__(self, table):
        super().__init__()
        self.table = table

    def forward(self, x):
        nearest = torch.cdist(x, self.table).argmin(dim=1)
        return self.table[nearest], nearest[:, None].float()


class Disguised(nn.Module):
    """The lecture's encoder and decoder (their weights cross), but its forward returns an
    imitation's outputs."""

    def __init__(self, inner, autoencoder):
        super().__init__()
        self.inner, self.encoder, self.decoder = inner, autoencoder.encoder, autoencoder.decoder

    def forward(self, x):
        return self.inner(x)


def imitations(ae):
    lookup = Lookup(ae["X_flat_t"][torch.tensor(ae["T_all"] < 2.0)])
    return {
        "input plus shrinking noise": ("ae_latent", {
            "latent_models": {d: NoisyCopy(d) for d in (1, 2, 8)}}),
        "input plus shrinking noise, disguised": ("ae_latent", {"latent_models": {
            d: Disguised(NoisyCopy(d), ae["latent_models"][d]) for d in (1, 2, 8)}}),
        "... disguised in untrained layers": ("ae_latent", {"latent_models": {
            d: Disguised(NoisyCopy(d), untrained(lambda d=d: ae["IsingAutoencoder"](256, d)))
            for d in (1, 2, 8)}}),
        "majority vote": ("ae_denoise", {"dae": MajorityVote()}),
        "majority vote, disguised": ("ae_denoise", {"dae": Disguised(
            MajorityVote(), untrained(lambda: ae["IsingAutoencoder"](256, 2)))}),
        "lookup of the nearest configuration": ("ae_denoise", {"dae": lookup}),
        "lookup, disguised": ("ae_denoise", {"dae": Disguised(lookup, ae["trained"](2))}),
    }


def outputs_alone_would_pass(question: str, env: dict) -> bool:
    """The former check: the same bounds on the outputs the kernel reports."""
    queries, refs = prepared("02_autoencoder")
    a = checks.load(savez({k.partition(".")[2]: v for k, v in answers.collect(
        env, [question], queries).items()}))
    if question == "ae_latent":
        x = refs["ae_latent.configs"].astype(np.float64)
        mse = [np.mean((a[f".x_hat_{d}"] - x) ** 2) for d in (1, 2, 8)]
        return mse[0] <= 1.05 * refs["ae_latent.yardstick"] and mse[0] > mse[1] > mse[2]
    clean = refs["ae_denoise.clean"].astype(np.float64)
    return np.mean((a[".denoised"] - clean) ** 2) <= 1.1 * refs["ae_denoise.perfect"]


@pytest.mark.parametrize("imitation", ["input plus shrinking noise",
                                       "input plus shrinking noise, disguised",
                                       "... disguised in untrained layers", "majority vote",
                                       "majority vote, disguised",
                                       "lookup of the nearest configuration",
                                       "lookup, disguised"])
def test_outputs_without_an_autoencoder_earn_nothing(ae, imitation):
    question, override = imitations(ae)[imitation]
    env = ae_env(ae, **override)
    assert outputs_alone_would_pass(question, env), f"{imitation}: not a real imitation"
    result = verdict("02_autoencoder", question, env)
    assert not result["passed"], imitation
    disguised = "disguised" in imitation
    assert (("differ by up to" in result["message"]) if disguised else
            ("should be an autoencoder of the course's kind" in result["message"])), result


def test_a_denoiser_without_a_bottleneck_is_refused(ae):
    class Wide(Wider):
        def __init__(self):
            super().__init__(64)

    result = verdict("02_autoencoder", "ae_denoise", ae_env(ae, dae=untrained(Wide)))
    assert not result["passed"] and "ends in 64 numbers, more than 8" in result["message"]


def test_a_network_too_large_to_run_is_refused_by_its_count_and_its_weights_stay(ae):
    class Huge(Wider):
        def __init__(self):
            super().__init__(2)
            self.encoder[0] = nn.Linear(256, 4096)  # 1.05 million weights in one layer
            self.encoder[2] = nn.Linear(4096, 64)

    env = ae_env(ae, dae=untrained(Huge))
    queries, _ = prepared("02_autoencoder")
    sent = answers.collect(env, ["ae_denoise"], queries)
    assert "ae_denoise.model.encoder.0.weight" not in sent  # the count crosses, not the weights
    result = verdict("02_autoencoder", "ae_denoise", env)
    assert not result["passed"] and "parameters, more than the 1,000,000" in (
        result["message"]), result


def test_a_layer_the_checker_does_not_run_is_refused_by_name(ae):
    model = untrained(lambda: ae["IsingAutoencoder"](256, 2))
    model.encoder[1] = nn.GELU()
    result = verdict("02_autoencoder", "ae_denoise", ae_env(ae, dae=model))
    assert not result["passed"] and "layer 1 of the encoder of `dae` is a GELU" in (
        result["message"]), result


# ---------------------------------------------------------------------- 03 forward PINNs
def damped_exact(t, gamma=0.2, omega=2.0):
    w_d = np.sqrt(omega**2 - gamma**2)
    return torch.exp(-gamma * t) * (torch.cos(w_d * t) + gamma / w_d * torch.sin(w_d * t))


def two_modes(xt, slow_rate=1.0, fast_rate=4.0, alpha=0.1):
    x, t = xt[:, :1], xt[:, 1:]
    return (torch.sin(2 * np.pi * x) * torch.exp(-fast_rate * np.pi**2 * alpha * t)
            + 0.5 * torch.sin(np.pi * x) * torch.exp(-slow_rate * np.pi**2 * alpha * t))


def pinn_env(**override):
    return {"device": CPU, "solution_damped": damped_exact, "u_two": two_modes} | override


def test_forward_pinn_right_answers_get_full_marks():
    assert_full_marks("03_pinn_forward", "pinn_damped", pinn_env())
    assert_full_marks("03_pinn_forward", "pinn_heat_two", pinn_env())


PINN_MISTAKES = {
    "damping forgotten": ("pinn_damped", {"solution_damped": lambda t: torch.cos(2 * t)}),
    "initial velocity not zero": ("pinn_damped", {
        "solution_damped": lambda t: damped_exact(t) + 1e-3 * t}),
    "one mode only": ("pinn_heat_two", {
        "u_two": lambda xt: two_modes(xt) - 0.5 * torch.sin(np.pi * xt[:, :1])
        * torch.exp(-np.pi**2 * 0.1 * xt[:, 1:])}),
    "both modes decay at the slow rate": ("pinn_heat_two", {
        "u_two": lambda xt: two_modes(xt, fast_rate=1.0)}),
}


@pytest.mark.parametrize("mistake", PINN_MISTAKES)
def test_forward_pinn_wrong_answer_loses_exactly_its_question(mistake):
    question, override = PINN_MISTAKES[mistake]
    assert_loses_exactly("03_pinn_forward", question, pinn_env(**override))


# ---------------------------------------------------------------------- 04 inverse PINN
def observations():
    """The notebook's 100 measurements, made by its own make_observations."""
    from utils.pinn import heat_exact

    ns = notebook_definitions("04_pinn_inverse", "exact_heat", "make_observations",
                              heat_exact=heat_exact, alpha_true=0.1)
    return ns["exact_heat"], ns["make_observations"](100, 0.02, seed=2026)


def inverse_env(fit=None, **override):
    """Answers computed from the notebook's own measurements, the least-squares ones by
    ``curve_fit`` as a student would call it (``fit`` changes the call), the PINN's placed
    a hundredth of a standard error away."""
    from scipy.optimize import curve_fit

    exact_heat, (x, t, u) = observations()
    sigma, n = 0.02, len(x)
    t_values = np.linspace(0.01, 3, 300)
    info = (np.pi**2 * t_values * exact_heat(0.5, t_values)) ** 2

    def one(xt, a):  # the notebook's model_u
        return exact_heat(xt[0], xt[1], a)

    def two(xt, amp, a):  # the notebook's model_two
        return amp * np.sin(np.pi * xt[0]) * np.exp(-a * np.pi**2 * xt[1])

    (a1,), cov1 = curve_fit(one, (x, t), u, p0=[0.2], sigma=np.full(n, sigma),
                            absolute_sigma=True)
    kwargs = {"sigma": np.full(n, sigma), "absolute_sigma": True} | (fit or {})
    (amp, a), cov2 = curve_fit(two, (x, t), u, p0=[0.5, 0.2], **kwargs)
    se_two = np.sqrt(np.diag(cov2))
    env = {"t_best": float(t_values[np.argmax(info)]),
           "se_best": float(sigma / np.sqrt(n * info.max())),
           "amp_lsq": amp, "alpha_two": a, "se_two": se_two,
           "alpha_lsq": a1, "alpha_lsq_se": float(np.sqrt(cov1[0, 0])),
           "amp_pinn_two": amp + 0.01 * se_two[0], "alpha_pinn_two": a - 0.01 * se_two[1]}
    return env | override


def amplitude_fixed_at_one():
    """Only alpha fitted (A = 1 assumed), its one-parameter standard error reported."""
    env = inverse_env()
    return {"amp_lsq": 1.0, "alpha_two": env["alpha_lsq"], "amp_pinn_two": 1.0,
            "se_two": [1e-3, env["alpha_lsq_se"]], "alpha_pinn_two": env["alpha_lsq"]}


def test_inverse_right_answers_get_full_marks():
    assert_full_marks("04_pinn_inverse", "inv_design", inverse_env())
    assert_full_marks("04_pinn_inverse", "inv_two", inverse_env())
    # the notebook's own call: with bounds
    assert_full_marks("04_pinn_inverse", "inv_two", inverse_env(
        fit={"bounds": ([0, 0], [10, 10])}))


INVERSE_MISTAKES = {
    "maximised u instead of (du/dalpha)^2": ("inv_design", lambda: {"t_best": 0.01}),
    "sigma / sqrt(N) without the information": ("inv_design", lambda: {
        "se_best": 0.02 / np.sqrt(100)}),
    "wrong estimates with huge standard errors": ("inv_two", lambda: {
        "amp_lsq": 1.5, "alpha_two": 0.3, "se_two": [1.0, 1.0], "amp_pinn_two": 1.5,
        "alpha_pinn_two": 0.6}),
    "curve_fit with sigma=1, absolute_sigma=True": ("inv_two", lambda: inverse_env(
        fit={"sigma": np.ones(100)})),
    "curve_fit's default: errors rescaled by chi^2": ("inv_two", lambda: inverse_env(
        fit={"absolute_sigma": False})),
    "amplitude fixed at 1": ("inv_two", amplitude_fixed_at_one),
    "standard errors in the order alpha, A": ("inv_two", lambda: {
        "se_two": inverse_env()["se_two"][::-1]}),
    "a PINN that has not converged": ("inv_two", lambda: {"alpha_pinn_two": 0.1 + 0.01}),
}


@pytest.mark.parametrize("mistake", INVERSE_MISTAKES)
def test_inverse_wrong_answer_loses_exactly_its_question(mistake):
    question, make = INVERSE_MISTAKES[mistake]
    assert_loses_exactly("04_pinn_inverse", question, inverse_env() | make())


# --------------------------------------------------------------------------- 05 symmetry
@pytest.fixture(scope="module")
def sym():
    """The notebook's classes, data and training function; the worked solution trained."""
    ns = notebook_definitions("05_symmetry", "SymmetricNN", "lj_clusters", "random_orderings",
                              "train_energy_model", itertools=itertools)
    rng = np.random.default_rng(0)
    ns["d_train_all"], ns["e_train_all"] = ns["lj_clusters"](400, 3, rng)
    ns["d_test"], _ = ns["lj_clusters"](2000, 3, rng)
    ns["PooledNN"] = solution_definition("05_symmetry", "sym_pooling", "PooledNN",
                                         SymmetricNN=ns["SymmetricNN"])
    ns["pools"] = {"mean": lambda h: h.mean(dim=1), "max": lambda h: h.max(dim=1).values}

    def trained(model, seed=0):
        ns["train_energy_model"](model, ns["d_train_all"], ns["e_train_all"], steps=800,
                                 seed=seed, desc="test")
        return model

    ns["trained"] = trained
    ns["solution"] = {name: trained(untrained(lambda p=pool: ns["PooledNN"](p)))
                      for name, pool in ns["pools"].items()}
    return ns


def solution_definition(name: str, question: str, definition: str, edit=None, **context):
    """A class or function defined in the question's worked solution (optionally edited)."""
    (q,) = [q for q in questions(notebook(name)) if q["name"] == question]
    code = "\n".join(c.source for c in q["solution"] if c.cell_type == "code")
    (node,) = [n for n in ast.parse(code).body
               if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == definition]
    source = ast.unparse(node)
    if edit:
        assert edit[0] in source, edit
        source = source.replace(*edit)
    namespace = {"torch": torch, "nn": nn, "np": np} | context
    exec(source, namespace)
    return namespace[definition]


def symmetry_env(sym, **override):
    env = {"SymmetricNN": sym["SymmetricNN"], "d_test": sym["d_test"],
           "pooled_models": dict(sym["solution"]),
           "per_atom_energies": solution_definition("05_symmetry", "sym_equivariant",
                                                    "per_atom_energies")}
    return env | override


def test_symmetry_right_answers_get_full_marks(sym):
    assert_full_marks("05_symmetry", "sym_pooling", symmetry_env(sym))
    assert_full_marks("05_symmetry", "sym_equivariant", symmetry_env(sym))


def per_atom_edited(old, new):
    return solution_definition("05_symmetry", "sym_equivariant", "per_atom_energies",
                               (old, new))


SYM_MISTAKES = {
    "mean and max models never trained": ("sym_pooling", lambda sym: {"pooled_models": {
        name: untrained(lambda p=pool: sym["PooledNN"](p))
        for name, pool in sym["pools"].items()}}),
    "the first pair's features instead of the mean": ("sym_pooling", lambda sym: {
        "pooled_models": sym["solution"] | {
            "mean": sym["trained"](untrained(lambda: sym["PooledNN"](lambda h: h[:, 0])))}}),
    "both models still summing": ("sym_pooling", lambda sym: {"pooled_models": {
        name: sym["trained"](untrained(sym["SymmetricNN"])) for name in ("mean", "max")}}),
    "E_i includes phi(r_ii = 0)": ("sym_equivariant", lambda sym: {
        "per_atom_energies": per_atom_edited("r[off_diagonal].view(n, n - 1, 1)",
                                             "r.view(n, n, 1)")}),
    "every atom gets rho of the sum over all pairs": ("sym_equivariant", lambda sym: {
        "per_atom_energies": per_atom_edited(
            "features = model.phi(r[off_diagonal].view(n, n - 1, 1)).sum(dim=1)",
            "features = model.phi(r[off_diagonal].view(1, -1, 1)).sum(dim=1).expand(n, -1)"
        )}),
}


@pytest.mark.parametrize("mistake", SYM_MISTAKES)
def test_symmetry_wrong_answer_loses_exactly_its_question(sym, mistake):
    question, make = SYM_MISTAKES[mistake]
    assert_loses_exactly("05_symmetry", question, symmetry_env(sym, **make(sym)))


class PairPotential(nn.Module):
    """phi of an imitation: the Lennard-Jones pair energy itself, (..., 1) -> (..., 1)."""

    def forward(self, r):
        return 4 * (r**-12 - r**-6)


class Times(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, h):
        return self.factor * h


class Formula(nn.Module):
    """The exact energy, written as rho(pool of phi) with code in place of trained layers:
    invariant, really rho(mean of phi), and exact on every cluster (max: a worse but still
    affine-related fit). It met every former output-only check of sym_pooling."""

    def __init__(self, pool):
        super().__init__()
        self.pool, self.phi, self.rho = pool, PairPotential(), Times(3.0)

    def forward(self, dists):
        return self.rho(self.pool(self.phi(dists.unsqueeze(-1))))


def test_deep_sets_of_code_instead_of_layers_earn_nothing(sym):
    env = symmetry_env(sym, pooled_models={name: Formula(pool)
                                            for name, pool in sym["pools"].items()})
    queries, refs = prepared("05_symmetry")
    a = answers.collect(env, ["sym_pooling"], queries)
    out, energy = a["sym_pooling.mean_out"][:, 0], refs["sym_pooling.energy"]
    assert np.allclose(out, energy, rtol=1e-4, atol=1e-3), "not a real imitation"  # exact
    result = verdict("05_symmetry", "sym_pooling", env)
    assert not result["passed"] and "layer 0 of phi of pooled_models['mean'] is a " \
        "PairPotential" in result["message"], result


def test_deep_sets_whose_forward_is_not_rho_of_pooled_phi_fail(sym):
    class Skip(nn.Module):  # the solution's layers, and one more path around the pooling
        def __init__(self, model):
            super().__init__()
            self.model, self.phi, self.rho = model, model.phi, model.rho

        def forward(self, dists):
            return self.model(dists) + 0.01 * dists.sum(dim=1, keepdim=True)

    env = symmetry_env(sym, pooled_models=sym["solution"] | {
        "mean": Skip(sym["solution"]["mean"])})
    result = verdict("05_symmetry", "sym_pooling", env)
    assert not result["passed"], result
    assert "differ by up to" in result["message"] or "not rho(mean of phi)" in (
        result["message"]), result


def test_checkers_deep_sets_pass_equals_pytorchs_to_float32_precision(sym):
    _, refs = prepared("05_symmetry")
    d = refs["sym_pooling.held_out"]
    for name, model in sym["solution"].items():
        a = checks.load(savez(answers._layers(model.phi, "phi") | answers._layers(
            model.rho, "rho")))
        phi, width, _ = checks.layers(a, "", "phi", "phi", 1)
        rho, _, _ = checks.layers(a, "", "rho", "rho", width)
        with torch.no_grad():
            expected = model(torch.tensor(d)).numpy()
        computed = checks.pooled(phi, rho, name, d)
        assert np.max(np.abs(computed - expected)) <= 1e-5 * (1 + np.max(np.abs(computed)))


SymmetricNN = notebook_definitions("05_symmetry", "SymmetricNN")["SymmetricNN"]


# ----------------------------------------------------------------------- blank answers
BLANK_CASES = [(name, q["name"]) for name in NAMES for q in questions(notebook(name))]


@pytest.mark.parametrize("name, question", BLANK_CASES)
@pytest.mark.parametrize("blank", [None, ...], ids=["undefined", "ellipsis"])
def test_blank_answer_scores_zero_and_public_tests_say_why_in_words(name, question, blank):
    env = {"device": torch.device("cpu"), "X_flat_t": torch.ones(4, 256),
           "d_test": np.ones((4, 3), np.float32), "SymmetricNN": SymmetricNN,
           "m_all": np.zeros(4), "T_all": np.ones(4), "alpha_lsq_se": 1e-3}
    result = verdict(name, question, _Blank(env, blank))
    assert not result["passed"], "a blank answer must not score"
    assert len(result["message"].split()) >= 6 and "`" in result["message"], result
    first = public_tests(name, question, _Blank(env, blank))[0]
    assert isinstance(first, AssertionError), (
        f"{name} {question}: the first public test fails with {type(first).__name__}: "
        f"{first} instead of a message in words")
    message = str(first)
    assert len(message.split()) >= 6 and "`" in message, message  # names the variable


class _Blank(dict):
    """Context variables present; every answer variable is ``blank``."""

    def __init__(self, context, blank):
        super().__init__(context)
        self.blank = blank

    def get(self, key, default=None):
        return super().get(key, self.blank)
