"""Vectorised Sobol'/Saltelli estimator: SALib's ``sobol.analyze`` for many outputs at once.

``sobol_analyze(Y, D, calc_second_order, ...)`` returns, for every column of
``Y`` (rows × K: one column per output × year), what
``SALib.analyze.sobol.analyze(problem, Y[:, k], calc_second_order, num_resamples,
conf_level, seed=seed)`` returns — S1, ST (and S2) point estimates and their
bootstrap confidence half-widths — without a Python loop over outputs,
factors or factor pairs.

Same estimators, same numbers
-----------------------------
* Each column is normalised like SALib does (``(y - mean) / std`` over all of
  its rows, with the same summation order, so bit-identically) and split into the A, AB_j, BA_j, B blocks of the Saltelli design.
* Point estimates use SALib's formulas (Saltelli 2010 for S1/ST, Saltelli
  2002 for S2), including its zero results for (near-)constant A∪B.  They
  agree with SALib to rounding (~1e-15; the tests require 1e-12).
* Bootstrap: SALib draws one resample index matrix
  ``r = default_rng(seed).integers(N, size=(N, num_resamples))`` per call —
  the same matrix for every output and factor, since only N and the seed
  enter.  Here it is drawn once and turned into a count matrix
  ``C[n, b]`` = how often base point n appears in resample b.  Every
  bootstrap statistic SALib computes is a mean over the resampled rows of a
  row-wise product (``B·(AB_j − A)``, ``(A − AB_j)²``, ``BA_j·AB_k − A·B``,
  and the moments of A∪B for the variance), so resample b's value is
  ``C[:, b] @ f / N``: one matrix product per block of outputs instead of
  gathering N × resamples values per factor.  The CI half-width is then
  ``Z · std(resampled indices, ddof=1)`` with ``Z = Φ⁻¹(0.5 + conf_level/2)``,
  exactly SALib's definition; with the same resamples the half-widths agree
  with SALib's to ~1e-12 (only summation order differs).
* The resample variance is ``E[x²] − E[x]²`` over the resampled A∪B; the
  normalised outputs have mean 0 and variance 1, so this loses no accuracy
  that matters at 1e-12.

Determinism: columns are processed in fixed blocks of ``block`` columns
(independent of workers and chunking), so a given input always gives the
same bits on the same machine and library versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

EPS = np.finfo(float).eps
DEFAULT_BLOCK = 64  # columns per block: bounds memory at ~N·D·block doubles


@dataclass
class SobolIndices:
    """Arrays over (factor, column) — S2 over (factor, factor, column), upper triangle only."""

    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    S2: np.ndarray | None = None
    S2_conf: np.ndarray | None = None


def resample_counts(n: int, num_resamples: int, seed: int) -> np.ndarray:
    """(N, resamples) counts of SALib's bootstrap resamples for a seeded ``sobol.analyze`` call."""
    if not seed:
        raise ValueError("seed must be a non-zero integer: SALib draws unseeded resamples for 0.")
    r = np.random.default_rng(seed).integers(n, size=(n, num_resamples))
    flat = (r + n * np.arange(num_resamples)[None, :]).ravel()
    return np.bincount(flat, minlength=n * num_resamples).reshape(num_resamples, n).T.astype(float)


def _safe_div(num: np.ndarray, var: np.ndarray) -> np.ndarray:
    """num / var where var > eps, else 0 (SALib's ``np.divide(..., where=y_var > eps)``)."""
    ok = var > EPS
    return np.where(ok, num / np.where(ok, var, 1.0), 0.0)


