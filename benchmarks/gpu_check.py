"""Every notebook on the GPU and on two CPU cores of the same machine: time and checks.

    python -m benchmarks.gpu_check [--cpus 8,9] [--devices cuda,cpu] [NAME ...]

Each notebook's code cells run one after another in a fresh IPython shell (a subprocess
per notebook and device), as a student's kernel runs them, check cells included: a
failing check is an exception and fails that notebook. On ``cuda`` with
``DL4PHYS_DEVICE=cuda`` and the training steps captured as CUDA graphs
(``DL4PHYS_CUDA_GRAPHS=1``, see ``utils/capture.py``; ``--no-graphs`` for eager CUDA); on
``cpu`` pinned with ``taskset`` to the cores ``--cpus`` (two by default, the course's
reference laptop) with ``DL4PHYS_THREADS=2``. Prints the table of the README's GPU
section and writes ``gpu_check.json`` beside this file.

Needs only what a GPU machine with PyTorch, NumPy, SciPy, matplotlib, scikit-learn and
Numba has, plus IPython (and its pure-Python dependencies) and the course's ``utils``
(put this checkout on ``PYTHONPATH``); no Jupyter server, no nbformat. Run it on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["01_cnn", "02_autoencoder", "03_pinn_forward", "04_pinn_inverse", "05_symmetry"]


def run_notebook(name: str) -> dict:
    """Run one notebook's code cells in an IPython shell here; {seconds, ok, error}."""
    from IPython.core.interactiveshell import InteractiveShell

    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    shell = InteractiveShell.instance()
    os.chdir(ROOT / "notebooks")
    start = time.perf_counter()
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        result = shell.run_cell("".join(cell["source"]), silent=False, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            return {"seconds": time.perf_counter() - start, "ok": False,
                    "error": f"cell {index}: {type(error).__name__}: {error}"[:500]}
    return {"seconds": time.perf_counter() - start, "ok": True, "error": ""}


def measure(name: str, device: str, cpus: str, graphs: bool) -> dict:
    env = dict(os.environ, DL4PHYS_DEVICE=device, DL4PHYS_PROGRESS="text", MPLBACKEND="Agg",
               DL4PHYS_CUDA_GRAPHS="1" if graphs and device == "cuda" else "0",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        os.environ.get("PYTHONPATH")])))
    command = [sys.executable, __file__, "--run", name]
    if device == "cpu":
        env["DL4PHYS_THREADS"] = str(len(cpus.split(",")))
        command = ["taskset", "-c", cpus, *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"seconds": float("nan"), "ok": False,
                "error": f"exit {done.returncode}: {(done.stderr or done.stdout)[-500:]}"}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=NAMES)
    parser.add_argument("--cpus", default="0,1", help="cores for the CPU runs (taskset -c)")
    parser.add_argument("--devices", default="cuda,cpu")
    parser.add_argument("--no-graphs", action="store_true", help="eager CUDA, no graphs")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_notebook(args.run)), flush=True)
        return
    devices = args.devices.split(",")
    if any(d not in ("cuda", "cpu") for d in devices):
        raise SystemExit(f"--devices takes cuda and/or cpu, got {args.devices!r}")
    rows = []
    for name in args.names:
        row = {"notebook": name}
        for device in devices:
            row[device] = measure(name, device, args.cpus, not args.no_graphs)
            print(name, device, row[device], flush=True)
        rows.append(row)
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    cpu = platform.processor() or platform.machine()
    machine = f"{gpu}; CPU runs on cores {args.cpus} of {cpu}"
    (Path(__file__).with_name("gpu_check.json")).write_text(
        json.dumps({"machine": machine, "torch": torch.__version__, "rows": rows}, indent=1))
    head = " | ".join(f"{d} (s) | {d} checks" for d in devices)
    lines = [machine, "", f"| notebook | {head} | GPU speed-up |",
             "|---" * (2 + 2 * len(devices)) + "|"]
    total = dict.fromkeys(devices, 0.0)
    for row in rows:
        cells = []
        for d in devices:
            total[d] += row[d]["seconds"]
            cells.append(f"{row[d]['seconds']:.1f} | {'pass' if row[d]['ok'] else 'FAIL'}")
        speedup = (f"{row['cpu']['seconds'] / row['cuda']['seconds']:.2f}"
                   if {"cpu", "cuda"} <= set(devices) else "")
        lines.append(f"| {row['notebook']} | {' | '.join(cells)} | {speedup} |")
    speedup = f"{total['cpu'] / total['cuda']:.2f}" if {"cpu", "cuda"} <= set(devices) else ""
    lines.append(f"| course | {' | '.join(f'{total[d]:.1f} |' for d in devices)} {speedup} |")
    print("\n".join(lines))
    for row in rows:
        for d in devices:
            if not row[d]["ok"]:
                print(f"{row['notebook']} on {d}: {row[d]['error']}")


if __name__ == "__main__":
    main()
