"""Do the assignment tests pass for other seeds? (stochastic answers, fixed-seed tests)

For every graded question whose answer is trained (a stochastic result), execute the
notebook once (the master notebook of ``make assignments``: the solution version with
its test cells), then, in the same kernel, re-run the question's solution cell with
other training seeds, and its test cells with other test-data seeds, and record whether
every test passes and what the solution cell printed last.

    .venv/bin/python -m benchmarks.assignment_seeds [NAME ...]

Needs ``make assignments`` first. Writes ``assignment_seeds.md``. Takes about as long as
executing the notebooks once, plus a few seconds of training per seed.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course.markup import block_boundary
from course.paths import ASSIGNMENTS as OUT
from course.paths import ROOT

TRAINING_SEEDS = [1, 2, 3, 4]  # besides the notebook's own
TEST_SEED_SHIFTS = [0, 1]  # test data seed + shift


def with_seed(question: str, source: str, seed: int) -> str:
    """The solution cell with its training seeds replaced by ``seed``."""
    edits = {
        "cnn_any_size": [("torch.manual_seed(1)", f"torch.manual_seed({seed})"),
                         ("epochs=8)  # SOLUTION", f"epochs=8, seed={seed})")],
        "ae_latent": [("torch.manual_seed(0)", f"torch.manual_seed({seed})"),
                      ("report_every=0,", f"report_every=0, seed={seed},")],
        "ae_denoise": [("torch.manual_seed(0)", f"torch.manual_seed({seed})"),
                       ("report_every=0,", f"report_every=0, seed={seed},")],
        "pinn_damped": [("gamma=0.2)", f"gamma=0.2, seed={seed})")],
        "pinn_heat_two": [("torch.manual_seed(0)", f"torch.manual_seed({seed})")],
        "inv_two": [("torch.manual_seed(0)", f"torch.manual_seed({seed})")],
        "sym_pooling": [("torch.manual_seed(0)", f"torch.manual_seed({seed})"),
                        ("steps=800,", f"steps=800, seed={seed},")],
    }[question]
    for old, new in edits:
        assert old in source, (question, old)
        source = source.replace(old, new)
    return source


# What each solution measured, printed in full after each run.
PROBES = {
    "cnn_any_size": "f'accuracy L = 16: {acc_16:.4f}, L = 32: {acc_32:.4f}'",
    "ae_latent": "'reconstruction MSE ' + ', '.join("
                 "f'{d}: {((m(X_flat_t)[0] - X_flat_t) ** 2).mean().item():.4f}'"
                 " for d, m in latent_models.items())",
    "ae_denoise": "f'MSE to the clean configurations: denoiser "
                  "{denoise_mse[\"denoising autoencoder\"]:.5f}, 1 - m^2 {perfect:.5f}'",
    "pinn_damped": "f'max error {errors_damped}'",
    "pinn_heat_two": "f'relative L2 {relative_l2(u_two_pinn, u_two_exact):.2e}'",
    "inv_two": "f'PINN A = {amp_pinn_two:.6f}, alpha = {alpha_pinn_two:.7f}'",
    "sym_pooling": "', '.join(f'{k} gap {invariance_gap(m, torch.tensor(d_test)):.1e}'"
                   " for k, m in pooled_models.items())",
}


def with_test_seed(source: str, shift: int) -> str:
    return re.sub(r"(seed\((\d{4})\)|seed=(\d{4}))",
                  lambda m: m.group(0).replace(m.group(2) or m.group(3),
                                               str(int(m.group(2) or m.group(3)) + shift)),
                  source)


def graded_cells(nb):
    """{question: (solution code cell, [test cells])} for the trained answers."""
    found, name, block = {}, None, None
    for cell in nb.cells:
        boundary = block_boundary(cell)
        if boundary == ("begin", "question"):
            name = re.search(r"name:\s*(\S+)", cell.source).group(1)
            found[name] = [None, []]
        elif boundary is not None:
            block = boundary[1] if boundary[0] == "begin" else None
        elif block == "solution" and cell.cell_type == "code":
            found[name][0] = cell
        elif block == "tests":
            found[name][1].append(cell)
    return found


def last_line(outputs) -> str:
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    lines = [line for line in text.splitlines() if line.strip() and "steps in" not in line]
    return lines[-1][:110] if lines else ""


def run(name: str) -> list[tuple]:
    nb = nbformat.read(OUT / name / "master" / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=1200, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    rows = []
    with client.setup_kernel(transport_encryption="auto"):  # CurveZMQ, as make lab
        start = time.perf_counter()
        for i, cell in enumerate(nb.cells):  # not the hand-in cell: it writes a zip
            if cell.cell_type == "code" and not cell.source.startswith("export(grader"):
                client.execute_cell(cell, i)
        print(f"{name}: executed in {time.perf_counter() - start:.0f} s", flush=True)
        for question, (solution, tests) in graded_cells(nb).items():
            try:
                with_seed(question, solution.source, 0)
            except KeyError:
                continue  # a deterministic answer
            for seed in ["notebook"] + TRAINING_SEEDS:
                if seed != "notebook":
                    cell = nbformat.v4.new_code_cell(with_seed(question, solution.source, seed))
                    client.execute_cell(cell, 0)
                probe = nbformat.v4.new_code_cell(f"print({PROBES[question]})")
                client.execute_cell(probe, 0)
                printed = last_line(probe.outputs)
                for shift in TEST_SEED_SHIFTS:
                    failures = []
                    for test in tests:
                        cell = nbformat.v4.new_code_cell(with_test_seed(test.source, shift))
                        try:
                            client.execute_cell(cell, 0)
                        except CellExecutionError as err:
                            failures.append(str(err).strip().splitlines()[-1][:100])
                    rows.append((name, question, seed, shift, not failures,
                                 "; ".join(failures) or printed))
                    print(rows[-1], flush=True)
    return rows


def main() -> None:
    names = sys.argv[1:] or sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    rows = [row for name in names for row in run(name)]
    lines = ["# Assignment tests with other seeds", "",
             "`.venv/bin/python -m benchmarks.assignment_seeds`: each trained answer "
             "re-run with other training seeds, its tests with their data seeds shifted.", "",
             "| Notebook | Question | Training seed | Test seed shift | All tests pass | "
             "Solution printed / failure |", "|---|---|---|---|---|---|"]
    for name, question, seed, shift, ok, note in rows:
        lines.append(f"| {name} | {question} | {seed} | +{shift} | {'yes' if ok else 'NO'} | "
                     f"{note.replace('|', '/')} |")
    out = Path(__file__).with_name("assignment_seeds.md")
    out.write_text("\n".join(lines) + "\n")
    passed = sum(row[4] for row in rows)
    print(f"{passed} of {len(rows)} runs pass every test; table in {out}")


if __name__ == "__main__":
    main()
