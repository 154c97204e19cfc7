"""Numbers in the notebooks' prose cannot go stale.

A result that a run computes (an accuracy, an error, a fitted T_c) is printed by the code
next to the text and asserted by a check cell; it is never typed into a markdown cell,
where a rerun, another seed or another PyTorch build would leave it wrong without anyone
noticing. So every decimal number in a notebook's markdown (``0.975``, ``2.269``,
``32,832``) is either

- a value that the notebook's own code also uses (a setting, a tolerance, a constant:
  found in a code cell's source), or
- listed in ``FIXED`` below with the reason it cannot change between runs (the lecture's
  printed figure, a derived constant, a count fixed by the settings).

Whole numbers without a thousands separator (sizes, epochs, counts) are not checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
NUMBER = re.compile(r"(?<![\w.^{}_/-])(\d+\.\d+|\d{1,3}(?:,\d{3})+)(?![\w.])")

# (notebook, number as written) -> why it is the same in every run
FIXED = {
    ("01_cnn", "2.269"): "Onsager's T_c = 2/ln(1 + sqrt 2), to four figures",
    ("01_cnn", "0.23"): "distance of the lecture's temperatures 2.0 and 2.5 from T_c",
    ("01_cnn", "0.996"): "Poisson probability of at most 9 events at mean 3.6",
    ("01_cnn", "3.6"): "1 % of the 360 test configurations",
    ("01_cnn", "3,900"): "13 evaluation temperatures x 300 configurations (settings)",
    ("01_cnn", "10.8"): "the 1e-3 tail of chi-squared with one degree of freedom",
    ("01_cnn", "0.025"): "spacing of the 13-point evaluation grid over T_c +- 0.15",
    ("01_cnn", "32,832"): "parameters of IsingCNN's first dense layer, 512 x 64 + 64",
    ("01_cnn", "0.95"): "the graded question's bound (grading/checker/checks.py)",
    ("01_cnn", "0.09"): "largest binomial standard error of an accuracy on 30 configurations",
    ("01_cnn", "20,000"): "length of the chains that measure tau (a setting: 20_000 in code)",
    ("01_cnn", "4.3"): "Student-t 97.5 % quantile for two degrees of freedom",
    ("01_cnn", "0.053"): "half the spacing of 16 temperatures over T_c +- 0.8 (settings)",
    ("02_autoencoder", "2.269"): "Onsager's T_c",
    ("02_autoencoder", "0.44664"): "the lecture's printed training loss at epoch 80",
    ("02_autoencoder", "1,200"): "the lecture's data set size, 12 temperatures x 100",
    ("04_pinn_inverse", "11.6"): "the lecture's printed alpha = 0.1116 against the true 0.1",
    ("04_pinn_inverse", "1.1"): "1/sqrt(2 (n - 1)) for n = 4000 draws: a standard deviation's "
                                "relative error",
    ("04_pinn_inverse", "99.7"): "coverage of +-3 standard deviations of a Gaussian",
    ("04_pinn_inverse", "1.7"): "ratio of two Cramer-Rao standard errors, fixed by the designs "
                                "(Fisher information), not by a noise draw",
}


def markdown_numbers(name: str) -> list[tuple[int, str, str]]:
    """(cell index, number, context) for every number in the notebook's markdown that
    its code does not contain."""
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        for match in NUMBER.finditer(text):
            number = match.group(1)
            if number in code or number.replace(",", "") in code:
                continue
            context = text[max(0, match.start() - 50):match.end() + 10].replace("\n", " ")
            found.append((i, number, context))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_every_number_in_the_prose_is_a_setting_or_a_fixed_value(name):
    unexplained = [(i, n, ctx) for i, n, ctx in markdown_numbers(name)
                   if (name, n) not in FIXED]
    assert not unexplained, (
        f"{name}: numbers in markdown that neither the code uses nor FIXED explains "
        f"(print them from code and assert them in a check cell): {unexplained}")


def test_every_fixed_value_is_still_quoted():
    quoted = {(name, n) for name in NAMES for _, n, _ in markdown_numbers(name)}
    assert set(FIXED) <= quoted, sorted(set(FIXED) - quoted)


def test_the_scan_catches_a_typed_in_result(tmp_path, monkeypatch):
    nb = {"cells": [{"cell_type": "markdown", "source": ["The network reaches 0.987 and "
                                                        "T_c = 2.2676; 10.0 epochs."]},
                    {"cell_type": "code", "source": ["epochs = 10.0"]}]}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "x.ipynb").write_text(json.dumps(nb))
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert [n for _, n, _ in markdown_numbers("x")] == ["0.987", "2.2676"]