def _block(Yb: np.ndarray, D: int, second_order: bool, Ct: np.ndarray, Z: float, used: np.ndarray):
    """Indices for one block of columns: Yb is (rows, k), Ct the (resamples, N) counts."""
    N = Ct.shape[1]
    R = Ct.shape[0]
    step = 2 * D + 2 if second_order else D + 2
    k = Yb.shape[1]
    # Mean/std along contiguous rows of the transpose: NumPy then sums each column pairwise,
    # exactly as it does SALib's 1-D ``Y.mean()``/``Y.std()`` — so the normalised values are
    # bit-identical even for outputs with a large offset (GDP, populations, ...).
    cols_first = np.ascontiguousarray(Yb.T)
    Yb = (Yb - cols_first.mean(axis=1)) / cols_first.std(axis=1)
    Y3 = Yb.reshape(N, step, k)
    A, B = Y3[:, 0, :], Y3[:, step - 1, :]
    AB = Y3[:, 1:D + 1, :]
    AuB = np.concatenate([A, B])
    live = np.ptp(AuB, axis=0) > EPS  # SALib returns zeros when A∪B is (near-)constant
    var = np.var(AuB, axis=0)

    f1 = B[:, None, :] * (AB - A[:, None, :])  # (N, D, k)
    ft = (A[:, None, :] - AB) ** 2
    S1 = np.where(live, _safe_div(f1.mean(axis=0), var), 0.0)
    ST = np.where(live, _safe_div(0.5 * ft.mean(axis=0), var), 0.0)

    # Bootstrap: resample b's mean of a row-wise quantity f is Ct[b] @ f / N.
    moments = Ct @ np.concatenate([A, B, A * A, B * B], axis=1) / N
    mA, mB, mA2, mB2 = np.split(moments, 4, axis=1)
    mean_b = 0.5 * (mA + mB)
    var_b = 0.5 * (mA2 + mB2) - mean_b * mean_b  # (R, k)
    # SALib's constant check on the resampled A∪B (all rows that occur in any resample).
    AuB_used = np.concatenate([A[used], B[used]])
    live_b = np.ptp(AuB_used, axis=0) > EPS
    nonconst_b = np.ptp(AuB_used, axis=0) != 0.0  # SALib's var_diff != 0 for S1/ST CIs

    def boot(f: np.ndarray) -> np.ndarray:  # (N, D, k) -> (R, D, k) resample means
        return (Ct @ f.reshape(N, -1) / N).reshape(R, -1, k)

    S1_b = np.where(live_b, _safe_div(boot(f1), var_b[:, None, :]), 0.0)
    ST_b = np.where(live_b, _safe_div(0.5 * boot(ft), var_b[:, None, :]), 0.0)
    S1_conf = np.where(nonconst_b, Z * S1_b.std(axis=0, ddof=1), 0.0)
    ST_conf = np.where(nonconst_b, Z * ST_b.std(axis=0, ddof=1), 0.0)
    if not second_order:
        return S1, S1_conf, ST, ST_conf, None, None

    BA = Y3[:, D + 1:2 * D + 1, :]
    S2 = np.full((D, D, k), np.nan)
    S2_conf = np.full((D, D, k), np.nan)
    mAB = (A * B).mean(axis=0)
    mAB_b = Ct @ (A * B) / N  # (R, k)
    for j in range(D - 1):
        g = BA[:, j:j + 1, :] * AB[:, j + 1:, :]  # pairs (j, l>j): (N, D-j-1, k)
        v = np.where(live, _safe_div(g.mean(axis=0) - mAB, var), 0.0)
        S2[j, j + 1:] = v - S1[j] - S1[j + 1:]
        v_b = np.where(live_b, _safe_div(boot(g) - mAB_b[:, None, :], var_b[:, None, :]), 0.0)
        s2_b = v_b - S1_b[:, j:j + 1, :] - S1_b[:, j + 1:, :]
        S2_conf[j, j + 1:] = Z * s2_b.std(axis=0, ddof=1)
    return S1, S1_conf, ST, ST_conf, S2, S2_conf


def sobol_analyze(Y: np.ndarray, D: int, calc_second_order: bool, num_resamples: int = 100,
                  conf_level: float = 0.95, seed: int = 1, rows: np.ndarray | None = None,
                  columns: np.ndarray | None = None, block: int = DEFAULT_BLOCK) -> SobolIndices:
    """SALib's ``sobol.analyze`` on every column of ``Y`` at once (see the module docstring).

    ``rows`` selects the design rows (e.g. the first-order rows of a second-order
    design, or a nested prefix) and ``columns`` the outputs, without copying all of Y.
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2:
        raise ValueError(f"Y must be (rows, columns); got shape {Y.shape}.")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1); got {conf_level}.")
    if num_resamples < 2:
        raise ValueError(f"num_resamples must be ≥ 2; got {num_resamples}.")
    n_rows = Y.shape[0] if rows is None else len(rows)
    step = 2 * D + 2 if calc_second_order else D + 2
    if n_rows == 0 or n_rows % step:
        raise ValueError(f"{n_rows} rows is not a multiple of {step} (= {'2D+2' if calc_second_order else 'D+2'} "
                         f"with D={D}): check calc_second_order against the sampling.")
    cols = np.arange(Y.shape[1]) if columns is None else np.asarray(columns, dtype=int)
    N = n_rows // step
    Ct = np.ascontiguousarray(resample_counts(N, num_resamples, seed).T)
    used = Ct.sum(axis=0) > 0
    Z = float(norm.ppf(0.5 + conf_level / 2))
    K = len(cols)
    out = {name: np.empty((D, K)) for name in ("S1", "S1_conf", "ST", "ST_conf")}
    if calc_second_order:
        out["S2"] = np.empty((D, D, K))
        out["S2_conf"] = np.empty((D, D, K))
    with np.errstate(all="ignore"):
        for a in range(0, K, block):
            cb = cols[a:a + block]
            Yb = Y[:, cb] if rows is None else Y[np.ix_(rows, cb)]
            res = _block(Yb, D, calc_second_order, Ct, Z, used)
            for name, arr in zip(("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf"), res):
                if arr is not None:
                    out[name][..., a:a + len(cb)] = arr
    return SobolIndices(**out)
