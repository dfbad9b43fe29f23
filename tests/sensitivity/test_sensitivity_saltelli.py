"""The vectorised Sobol' estimator (sim.sensitivity.saltelli) against SALib's sobol.analyze.

Expected values come from SALib itself (the reference implementation), called
per output column on the same data with the same seed, hence the same
bootstrap resamples: point estimates and CI half-widths must agree to 1e-12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import sobol as salib_sobol
from SALib.sample import sobol as salib_sample

from sim.sensitivity.analysis import AnalysisSettings, analyse_job, convergence_check, sobol_first_order_rows
from sim.sensitivity.saltelli import resample_counts, sobol_analyze
from sim.sensitivity.sampling import MethodOptions

TOL = 1e-12


def _problem(d, groups=None):
    p = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[-1.0, 2.0]] * d}
    if groups:
        p["groups"] = groups
    return p


def _outputs(X):
    """Columns with different shapes: additive, interactions, offsets, heavy tails, tiny scale."""
    x = X
    cols = [
        x[:, 0] + 2 * x[:, 1],
        np.sin(3 * x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0]),
        1e6 + x[:, 0] * x[:, 2] + x[:, -1],
        np.exp(2 * x[:, 1]) * (x[:, 2] > 0.5),
        1e-9 * (x[:, 0] - x[:, 1] * x[:, -1]),
    ]
    return np.stack(cols, axis=1)


def _assert_matches_salib(res, problem, Y, second_order, seed, conf_level=0.95, num_resamples=100,
                          rows=None):
    d = res.S1.shape[0]
    iu = np.triu_indices(d, 1)
    for k in range(Y.shape[1]):
        y = Y[:, k] if rows is None else Y[rows, k]
        ref = salib_sobol.analyze(problem, y, calc_second_order=second_order, seed=seed,
                                  conf_level=conf_level, num_resamples=num_resamples)
        for key in ("S1", "ST", "S1_conf", "ST_conf"):
            np.testing.assert_allclose(getattr(res, key)[:, k], ref[key], rtol=0, atol=TOL,
                                       err_msg=f"{key} column {k}")
        if second_order:
            np.testing.assert_allclose(res.S2[:, :, k][iu], ref["S2"][iu], rtol=0, atol=TOL)
            np.testing.assert_allclose(res.S2_conf[:, :, k][iu], ref["S2_conf"][iu], rtol=0, atol=TOL)
        else:
            assert res.S2 is None


@pytest.mark.parametrize("second_order", [True, False])
@pytest.mark.parametrize("seed,conf_level,num_resamples", [(5, 0.95, 100), (123, 0.9, 37)])
def test_equals_salib_per_column(second_order, seed, conf_level, num_resamples):
    d = 5
    p = _problem(d)
    X = salib_sample.sample(p, 128, calc_second_order=second_order, seed=3)
    Y = _outputs(X)
    # block=2 also exercises the column blocking (5 columns -> 3 blocks).
    res = sobol_analyze(Y, d, second_order, num_resamples, conf_level, seed, block=2)
    _assert_matches_salib(res, p, Y, second_order, seed, conf_level, num_resamples)


def test_first_order_rows_and_column_subset_of_second_order_design():
    d = 4
    p = _problem(d)
    X = salib_sample.sample(p, 64, calc_second_order=True, seed=9)
    Y = _outputs(X)
    rows = sobol_first_order_rows(len(Y), d)
    cols = np.array([3, 0, 2])
    res = sobol_analyze(Y, d, False, seed=2, rows=rows, columns=cols)
    _assert_matches_salib(res, p, Y[:, cols], False, 2, rows=rows)
    # A nested prefix (first 16 base points) is itself a valid design.
    pre = np.arange(16 * (2 * d + 2))
    res = sobol_analyze(Y, d, True, seed=2, rows=pre)
    _assert_matches_salib(res, p, Y[pre], True, 2)


def test_groups_use_the_number_of_groups():
    p = _problem(4, groups=["g1", "g1", "g2", "g3"])
    X = salib_sample.sample(p, 64, calc_second_order=True, seed=4)
    Y = _outputs(X)
    res = sobol_analyze(Y, 3, True, seed=8)
    _assert_matches_salib(res, p, Y, True, 8)


def test_constant_base_blocks_give_salib_zeros():
    """A and B constant but AB_j not: SALib returns zero indices and zero CIs; so must we."""
    d = 3
    p = _problem(d)
    n = 32
    Y = np.zeros((n, 2 * d + 2))
    Y[:, 1] = np.linspace(0, 1, n)  # only AB_0 varies
    y = Y.ravel()[:, None]
    res = sobol_analyze(np.c_[y, y * 3 + 1], d, True, seed=1)
    _assert_matches_salib(res, p, np.c_[y, y * 3 + 1], True, 1)
    assert np.all(res.S1 == 0) and np.all(res.ST_conf == 0)


def test_resample_counts_are_salib_resamples():
    n, r = 50, 20
    idx = np.random.default_rng(77).integers(n, size=(n, r))  # what sobol.analyze(seed=77) draws
    counts = resample_counts(n, r, 77)
    assert counts.shape == (n, r)
    for b in range(r):
        assert np.array_equal(counts[:, b], np.bincount(idx[:, b], minlength=n))
    assert np.all(counts.sum(axis=0) == n)


def test_bad_input_is_named():
    Y = np.ones((30, 1))
    with pytest.raises(ValueError, match=r"30 rows is not a multiple of 8 \(= 2D\+2 with D=3\)"):
        sobol_analyze(Y, 3, True)
    with pytest.raises(ValueError, match=r"conf_level must be in \(0, 1\); got 1.5"):
        sobol_analyze(np.ones((32, 1)), 3, True, conf_level=1.5)
    with pytest.raises(ValueError, match="num_resamples must be ≥ 2"):
        sobol_analyze(np.ones((32, 1)), 3, True, num_resamples=1)
    with pytest.raises(ValueError, match="seed must be a non-zero integer"):
        sobol_analyze(np.ones((32, 1)), 3, True, seed=0)
    with pytest.raises(ValueError, match=r"sobol_backend must be one of \('numpy', 'salib'\)"):
        AnalysisSettings(sobol_backend="fast")


def _job_data():
    d = 4
    p = _problem(d)
    opts = MethodOptions()
    X = salib_sample.sample(p, 64, calc_second_order=True, seed=11)
    years = [2020, 2030, 2040, 2050]
    per_year = [np.zeros(len(X)),  # constant year: no indices, one warning
                X[:, 0] + X[:, 1] ** 2, X[:, 0] * X[:, 2] + X[:, 3], np.sin(X[:, 1]) * 5]
    Y = np.zeros((len(X), 3, len(years)))
    Y[:, 0, :] = np.stack(per_year, axis=1)
    Y[:, 1, :] = Y[:, 0, :] * 2 + 100
    Y[:, 1, 2] = np.where(np.arange(len(X)) == 5, np.nan, Y[:, 1, 2])  # NaN: reported, skipped
    Y[:, 2, :] = (X[:, 2] ** 3)[:, None]  # scalar summary (repeated across years)
    return p, opts, X, Y, years


def test_job_analysis_numpy_equals_salib_backend():
    p, opts, X, Y, years = _job_data()
    args = ("sobol", p, X, Y, 64, ["a", "b", "cum"], years, [False, False, True], [2040], opts)
    fast, fast_err = analyse_job(*args, AnalysisSettings(seed=6))
    ref, ref_err = analyse_job(*args, AnalysisSettings(seed=6, sobol_backend="salib"))
    assert fast_err == ref_err
    assert any("a does not vary across runs in 2020" in e for e in fast_err)
    assert any("b year 2040 (N=64) failed: output has NaN/inf values" in e for e in fast_err)
    pd.testing.assert_frame_equal(fast.drop(columns=["value", "conf"]),
                                  ref.drop(columns=["value", "conf"]))
    np.testing.assert_allclose(fast["value"], ref["value"], rtol=0, atol=TOL)
    np.testing.assert_allclose(fast["conf"], ref["conf"], rtol=0, atol=TOL)
    assert set(fast[fast["year"] == 2040]["index"]) == {"S1", "ST", "S2"}
    assert set(fast[fast["year"] == 2030]["index"]) == {"S1", "ST"}
    assert set(fast[fast["output"] == "cum"]["index"]) == {"S1", "ST", "S2"}

    conv = {}
    for backend in ("numpy", "salib"):
        s = AnalysisSettings(seed=6, sobol_backend=backend)
        conv[backend] = convergence_check("sobol", p, X, Y, 64, ["a", "b", "cum"], years,
                                          [False, False, True], [2030, 2050], fast, opts, s)
    d_fast, v_fast, w_fast = conv["numpy"]
    d_ref, v_ref, w_ref = conv["salib"]
    assert sorted(d_fast["n"].unique()) == [8, 16, 32, 64]
    np.testing.assert_allclose(d_fast["value"], d_ref["value"], rtol=0, atol=TOL)
    np.testing.assert_allclose(d_fast["conf"], d_ref["conf"], rtol=0, atol=TOL)
    pd.testing.assert_frame_equal(v_fast.drop(columns=["max_change"]), v_ref.drop(columns=["max_change"]))
    assert len(w_fast) == len(w_ref)
