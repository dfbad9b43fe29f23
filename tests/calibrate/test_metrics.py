"""Fit statistics against hand-computed values (arithmetic written out) and property checks."""

import math

import numpy as np
import pytest

from sim.calibrate import metrics as m

# ---------------------------------------------------------------------------------------------
# Case 1: S = [2, 4, 6], A = [1, 2, 3]  (pure bias + scale, perfectly correlated)
#   errors e = S - A = [1, 2, 3];  MSE = (1 + 4 + 9) / 3 = 14/3;  RMSE = sqrt(14/3)
#   MAPE = 100/3 * (1/1 + 2/2 + 3/3) = 100
#   means S_bar = 4, A_bar = 2  -> bias^2 = 4
#   population sd: S dev = [-2, 0, 2] -> var 8/3 ; A dev = [-1, 0, 1] -> var 2/3
#   (S_s - S_a)^2 = (2*sqrt(2/3) - sqrt(2/3))^2 = 2/3 ; r = 1 -> covariation term 0
#   check: 4 + 2/3 + 0 = 14/3 = MSE
#   U^M = 4 / (14/3) = 6/7 ; U^S = (2/3) / (14/3) = 1/7 ; U^C = 0
#   Theil U = sqrt(14/3) / (sqrt(56/3) + sqrt(14/3)) = 1 / (2 + 1) = 1/3
#   Barlas E1 = |4 - 2| / 2 = 1 ; E2 = |sqrt(8/3) - sqrt(2/3)| / sqrt(2/3) = 2 - 1 = 1
# ---------------------------------------------------------------------------------------------
S1, A1 = [2.0, 4.0, 6.0], [1.0, 2.0, 3.0]


def test_case1_hand_computed():
    assert m.mse(S1, A1) == pytest.approx(14 / 3)
    assert m.rmse(S1, A1) == pytest.approx(math.sqrt(14 / 3))
    assert m.mape(S1, A1) == pytest.approx(100.0)
    assert m.r_squared(S1, A1) == pytest.approx(1.0)
    assert m.theil_u(S1, A1) == pytest.approx(1 / 3)
    d = m.theil_decomposition(S1, A1)
    assert d.um == pytest.approx(6 / 7)
    assert d.us == pytest.approx(1 / 7)
    assert d.uc == pytest.approx(0.0, abs=1e-12)
    assert d.mse == pytest.approx(14 / 3)
    assert m.barlas_mean_error(S1, A1) == pytest.approx(1.0)
    assert m.barlas_amplitude_error(S1, A1) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# Case 2: S = [1, 3, 2], A = [1, 2, 3]  (same mean and sd, phase error only)
#   e = [0, 1, -1]; MSE = 2/3 ; MAPE = 100/3 * (0 + 1/2 + 1/3) = 250/9
#   S_bar = A_bar = 2 -> U^M = 0 ; both sd = sqrt(2/3) -> U^S = 0
#   cov = ((-1)(-1) + (1)(0) + (0)(1)) / 3 = 1/3 ; r = (1/3)/(2/3) = 1/2 ; R^2 = 1/4
#   covariation term 2 (1 - 1/2) (2/3) = 2/3 = MSE -> U^C = 1
#   Theil U = sqrt(2/3) / (2 sqrt(14/3)) = sqrt(1/7) / 2
#   E1 = 0 ; E2 = 0
# ---------------------------------------------------------------------------------------------
S2, A2 = [1.0, 3.0, 2.0], [1.0, 2.0, 3.0]


def test_case2_hand_computed():
    assert m.mse(S2, A2) == pytest.approx(2 / 3)
    assert m.mape(S2, A2) == pytest.approx(250 / 9)
    assert m.r_squared(S2, A2) == pytest.approx(0.25)
    assert m.theil_u(S2, A2) == pytest.approx(math.sqrt(1 / 7) / 2)
    d = m.theil_decomposition(S2, A2)
    assert (d.um, d.us) == (pytest.approx(0.0, abs=1e-12), pytest.approx(0.0, abs=1e-12))
    assert d.uc == pytest.approx(1.0)
    assert m.barlas_mean_error(S2, A2) == pytest.approx(0.0)
    assert m.barlas_amplitude_error(S2, A2) == pytest.approx(0.0)


