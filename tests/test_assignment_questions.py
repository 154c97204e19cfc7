"""The assignment questions and their tests, as a specification (no notebook is executed).

Each notebook's graded exercises are otter-grader questions: raw delimiter cells around
the prompt, the worked solution and the test cells. Otter turns each test cell into a test
case: the function it defines is called with the notebook's variables of the same names
(``None`` when a name is undefined). Here the functions are called the same way, with
objects built in the test:

- the right answer (a hand-made object with the required property, or the notebook's own
  solution code) passes every test of its question;
- a blank answer (the student notebook's ``...``, or nothing defined) fails, and the
  public tests say what is missing in words, not with a traceback from deep inside;
- a planted mistake fails its question and leaves the other question of the notebook at
  full marks (questions are all-or-nothing, so it loses exactly that question's points).

Grading whole submissions with otter is tested in tests/assignments (``make
assignments-check``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn

from scripts.assignments import block_boundary, master, questions
from utils.ising import ising_dataset, magnetization

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
LECTURE_TEMPS = np.concatenate([np.linspace(1.0, 2.0, 6), np.linspace(2.5, 4.0, 6)])


def notebook(name):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


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


def run(name: str, question: str, env: dict) -> list[tuple[bool, BaseException | None]]:
    """Each test of ``question`` called like otter does: (hidden, exception or None)."""
    import inspect

    results = []
    for hidden, func in question_test_functions(name, question):
        kwargs = {p: env.get(p) for p in inspect.signature(func).parameters}
        try:
            func(**kwargs)
            results.append((hidden, None))
        except Exception as err:  # noqa: BLE001 - a failing test case, as otter counts it
            results.append((hidden, err))
    return results


def full_marks(name, question, env) -> bool:
    return all(err is None for _, err in run(name, question, env))


def assert_loses_exactly(name, question, env):
    """The mistake fails ``question``; every other question of the notebook scores full."""
    assert not full_marks(name, question, env), f"{name}: a mistake in {question} scored"
    for other in questions(notebook(name)):
        if other["name"] != question:
            assert_full_marks(name, other["name"], env)


def assert_full_marks(name, question, env):
    failed = [f"{'hidden' if h else 'public'}: {type(e).__name__}: {e}"
              for h, e in run(name, question, env) if e is not None]
    assert not failed, f"{name} {question} with the right answer: {failed}"


# ------------------------------------------------------------------ structure of the markup
@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_has_two_graded_questions_with_public_and_hidden_tests(name):
    qs = questions(notebook(name))
    assert len(qs) >= 2, f"{name}: {len(qs)} graded questions"
    for q in qs:
        assert q["config"].get("all_or_nothing") is True, q["name"]
        hidden = [is_hidden(t) for t in q["tests"]]
        assert any(hidden) and not all(hidden), f"{q['name']}: public and hidden tests"
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


class MagnetisationClassifier(nn.Module):
    """Phase from |m| alone (class 1: disordered), for any lattice size: a right answer."""

    def __init__(self):
        super().__init__()
        self.threshold = nn.Parameter(torch.tensor(0.5))

    def forward(self, x):
        m = x.mean(dim=(1, 2, 3)).abs()
        return torch.stack([m - self.threshold, self.threshold - m], dim=1) * 20


class FixedSizeHead(nn.Module):
    """The lecture's mistake: a flattening head that fits L = 16 only."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16 * 16, 2)

    def forward(self, x):
        return self.fc(x.flatten(1))


def cnn_env(**override):
    env = {"layers": dict(RIGHT_LAYERS), "n_mlp_first_layer": 16 * 16 * 64 + 64,
           "anyL": MagnetisationClassifier()}
    return env | override


def test_cnn_right_answers_get_full_marks():
    assert_full_marks("01_cnn", "cnn_params", cnn_env())
    assert_full_marks("01_cnn", "cnn_any_size", cnn_env())


