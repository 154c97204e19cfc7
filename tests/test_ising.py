"""Specification of utils.ising: equilibrium sampling checked against exact results.

Statistical tolerances: each check runs several independent chains at one temperature
(the temperature repeated), takes the mean of each chain, and allows 5 standard errors
of the mean over chains (a 5-sigma test: false alarms ~ 1 in 1.7 million per check),
plus 1e-9 for floating point.
"""

import itertools

import numpy as np
import pytest

from utils.ising import (
    ONSAGER_TC,
    autocorrelation_time,
    binder_cumulant,
    energy,
    ising_dataset,
    magnetization,
    onsager_energy,
    onsager_magnetization,
    sample,
    seen_in,
)

N_SIGMA = 5.0


def exact_enumeration(L: int, temps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """<e> per spin and <|m|> of the periodic L x L lattice from all 2^(L^2) states."""
    n = L * L
    states = np.array(list(itertools.product((-1, 1), repeat=n)), dtype=np.int8)
    configs = states.reshape(-1, L, L)
    e = energy(configs)
    m = np.abs(magnetization(configs))
    out_e, out_m = [], []
    for T in temps:
        w = np.exp(-(e - e.min()) * n / T)
        out_e.append(np.sum(w * e) / w.sum())
        out_m.append(np.sum(w * m) / w.sum())
    return np.array(out_e), np.array(out_m)


def chain_means(values: np.ndarray, n_chains: int) -> tuple[float, float]:
    """Mean over chains and its standard error, from per-chain means."""
    per_chain = values.reshape(n_chains, -1).mean(axis=1)
    return per_chain.mean(), per_chain.std(ddof=1) / np.sqrt(n_chains)


def test_onsager_tc_value():
    assert ONSAGER_TC == pytest.approx(2.269185314213022, abs=1e-12)


def test_onsager_energy_known_values():
    assert onsager_energy(ONSAGER_TC) == pytest.approx(-np.sqrt(2), abs=1e-9)
    # continuous through T_c (the energy has no latent heat)
    assert onsager_energy(ONSAGER_TC * (1 + 1e-6)) == pytest.approx(-np.sqrt(2), abs=1e-4)
    # ground state and high-temperature expansion u ~ -2 tanh(1/T)
    assert onsager_energy(0.2) == pytest.approx(-2.0, abs=1e-12)
    assert onsager_energy(50.0) == pytest.approx(-2 * np.tanh(1 / 50.0), rel=1e-3)
    assert onsager_energy([1.0, 3.0]).shape == (2,)


def test_yang_magnetization_known_values():
    assert onsager_magnetization(0.5) == pytest.approx(1.0, abs=1e-6)
    assert onsager_magnetization(ONSAGER_TC * 1.0001) == 0.0
    assert 0 < onsager_magnetization(ONSAGER_TC * 0.999) < 0.6
    np.testing.assert_array_equal(onsager_magnetization([3.0, 4.0]), [0.0, 0.0])


@pytest.mark.parametrize("method", ["metropolis", "wolff"])
def test_matches_exact_enumeration_on_4x4(method):
    L, n_chains = 4, 32
    temps = np.array([1.5, 2.0, ONSAGER_TC, 3.0, 4.0])
    exact_e, exact_m = exact_enumeration(L, temps)
    configs, T = sample(
        L, np.repeat(temps, n_chains), 400, n_equilibrate=200, n_between=2, seed=1, method=method
    )
    for k, temp in enumerate(temps):
        sel = T == temp
        e_mean, e_se = chain_means(energy(configs[sel]), n_chains)
        m_mean, m_se = chain_means(np.abs(magnetization(configs[sel])), n_chains)
        assert abs(e_mean - exact_e[k]) <= N_SIGMA * e_se + 1e-9, (temp, e_mean, exact_e[k])
        assert abs(m_mean - exact_m[k]) <= N_SIGMA * m_se + 1e-9, (temp, m_mean, exact_m[k])


def test_odd_lattice_matches_exact_enumeration():
    """Odd L is supported (sequential sweeps need no checkerboard)."""
    L, n_chains, temp = 3, 32, 2.5
    exact_e, exact_m = exact_enumeration(L, np.array([temp]))
    configs, _ = sample(L, [temp] * n_chains, 400, n_equilibrate=100, n_between=2, seed=2)
    e_mean, e_se = chain_means(energy(configs), n_chains)
    assert abs(e_mean - exact_e[0]) <= N_SIGMA * e_se + 1e-9


@pytest.mark.parametrize("temp", [1.5, 3.5])
def test_large_lattice_matches_onsager_away_from_tc(temp):
    """L = 32: finite-size corrections are exponentially small this far from T_c."""
    L, n_chains = 32, 8
    configs, _ = sample(L, [temp] * n_chains, 100, n_equilibrate=500, n_between=5, seed=3)
    e_mean, e_se = chain_means(energy(configs), n_chains)
    assert abs(e_mean - onsager_energy(temp)) <= N_SIGMA * e_se + 1e-9
    if temp < ONSAGER_TC:
        m_mean, m_se = chain_means(np.abs(magnetization(configs)), n_chains)
        assert abs(m_mean - onsager_magnetization(temp)) <= N_SIGMA * m_se + 1e-9


def test_no_metastable_stripes_at_low_temperature():
    """At T = 1 on 32 x 32 every equilibrium sample has |m| close to Yang's 0.9993."""
    configs, _ = sample(32, [1.0] * 16, 20, n_equilibrate=200, seed=4)
    assert np.abs(magnetization(configs)).min() > 0.9


def test_both_signs_of_magnetization_below_tc():
    configs, _ = sample(16, [1.5], 200, seed=5)
    m = magnetization(configs)
    # P(all 200 samples share a sign) = 2 * 2^-200 if the global flip works
    assert (m > 0.5).any() and (m < -0.5).any()
    assert abs(np.mean(m > 0) - 0.5) < 5 * 0.5 / np.sqrt(200)


def test_shapes_dtypes_and_grouping():
    temps = [1.0, 4.0, 2.0]
    configs, T = sample(6, temps, 5, n_equilibrate=10, n_between=1, seed=0)
    assert configs.shape == (15, 6, 6) and configs.dtype == np.int8
    assert set(np.unique(configs)) <= {-1, 1}
    np.testing.assert_array_equal(T, np.repeat(temps, 5))
    X, y, T2 = ising_dataset(6, temps, 5, seed=0, n_equilibrate=10, n_between=1)
    assert X.shape == (15, 1, 6, 6) and X.dtype == np.float32
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, (T2 > ONSAGER_TC).astype(int))
    np.testing.assert_array_equal(X[:, 0], configs)


