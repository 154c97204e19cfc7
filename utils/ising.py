"""Equilibrium samples of the 2-D Ising model, its observables and exact references.

Conventions: square L x L lattice with periodic boundaries, H = -sum_<ij> s_i s_j with
J = k_B = 1, so temperatures are in units of J/k_B and energies in units of J.

The sampler is a compiled (Numba) single-spin Metropolis kernel: sequential sweeps, an
integer xorshift random-number generator per chain and a precomputed acceptance table
for the only two uphill moves, dE = 4 and dE = 8. Chains (one per requested temperature)
run in parallel. ``method="wolff"`` uses Wolff cluster updates instead, which decorrelate
far faster near T_c.

Two choices make the samples equilibrium Boltzmann samples rather than Ising-looking
pictures:

* every chain starts from an ordered (all-up) lattice. A quench from a random start at low
  temperature freezes into long-lived stripe states with |m| ~ 0 on lattices of L >~ 20;
  from an ordered start the chain relaxes to equilibrium at every temperature;
* before each stored sample the whole lattice is flipped with probability 1/2. The flip
  costs dE = 0, so it is an always-accepted Metropolis move that leaves the Boltzmann
  distribution invariant; it restores the Z2 symmetry that single-spin dynamics cannot
  cross below T_c, so both signs of the magnetisation occur.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from numbers import Integral

import numpy as np
from numba import njit, prange
from scipy.special import ellipk

__all__ = [
    "ONSAGER_TC",
    "sample",
    "ising_dataset",
    "magnetization",
    "energy",
    "binder_cumulant",
    "autocorrelation_time",
    "seen_in",
    "onsager_magnetization",
    "onsager_energy",
]

ONSAGER_TC: float = 2.0 / math.log(1.0 + math.sqrt(2.0))
"""Critical temperature of the infinite square lattice, 2 / ln(1 + sqrt 2) = 2.2692 J/k_B."""

_METHODS = ("metropolis", "wolff")
_MASK64 = (1 << 64) - 1


# ----------------------------------------------------------------------------- kernels
@njit(cache=True, inline="always")
def _next_u32(state: np.ndarray, c: int) -> np.uint64:
    """xorshift64* step on ``state[c]``; returns 32 random bits as uint64."""
    x = state[c]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[c] = x
    return (x * np.uint64(2685821657736338717)) >> np.uint64(32)


@njit(cache=True)
def _metropolis_sweeps(s, n_sweeps, thresholds, state, c):
    """``n_sweeps`` sequential Metropolis sweeps of the lattice ``s`` (int8, L x L)."""
    L = s.shape[0]
    for _ in range(n_sweeps):
        for i in range(L):
            up = i - 1 if i > 0 else L - 1
            dn = i + 1 if i < L - 1 else 0
            for j in range(L):
                lf = j - 1 if j > 0 else L - 1
                rt = j + 1 if j < L - 1 else 0
                si = s[i, j]
                # s_i times the neighbour sum is in {-4, -2, 0, 2, 4}; dE = 2 * that.
                prod = si * (s[up, j] + s[dn, j] + s[i, lf] + s[i, rt])
                if prod <= 0:
                    s[i, j] = -si
                elif _next_u32(state, c) < thresholds[prod >> 1]:
                    s[i, j] = -si


@njit(cache=True)
def _wolff_cluster(s, p_add_u32, state, c, stack):
    """Grow and flip one Wolff cluster from a random seed site; returns its size."""
    L = s.shape[0]
    k = np.int64(_next_u32(state, c) % np.uint64(L * L))
    s0 = s[k // L, k % L]
    s[k // L, k % L] = -s0
    stack[0] = k
    top = 1
    size = 1
    while top > 0:
        top -= 1
        k = stack[top]
        i = k // L
        j = k % L
        for d in range(4):
            if d == 0:
                ni, nj = (i + 1) % L, j
            elif d == 1:
                ni, nj = (i - 1 + L) % L, j
            elif d == 2:
                ni, nj = i, (j + 1) % L
            else:
                ni, nj = i, (j - 1 + L) % L
            if s[ni, nj] == s0 and _next_u32(state, c) < p_add_u32:
                s[ni, nj] = -s0
                stack[top] = ni * L + nj
                top += 1
                size += 1
    return size


@njit(cache=True)
def _wolff_equilibrate(s, n_sweeps, p_add_u32, state, c, stack):
    """Clusters until n_sweeps * L^2 spins were flipped; returns clusters per sweep.

    The state-dependent stopping rule is fine for equilibration only. Sampling then uses
    this fixed number of clusters per sweep: a state-dependent number of updates between
    stored samples would bias them (towards states whose clusters are large).
    """
    L = s.shape[0]
    flipped = 0
    n_clusters = 0
    while flipped < n_sweeps * L * L:
        flipped += _wolff_cluster(s, p_add_u32, state, c, stack)
        n_clusters += 1
    if flipped == 0:
        return 1
    return max(1, int(round(n_clusters * L * L / flipped)))


@njit(cache=True, parallel=True)
def _run_chains(out, thresholds, p_add, states, n_equilibrate, n_between, use_wolff):
    """Run one chain per temperature; ``out`` has shape (n_chains, n_samples, L, L)."""
    n_chains, n_samples, L, _ = out.shape
    for c in prange(n_chains):
        s = np.ones((L, L), dtype=np.int8)
        stack = np.empty(L * L, dtype=np.int64)
        clusters_per_sweep = 1
        for k in range(n_samples):
            n = n_equilibrate if k == 0 else n_between
            if not use_wolff:
                _metropolis_sweeps(s, n, thresholds[c], states, c)
            elif k == 0:
                clusters_per_sweep = _wolff_equilibrate(s, n, p_add[c], states, c, stack)
            else:
                for _ in range(n * clusters_per_sweep):
                    _wolff_cluster(s, p_add[c], states, c, stack)
            # Global flip with probability 1/2: dE = 0, always accepted (Z2 symmetry).
            if _next_u32(states, c) < np.uint64(1 << 31):
                for i in range(L):
                    for j in range(L):
                        s[i, j] = -s[i, j]
            out[c, k] = s


# ----------------------------------------------------------------------------- validation
def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_temperatures(temperatures) -> np.ndarray:
    temps = np.atleast_1d(np.asarray(temperatures, dtype=float))
    if temps.ndim != 1 or temps.size == 0:
        raise ValueError(
            "temperatures must be a non-empty 1-D sequence of finite positive numbers, "
            f"got shape {temps.shape}"
        )
    if not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(
            f"temperatures must be finite and > 0 (units of J/k_B), got {temps.tolist()}"
        )
    return temps


def _check_configs(configs) -> np.ndarray:
    arr = np.asarray(configs)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2] or arr.shape[-1] < 2:
        raise ValueError(
            f"configs must have shape (..., L, L) with L >= 2, got shape {arr.shape}"
        )
    return arr


# ----------------------------------------------------------------------------- sampling
def sample(
    L: int,
    temperatures: Sequence[float] | np.ndarray,
    n_samples: int,
    *,
    n_equilibrate: int = 1000,
    n_between: int = 10,
    seed: int | None = None,
    method: str = "metropolis",
) -> tuple[np.ndarray, np.ndarray]:
    """Draw equilibrium Ising configurations, one Markov chain per temperature.

    Args:
        L: linear lattice size (L >= 2; any parity, periodic boundaries).
        temperatures: T of each chain in units of J/k_B, finite and > 0. Repeat a
            temperature to run several independent chains at it.
        n_samples: configurations stored per temperature (>= 1).
        n_equilibrate: sweeps before the first stored sample (>= 0).
        n_between: sweeps between stored samples (>= 0). A sweep is L^2 attempted
            flips (Metropolis), or for Wolff a fixed number of cluster updates that flips
            about L^2 spins on average (the number is measured during equilibration).
        seed: integer seed; the same seed gives the same output. ``None``: fresh entropy.
        method: ``"metropolis"`` (default) or ``"wolff"``.

    Returns:
        ``(configs, temps)``: ``configs`` int8 of shape ``(len(temperatures) * n_samples,
        L, L)`` with values +-1, grouped by temperature in the given order; ``temps``
        float64 of shape ``(len(temperatures) * n_samples,)``.
    """
    L = _check_int("L", L, 2)
    temps = _check_temperatures(temperatures)
    n_samples = _check_int("n_samples", n_samples, 1)
    n_equilibrate = _check_int("n_equilibrate", n_equilibrate, 0)
    n_between = _check_int("n_between", n_between, 0)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if seed is not None:
        seed = _check_int("seed", seed, 0)

    beta = 1.0 / temps
    scale = float(1 << 32)
    # Accept dE = 4 (index 1) and dE = 8 (index 2) when a 32-bit random < threshold.
    thresholds = np.zeros((temps.size, 3), dtype=np.uint64)
    thresholds[:, 1] = np.floor(np.exp(-4.0 * beta) * scale).astype(np.uint64)
    thresholds[:, 2] = np.floor(np.exp(-8.0 * beta) * scale).astype(np.uint64)
    p_add = np.floor(-np.expm1(-2.0 * beta) * scale).astype(np.uint64)

    states = np.random.SeedSequence(seed).generate_state(temps.size, dtype=np.uint64)
    states[states == 0] = 0x9E3779B97F4A7C15  # xorshift needs a non-zero state

    out = np.empty((temps.size, n_samples, L, L), dtype=np.int8)
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    _run_chains(out, thresholds, p_add, states, n_equilibrate, n_between, method == "wolff")
    if torch is not None and torch.get_num_threads() != torch_threads:
        # Numba's OpenMP threading layer shares the process-wide OpenMP thread count with
        # PyTorch and resets it to Numba's own (all cores) when a parallel region starts;
        # restore what setup() chose, or PyTorch would oversubscribe a busy machine.
        torch.set_num_threads(torch_threads)
    return out.reshape(-1, L, L), np.repeat(temps, n_samples)


def ising_dataset(
    L: int,
    temperatures: Sequence[float] | np.ndarray,
    n_samples: int,
    *,
    seed: int | None = None,
    tc: float = ONSAGER_TC,
    **sample_kwargs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labelled Ising configurations ready for ``nn.Conv2d``.

    Returns ``(X, y, T)``: ``X`` float32 ``(N, 1, L, L)``, ``y`` int64 (1 where T > tc,
    the disordered phase, else 0), ``T`` float64 ``(N,)``; N = len(temperatures) *
    n_samples. Extra keyword arguments go to :func:`sample`.
    """
    if not (np.isfinite(tc) and tc > 0):
        raise ValueError(f"tc must be finite and > 0, got {tc!r}")
    configs, temps = sample(L, temperatures, n_samples, seed=seed, **sample_kwargs)
    X = configs[:, None, :, :].astype(np.float32)
    y = (temps > tc).astype(np.int64)
    return X, y, temps