@pytest.mark.parametrize("question, mistake", [
    ("cnn_params", {"layers": RIGHT_LAYERS | {"conv1": 144, "conv2": 4608}}),  # no conv biases
    ("cnn_params", {"n_mlp_first_layer": 16 * 16 * 64}),  # MLP biases forgotten
    ("cnn_any_size", {"anyL": FixedSizeHead()}),
    ("cnn_any_size", {"anyL": nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                            nn.Linear(1, 2))}),  # untrained
])
def test_cnn_planted_mistake_loses_exactly_its_question(question, mistake):
    assert_loses_exactly("01_cnn", question, cnn_env(**mistake))


# ----------------------------------------------------------------------- 02 autoencoder
class OracleAutoencoder(nn.Module):
    """Latent (m, first d - 1 spins); reconstructs m everywhere but copies those spins.

    Its error is 1 - m^2 averaged over the other spins: the yardstick for d = 1, lower
    for d = 8. A right answer for the latent-dimension question.
    """

    def __init__(self, dim):
        super().__init__()
        self.dim = dim
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        m = x.mean(dim=1, keepdim=True)
        z = torch.cat([m, x[:, : self.dim - 1]], dim=1) * self.scale
        x_hat = m.expand_as(x).clone()
        x_hat[:, : self.dim - 1] = x[:, : self.dim - 1]
        return x_hat, z


class MajorityVote(nn.Module):
    """Every spin takes the sign of the majority: a right answer for the denoiser."""

    def forward(self, x):
        m = x.mean(dim=1, keepdim=True)
        return torch.sign(m).expand_as(x), m


class Identity(nn.Module):
    def forward(self, x):
        return x, x.mean(dim=1, keepdim=True)


@pytest.fixture(scope="module")
def ising_data():
    X, _, T = ising_dataset(16, LECTURE_TEMPS, 20, seed=5)
    return {"X_flat_t": torch.tensor(X.reshape(len(X), -1)), "m_all": magnetization(X[:, 0]),
            "T_all": T}


def ae_env(data, **override):
    return data | {"latent_models": {d: OracleAutoencoder(d) for d in (1, 2, 8)},
                   "dae": MajorityVote()} | override


def test_autoencoder_right_answers_get_full_marks(ising_data):
    assert_full_marks("02_autoencoder", "ae_latent", ae_env(ising_data))
    assert_full_marks("02_autoencoder", "ae_denoise", ae_env(ising_data))


@pytest.mark.parametrize("question, mistake", [
    ("ae_latent", {"latent_models": {d: OracleAutoencoder(2) for d in (1, 2, 8)}}),
    ("ae_latent", {"latent_models": {1: Identity(), 2: OracleAutoencoder(2),
                                     8: OracleAutoencoder(8)}}),
    ("ae_denoise", {"dae": Identity()}),  # keeps every flipped spin
])
def test_autoencoder_planted_mistake_loses_exactly_its_question(ising_data, question, mistake):
    assert_loses_exactly("02_autoencoder", question, ae_env(ising_data, **mistake))


def test_autoencoder_latent_bound_is_not_met_by_an_encoder_that_ignores_its_input(ising_data):
    class Blind(OracleAutoencoder):
        def forward(self, x):
            return torch.zeros_like(x), torch.zeros(len(x), self.dim)

    env = ae_env(ising_data, latent_models={d: Blind(d) for d in (1, 2, 8)})
    assert not full_marks("02_autoencoder", "ae_latent", env)


# ---------------------------------------------------------------------- 03 forward PINNs
def damped_exact(t, gamma=0.2, omega=2.0):
    w_d = np.sqrt(omega**2 - gamma**2)
    return torch.exp(-gamma * t) * (torch.cos(w_d * t) + gamma / w_d * torch.sin(w_d * t))


def two_modes(xt, slow_rate=1.0, fast_rate=4.0, alpha=0.1):
    x, t = xt[:, :1], xt[:, 1:]
    return (torch.sin(2 * np.pi * x) * torch.exp(-fast_rate * np.pi**2 * alpha * t)
            + 0.5 * torch.sin(np.pi * x) * torch.exp(-slow_rate * np.pi**2 * alpha * t))


