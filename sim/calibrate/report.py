"""Fit report: statistics per series (Markdown, HTML, CSV) and Altair charts (PNG via vl-convert).

Everything is computed from ``calibrated.toml`` (parameters, hindcast parameters, provenance) and
``ensemble.csv`` by re-running the model, so ``oasis-sd fit-report`` can rebuild the report at any
time. Every file is written atomically.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import geography
from ..io import atomic_write
from . import metrics
from .hindcast import out_of_sample
from .objective import Problem

CHART_YEARS = (1990, 2020)
STAT_COLUMNS = ["target", "series", "geography", "unit", "weight", "fitted", "n", "years", "mape_pct",
                "r_squared", "rmse", "theil_u", "um", "us", "uc", "barlas_e1", "barlas_e2",
                "mape_pass", "status", "note"]


def statistics(problem: Problem, x: np.ndarray) -> pd.DataFrame:
    """One row per target: fit statistics of parameter set ``x`` on every observation."""
    s = problem.targets.settings
    sims = problem.simulate(np.atleast_2d(x))
    rows = []
    for t in problem.targets.targets:
        obs = t.observed.to_numpy(dtype=float)
        sim = sims[t.name][0]
        years = t.observed.index.to_numpy(dtype=int)
        st = metrics.fit_summary(sim, obs)
        n = int(st["n"])
        enough = n >= s["min_points_barlas"]
        mape = st["mape"]
        passed = bool(np.isfinite(mape) and mape < s["mape_threshold_pct"])
        if t.weight == 0:
            status = "reported"
        else:
            status = "pass" if passed else "fail"
        note = ""
        if not passed:
            note = t.fit_note or (t.reason if t.weight == 0 else "")
        rows.append({
            "target": t.name, "series": t.series, "geography": t.geography, "unit": t.unit,
            "weight": t.weight, "fitted": t.weight > 0, "n": n,
            "years": f"{years.min()}-{years.max()}" if n > 1 else str(years[0]),
            "mape_pct": mape, "r_squared": st["r_squared"] if n >= 3 else np.nan, "rmse": st["rmse"],
            "theil_u": st["theil_u"],
            "um": st["um"] if n >= 2 else np.nan, "us": st["us"] if n >= 2 else np.nan,
            "uc": st["uc"] if n >= 2 else np.nan,
            "barlas_e1": st["barlas_mean_error"] if enough else np.nan,
            "barlas_e2": st["barlas_amplitude_error"] if enough else np.nan,
            "mape_pass": passed, "status": status, "note": note,
        })
    return pd.DataFrame(rows, columns=STAT_COLUMNS)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def charts(problem: Problem, x: np.ndarray, x_default: np.ndarray, ensemble: pd.DataFrame | None) -> dict:
    """Altair chart per target: observed points, calibrated run, uncalibrated run, ensemble band,
    and the residuals (calibrated - observed) below."""
    import altair as alt

    batch = [np.atleast_2d(x), np.atleast_2d(x_default)]
    if ensemble is not None and len(ensemble):
        batch.append(ensemble[problem.names].to_numpy(dtype=float))
    years, traj = problem.trajectories(np.vstack(batch), final_time=float(CHART_YEARS[1]))
    keep = (years >= CHART_YEARS[0]) & (years <= CHART_YEARS[1])
    out = {}
    for t in problem.targets.targets:
        a = traj[t.name][:, keep]
        yrs = years[keep]
        lines = pd.concat([pd.DataFrame({"year": yrs, "value": a[0], "run": "calibrated"}),
                           pd.DataFrame({"year": yrs, "value": a[1], "run": "uncalibrated defaults"})])
        obs = pd.DataFrame({"year": t.observed.index.astype(int), "value": t.observed.to_numpy(dtype=float)})
        cal_at = dict(zip(yrs, a[0]))
        obs["residual"] = [cal_at.get(y, np.nan) - v for y, v in zip(obs["year"], obs["value"])]
        obs["kind"] = np.where(obs["year"] <= problem.end_year, "observed", "observed (not fitted)")
        x_enc = alt.X("year:Q", scale=alt.Scale(domain=list(CHART_YEARS)), axis=alt.Axis(format="d"), title=None)
        layers = []
        if a.shape[0] > 2:
            band = pd.DataFrame({"year": yrs, "lo": np.nanpercentile(a[2:], 5, axis=0),
                                 "hi": np.nanpercentile(a[2:], 95, axis=0)})
            layers.append(alt.Chart(band).mark_area(opacity=0.25, color="#4c78a8").encode(
                x=x_enc, y=alt.Y("lo:Q", title=t.unit), y2="hi:Q"))
        layers.append(alt.Chart(lines).mark_line().encode(
            x=x_enc, y=alt.Y("value:Q", title=t.unit, scale=alt.Scale(zero=False)),
            color=alt.Color("run:N", scale=alt.Scale(domain=["calibrated", "uncalibrated defaults"],
                                                      range=["#4c78a8", "#bbbbbb"]), title=None),
            strokeDash=alt.StrokeDash("run:N", scale=alt.Scale(domain=["calibrated", "uncalibrated defaults"],
                                                                range=[[1, 0], [4, 3]]), legend=None)))
        layers.append(alt.Chart(obs).mark_point(filled=True, size=45).encode(
            x=x_enc, y="value:Q",
            shape=alt.Shape("kind:N", title=None),
            color=alt.value("#e45756" if t.weight > 0 else "#f58518")))
        top = alt.layer(*layers).properties(width=420, height=190,
                                            title=f"{t.name}{'' if t.weight > 0 else ' (reported only)'}")
        resid = alt.Chart(obs).mark_bar(size=5, color="#e45756").encode(
            x=x_enc, y=alt.Y("residual:Q", title="sim - obs")).properties(width=420, height=70)
        rule = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#666").encode(y="y:Q")
        out[t.name] = alt.vconcat(top, alt.layer(resid, rule)).resolve_scale(color="independent")
    return out


def _fmt(v, digits=3) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "–"
        return f"{v:.{digits}g}" if abs(v) < 1e5 else f"{v:.4g}"
    return str(v)


def markdown_table(frame: pd.DataFrame, columns: list[str], digits=3) -> str:
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(r[c], digits).replace("|", "/") for c in columns) + " |" for _, r in frame.iterrows()]
    return "\n".join([head, sep, *body])


def write_report(out_dir: Path, *, problem: Problem, doc: dict, ensemble: pd.DataFrame | None,
                 pngs: bool = True) -> dict[str, Path]:
    """Write REPORT.md, report.html, fit_statistics.csv, hindcast_statistics.csv, charts/*.png."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        from ..errors import OasisError

        raise OasisError(f"report folder does not exist: {out_dir}")
    params = doc["parameters"]
    x = np.array([params[n] for n in problem.names])
    x_default = np.array([p.default for p in problem.config.free])
    stats = statistics(problem, x)
    stats_default = statistics(problem, x_default)
    written: dict[str, Path] = {}
    written["fit_statistics"] = atomic_write(out_dir / "fit_statistics.csv",
                                             lambda tmp: stats.to_csv(tmp, index=False, float_format="%.6g"))
    hind_doc = doc.get("hindcast")
    hind = None
    if hind_doc:
        xh = np.array([hind_doc["parameters"][n] for n in problem.names])
        hind = out_of_sample(problem, xh, x, int(hind_doc["end_year"]))
        written["hindcast_statistics"] = atomic_write(out_dir / "hindcast_statistics.csv",
                                                      lambda tmp: hind.to_csv(tmp, index=False, float_format="%.6g"))
    chart_files: dict[str, str] = {}
    if pngs:
        import vl_convert as vlc

        chart_dir = out_dir / "charts"
        chart_dir.mkdir(exist_ok=True)
        for name, chart in charts(problem, x, x_default, ensemble).items():
            png = vlc.vegalite_to_png(chart.to_json(), scale=1.0)
            path = chart_dir / f"{_slug(name)}.png"
            atomic_write(path, lambda tmp, b=png: tmp.write_bytes(b))
            chart_files[name] = f"charts/{path.name}"
    cov = _coverage(problem, doc, ensemble, out_dir)
    if cov["table"] is not None:
        table = cov["table"]
        written["coverage_statistics"] = atomic_write(out_dir / "coverage_statistics.csv",
                                                      lambda tmp: table.to_csv(tmp, index=False, float_format="%.6g"))
    md = _markdown(problem, doc, stats, stats_default, hind, ensemble, chart_files)
    md = _v2_sections(md, problem, doc, ensemble, cov)
    written["report_md"] = atomic_write(out_dir / "REPORT.md", lambda tmp: tmp.write_text(md, encoding="utf-8"))
    page = _html(md, out_dir)
    written["report_html"] = atomic_write(out_dir / "report.html", lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return written


def _markdown(problem, doc, stats, stats_default, hind, ensemble, chart_files) -> str:
    s = problem.targets.settings
    prov = doc.get("provenance", {})
    obj = doc.get("objective", {})
    fitted = stats[stats["fitted"]]
    reported = stats[~stats["fitted"]]
    n_pass = int(fitted["mape_pass"].sum())
    lines = [
        "# Calibration fit report — Tianshan North Slope model",
        "",
        f"Generated by `oasis-sd fit-report` from `calibration/calibrated.toml` (calibrated {prov.get('date', '?')}, "
        f"seed {prov.get('seed', '?')}, wall time {prov.get('seconds_total', float('nan')):.0f} s on "
        f"{prov.get('cpu_count', '?')} cores). Model `{Path(prov.get('model', '')).name}` sha256 "
        f"`{str(prov.get('model_sha256', ''))[:16]}…`; data `series.csv` sha256 `{str(prov.get('data_sha256', ''))[:16]}…`.",
        "",
        "## Method",
        "",
        f"* **Targets**: {len(stats)} comparisons in `calibration/targets.toml` ({len(fitted)} fitted, {len(reported)} "
        "reported only); every other series of `calibration/data/series.csv` is listed there as excluded, with its reason.",
        f"* **Free parameters**: {len(problem.names)} uncertain constants (`calibration/calibration.toml`, bounds inside "
        "the model's documented ranges); levers stay at their BAU defaults (they never act before 2017); every other "
        "constant keeps its model default.",
        "* **Fit**: posterior mode of the v2 likelihood (per-series error scales and AR(1) residuals, "
        "integrated out; see the section *Calibration v2* below), found by differential evolution (scipy, each "
        "generation one batch of the numpy engine); posterior ensemble by emcee. The reported `objective` "
        "(sum over fitted series of weight × mean squared relative error) is kept for comparison with v1.",
        f"* **Thresholds**: a series passes when MAPE < {s['mape_threshold_pct']:g} % (arid-basin SD practice: "
        f"relative error < 5–10 %). Also shown: Theil U^M/U^S/U^C (Sterman 1984) and, with ≥ {int(s['min_points_barlas'])} "
        f"points, Barlas (1996) E1 (mean, suggested < {s['barlas_e1_threshold']:g}) and E2 (amplitude, "
        f"suggested < {s['barlas_e2_threshold']:g}).",
        "",
        "## Headline",
        "",
        f"* Objective: **{obj.get('default', float('nan')):.4g} → {obj.get('calibrated', float('nan')):.4g}** "
        "(uncalibrated defaults → posterior mode; reported sum of squares, not the fitted likelihood).",
        f"* Fitted series with MAPE < {s['mape_threshold_pct']:g} %: **{n_pass} of {len(fitted)}** "
        f"(uncalibrated: {int(stats_default[stats_default['fitted']]['mape_pass'].sum())} of {len(fitted)}). "
        f"Median MAPE of fitted series {fitted['mape_pct'].median():.1f} % "
        f"(uncalibrated {stats_default[stats_default['fitted']]['mape_pct'].median():.1f} %).",
    ]
    if hind is not None and len(hind):
        hf = hind[hind["weight"] > 0]
        lines.append(f"* Hindcast (calibrated on data ≤ {doc['hindcast']['end_year']}): median out-of-sample MAPE "
                     f"{hf['hindcast_mape_pct'].median():.1f} % over {len(hf)} fitted series with later data "
                     f"(full calibration on the same points: {hf['full_calibration_mape_pct'].median():.1f} %).")
    lines += ["", "## Fit statistics (calibrated parameters)", "",
              "`status`: pass / fail against the MAPE threshold for fitted series; `reported` = weight 0 (shown, not "
              "fitted). R² needs ≥ 3 points, Theil shares ≥ 2.", "",
              markdown_table(stats, ["target", "weight", "n", "years", "mape_pct", "r_squared", "rmse", "um", "us",
                                     "uc", "barlas_e1", "barlas_e2", "status"]), ""]
    notes = stats[~stats["mape_pass"]]
    if len(notes):
        lines += ["### Why these series miss the threshold", ""]
        for _, r in notes.iterrows():
            lines.append(f"* **{r['target']}** (MAPE {_fmt(r['mape_pct'])} %, {r['status']}): "
                         f"{r['note'] or 'no documented reason yet'}")
        lines.append("")
    lines += ["### Uncalibrated (model defaults) for comparison", "",
              markdown_table(stats_default[stats_default["fitted"]], ["target", "n", "mape_pct", "status"]), ""]
    if hind is not None and len(hind):
        lines += [f"## Out-of-sample hindcast (calibrated on observations ≤ {doc['hindcast']['end_year']})", "",
                  f"The same configuration and seed, with every observation after {doc['hindcast']['end_year']} removed "
                  f"from the objective (objective {doc['hindcast'].get('objective', float('nan')):.4g}, "
                  f"{doc['hindcast'].get('seconds', float('nan')):.0f} s). Errors on the later points, with the full "
                  "calibration's errors on the same points for comparison. Series with no observation up to "
                  f"{doc['hindcast']['end_year']} (`n_in_sample` = 0: the census-basis water series) are not "
                  "constrained at all by the hindcast fit: their error is a pure prediction.", "",
                  markdown_table(hind, ["target", "weight", "n_in_sample", "n_out_of_sample", "years_out_of_sample",
                                        "hindcast_mape_pct", "hindcast_bias_pct", "full_calibration_mape_pct"]), ""]
    lines += ["## Parameters", "", _param_table(problem, doc, ensemble), ""]
    if chart_files:
        lines += ["## Charts", "",
                  "Observed points (red: fitted, orange: reported only), calibrated run (solid), uncalibrated defaults "
                  "(dashed), 5–95 % ensemble band (shaded); residuals below.", ""]
        for name, rel in chart_files.items():
            lines += [f"### {name}", "", f"![{name}]({rel})", ""]
    return "\n".join(lines)


def _param_table(problem, doc, ensemble) -> str:
    rows = []
    hind = doc.get("hindcast", {}).get("parameters", {})
    for p in problem.config.free:
        v = doc["parameters"][p.name]
        lo = hi = np.nan
        if ensemble is not None and p.name in ensemble:
            lo, hi = np.percentile(ensemble[p.name], [5, 95])
        at_bound = "low" if np.isclose(v, p.low, rtol=0, atol=1e-6 * (p.high - p.low)) else (
            "high" if np.isclose(v, p.high, rtol=0, atol=1e-6 * (p.high - p.low)) else "")
        rows.append({"parameter": p.name, "bounds": f"{p.low:g}–{p.high:g}", "default": p.default,
                     "calibrated": v, "ensemble 5–95 %": f"{_fmt(lo, 4)}–{_fmt(hi, 4)}", "at bound": at_bound,
                     "hindcast": hind.get(p.name, np.nan)})
    frame = pd.DataFrame(rows)
    return markdown_table(frame, list(frame.columns), digits=4)


def _html(md: str, out_dir: Path) -> str:
    """HTML page: the Markdown rendered with a tiny converter; charts linked from charts/."""
    body = []
    in_table = False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(set(c) <= {"-"} for c in cells):
                continue
            if not in_table:
                body.append("<table>")
                tag, in_table = "th", True
            else:
                tag = "td"
            body.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        m = re.match(r"!\[(.*)\]\((.*)\)", line)
        if m:  # charts stay separate PNG files next to the page (keeps the HTML small)
            body.append(f'<img alt="{html.escape(m.group(1))}" src="{html.escape(m.group(2))}">')
            continue
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.startswith("* "):
            body.append(f"<li>{_inline(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
             "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 5px}"
             "img{max-width:100%}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Calibration fit report</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _inline(text: str) -> str:
    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    t = re.sub(r"`(.+?)`", r"<code>\1</code>", t)
    return t


# ------------------------------------------------------------------------------------------------
# v2: likelihood, MCMC diagnostics, predictive coverage, parameters on a bound
# ------------------------------------------------------------------------------------------------
BOUND_SHARE = 0.2     # a parameter is "on a bound" when >= 20 % of the draws lie in the outer 2 % of its range
BOUND_EDGE = 0.02


def _coverage(problem, doc, ensemble, out_dir) -> dict:
    """Predictive coverage tables of the full posterior (fitted window) and of the hindcast posterior
    (its fitted window <= hindcast_end_year, out of sample after it, and from 2017 on)."""
    from . import predictive

    out = {"table": None, "full": None, "hindcast": None}
    s = problem.config.settings
    reps = int(s.get("predictive_replicates", 20))
    seed = int(doc.get("provenance", {}).get("seed", s.get("seed", 1)))
    full = Problem(problem.model, problem.config, problem.targets, end_year=9999)
    sector_of = predictive.sectors(problem.targets)
    tables = []
    if ensemble is not None and len(ensemble) and any(c.startswith("sigma:") for c in ensemble.columns):
        pred = predictive.predictive(full, ensemble, s, reps=reps, seed=seed)
        t = predictive.coverage_table(full, pred, problem.end_year, sector_of)
        t.insert(0, "posterior", "full")
        out["full"] = t
        tables.append(t)
    hpath = Path(out_dir) / "ensemble_hindcast.csv"
    if doc.get("hindcast") and hpath.exists():
        hens = pd.read_csv(hpath)
        if len(hens):
            he = int(doc["hindcast"]["end_year"])
            pred = predictive.predictive(full, hens, s, reps=reps, seed=seed, condition_after=he)
            t = predictive.coverage_table(full, pred, he, sector_of, late_from=2017)
            t.insert(0, "posterior", f"hindcast <= {he}")
            out["hindcast"] = t
            tables.append(t)
    if tables:
        out["table"] = pd.concat(tables, ignore_index=True)
    return out


def _pct(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.0f} %"


def _bounds_table(problem, doc, ensemble) -> pd.DataFrame:
    rows = []
    for p in problem.config.free:
        width = p.high - p.low
        v = doc["parameters"][p.name]
        share_lo = share_hi = np.nan
        if ensemble is not None and p.name in ensemble and len(ensemble):
            e = ensemble[p.name].to_numpy(dtype=float)
            share_lo = float(np.mean(e <= p.low + BOUND_EDGE * width))
            share_hi = float(np.mean(e >= p.high - BOUND_EDGE * width))
        map_lo = v <= p.low + 0.01 * width
        map_hi = v >= p.high - 0.01 * width
        side = ""
        if map_lo or (np.isfinite(share_lo) and share_lo >= BOUND_SHARE):
            side = "low"
        if map_hi or (np.isfinite(share_hi) and share_hi >= BOUND_SHARE):
            side = "high" if not side else "both"
        if side:
            rows.append({"parameter": p.name, "bound": side, "range": f"{p.low:g}–{p.high:g}",
                         "documented": f"{p.documented[0]:g}–{p.documented[1]:g}", "posterior mode": v,
                         "draws at low": _pct(share_lo), "draws at high": _pct(share_hi),
                         "verdict": p.bound_verdict or "NOT YET JUDGED: widen the range (cite the reason in the "
                                                        "model doc) or name the structural cause"})
    return pd.DataFrame(rows, columns=["parameter", "bound", "range", "documented", "posterior mode", "draws at low",
                                       "draws at high", "verdict"])


def _v2_sections(md: str, problem, doc, ensemble, cov) -> str:
    from . import predictive

    mc = doc.get("mcmc", {})
    lik = doc.get("likelihood", {})
    ens = doc.get("ensemble", {})
    prov = doc.get("provenance", {})
    obj = doc.get("objective", {})
    lines = ["", "## Calibration v2: likelihood, sampler, diagnostics", ""]
    if lik:
        lines += [
            "* **Likelihood** (`sim/calibrate/likelihood.py`): residual log(sim/obs) for relative targets, "
            "(sim − obs)/σ_t for absolute ones; per series an error scale σ_s and an AR(1) coefficient ρ_s in "
            "calendar time (irregular years exact: φ = ρ^Δt). σ_s² ~ InvGamma(a, a·s0²) integrated analytically "
            f"(a = {lik.get('error_prior_shape')}, s0 = {lik.get('error_prior_scale')} for relative targets, 1 σ_t for "
            f"absolute ones), ρ_s uniform on 20 points 0–{lik.get('ar1_rho_max')} integrated numerically. Series "
            "weights act as a power likelihood (weight × log L_s). Prior of the free parameters: uniform on their bounds.",
            f"* **Posterior mode**: differential evolution on the negative log-posterior "
            f"(log-posterior {obj.get('log_posterior_default', float('nan')):.1f} at the model defaults → "
            f"{obj.get('log_posterior_map', float('nan')):.1f} at the mode; the mode is `[parameters]` of calibrated.toml).",
            f"* **Sampler**: {ens.get('method', '')}; {mc.get('walkers', '?')} walkers × {mc.get('steps', '?')} "
            f"steps, burn-in {mc.get('burn', '?')}, each half-ensemble update is one batch of the numpy engine.",
            "",
            "| run | walkers | steps | burn | acceptance | τ mean | τ max | kept steps / τ max | ESS min | ESS median "
            "| ≥ 50 τ | split R̂ max | s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for label, d in (("full", mc), ("hindcast", doc.get("hindcast", {}).get("mcmc", {}))):
            if d:
                lines.append(f"| {label} | {d['walkers']} | {d['steps']} | {d['burn']} | {d['acceptance']:.3f} | "
                             f"{d['tau_mean']:.1f} | {d['tau_max']:.1f} | {d['steps_over_tau_max']:.1f} | {d['ess_min']:.0f} | "
                             f"{d['ess_median']:.0f} | {'yes' if d['converged_50tau'] else 'NO'} | "
                             f"{d.get('rhat_max', float('nan')):.3f} | {d['seconds']:.0f} |")
        lines += ["", f"* **Ensemble**: {ens.get('size', '?')} draws in `calibration/ensemble.csv`, "
                  f"{ens.get('distinct', '?')} distinct parameter sets; each row also carries its error-model draw "
                  "(`sigma:<target>`, `rho:<target>`, from their exact conditional posterior).",
                  f"* **Run time**: {prov.get('seconds_total', float('nan')):.0f} s in total "
                  f"({prov.get('seconds_calibration', float('nan')):.0f} s full calibration incl. coverage; hindcast "
                  f"{doc.get('hindcast', {}).get('seconds', float('nan')):.0f} s) on {prov.get('cpu_count', '?')} cores.", ""]
        if mc and not mc.get("converged_50tau", True):
            lines += ["**Convergence caveat**: the kept chain is shorter than 50 integrated autocorrelation times "
                      "(emcee's rule of thumb), so τ itself is uncertain and the tails of the posterior are less "
                      "reliable than the centre; raise `mcmc_steps` when time allows.", ""]
    if cov.get("full") is not None:
        summ = predictive.summarise(cov["full"])
        summ = summ[summ["window"] == "fitted"]
        lines += ["## Predictive coverage (observation error included)", "",
                  "Share of the fitted observations inside the central 50 % and 90 % posterior predictive bands "
                  "(ensemble member + AR(1) residual path with that member's σ, ρ; "
                  f"{int(problem.config.settings.get('predictive_replicates', 20))} paths per member). "
                  "Nominal: 50 % and 90 %.", "",
                  "| sector | n | in 50 % band | in 90 % band |", "|---|---|---|---|"]
        for _, r in summ.iterrows():
            lines.append(f"| {r['sector']} | {int(r['n'])} | {_pct(r['cover50'])} | {_pct(r['cover90'])} |")
        lines.append("")
    if cov.get("hindcast") is not None:
        h = cov["hindcast"]
        summ = predictive.summarise(h)
        lines += [f"## Hindcast coverage and errors (posterior on data ≤ {doc['hindcast']['end_year']})", "",
                  "Out-of-sample bands are AR(1) forecasts: each member's residual path continues from its observed "
                  f"residual at the series' last year ≤ {doc['hindcast']['end_year']} (series without such a year: "
                  "marginal draws with σ from its prior).", "",
                  "| sector | window | n | in 50 % band | in 90 % band |", "|---|---|---|---|---|"]
        for _, r in summ.iterrows():
            lines.append(f"| {r['sector']} | {r['window']} | {int(r['n'])} | {_pct(r['cover50'])} | {_pct(r['cover90'])} |")
        oos = h[h["window"] == "out_of_sample"].copy()
        if len(oos):
            oos["cover50"] = oos["in50"] / oos["n"]
            oos["cover90"] = oos["in90"] / oos["n"]
            lines += ["", "Per series, out of sample (MAPE of the predictive median):", "",
                      markdown_table(oos, ["target", "sector", "years", "n", "mape_pct", "in50", "in90"]), ""]
    bt = _bounds_table(problem, doc, ensemble)
    lines += ["## Parameters on a bound", "",
              f"A parameter is listed when its posterior mode is within 1 % of a bound or ≥ {100 * BOUND_SHARE:.0f} % of "
              f"the draws lie in the outer {100 * BOUND_EDGE:.0f} % of its range. Verdict (from `bound_verdict` in "
              "calibration.toml): the documented range is wrong (widen it, citing why) or the structure is.", ""]
    lines += [markdown_table(bt, list(bt.columns), digits=4) if len(bt) else "None.", ""]
    try:
        lines += _longrun(problem, doc, ensemble)
    except Exception as exc:  # the report must not fail on an optional section
        lines += ["## Long-run paths", "", f"Not computed: {type(exc).__name__}: {exc}", ""]
    marker = "## Fit statistics (calibrated parameters)"
    text = "\n".join(lines)
    return md.replace(marker, text + "\n" + marker, 1) if marker in md else md + text


def _longrun(problem, doc, ensemble) -> list[str]:
    """Paths to 2060 of the [[longrun]] variables (calibration.toml), Xinjiang totals, for the
    [report] longrun_scenarios: posterior mode and the 5-95 % band of the ensemble (parameter
    uncertainty), next to the SSP1-5 envelope of the anchor (anchors.csv) re-based to the mode's
    2019 value (growth path, not level)."""
    from .. import runner, scenarios
    from ..data import load_anchors

    cfg = problem.config
    if not cfg.longrun or ensemble is None or not len(ensemble):
        return []
    names = cfg.report.get("longrun_scenarios", ["baseline"])
    years = [int(y) for y in cfg.report.get("longrun_years", [2019, 2035, 2060])]
    variables = [e["variable"] for e in cfg.longrun]
    x = np.vstack([np.array([doc["parameters"][n] for n in problem.names]),
                   ensemble[problem.names].to_numpy(dtype=float)])
    anchors = load_anchors()
    lines = ["## Long-run paths (Xinjiang totals) with bands and the SSP envelope", "",
             "Mode = posterior-mode run; band = 5–95 % of the ensemble runs (parameter uncertainty only, no "
             "observation error); SSP = min–max of the SSP1–5 anchor paths (`anchors.csv`, GCAM-China reproduction) "
             "re-based to the mode's 2019 value. A projection under the model's assumptions, not a forecast.", "",
             "| scenario | variable | " + " | ".join(str(y) for y in years) + " |",
             "|---|---|" + "---|" * len(years)]
    for name in names:
        sc = scenarios.load(name)
        params = runner.lever_params(sc.levers, base=problem.base)
        for j, pn in enumerate(problem.names):
            params[pn] = x[:, j]
        ds = problem.model.run(params, n=len(x), outputs=variables, backend="numpy", final_time=float(max(years)))
        t = np.rint(ds["time"].values).astype(int)
        for e in cfg.longrun:
            a = ds[e["variable"]]
            a = geography.total(a, None, geography.WHOLE)  # Xinjiang total (scalars pass)
            a = np.asarray(a.values, dtype=float)
            cells = []
            for y in years:
                k = int(np.flatnonzero(t == y)[0])
                lo, hi = np.nanpercentile(a[1:, k], [5, 95])
                cell = f"{a[0, k]:.4g} ({lo:.4g}–{hi:.4g})"
                if e.get("anchor"):
                    an = anchors[(anchors.anchor_id == e["anchor"])
                                 & (anchors.geography == e.get("anchor_geography", "xinjiang"))]
                    base = an[an.year == 2019].set_index("scenario")["value"]
                    at = an[an.year == y].set_index("scenario")["value"]
                    ratio = (at / base).dropna()
                    k19 = int(np.flatnonzero(t == 2019)[0]) if (t == 2019).any() else None
                    if len(ratio) and k19 is not None and y > 2019:
                        cell += f"; SSP {a[0, k19] * ratio.min():.4g}–{a[0, k19] * ratio.max():.4g}"
                cells.append(cell)
            lines.append(f"| {name} | {e.get('label') or e['variable']} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines
