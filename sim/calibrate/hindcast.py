"""Out-of-sample hindcast: calibrate on observations up to ``hindcast_end_year`` only, then measure
the errors on the later observations, next to the errors of the full calibration on the same points."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import metrics
from .objective import Problem


def out_of_sample(problem: Problem, x_hindcast: np.ndarray, x_full: np.ndarray, end_year: int) -> pd.DataFrame:
    """One row per target with observations after ``end_year``: MAPE (and n) of the hindcast
    parameters and of the full calibration on exactly those points."""
    sims = problem.simulate(np.vstack([x_hindcast, x_full]))
    rows = []
    for t in problem.targets.targets:
        years = t.observed.index.to_numpy(dtype=int)
        late = years > end_year
        if not late.any():
            continue
        obs = t.observed.to_numpy(dtype=float)[late]
        hind, full = sims[t.name][0, late], sims[t.name][1, late]
        in_sample = (years <= end_year).sum()
        rows.append({
            "target": t.name, "series": t.series, "geography": t.geography, "weight": t.weight,
            "n_in_sample": int(in_sample), "n_out_of_sample": int(late.sum()),
            "years_out_of_sample": f"{years[late].min()}-{years[late].max()}" if late.sum() > 1 else str(years[late][0]),
            "hindcast_mape_pct": _safe(metrics.mape, hind, obs),
            "hindcast_bias_pct": float(np.nanmean((hind - obs) / np.abs(obs)) * 100),
            "full_calibration_mape_pct": _safe(metrics.mape, full, obs),
        })
    return pd.DataFrame(rows)


def _safe(fn, s, a) -> float:
    try:
        return float(fn(s, a))
    except ValueError:
        return float("nan")