# ----------------------------------------------------------------------------- observables
def magnetization(configs) -> np.ndarray | float:
    """Mean spin m of each configuration; ``configs`` has shape (..., L, L)."""
    arr = _check_configs(configs)
    return arr.mean(axis=(-2, -1), dtype=np.float64)


def energy(configs) -> np.ndarray | float:
    """Energy per spin -sum_<ij> s_i s_j / L^2 (periodic) of each configuration (..., L, L)."""
    arr = _check_configs(configs).astype(np.int32)
    bonds = arr * np.roll(arr, 1, axis=-1) + arr * np.roll(arr, 1, axis=-2)
    return -bonds.mean(axis=(-2, -1), dtype=np.float64)


def binder_cumulant(m, axis: int = -1) -> np.ndarray | float:
    """Binder's cumulant U = 1 - <m^4> / (3 <m^2>^2) of magnetisations ``m`` along ``axis``.

    ``m`` holds one magnetisation per configuration (:func:`magnetization`), e.g. shape
    ``(n_temperatures, n_samples)`` for one U per temperature. U -> 2/3 deep in the
    ordered phase and -> 0 in the disordered one; curves U(T) of different L cross near
    T_c with only small corrections to scaling, which makes the crossing an estimate of
    T_c that needs no labels (Binder 1981).
    """
    m = np.asarray(m, dtype=float)
    if m.ndim == 0 or m.shape[axis] < 2 or not np.all(np.isfinite(m)):
        raise ValueError(f"m must hold at least 2 finite magnetisations along axis {axis}, "
                         f"got shape {m.shape}")
    m2 = np.mean(m**2, axis=axis)
    if np.any(m2 == 0):
        raise ValueError("m is all zero along axis: the Binder cumulant is undefined")
    u = 1.0 - np.mean(m**4, axis=axis) / (3.0 * m2**2)
    return u if u.ndim else float(u)


