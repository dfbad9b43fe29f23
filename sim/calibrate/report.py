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
    md = _markdown(problem, doc, stats, stats_default, hind, ensemble, chart_files)
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
        "* **Objective**: sum over fitted series of weight × mean squared relative error (each series counts by its "
        "weight, not by its number of points).",
        f"* **Search**: differential evolution (scipy, seed {prov.get('seed', '?')}, population "
        f"{doc.get('settings', {}).get('popsize', '?')} × {len(problem.names)}, ≤ {doc.get('settings', {}).get('maxiter', '?')} "
        "generations, each generation one batch of the numpy engine), then least-squares refinement (trust-region, "
        "Jacobian = one batch).",
        f"* **Ensemble**: {0 if ensemble is None else len(ensemble)} parameter sets in `calibration/ensemble.csv` "
        "(posterior sample: Gaussian likelihood of the weighted residuals with noise variance J_min / n_series, uniform "
        "prior on the bounds, batched affine-invariant ensemble MCMC, see `sim/calibrate/ensemble.py`; "
        f"{doc.get('ensemble', {}).get('evaluations', '?')} model evaluations, acceptance "
        f"{doc.get('ensemble', {}).get('acceptance', float('nan')):.2f}).",
        f"* **Thresholds**: a series passes when MAPE < {s['mape_threshold_pct']:g} % (arid-basin SD practice: "
        f"relative error < 5–10 %). Also shown: Theil U^M/U^S/U^C (Sterman 1984) and, with ≥ {int(s['min_points_barlas'])} "
        f"points, Barlas (1996) E1 (mean, suggested < {s['barlas_e1_threshold']:g}) and E2 (amplitude, "
        f"suggested < {s['barlas_e2_threshold']:g}).",
        "",
        "## Headline",
        "",
        f"* Objective: **{obj.get('default', float('nan')):.4g} → {obj.get('calibrated', float('nan')):.4g}** "
        f"(uncalibrated defaults → calibrated; differential evolution alone {obj.get('de', float('nan')):.4g}).",
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
