"""Robustness of presets and scenario files over the calibration ensemble × deep uncertainties.

A *future* is one calibration-ensemble member (``calibration/ensemble.csv``, the fitted
parameters) combined with one Latin-hypercube draw of the *deep uncertainties*: assumption
parameters with documented ranges (:func:`sim.levers.parameters`) that the calibration does not
constrain — by default the runoff / glacier path, SSP population and GDP paths, irrigation water
saving and return flows, energy intensity (:data:`DEEP_UNCERTAINTIES`), each over its full range.

Per scenario (:func:`robustness_metrics`): the share of futures keeping each red line (and all of
them), regret against the best scenario in the same future for each outcome, and the outcome
distribution (5/50/95 %).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import levers as levers_mod, redlines, scenarios
from ..errors import OasisError, UnknownNameError
from ..model import DEFAULT_MODEL
from ..sensitivity.factors import Factor
from .evaluate import Metric, SearchEvaluator, evaluate_design

DEEP_UNCERTAINTIES = (
    "runoff_trend_per_yr", "glacier_peak_runoff_increase", "glacier_peak_water_year",
    "glacier_runoff_long_run_loss", "population_ssp_path_position", "gdp_ssp_path_position",
    "water_saving_adoption_per_yr", "water_saving_share_bau_max", "irrigation_return_coefficient",
    "industry_water_elasticity", "yield_water_elasticity", "electricity_intensity_decline_per_yr",
)
# outcome -> sense used for regret ("max": more is better)
DEFAULT_OUTCOMES = (("gdp", 2035, "max"), ("water_use", 2035, "min"), ("overdraft", 2035, "min"),
                    ("natural_oasis", 2060, "max"), ("co2", 2060, "min"))


@dataclass
class Futures:
    """Uncertain constants per future: ``values`` (n_futures, n_params) over ``factors``."""

    factors: list[Factor]
    values: np.ndarray
    member: np.ndarray  # ensemble row of each future
    deep_draw: np.ndarray  # deep-uncertainty draw of each future

    @property
    def n(self) -> int:
        return len(self.values)


def ensemble_members(n_members: int) -> pd.DataFrame:
    """First ``n_members`` rows of the calibration ensemble (via :mod:`sim.calibrate`), restricted to
    the uncertain model constants."""
    from ..calibrate.pipeline import load_ensemble
    from ..model import REPO_ROOT

    path = REPO_ROOT / "calibration" / "ensemble.csv"
    frame = load_ensemble(path)
    if frame is None or frame.empty:
        raise OasisError(f"{path}: no calibration ensemble (run `oasis-sd calibrate`)")
    known = {p.constant for p in levers_mod.parameters()}
    cols = [c for c in frame.columns if c in known]
    if n_members < 1:
        raise OasisError(f"--members must be ≥ 1 (the ensemble has {len(frame)} members)")
    return frame[cols].iloc[:n_members].astype(float)


def deep_factors(names: Sequence[str] | str = DEEP_UNCERTAINTIES, exclude: Sequence[str] = ()) -> list[Factor]:
    """Deep uncertainties as factors over their documented ranges ("all": every assumption parameter
    not in ``exclude``, i.e. not fitted by the calibration)."""
    params = {p.constant: p for p in levers_mod.parameters()}
    if names == "all":
        names = [n for n in params if n not in set(exclude)]
    out = []
    for n in names:
        if n not in params:
            raise UnknownNameError("deep uncertainty (assumption parameter)", n, params)
        out.append(Factor.from_obj(params[n]))
    return out


def make_futures(n_members: int, n_deep: int, seed: int = 7, deep: Sequence[str] | str = DEEP_UNCERTAINTIES) -> Futures:
    """``n_deep`` futures per ensemble member, each with its own deep-uncertainty draw (Latin hypercube
    over the documented ranges, ``seed``); member-major order."""
    from scipy.stats import qmc

    ens = ensemble_members(n_members)
    dfac = [f for f in deep_factors(deep, exclude=list(ens.columns)) if f.constant not in ens.columns]
    efac = [Factor(c, c, float(ens[c].min()), float(ens[c].max())) for c in ens.columns]
    if n_deep < 1:
        raise OasisError("--deep-samples must be ≥ 1")
    # one Latin hypercube over all futures: every future gets its own deep draw (a design that
    # crossed the same few deep draws with every member would give each deep uncertainty only
    # n_deep distinct values, too coarse for scenario discovery)
    E = ens.to_numpy()
    n = len(E) * n_deep
    unit = qmc.LatinHypercube(d=max(1, len(dfac)), seed=seed).random(n)[:, :len(dfac)]
    D = np.array([f.low for f in dfac]) + unit * np.array([f.high - f.low for f in dfac])
    m_idx = np.repeat(np.arange(len(E)), n_deep)
    d_idx = np.arange(n)
    return Futures(efac + dfac, np.hstack([E[m_idx], D.reshape(n, len(dfac))]), m_idx, d_idx)


def outcome_metrics(outcomes=DEFAULT_OUTCOMES, geography: str = "belt") -> tuple[list[Metric], list[str]]:
    return [Metric(k, y, geography) for k, y, _ in outcomes], [s for *_, s in outcomes]


def scenario_runs(names: Sequence[str], futures: Futures, metrics: Sequence[Metric], red_lines: Sequence[str],
                  window=(2025, 2060), geography: str = "belt", mdl_path=DEFAULT_MODEL, backend=None,
                  store_dir=None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every scenario in every future, in chunks through the executors (resumable in ``store_dir``).

    Returns
    -------
    values : (S, F, M) outcome values [indicator units]
    breach : (S, F, R) breached years in the window [count]
    titles : scenario titles
    """
    from ..runner import scenario_params

    scs = [scenarios.load(n) for n in names]
    lev_names = [lv.name for lv in levers_mod.levers()]
    factors = [Factor.from_obj(levers_mod.lever(n)) for n in lev_names] + futures.factors
    base = {k: v for k, v in scenario_params(scs[0]).items() if k not in set(lev_names)}
    ev = SearchEvaluator(factors, metrics, red_lines, window, base, mdl_path, geography)
    ev.prepare()
    L = np.array([[sc.levers[n] for n in lev_names] for sc in scs])
    S, F = len(scs), futures.n
    X = np.hstack([np.repeat(L, F, axis=0), np.tile(futures.values, (S, 1))])
    Y = evaluate_design(ev, X, backend=backend, store_dir=store_dir).reshape(S, F, -1)
    return Y[:, :, :len(metrics)], Y[:, :, len(metrics):], [sc.title for sc in scs]