def autocorrelation_time(series, window: float = 6.0) -> float:
    """Integrated autocorrelation time of a 1-D time series, in units of its step.

    tau = 1/2 + sum_{t>=1} rho(t), summed up to the first lag t >= ``window`` * tau
    (Sokal's self-consistent window). Samples ``n`` steps apart have correlation of
    about exp(-n / tau), and N samples carry about N / (2 tau) independent ones.
    """
    x = np.asarray(series, dtype=float)
    if x.ndim != 1 or x.size < 4 or not np.all(np.isfinite(x)):
        raise ValueError(f"series must be a finite 1-D array of at least 4 values, got shape "
                         f"{x.shape}")
    if not (np.isfinite(window) and window > 0):
        raise ValueError(f"window must be finite and > 0, got {window!r}")
    x = x - x.mean()
    n = x.size
    spectrum = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    if acf[0] == 0:
        raise ValueError("series is constant: its autocorrelation time is undefined")
    rho = acf / acf[0]
    tau = 0.5
    for t in range(1, n):
        tau += rho[t]
        if t >= window * tau:
            break
    return float(tau)


def seen_in(reference, configs, *, up_to_flip: bool = True) -> np.ndarray:
    """For each configuration in ``configs``, whether it also occurs in ``reference``.

    Both have shape (..., L, L) with the same L (a channel axis of size 1 is fine).
    With ``up_to_flip`` a configuration also counts as seen when its global spin flip
    is in ``reference`` (the Hamiltonian cannot tell the two apart). Returns a boolean
    array of shape ``(len(configs),)``.
    """
    ref = _check_configs(reference)
    new = _check_configs(configs)
    if ref.shape[-2:] != new.shape[-2:]:
        raise ValueError(f"reference and configs must have the same L, got shapes "
                         f"{ref.shape} and {new.shape}")

    def keys(arr):
        flat = np.sign(arr.reshape(-1, arr.shape[-1] * arr.shape[-2])).astype(np.int8)
        if up_to_flip:
            flat = np.where(flat[:, :1] < 0, -flat, flat)  # first spin up: one of each pair
        return [row.tobytes() for row in flat]

    known = set(keys(ref))
    return np.array([k in known for k in keys(new)], dtype=bool)


