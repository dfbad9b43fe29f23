"""Markdown + HTML report with Altair charts rendered to PNG (vl-convert).

Charts per output:

* ``bars-<output>.png``  ranked bars of the headline index (and S1 for
  Sobol'/FAST) with confidence-interval whiskers, one panel per report year;
* ``time-<output>.png``  time-varying headline index of the top factors with
  a CI band (per-year outputs only);
* ``convergence.png``    headline index against N for the top factors.

The HTML embeds the PNGs (base64) so it is a single self-contained file.
A chart that fails to render is reported as a warning; the text report is
still written, because the numbers (indices.csv) are what matters.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .analysis import HEADLINE
from .store import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from .job import JobResult
    from .store import JobStore

TOP_BARS = 15
TOP_LINES = 6
PNG_COLORS = 64


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")[:80] or "output"


def _year_mask(df: pd.DataFrame, year) -> pd.Series:
    return df["year"].isna() if year is None else (df["year"] == year)


def _ci(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    conf = df["conf"].fillna(0.0)
    df["lo"], df["hi"] = df["value"] - conf, df["value"] + conf
    df["year_label"] = df["year"].map(lambda y: "scalar" if pd.isna(y) else str(int(y)))
    return df


def bar_chart(ind: pd.DataFrame, method: str, output: str, years: Sequence[int | None]):
    import altair as alt

    key = HEADLINE[method]
    keys = [key, "S1"] if method in ("sobol", "fast") else [key]
    d = ind[(ind["output"] == output) & ind["index"].isin(keys) & ind["factor2"].isna()]
    d = d[np.logical_or.reduce([_year_mask(d, y) for y in years])] if years else d
    if d.empty:
        return None
    head = d[d["index"] == key]
    order = head.groupby("factor")["value"].max().sort_values(ascending=False)
    keep = list(order.index[:TOP_BARS])
    d = _ci(d[d["factor"].isin(keep)])
    y = alt.Y("factor:N", sort=keep, title=None)
    base = alt.Chart().encode(y=y, yOffset=alt.YOffset("index:N", sort=keys))
    bars = base.mark_bar().encode(x=alt.X("value:Q", title="index"),
                                  color=alt.Color("index:N", sort=keys, title=None),
                                  tooltip=["factor", "index", "value", "conf"])
    whisk = base.mark_rule(color="black").encode(x="lo:Q", x2="hi:Q")
    return alt.layer(bars, whisk, data=d).properties(width=260).facet(
        column=alt.Column("year_label:N", title=None)).properties(
        title=f"{output}: {', '.join(keys)} (± CI), top {len(keep)}")


def time_chart(ind: pd.DataFrame, method: str, output: str):
    import altair as alt

    key = HEADLINE[method]
    d = ind[(ind["output"] == output) & (ind["index"] == key) & ind["year"].notna()
            & ind["factor2"].isna()]
    if d["year"].nunique() < 2:
        return None
    keep = list(d.groupby("factor")["value"].max().sort_values(ascending=False).index[:TOP_LINES])
    d = _ci(d[d["factor"].isin(keep)])
    d["year"] = d["year"].astype(int)
    base = alt.Chart(d).encode(x=alt.X("year:Q", axis=alt.Axis(format="d")),
                               color=alt.Color("factor:N", sort=keep))
    band = base.mark_area(opacity=0.2).encode(y="lo:Q", y2="hi:Q")
    line = base.mark_line().encode(y=alt.Y("value:Q", title=key))
    return (band + line).properties(width=520, height=260,
                                    title=f"{output}: time-varying {key} (band = CI)")


def convergence_chart(conv: pd.DataFrame, method: str):
    import altair as alt

    if conv.empty or conv["n"].nunique() < 2:
        return None
    key = HEADLINE[method]
    parts = []
    for (out, year), g in conv.groupby(["output", "year"], dropna=False, sort=False):
        top = g[g["n"] == g["n"].max()].sort_values("value", ascending=False)["factor"][:5]
        g = g[g["factor"].isin(top)].copy()
        g["panel"] = out if pd.isna(year) else f"{out} {int(year)}"
        parts.append(g)
    d = _ci(pd.concat(parts))
    base = alt.Chart().encode(x=alt.X("n:Q", scale=alt.Scale(type="log", base=2), title="N",
                                                axis=alt.Axis(values=sorted(d["n"].unique().tolist()))),
                              color="factor:N")
    chart = alt.layer(base.mark_line(point=True).encode(y=alt.Y("value:Q", title=key)),
                      base.mark_rule().encode(y="lo:Q", y2="hi:Q"), data=d)
    return chart.properties(width=220, height=160).facet(facet=alt.Facet("panel:N", title=None), columns=3).properties(
        title=f"Convergence of {key} on nested sub-samples")


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{v:.3f}" if isinstance(v, (float, np.floating)) and not pd.isna(v)
                         else ("" if pd.isna(v) else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(result: JobResult, store: JobStore, report_years: Sequence[int]) -> dict[str, Path]:
    """Write report/report.md, report/report.html and the PNG charts; return their paths."""
    m = result.manifest
    method = m["method"]
    key = HEADLINE[method]
    ind = result.indices
    rdir = store.report_dir
    rdir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    images: list[tuple[str, str, Path]] = []  # (section, caption, path)

    def save(chart, name: str, section: str, caption: str) -> None:
        if chart is None:
            return
        path = rdir / name
        try:
            buf = io.BytesIO()
            chart.save(buf, format="png", scale_factor=1.5)
        except Exception as exc:  # noqa: BLE001 - charts are a convenience, numbers are in CSV
            result.warnings.append(f"chart {name} could not be rendered: {exc}")
            return
        atomic_write_bytes(path, compact_png(buf.getvalue()))
        paths[name] = path
        images.append((section, caption, path))

    scalar = set(m.get("scalar_outputs", []))
    for out in result.outputs:
        years = [None] if out in scalar else [y for y in report_years]
        save(bar_chart(ind, method, out, years), f"bars-{slug(out)}.png", out, "ranked indices")
        if out not in scalar:
            save(time_chart(ind, method, out), f"time-{slug(out)}.png", out, "time-varying indices")
    save(convergence_chart(result.convergence, method), "convergence.png", "Convergence",
         "headline index vs N")

    # ---- text
    summary = [
        ("method", method), ("N", m["n"]), ("runs", result.runs_total), ("seed", m["seed"]),
        ("factors", len(m["factors"])), ("groups", len(set(m["groups"])) if m.get("groups") else "none"),
        ("outputs", ", ".join(result.outputs)),
        ("years", f"{result.years[0]}–{result.years[-1]} ({len(result.years)})"),
        ("report years", ", ".join(map(str, report_years))),
        ("evaluator", json_short(m["evaluator"])),
        ("backend", f"{result.backend} × {result.workers}"),
        ("evaluation time", f"{result.eval_seconds:.1f} s "
                            f"({result.runs_evaluated} runs evaluated, {result.runs_resumed} resumed)"),
    ]
    md = [f"# Sensitivity report — {method}", "", _md_table(pd.DataFrame(summary, columns=["", "value"]))]
    hx = [f"<h1>Sensitivity report — {html.escape(method)}</h1>",
          pd.DataFrame(summary, columns=["item", "value"]).to_html(index=False)]
    if result.warnings:
        md += ["", "## Warnings", ""] + [f"- {w}" for w in result.warnings]
        hx += ["<h2>Warnings</h2><ul>"] + [f"<li>{html.escape(w)}</li>" for w in result.warnings] + ["</ul>"]
    for out in result.outputs:
        md += ["", f"## {out}", ""]
        hx += [f"<h2>{html.escape(out)}</h2>"]
        for y in ([None] if out in scalar else report_years):
            sel = ind[(ind["output"] == out) & (ind["index"] == key) & _year_mask(ind, y)
                      & ind["factor2"].isna()]
            top = sel.sort_values("value", ascending=False).head(10)[["factor", "value", "conf"]]
            cap = f"Top factors by {key}" + ("" if y is None else f", {y}")
            md += [f"**{cap}**", "", _md_table(top), ""]
            hx += [f"<h3>{html.escape(cap)}</h3>", top.to_html(index=False, float_format="%.3f")]
        for section, caption, path in images:
            if section == out:
                md += [f"![{caption}]({path.name})", ""]
                hx.append(_img(path, caption))
    md += ["", "## Convergence", ""]
    hx += ["<h2>Convergence</h2>"]
    crit = (f"Criterion: for each checked output/year, each of the top 5 factors by {key} at N "
            f"moves by at most 0.05 between N/2 and N" +
            (" (mu* normalised by its maximum)." if method == "morris" else "."))
    md.append(crit)
    hx.append(f"<p>{html.escape(crit)}</p>")
    if not result.convergence_summary.empty:
        md += ["", _md_table(result.convergence_summary)]
        hx.append(result.convergence_summary.to_html(index=False, float_format="%.3f"))
    for section, caption, path in images:
        if section == "Convergence":
            md += ["", f"![{caption}]({path.name})"]
            hx.append(_img(path, caption))
    md += ["", "Full tables: `indices.csv`, `convergence.csv`; raw data: `samples.npy`, `outputs.npy`."]
    paths["report.md"] = store.write_text("report/report.md", "\n".join(md) + "\n")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Sensitivity report</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
            "img{max-width:100%}</style></head><body>" + "\n".join(hx) + "</body></html>")
    paths["report.html"] = store.write_text("report/report.html", page)
    return paths


def compact_png(data: bytes, colors: int = PNG_COLORS) -> bytes:
    """A chart PNG re-encoded with a small palette (~12× smaller, looks the same; needs Pillow).

    vl-convert writes anti-aliased RGBA; the charts use a handful of colours, so
    a 64-colour palette without dithering keeps them crisp.  Returns the input
    unchanged if Pillow is missing or the re-encoding fails.
    """
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            out = io.BytesIO()
            im.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE,
                                       dither=Image.Dither.NONE).save(out, format="PNG")
        return out.getvalue()
    except Exception:  # noqa: BLE001 - keep the full-colour PNG
        return data


def json_short(d) -> str:
    import json

    s = json.dumps(d, sort_keys=True, default=str)
    return s if len(s) < 140 else s[:137] + "..."


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