def robustness_metrics(values: np.ndarray, kept: np.ndarray, senses: Sequence[str], scenarios_: Sequence[str],
                       outcomes: Sequence[str], red_lines: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Satisficing shares, regret and outcome distributions.

    Parameters
    ----------
    values : (S, F, M) outcome of scenario s in future f.
    kept : (S, F, R) bool, red line r kept in future f.
    senses : "max" (more is better) or "min" per outcome.

    Returns
    -------
    dict of DataFrames
        ``satisficing``: per scenario, share of futures [0-1] keeping each red line and all of them;
        ``regret``: per scenario and outcome, mean / 90th percentile / max over futures of
        ``|best_s' value(s', f) − value(s, f)|`` where best is the max (or min) over scenarios
        in the same future [outcome units], and the share of futures in which the scenario is best;
        ``distribution``: 5 / 50 / 95 % of each outcome over futures.
    """
    S, F, M = values.shape
    sat = pd.DataFrame(kept.mean(axis=1), index=list(scenarios_), columns=list(red_lines))
    sat["all_red_lines"] = kept.all(axis=2).mean(axis=1)
    rows, dist = [], []
    for m, (name, sense) in enumerate(zip(outcomes, senses)):
        v = values[:, :, m]
        best = v.max(axis=0) if sense == "max" else v.min(axis=0)
        regret = (best - v) if sense == "max" else (v - best)
        for s in range(S):
            rows.append({"scenario": scenarios_[s], "outcome": name, "sense": sense,
                         "mean_regret": float(regret[s].mean()), "p90_regret": float(np.quantile(regret[s], 0.9)),
                         "max_regret": float(regret[s].max()), "share_best": float((regret[s] <= 0).mean())})
            q = np.quantile(v[s], [0.05, 0.5, 0.95])
            dist.append({"scenario": scenarios_[s], "outcome": name, "p05": q[0], "p50": q[1], "p95": q[2],
                         "mean": float(v[s].mean())})
    sat.index.name = "scenario"
    return {"satisficing": sat.reset_index(), "regret": pd.DataFrame(rows), "distribution": pd.DataFrame(dist)}


def default_scenarios() -> list[str]:
    """Every preset (S0 baseline … S9, current policies)."""
    return scenarios.available()


def markdown_table(tables: dict[str, pd.DataFrame], titles: dict[str, str] | None = None) -> str:
    """A compact Markdown robustness table: red-line satisficing shares and regret (mean) per scenario."""
    sat = tables["satisficing"].copy()
    reg = tables["regret"].pivot(index="scenario", columns="outcome", values="mean_regret")
    cols = [c for c in sat.columns if c != "scenario"]
    short = {f: redlines.FLAGS.get(f, (f,))[0] for f in cols}
    short["all_red_lines"] = "all red lines"
    head = ["scenario"] + [f"kept: {short[c]}" for c in cols] + [f"mean regret {o}" for o in reg.columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, row in sat.iterrows():
        s = row["scenario"]
        cells = [s] + [f"{row[c]:.0%}" for c in cols] + [f"{reg.loc[s, o]:.4g}" for o in reg.columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    from ..io import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [atomic_write(out / f"{k}.csv", lambda tmp, t=t: t.to_csv(tmp, index=False)) for k, t in tables.items()]
    md = markdown_table(tables)
    paths.append(atomic_write(out / "robustness.md", lambda tmp: Path(tmp).write_text(md + "\n", "utf-8")))
    return paths
