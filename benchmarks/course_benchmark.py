"""Course benchmark (``make bench``): every notebook in a fresh kernel, timed, with its
glued headline numbers beside the lecture's figures; then the lecture's own code, timed
on the same machine in the same way (lecture_baseline.py: one notebook, fresh kernel).

Writes benchmarks/results.json and benchmarks/results.md: each notebook's wall time, the
part of it that is the lecture's own content (kernel start and the cells before the
notebook's first "Beyond the lecture" or "Exercises" section, from the same run), both as
ratios to the lecture's code in the same run, and the ten slowest cells of the course,
each also scaled to a machine where the lecture's code takes 155 s (the reference of the
course's budgets: no cell over 20 s there).

``--lecture-content-only`` runs each notebook only up to its first "Beyond the lecture"
or "Exercises" section (the lecture's own content, with the course's set-up and checks)
and writes results_lecture_content.json/.md: how long the course takes for exactly what
the lecture does.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import re
import time
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOKS = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]
# Headline results: (notebook, key, format, the lecture's printed figure or "")
HEADLINES = [
    ("01_cnn", "cnn_test_acc", ".3f", "0.997"),
    ("01_cnn", "tc_estimate", ".4f", "(Onsager 2.2692)"),
    ("01_cnn", "tc_binder", ".4f", "(Onsager 2.2692)"),
    ("01_cnn", "tc_confusion", ".2f", "(Onsager 2.2692)"),
    ("02_autoencoder", "ae_final_loss", ".3f", "0.447"),
    ("02_autoencoder", "ae_latent_corr_m", ".3f", ""),
    ("02_autoencoder", "pca_corr_m", ".4f", ""),
    ("03_pinn_forward", "ode_max_err_lecture", ".1e", "4.1e-03"),
    ("03_pinn_forward", "ode_max_err", ".1e", ""),
    ("03_pinn_forward", "sho_max_err_lecture", ".3f", "0.357"),
    ("03_pinn_forward", "sho_max_err", ".1e", ""),
    ("03_pinn_forward", "heat_rel_l2_lecture", ".1e", ""),
    ("03_pinn_forward", "heat_rel_l2", ".1e", ""),
    ("03_pinn_forward", "fd_rel_l2", ".1e", ""),
    ("04_pinn_inverse", "alpha_lecture", ".4f", "0.1116"),
    ("04_pinn_inverse", "alpha_pinn", ".5f", ""),
    ("04_pinn_inverse", "alpha_lsq", ".5f", ""),
    ("04_pinn_inverse", "alpha_lsq_se", ".5f", ""),
    ("04_pinn_inverse", "lsq_spread_over_crb", ".3f", ""),
    ("04_pinn_inverse", "pinn_spread_over_crb", ".2f", ""),
    ("05_symmetry", "mlp_perm_gap", ".3f", "0.038"),
    ("05_symmetry", "deepsets_perm_gap", ".0e", "0"),
    ("05_symmetry", "mlp_test_mse_permuted", ".3f", ""),
    ("05_symmetry", "deepsets_test_mse_permuted", ".4f", ""),
    ("05_symmetry", "wide_mlp_aug_test_mse_permuted", ".3f", ""),
    ("05_symmetry", "pair_additive_rmse_5", ".3f", ""),
]


def glued_values(nb) -> dict:
    """The values a notebook glued (myst_nb stores them as text/plain reprs)."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook")
            if scrap:
                text = out["data"][scrap["mime_prefix"] + "text/plain"]
                values[scrap["name"]] = ast.literal_eval(text)
    return values


EXTRA_SECTION = re.compile(r"^## (Beyond the lecture|Exercises)", re.MULTILINE)


def lecture_content(nb):
    """The notebook up to (not including) its first "Beyond the lecture" or "Exercises"."""
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and EXTRA_SECTION.search(cell.source):
            nb.cells = nb.cells[:k]
            break
    return nb


def _cell_seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
        return 0.0
    from datetime import datetime

    start, end = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                  for key in ("iopub.execute_input", "shell.execute_reply"))
    return (end - start).total_seconds()


