"""Posterior predictive bands (observation error included) and their coverage, per target and sector.

A predictive draw of observation ``y_st`` = model value of an ensemble member + an AR(1) residual
path with that member's ``(sigma_s, rho_s)`` (columns ``sigma:<target>``, ``rho:<target>`` of the
ensemble file, drawn from their exact conditional posterior). Series without an error draw (no
observation in the fitting window, e.g. in the hindcast) take ``sigma`` from its prior and ``rho``
uniform on the grid. Coverage = share of observations inside the central 50 % / 90 % interval.

The sector of a target is the section heading of ``targets.toml`` it sits under (the banner
comment ``# ---- / # <Sector> / # ----``), so sectors need no model knowledge here.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .likelihood import ErrorModel, coverage

LEVELS = (0.5, 0.9)


def sectors(targets) -> dict[str, str]:
    """Target name -> section heading of targets.toml (``other`` when there is none)."""
    text = Path(targets.path).read_text(encoding="utf-8").splitlines()
    heads: list[tuple[int, str]] = []
    for i in range(1, len(text) - 1):
        if re.match(r"#\s*-{10,}", text[i - 1]) and re.match(r"#\s*-{10,}", text[i + 1]):
            title = text[i].lstrip("#").strip()
            heads.append((i + 1, re.split(r"\s+\(", title)[0]))
    out = {}
    for t in targets.targets:
        sec = "other"
        for line, title in heads:
            if line <= t.line:
                sec = title
        out[t.name] = sec
    return out


def error_model_all(problem, settings: dict) -> ErrorModel:
    """An error model over every fitted target and ALL its years (for predictive draws)."""
    return ErrorModel(problem, prior_scale=settings["error_prior_scale"], prior_shape=settings["error_prior_shape"],
                      rho_max=settings["ar1_rho_max"], targets=[t for t in problem.targets.targets if t.weight > 0],
                      end_year=9999)


def predictive(problem, frame: pd.DataFrame, settings: dict, *, reps: int, seed: int,
               condition_after: int | None = None) -> dict[str, dict]:
    """Predictive draws at every observation of every fitted target: name -> dict(years, obs,
    draws (K*reps, m), median model (m,)).

    With ``condition_after`` (a hindcast's end year) the residuals of the later years are the AR(1)
    forecast from each member's observed residual at the series' last year <= condition_after
    (eps continues from e_last / sigma), i.e. the predictive distribution of a forecast under the
    fitted error model; the years up to it stay marginal draws (posterior predictive check)."""
    rng = np.random.default_rng(seed)
    em = error_model_all(problem, settings)
    x = frame[problem.names].to_numpy(dtype=float)
    sims = problem.simulate(x, em.targets)
    k = len(x)
    out = {}
    for j, s in enumerate(em.series):
        sim = sims[s.name][:, s.mask]
        sc, rc = f"sigma:{s.name}", f"rho:{s.name}"
        if sc in frame:
            sigma = frame[sc].to_numpy(dtype=float)
            rho = frame[rc].to_numpy(dtype=float) if rc in frame else np.zeros(k)
        else:  # prior draw: sigma^2 ~ InvGamma(a, a s0^2), rho ~ uniform grid
            a = em.shape
            b = a * em.prior_scale[j] ** 2
            sigma = np.sqrt(b / rng.gamma(a, 1.0, size=k))
            rho = rng.choice(em.rho, size=k)
        resid = em.noise(s.years, sigma, rho, rng, reps)
        if condition_after is not None:
            inside = np.flatnonzero(s.years <= condition_after)
            later = np.flatnonzero(s.years > condition_after)
            if len(inside) and len(later) and sc in frame:
                i0 = inside[-1]
                m0, y0 = sim[:, i0], s.obs[i0]
                if s.kind == "log":
                    e_last = np.log(np.maximum(m0, 1e-300) / y0)
                elif s.kind == "relative":
                    e_last = (m0 - y0) / abs(y0)
                else:
                    e_last = (m0 - y0) / s.scale
                e_last = np.nan_to_num(e_last)
                eps = np.repeat((e_last / sigma)[:, None], reps, axis=1)
                prev = s.years[i0]
                for jj in later:
                    phi = (rho ** float(s.years[jj] - prev))[:, None]
                    eps = phi * eps + np.sqrt(1 - phi ** 2) * rng.standard_normal((k, reps))
                    resid[:, :, jj] = sigma[:, None] * eps
                    prev = s.years[jj]
        rep = em.replicate(s, sim, resid).reshape(k * reps, -1)
        out[s.name] = {"years": s.years, "obs": s.obs, "draws": rep, "model": np.nanmedian(sim, axis=0)}
    return out


def coverage_table(problem, pred: dict, end_year: int, sector_of: dict[str, str],
                   late_from: int | None = None) -> pd.DataFrame:
    """One row per (target, window): window 'fitted' = years <= end_year, 'out_of_sample' = later;
    n, share inside the 50 % and 90 % bands, MAPE of the predictive median."""
    rows = []
    for name, p in pred.items():
        inside = coverage(p["obs"], p["draws"], LEVELS)
        med = np.nanmedian(p["draws"], axis=0)
        windows = [("fitted", p["years"] <= end_year), ("out_of_sample", p["years"] > end_year)]
        if late_from is not None:
            windows.append((f"out_of_sample_from_{late_from}", (p["years"] > end_year) & (p["years"] >= late_from)))
        for window, mask in windows:
            if not mask.any():
                continue
            obs = p["obs"][mask]
            rows.append({"target": name, "sector": sector_of.get(name, "other"), "window": window,
                         "years": f"{p['years'][mask].min()}-{p['years'][mask].max()}", "n": int(mask.sum()),
                         "in50": int(inside[0.5][mask].sum()), "in90": int(inside[0.9][mask].sum()),
                         "mape_pct": float(np.nanmean(np.abs(med[mask] - obs) / np.abs(obs)) * 100)})
    return pd.DataFrame(rows, columns=["target", "sector", "window", "years", "n", "in50", "in90", "mape_pct"])


def summarise(table: pd.DataFrame, by: str = "sector") -> pd.DataFrame:
    """Pooled coverage per sector (and 'all') for each window: share of observations inside."""
    if table.empty:
        return pd.DataFrame(columns=[by, "window", "n", "cover50", "cover90"])
    g = table.groupby([by, "window"], as_index=False)[["n", "in50", "in90"]].sum()
    tot = table.groupby("window", as_index=False)[["n", "in50", "in90"]].sum()
    tot[by] = "all"
    g = pd.concat([g, tot], ignore_index=True)
    g["cover50"] = g["in50"] / g["n"]
    g["cover90"] = g["in90"] / g["n"]
    return g[[by, "window", "n", "cover50", "cover90"]]
