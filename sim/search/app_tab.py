"""The app's "Find a policy" tab: Pareto fronts of saved searches, load a point as the current
scenario, a quick search with chosen objectives and red lines, and the robustness view per preset.

Kept apart from ``app.py`` (one call: :func:`render`); the data helpers above the Streamlit code are
plain functions, tested without Streamlit.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import indicators, levers as levers_mod, redlines, scenarios
from ..model import REPO_ROOT

RESULT_ROOTS = (REPO_ROOT / "search" / "results", REPO_ROOT / "runs" / "search")
QUICK_POP, QUICK_GENERATIONS = 24, 8  # ~10 s on the batched engine


def saved_searches(roots=None) -> dict[str, Path]:
    """Folders holding a ``pareto.csv`` (written by ``oasis-sd optimise``): label -> folder."""
    out = {}
    for root in (RESULT_ROOTS if roots is None else roots):
        if root.is_dir():
            for p in sorted(root.glob("*/pareto.csv")):
                out[f"{root.name}/{p.parent.name}"] = p.parent
    return out


def saved_robustness(roots=None) -> dict[str, Path]:
    """Folders holding robustness tables (``satisficing.csv``)."""
    out = {}
    for root in (RESULT_ROOTS if roots is None else roots):
        if root.is_dir():
            for p in sorted(root.glob("*/satisficing.csv")):
                out[f"{root.name}/{p.parent.name}"] = p.parent
    return out


def objective_columns(table: pd.DataFrame) -> list[str]:
    """Objective columns of a pareto.csv (``indicator@year``)."""
    return [c for c in table.columns if "@" in c]


def point_levers(folder: Path, point: str) -> dict[str, float]:
    """Full lever set of a Pareto point (its scenario file, validated like any scenario)."""
    return scenarios.load(Path(folder) / "scenarios" / f"{point}.toml").levers


def quick_spec_text(objectives: list[tuple[str, int, str]], red_lines: list[str], first: int, last: int) -> str:
    """A search spec (TOML) for the app's quick search."""
    import tomli_w

    return tomli_w.dumps({
        "search": {"title": "App quick search", "levers": "all", "fixed": {"policy_start_year": 2025}},
        "objective": [{"indicator": k, "year": y, "sense": s} for k, y, s in objectives],
        "red_lines": {"keep": list(red_lines), "from": first, "to": last},
        "optimiser": {"pop_size": QUICK_POP, "generations": QUICK_GENERATIONS, "seed": 1}})


def run_quick_search(text: str, out: Path) -> Path:
    """Run a spec text and write its outputs to ``out`` (the same path as ``oasis-sd optimise``)."""
    from . import optimise as opt
    from .spec import parse_spec

    spec = parse_spec(text, "<app quick search>")
    res, ev = opt.optimise(spec)
    out.mkdir(parents=True, exist_ok=True)
    opt.write_outputs(res, ev, spec, out, opt.preset_reference(spec))
    (out / "spec.toml").write_text(text, encoding="utf-8")
    return out