def pinn_env(**override):
    return {"device": torch.device("cpu"), "solution_damped": damped_exact,
            "u_two": two_modes} | override


def test_forward_pinn_right_answers_get_full_marks():
    assert_full_marks("03_pinn_forward", "pinn_damped", pinn_env())
    assert_full_marks("03_pinn_forward", "pinn_heat_two", pinn_env())


@pytest.mark.parametrize("question, mistake", [
    ("pinn_damped", {"solution_damped": lambda t: torch.cos(2 * t)}),  # damping forgotten
    ("pinn_damped", {"solution_damped": lambda t: damped_exact(t) + 1e-3 * t}),  # x'(0) != 0
    ("pinn_heat_two", {"u_two": lambda xt: two_modes(xt) - 0.5 * torch.sin(np.pi * xt[:, :1])
                       * torch.exp(-np.pi**2 * 0.1 * xt[:, 1:])}),  # one mode only
    ("pinn_heat_two", {"u_two": lambda xt: two_modes(xt, fast_rate=1.0)}),  # wrong decay
])
def test_forward_pinn_planted_mistake_loses_exactly_its_question(question, mistake):
    assert_loses_exactly("03_pinn_forward", question, pinn_env(**mistake))


# ---------------------------------------------------------------------- 04 inverse PINN
def inverse_env(fix_amplitude=False, **override):
    """The notebook's least-squares answers, computed here from the same kind of data."""
    from scipy.optimize import curve_fit

    alpha, sigma, n = 0.1, 0.02, 100
    t_values = np.linspace(0.01, 3, 300)
    info = (np.pi**2 * t_values * np.exp(-alpha * np.pi**2 * t_values)) ** 2
    rng = np.random.default_rng(2026)
    x, t = rng.uniform(0.1, 0.9, n), rng.uniform(0.05, 0.8, n)
    u = np.sin(np.pi * x) * np.exp(-alpha * np.pi**2 * t) + sigma * rng.standard_normal(n)

    def one(xt, a):
        return np.sin(np.pi * xt[0]) * np.exp(-a * np.pi**2 * xt[1])

    def two(xt, amp, a):
        return amp * one(xt, a)

    (_,), cov1 = curve_fit(one, (x, t), u, p0=[0.2], sigma=np.full(n, sigma),
                           absolute_sigma=True)
    (amp, a), cov2 = curve_fit(two, (x, t), u, p0=[0.5, 0.2], sigma=np.full(n, sigma),
                               absolute_sigma=True)
    se_two = np.sqrt(np.diag(cov2))
    if fix_amplitude:  # the mistake: A fixed at 1, alpha alone fitted
        (a,), cov = curve_fit(one, (x, t), u, p0=[0.2], sigma=np.full(n, sigma),
                              absolute_sigma=True)
        amp, se_two = 1.0, np.array([1e-3, np.sqrt(cov[0, 0])])
    env = {"t_best": float(t_values[np.argmax(info)]),
           "se_best": float(sigma / np.sqrt(n * info.max())),
           "amp_lsq": amp, "alpha_two": a, "se_two": se_two,
           "alpha_lsq_se": float(np.sqrt(cov1[0, 0])),
           "amp_pinn_two": amp + 0.01 * se_two[0], "alpha_pinn_two": a - 0.01 * se_two[1]}
    return env | override


def test_inverse_right_answers_get_full_marks():
    assert_full_marks("04_pinn_inverse", "inv_design", inverse_env())
    assert_full_marks("04_pinn_inverse", "inv_two", inverse_env())


@pytest.mark.parametrize("question, mistake", [
    ("inv_design", {"t_best": 0.01}),  # maximised u instead of (du/dalpha)^2
    ("inv_design", {"se_best": 0.02 / np.sqrt(100)}),  # sigma / sqrt(N) without the information
    ("inv_two", {"fix_amplitude": True}),
    ("inv_two", {"alpha_pinn_two": 0.1 + 0.01}),  # a PINN that has not converged
])
def test_inverse_planted_mistake_loses_exactly_its_question(question, mistake):
    assert_loses_exactly("04_pinn_inverse", question, inverse_env(**mistake))