def run_notebook(name: str, lecture_content_only: bool = False) -> tuple[float, dict, dict]:
    """Wall time, glued values and {"cells": [(index, seconds, first line)], "lecture_part":
    seconds} of one notebook run in a fresh kernel."""
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    cutoff = len(lecture_content(nbformat.from_dict(nb)).cells)
    if lecture_content_only:
        nb = lecture_content(nb)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    start = time.perf_counter()
    client.execute(transport_encryption="auto")  # CurveZMQ, as make lab
    total = time.perf_counter() - start
    cells = [(k, _cell_seconds(c), c.source.strip().splitlines()[0][:70] if c.source.strip()
              else "") for k, c in enumerate(nb.cells) if c.cell_type == "code"]
    overhead = total - sum(seconds for _, seconds, _ in cells)  # kernel start, between cells
    lecture_part = overhead + sum(seconds for k, seconds, _ in cells if k < cutoff)
    return total, glued_values(nb), {"cells": cells, "lecture_part": lecture_part}


def main(with_lecture: bool = True, lecture_content_only: bool = False) -> dict:
    times, values, profiles = {}, {}, {}
    for name in NOTEBOOKS:
        times[name], values[name], profiles[name] = run_notebook(name, lecture_content_only)
        print(f"{name:18s} {times[name]:6.1f} s", flush=True)
    from utils import default_threads

    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
                   f"notebooks: {default_threads()} PyTorch threads (utils.setup); "
                   f"lecture's code: PyTorch's default, {torch.get_num_threads()}",
        "notebook_seconds": times,
        "course_total_seconds": sum(times.values()),
        "lecture_part_seconds": {n: p["lecture_part"] for n, p in profiles.items()},
        "cells": {n: p["cells"] for n, p in profiles.items()},
        "glued": values,
    }
    result["lecture_part_total_seconds"] = sum(result["lecture_part_seconds"].values())
    slowest = sorted(((seconds, name, k, first) for name, p in profiles.items()
                      for k, seconds, first in p["cells"]), reverse=True)[:10]
    if with_lecture:
        from benchmarks import lecture_baseline

        result["lecture"] = lecture_baseline.main()
        lecture_total = result["lecture"]["total_seconds"]
        result["ratio_course"] = result["course_total_seconds"] / lecture_total
        result["ratio_lecture_part"] = result["lecture_part_total_seconds"] / lecture_total
        result["scale_to_155_s"] = 155 / lecture_total
    stem = "results_lecture_content" if lecture_content_only else "results"
    (HERE / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")

    title = ("Course benchmark, the lecture's content only" if lecture_content_only
             else "Course benchmark")
    lines = [f"# {title}", "",
             f"Machine: {result['machine']}. Written by `make bench`. Each notebook, and the "
             "lecture's code as one notebook, runs in a fresh kernel with inline figures; "
             "times include kernel start.", "",
             "| Notebook | Wall time (s) | its lecture content (s) |", "|---|---|---|"]
    lines += [f"| {n} | {t:.1f} | {result['lecture_part_seconds'][n]:.1f} |"
              for n, t in times.items()]
    lines.append(f"| **course total** | **{result['course_total_seconds']:.1f}** | "
                 f"**{result['lecture_part_total_seconds']:.1f}** |")
    if with_lecture:
        lines += ["", f"Against the lecture's code in this run ({lecture_total:.1f} s): the "
                  f"course {result['ratio_course']:.2f}×, its lecture content "
                  f"{result['ratio_lecture_part']:.2f}×."]
    scale = result.get("scale_to_155_s")
    lines += ["", "| Ten slowest cells | cell | s | s at 155 s for the lecture's code |",
              "|---|---|---|---|"]
    lines += [f"| {name} | {k}: `{first.replace('|', '/')}` | {seconds:.1f} | "
              f"{seconds * scale:.1f} |" if scale else
              f"| {name} | {k}: `{first.replace('|', '/')}` | {seconds:.1f} | |"
              for seconds, name, k, first in slowest]
    if with_lecture:
        lines += ["", "| Lecture section (lecture's own code) | Wall time (s) |", "|---|---|"]
        lines += [f"| {n} | {t:.1f} |" for n, t in result["lecture"]["sections_seconds"].items()]
        lines.append(f"| kernel start | {result['lecture']['kernel_start_seconds']:.1f} |")
        lines.append(f"| **lecture total** | **{result['lecture']['total_seconds']:.1f}** |")
    lines += ["", "| Notebook | Result | This course | Lecture |", "|---|---|---|---|"]
    for name, key, fmt, lecture in HEADLINES:
        if key in values[name]:
            lines.append(f"| {name} | `{key}` | {format(values[name][key], fmt)} | {lecture} |")
    (HERE / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-lecture", action="store_true", help="skip the lecture baseline")
    parser.add_argument("--lecture-content-only", action="store_true",
                        help="run each notebook only up to its first beyond-the-lecture section")
    args = parser.parse_args()
    main(with_lecture=not args.no_lecture, lecture_content_only=args.lecture_content_only)