# ------------------------------------------------------------------------------------------------
# Streamlit
# ------------------------------------------------------------------------------------------------
def render(set_levers: Callable[[dict[str, float]], None], lang: str = "en") -> None:
    """Draw the tab. ``set_levers(values)`` makes a lever set the app's current scenario."""
    import altair as alt
    import streamlit as st

    from ..errors import OasisError

    zh = lang == "zh"
    st.subheader("寻找政策：多目标杠杆搜索" if zh else "Find a policy: multi-objective lever search")
    found = saved_searches()
    with st.expander("Quick search (objectives and red lines)" if not zh else "快速搜索（目标与红线）"):
        keys = list(indicators.ALL_INDICATORS)
        c1, c2 = st.columns(2)
        k1 = c1.selectbox("maximise", keys, index=keys.index("gdp"), key="fp_k1")
        k2 = c2.selectbox("minimise", keys, index=keys.index("water_use"), key="fp_k2")
        year = st.select_slider("year", options=list(range(2025, 2061)), value=2035, key="fp_year")
        reds = st.multiselect("red lines kept 2030–2060", list(redlines.FLAGS),
                              default=["farmland_floor_breached", "total_water_cap_exceeded",
                                       "groundwater_overdraft_flag"],
                              format_func=lambda f: redlines.FLAGS[f][1 if zh else 0], key="fp_reds")
        if st.button(f"Search ({QUICK_POP} × {QUICK_GENERATIONS} runs)", key="fp_run"):
            text = quick_spec_text([(k1, year, "max"), (k2, year, "min")], reds, 2030, 2060)
            import hashlib

            out = REPO_ROOT / "runs" / "search" / f"app-{hashlib.sha1(text.encode()).hexdigest()[:8]}"
            try:
                with st.spinner("searching…"):
                    run_quick_search(text, out)
                st.session_state["fp_result"] = f"search/{out.name}"
                found = saved_searches()
            except OasisError as exc:
                st.error(str(exc))
    if not found:
        st.info("No saved search yet: run `oasis-sd optimise search/example_spec.toml`.")
    else:
        names = list(found)
        default = names.index(st.session_state["fp_result"]) if st.session_state.get("fp_result") in names else 0
        label = st.selectbox("saved search", names, index=default, key="fp_which")
        folder = found[label]
        table = pd.read_csv(folder / "pareto.csv")
        objs = objective_columns(table)
        x = st.selectbox("x", objs, index=0, key="fp_x")
        y = st.selectbox("y", objs, index=min(1, len(objs) - 1), key="fp_y")
        sel = alt.selection_point(fields=["point"], name="pick")
        chart = alt.Chart(table).mark_circle(size=70).encode(
            x=alt.X(f"{x}:Q", scale=alt.Scale(zero=False)), y=alt.Y(f"{y}:Q", scale=alt.Scale(zero=False)),
            tooltip=["point", x, y], opacity=alt.condition(sel, alt.value(1.0), alt.value(0.5))).add_params(sel)
        layers = [chart]
        if (folder / "presets.csv").exists():
            ref = pd.read_csv(folder / "presets.csv")
            if {x, y} <= set(ref.columns):
                layers.append(alt.Chart(ref).mark_point(shape="cross", size=80, color="gray").encode(
                    x=f"{x}:Q", y=f"{y}:Q", tooltip=["point", x, y]))
        event = st.altair_chart(alt.layer(*layers), width="stretch", on_select="rerun", key="fp_chart")
        picked = None
        try:
            pts = event.selection.get("pick", []) if event else []
            picked = pts[0]["point"] if pts else None
        except (AttributeError, KeyError, IndexError, TypeError):
            picked = None
        points = list(table["point"])
        point = st.selectbox("point", points, index=points.index(picked) if picked in points else 0, key="fp_point")
        st.dataframe(table[table["point"] == point].T, width="stretch")

        def load():
            try:
                set_levers(point_levers(folder, point))
                st.session_state["preset"] = "__custom__"
            except OasisError as exc:
                st.session_state.setdefault("_messages", []).append(("error", str(exc)))

        st.button("Load this point as the current scenario" if not zh else "载入为当前情景", on_click=load,
                  key="fp_load")

    st.subheader("各预设情景的稳健性" if zh else "Robustness per preset")
    rob = saved_robustness()
    if not rob:
        st.info("No robustness table yet: run `oasis-sd robustness`.")
        return
    r = rob[st.selectbox("robustness result", list(rob), key="fp_rob")]
    sat = pd.read_csv(r / "satisficing.csv")
    st.caption("Share of futures (calibration ensemble × deep uncertainties) keeping each red line")
    st.dataframe(sat.set_index("scenario").style.format("{:.0%}"), width="stretch")
    long = sat.melt(id_vars="scenario", var_name="red line", value_name="share kept")
    st.altair_chart(alt.Chart(long).mark_bar().encode(x=alt.X("share kept:Q", axis=alt.Axis(format="%")),
                                                      y="scenario:N", color="red line:N", row="red line:N"),
                    width="content")
    if (r / "regret.csv").exists():
        reg = pd.read_csv(r / "regret.csv")
        st.caption("Regret against the best scenario in the same future (mean / 90th percentile / max)")
        st.dataframe(reg, width="stretch", hide_index=True)


_ = levers_mod  # registry used through scenarios
