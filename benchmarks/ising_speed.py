"""Flip attempts per second: the lecture's pure-Python Metropolis loop vs utils.ising.sample.

Run with ``make bench-ising``. Both are timed in one run on the same machine. The
lecture's loop is timed on a short run (its cost is linear in the number of sweeps) and
scaled; ``sample`` produces the lecture's whole dataset: L = 16, six temperatures in
1.0-2.0 and six in 2.5-4.0, 100 configurations each, 1000 equilibration sweeps and 10
sweeps between samples. Compilation is excluded (one warm-up call).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from benchmarks import lecture_code
from utils.ising import sample

L = 16
TEMPS = np.concatenate([np.linspace(1.0, 2.0, 6), np.linspace(2.5, 4.0, 6)])
N_SAMPLES, N_EQ, N_BETWEEN = 100, 1000, 10


def lecture_sampler():
    """The lecture's ``metropolis_ising``, taken from its code (lecture_code.py), not copied."""
    source = lecture_code.CODE_1
    start, end = source.index("def metropolis_ising"), source.index("\nL = 16")
    namespace = {"np": np}
    exec(source[start:end], namespace)
    return namespace["metropolis_ising"]


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict:
    # The lecture's loop: 20 sweeps at one temperature (5120 attempts), best of 3.
    ref_sweeps = 20
    metropolis_ising = lecture_sampler()
    t_ref = best_of(lambda: metropolis_ising(L, 2.0, n_sweeps=ref_sweeps, n_equil=0), 3)
    ref_rate = ref_sweeps * L * L / t_ref

    def dataset():
        return sample(L, TEMPS, N_SAMPLES, n_equilibrate=N_EQ, n_between=N_BETWEEN, seed=0)

    dataset()  # compile (or load the cache)
    t_fast = best_of(dataset, 5)
    sweeps = N_EQ + (N_SAMPLES - 1) * N_BETWEEN
    attempts = len(TEMPS) * sweeps * L * L
    fast_rate = attempts / t_fast

    result = {
        "lecture_flips_per_s": ref_rate,
        "sample_flips_per_s": fast_rate,
        "speedup": fast_rate / ref_rate,
        "dataset_seconds_sample": t_fast,
        "dataset_seconds_lecture_estimate": attempts / ref_rate,
        "dataset_flip_attempts": attempts,
    }
    print(f"lecture loop      : {ref_rate:12.3e} flip attempts/s")
    print(f"utils.ising.sample: {fast_rate:12.3e} flip attempts/s")
    print(f"speed-up          : {result['speedup']:12.0f} x")
    print(
        f"lecture dataset ({len(TEMPS) * N_SAMPLES} configs, {attempts:.2e} attempts): "
        f"{t_fast * 1e3:.1f} ms with sample, ~{attempts / ref_rate:.0f} s with the lecture's loop"
    )
    out = Path(__file__).with_name("ising_speed.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