# ----------------------------------------------------------------------------- exact results
def onsager_magnetization(T) -> np.ndarray | float:
    """Yang's exact spontaneous magnetisation (1 - sinh(2/T)^-4)^(1/8) below T_c, 0 above."""
    temps = np.asarray(T, dtype=float)
    if not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(f"T must be finite and > 0, got {T!r}")
    with np.errstate(over="ignore"):
        x = 1.0 - np.sinh(2.0 / temps) ** -4.0
    m = np.where(temps < ONSAGER_TC, np.clip(x, 0.0, None) ** 0.125, 0.0)
    return m if m.ndim else float(m)


def onsager_energy(T) -> np.ndarray | float:
    """Onsager's exact energy per spin of the infinite lattice (-sqrt 2 at T_c).

    u = -coth(2b) [1 + (2/pi) (2 tanh^2(2b) - 1) K(k^2)], b = 1/T,
    k = 2 sinh(2b) / cosh^2(2b), K the complete elliptic integral of the first kind.
    """
    temps = np.asarray(T, dtype=float)
    if not np.all(np.isfinite(temps)) or np.any(temps <= 0):
        raise ValueError(f"T must be finite and > 0, got {T!r}")
    b2 = 2.0 / temps
    k = 2.0 * np.sinh(b2) / np.cosh(b2) ** 2
    prefactor = 2.0 * np.tanh(b2) ** 2 - 1.0
    at_tc = np.isclose(k, 1.0, rtol=0, atol=1e-14)
    # (2 tanh^2 - 1) vanishes where K(1) diverges; their product goes to 0 at T_c.
    K = ellipk(np.where(at_tc, 0.0, k**2))
    u = -(1.0 / np.tanh(b2)) * (1.0 + (2.0 / np.pi) * np.where(at_tc, 0.0, prefactor * K))
    return u if u.ndim else float(u)