def test_same_seed_same_output_and_different_seed_differs():
    a, _ = sample(8, [2.0, 3.0], 4, seed=7)
    b, _ = sample(8, [2.0, 3.0], 4, seed=7)
    c, _ = sample(8, [2.0, 3.0], 4, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_observables_accept_any_leading_shape():
    configs = np.ones((2, 3, 4, 4), dtype=np.int8)
    assert magnetization(configs).shape == (2, 3)
    np.testing.assert_allclose(energy(configs), -2.0)
    checker = np.indices((4, 4)).sum(0) % 2 * 2 - 1
    assert energy(checker) == pytest.approx(2.0)
    assert magnetization(checker) == pytest.approx(0.0)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(L=1, temperatures=[1.0], n_samples=1), "L"),
        (dict(L=4.5, temperatures=[1.0], n_samples=1), "L"),
        (dict(L=4, temperatures=[], n_samples=1), "temperatures"),
        (dict(L=4, temperatures=[1.0, np.nan], n_samples=1), "temperatures"),
        (dict(L=4, temperatures=[np.inf], n_samples=1), "temperatures"),
        (dict(L=4, temperatures=[-1.0], n_samples=1), "temperatures"),
        (dict(L=4, temperatures=[0.0], n_samples=1), "temperatures"),
        (dict(L=4, temperatures=[1.0], n_samples=0), "n_samples"),
        (dict(L=4, temperatures=[1.0], n_samples=1, n_equilibrate=-1), "n_equilibrate"),
        (dict(L=4, temperatures=[1.0], n_samples=1, n_between=-2), "n_between"),
        (dict(L=4, temperatures=[1.0], n_samples=1, method="heatbath"), "method"),
        (dict(L=4, temperatures=[1.0], n_samples=1, seed=-3), "seed"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        sample(**kwargs)


@pytest.mark.parametrize("bad", [np.ones(4), np.ones((3, 4)), np.ones((2, 1, 1))])
def test_observables_reject_non_square_configs(bad):
    with pytest.raises(ValueError, match="configs"):
        magnetization(bad)
    with pytest.raises(ValueError, match="configs"):
        energy(bad)


def test_exact_functions_reject_bad_temperatures():
    with pytest.raises(ValueError, match="T"):
        onsager_energy(0.0)
    with pytest.raises(ValueError, match="T"):
        onsager_magnetization([1.0, -2.0])


# ----------------------------------------------------------------------------- analysis tools
def test_binder_cumulant_is_two_thirds_when_ordered_and_exact_for_independent_spins():
    ordered = np.concatenate([np.ones((5, 4, 4)), -np.ones((5, 4, 4))])
    assert binder_cumulant(magnetization(ordered)) == pytest.approx(2 / 3, abs=1e-12)
    # every state of a 4 x 4 lattice once = independent spins: <m^2> = 1/N and
    # <m^4> = (3N^2 - 2N)/N^4, so U = 2/(3N) exactly
    states = np.array(list(itertools.product((-1, 1), repeat=16)), dtype=np.int8)
    m = magnetization(states.reshape(-1, 4, 4))
    assert binder_cumulant(m) == pytest.approx(2 / 48, abs=1e-12)
    # one value per row along the last axis
    both = binder_cumulant(np.stack([m, np.resize(magnetization(ordered), m.size)]))
    assert both == pytest.approx([2 / 48, 2 / 3], abs=1e-12)
    with pytest.raises(ValueError, match="m must"):
        binder_cumulant(np.ones(1))
    with pytest.raises(ValueError, match="all zero"):
        binder_cumulant(np.zeros(4))


def test_binder_cumulant_curves_cross_near_onsager_tc():
    """U_8 above U_16 above T_c and below it under T_c: the crossing brackets T_c."""
    def u(L, T, seed):
        configs, _ = sample(L, [T], 2000, n_equilibrate=200, n_between=2, method="wolff",
                            seed=seed)
        return binder_cumulant(magnetization(configs))

    below, above = ONSAGER_TC - 0.15, ONSAGER_TC + 0.15
    assert u(16, below, 1) > u(8, below, 2)   # the larger lattice is more ordered below T_c
    assert u(16, above, 3) < u(8, above, 4)   # and less ordered above it


def test_autocorrelation_time_of_an_ar1_process_and_of_white_noise():
    """AR(1) x_t = phi x_(t-1) + noise has tau_int = (1 + phi) / (2 (1 - phi)) exactly.

    Tolerance: the estimator's standard error is tau sqrt(2 (2W + 1) / n) (Sokal) with
    window W ~ 6 tau: 0.14 for phi = 0.8 (tau = 4.5) and n = 10^5; we allow 5 sigma.
    """
    rng = np.random.default_rng(0)
    n, phi = 100_000, 0.8
    noise = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = noise[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    assert autocorrelation_time(x) == pytest.approx(4.5, abs=0.7)
    assert autocorrelation_time(noise) == pytest.approx(0.5, abs=0.05)


def test_autocorrelation_time_rejects_what_has_none():
    with pytest.raises(ValueError, match="series"):
        autocorrelation_time(np.ones((3, 3)))
    with pytest.raises(ValueError, match="constant"):
        autocorrelation_time(np.ones(10))
    with pytest.raises(ValueError, match="window"):
        autocorrelation_time(np.arange(10.0), window=0)


def test_seen_in_finds_copies_and_global_flips_and_nothing_else():
    rng = np.random.default_rng(1)
    train = rng.choice(np.array([-1, 1], dtype=np.int8), size=(20, 1, 6, 6))
    test = np.concatenate([train[:3], -train[3:5], rng.choice(np.array([-1, 1], dtype=np.int8),
                                                                  size=(4, 1, 6, 6))])
    assert seen_in(train, test).tolist() == [True] * 5 + [False] * 4
    assert seen_in(train, test, up_to_flip=False).tolist() == [True] * 3 + [False] * 6
    assert seen_in(train.astype(np.float32), test[:, 0]).sum() == 5  # dtype and channel axis
    with pytest.raises(ValueError, match="same L"):
        seen_in(train, np.ones((2, 4, 4)))