# ---------------------------------------------------------------------------------------------
# Case 3: S = [2, 2, 5], A = [1, 3, 2]  (all three error sources)
#   e = [1, -1, 3]; MSE = (1 + 1 + 9)/3 = 11/3
#   S_bar = 3, A_bar = 2 -> bias^2 = 1 -> U^M = 3/11
#   S dev = [-1, -1, 2] -> var 2, sd sqrt(2) ; A dev = [-1, 1, 0] -> var 2/3, sd sqrt(2/3)
#   (sqrt2 - sqrt(2/3))^2 = 8/3 - 4/sqrt3 -> U^S = (8 - 4 sqrt3) / 11
#   cov = (1 - 1 + 0)/3 = 0 -> r = 0 -> covariation 2 sqrt2 sqrt(2/3) = 4/sqrt3 -> U^C = 4 sqrt3 / 11
#   check: 1 + 8/3 - 4/sqrt3 + 4/sqrt3 = 11/3
#   E1 = 1/2 ; E2 = |sqrt2 - sqrt(2/3)| / sqrt(2/3) = sqrt3 - 1
#   MAPE = 100/3 (1/1 + 1/3 + 3/2) = 100/3 * 17/6 = 850/9
# ---------------------------------------------------------------------------------------------
S3, A3 = [2.0, 2.0, 5.0], [1.0, 3.0, 2.0]


def test_case3_hand_computed():
    d = m.theil_decomposition(S3, A3)
    assert d.mse == pytest.approx(11 / 3)
    assert d.um == pytest.approx(3 / 11)
    assert d.us == pytest.approx((8 - 4 * math.sqrt(3)) / 11)
    assert d.uc == pytest.approx(4 * math.sqrt(3) / 11)
    assert m.r_squared(S3, A3) == pytest.approx(0.0, abs=1e-12)
    assert m.barlas_mean_error(S3, A3) == pytest.approx(0.5)
    assert m.barlas_amplitude_error(S3, A3) == pytest.approx(math.sqrt(3) - 1)
    assert m.mape(S3, A3) == pytest.approx(850 / 9)


def test_nan_pairs_are_dropped():
    # pairs with a NaN on either side are ignored -> reduces to case 1
    s = [2.0, np.nan, 4.0, 6.0, 9.0]
    a = [1.0, 7.0, 2.0, 3.0, np.nan]
    assert m.rmse(s, a) == pytest.approx(math.sqrt(14 / 3))
    assert m.theil_decomposition(s, a).um == pytest.approx(6 / 7)
    assert m.fit_summary(s, a)["n"] == 3


def test_errors_and_undefined_cases():
    with pytest.raises(ValueError):
        m.rmse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        m.rmse([np.nan], [1.0])
    with pytest.raises(ValueError):
        m.mape([1.0], [0.0])
    with pytest.raises(ValueError):
        m.barlas_amplitude_error([1.0, 2.0], [3.0, 3.0])
    assert math.isnan(m.r_squared([1.0, 1.0], [1.0, 2.0]))
    # a constant simulation against a varying series: U^S + U^C still sum with U^M to 1
    d = m.theil_decomposition([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert d.um + d.us + d.uc == pytest.approx(1.0)
    assert d.uc == pytest.approx(0.0, abs=1e-12)


def test_perfect_fit_gives_zero_errors():
    a = np.array([3.0, 5.0, 4.0, 8.0, 13.0])
    assert m.mse(a, a) == 0.0
    assert m.rmse(a, a) == 0.0
    assert m.mape(a, a) == 0.0
    assert m.theil_u(a, a) == 0.0
    assert m.barlas_mean_error(a, a) == 0.0
    assert m.barlas_amplitude_error(a, a) == 0.0
    assert m.r_squared(a, a) == pytest.approx(1.0)
    d = m.theil_decomposition(a, a)
    assert d.mse == 0.0 and all(math.isnan(x) for x in (d.um, d.us, d.uc))


@pytest.mark.parametrize("seed", range(25))
def test_theil_proportions_sum_to_one(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    a = rng.normal(100, 30, n)
    s = rng.normal(1.0, 0.3) * a + rng.normal(0, 20, n) + rng.normal(0, 10)
    d = m.theil_decomposition(s, a)
    assert d.um + d.us + d.uc == pytest.approx(1.0, rel=1e-9)
    assert min(d.um, d.us, d.uc) >= -1e-12
    assert d.mse == pytest.approx(m.mse(s, a))
    assert 0.0 <= m.theil_u(s, a) <= 1.0
    assert 0.0 <= m.r_squared(s, a) <= 1.0 + 1e-12