# --------------------------------------------------------------------------- 05 symmetry
class SymmetricNN(nn.Module):
    """The notebook's Deep Sets network (phi per pair, sum, rho)."""

    def __init__(self):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.rho = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, dists):
        return self.rho(self.phi(dists.unsqueeze(-1)).sum(dim=1))


def solution_definition(name: str, question: str, definition: str, edit=None):
    """A class or function defined in the question's worked solution (optionally edited)."""
    (q,) = [q for q in questions(notebook(name)) if q["name"] == question]
    code = "\n".join(c.source for c in q["solution"] if c.cell_type == "code")
    (node,) = [n for n in ast.parse(code).body
               if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == definition]
    source = ast.unparse(node)
    if edit:
        assert edit[0] in source, edit
        source = source.replace(*edit)
    namespace = {"torch": torch, "nn": nn, "np": np, "SymmetricNN": SymmetricNN}
    exec(source, namespace)
    return namespace[definition]


def symmetry_env(**override):
    torch.manual_seed(0)
    pooled = solution_definition("05_symmetry", "sym_pooling", "PooledNN")
    rng = np.random.default_rng(0)
    env = {"SymmetricNN": SymmetricNN,
           "d_test": rng.uniform(0.9, 2.5, (500, 3)).astype(np.float32),
           "pooled_models": {"mean": pooled(lambda h: h.mean(dim=1)),
                             "max": pooled(lambda h: h.max(dim=1).values)},
           "per_atom_energies": solution_definition("05_symmetry", "sym_equivariant",
                                                    "per_atom_energies")}
    return env | override


def test_symmetry_right_answers_get_full_marks():
    assert_full_marks("05_symmetry", "sym_pooling", symmetry_env())
    assert_full_marks("05_symmetry", "sym_equivariant", symmetry_env())


def self_interaction():  # E_i includes phi(r_ii = 0): still equivariant, but wrong
    return solution_definition("05_symmetry", "sym_equivariant", "per_atom_energies",
                               ("r[off_diagonal].view(n, n - 1, 1)", "r.view(n, n, 1)"))


@pytest.mark.parametrize("question, mistake", [
    ("sym_pooling", lambda: {"pooled_models": {
        "mean": solution_definition("05_symmetry", "sym_pooling", "PooledNN")(
            lambda h: h[:, 0]), "max": symmetry_env()["pooled_models"]["max"]}}),
    ("sym_pooling", lambda: {"pooled_models": {  # both named right, both summing
        "mean": SymmetricNN(), "max": SymmetricNN()}}),
    ("sym_equivariant", lambda: {"per_atom_energies": self_interaction()}),
])
def test_symmetry_planted_mistake_loses_exactly_its_question(question, mistake):
    assert_loses_exactly("05_symmetry", question, symmetry_env(**mistake()))


# ----------------------------------------------------------------------- blank answers
BLANK_CASES = [(name, q["name"]) for name in NAMES for q in questions(notebook(name))]


@pytest.mark.parametrize("name, question", BLANK_CASES)
@pytest.mark.parametrize("blank", [None, ...], ids=["undefined", "ellipsis"])
def test_blank_answer_scores_zero_and_public_tests_say_why_in_words(name, question, blank):
    env = {"device": torch.device("cpu"), "X_flat_t": torch.ones(4, 256),
           "d_test": np.ones((4, 3), np.float32), "SymmetricNN": SymmetricNN,
           "m_all": np.zeros(4), "T_all": np.ones(4), "alpha_lsq_se": 1e-3}
    results = run(name, question, _Blank(env, blank))
    assert any(err is not None for _, err in results), "a blank answer must not score"
    public = [err for hidden, err in results if not hidden]
    first = public[0]
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
