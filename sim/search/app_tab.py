"""The app's "Find a policy" tab: Pareto fronts of saved searches, load a point as the current
scenario, a quick search with chosen objectives and red lines, and the robustness view per preset.

Kept apart from ``app.py`` (one call: :func:`render`); the data helpers above the Streamlit code are
plain functions, tested without Streamlit.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import indicators, levers as levers_mod, redlines, scenarios
from ..i18n import t, unit
from ..model import REPO_ROOT

RESULT_ROOTS = (REPO_ROOT / "search" / "results", REPO_ROOT / "runs" / "search")
QUICK_POP, QUICK_GENERATIONS = 24, 8  # 10-20 s on the batched engine (2 cores)


def _saved(marker: str, roots=None) -> dict[str, Path]:
    """Result folders under the result roots holding ``marker``: ``root/folder`` label -> folder."""
    out = {}
    for root in (RESULT_ROOTS if roots is None else roots):
        if root.is_dir():
            for p in sorted(root.glob(f"*/{marker}")):
                out[f"{root.name}/{p.parent.name}"] = p.parent
    return out


def saved_searches(roots=None) -> dict[str, Path]:
    """Folders holding a ``pareto.csv`` (written by ``oasis-sd optimise``): label -> folder."""
    return _saved("pareto.csv", roots)


def saved_robustness(roots=None) -> dict[str, Path]:
    """Folders holding robustness tables (``satisficing.csv``)."""
    return _saved("satisficing.csv", roots)


def saved_discoveries(roots=None) -> dict[str, Path]:
    """Folders holding scenario-discovery boxes (``boxes.csv``, written by ``oasis-sd discover``)."""
    return _saved("boxes.csv", roots)


def discovery_title(folder: Path) -> str:
    """What a discovery explains: the first heading of its ``discovery.md`` (after the colon)."""
    try:
        first = (Path(folder) / "discovery.md").read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return ""
    return first.lstrip("# ").split(":", 1)[-1].strip()


def box_rows(boxes: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """PRIM boxes for display: box, input, range (with units), coverage, density, mass, futures."""
    units = {p.constant: p.units for p in levers_mod.parameters()}
    rows = []
    for _, b in boxes.iterrows():
        u = unit(units.get(str(b["dimension"]), ""), lang)
        rows.append({t("fp_col_box", lang): int(b["box"]), t("fp_col_input", lang): str(b["dimension"]),
                     t("fp_col_range", lang): f"{fmt_value(b['low'])} – {fmt_value(b['high'])} {u}".strip(),
                     t("fp_coverage", lang): f"{b['coverage']:.0%}", t("fp_density", lang): f"{b['density']:.0%}",
                     t("fp_mass", lang): f"{b['mass']:.0%}", t("fp_col_futures", lang): f"{int(b['n']):,}"})
    return pd.DataFrame(rows)


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


def fmt_value(value) -> str:
    """A number for display: thousands separated, at most 3 significant decimals."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if 0 < a < 0.001:
        return f"{v:.3g}"
    decimals = 3 if a < 10 else 2 if a < 100 else 1
    text = f"{v:,.{decimals}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("-0", "") else text


def split_objective(column: str) -> tuple[str, int | None]:
    """``gdp@2035`` -> ("gdp", 2035)."""
    key, _, year = column.partition("@")
    return key, int(year) if year.isdigit() else None


def indicator_name(key: str, lang: str = "en") -> str:
    """An indicator's name as the app shows it (from :mod:`sim.indicators`)."""
    ind = indicators.ALL_INDICATORS.get(key)
    if ind is None:
        return key
    return ind.label_zh if lang == "zh" else ind.label_en


def indicator_units(key: str, lang: str = "en") -> str:
    ind = indicators.ALL_INDICATORS.get(key)
    return unit(ind.units, lang) if ind is not None else ""


def objective_label(column: str, lang: str = "en", with_units: bool = True) -> str:
    """``gdp@2035`` -> "GDP (1990 prices), 2035 (10⁸ yuan)" / "地区生产总值（1990年价），2035年（亿元）"."""
    key, year = split_objective(column)
    name = indicator_name(key, lang)
    if year is not None:
        name = t("fp_at_year", lang, name=name, year=year)
    units = indicator_units(key, lang) if with_units else ""
    if units:
        name = f"{name}（{units}）" if lang == "zh" else f"{name} ({units})"
    return name


def red_line_name(flag: str, lang: str = "en") -> str:
    """A red-line flag's name as the app shows it (``redlines.FLAGS``)."""
    if flag == "all_red_lines":
        return t("fp_all_red_lines", lang)
    names = redlines.FLAGS.get(flag)
    if names is None:
        from .evaluate import RED_LINE_ALIASES

        names = redlines.FLAGS.get(RED_LINE_ALIASES.get(flag, ""))
    return (names[1] if lang == "zh" else names[0]) if names else flag


@functools.lru_cache(maxsize=8)
def _preset_titles(names: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    out = {}
    for name in names:
        try:
            sc = scenarios.load(name)
        except Exception:  # noqa: BLE001 — a label must never break the tab
            continue
        out[name] = (sc.title, sc.title_zh or sc.title)
    return out


def scenario_name(name: str, lang: str = "en") -> str:
    """A preset's title (Chinese title in zh); other names (Pareto points, files) as they are."""
    titles = _preset_titles(tuple(scenarios.available())).get(name)
    return (titles[1] if lang == "zh" else titles[0]) if titles else name


def search_title(folder: Path) -> str:
    """The ``[search] title`` of a saved search's spec.toml, if any."""
    import tomllib

    try:
        return str(tomllib.loads((Path(folder) / "spec.toml").read_text(encoding="utf-8"))["search"]["title"])
    except Exception:  # noqa: BLE001
        return ""


def lever_rows(values: dict[str, float], lang: str = "en", changed_only: bool = True) -> pd.DataFrame:
    """Levers of a point against the baseline: lever, this point, baseline, units."""
    rows = []
    for lv in levers_mod.levers():
        v = float(values.get(lv.name, lv.default))
        if changed_only and v == lv.default:
            continue
        if lv.kind == "switch":
            shown = [t("switch_on", lang) if x >= 0.5 else t("switch_off", lang) for x in (v, lv.default)]
            units = ""
        else:
            shown = [str(int(x)) if lv.kind == "year" else fmt_value(x) for x in (v, lv.default)]
            units = unit(lv.units, lang)
        rows.append({t("fp_col_lever", lang): lv.label_zh if lang == "zh" else lv.label_en,
                     t("fp_col_point_value", lang): shown[0], t("fp_col_baseline", lang): shown[1], t("units", lang): units})
    return pd.DataFrame(rows, columns=[t("fp_col_lever", lang), t("fp_col_point_value", lang), t("fp_col_baseline", lang),
                                       t("units", lang)])


def objective_rows(row: pd.Series, objs: list[str], senses: dict[str, str], lang: str = "en") -> pd.DataFrame:
    """Objective values of a point: objective, direction, value, units."""
    out = []
    for col in objs:
        key, _ = split_objective(col)
        sense = senses.get(col)
        out.append({t("fp_col_objective", lang): objective_label(col, lang, with_units=False),
                    t("fp_col_sense", lang): t(f"fp_sense_{sense}", lang) if sense in ("max", "min") else "",
                    t("value", lang): fmt_value(row[col]), t("units", lang): indicator_units(key, lang)})
    return pd.DataFrame(out)


def objective_senses(folder: Path) -> dict[str, str]:
    """``indicator@year`` -> "max"/"min" from a saved search's spec.toml (empty if unreadable)."""
    import tomllib

    try:
        spec = tomllib.loads((Path(folder) / "spec.toml").read_text(encoding="utf-8"))
        return {f"{o['indicator']}@{o['year']}": o.get("sense", "") for o in spec.get("objective", [])}
    except Exception:  # noqa: BLE001
        return {}


# ------------------------------------------------------------------------------------------------
# Streamlit
# ------------------------------------------------------------------------------------------------
DEFAULT_RED_LINES = ["farmland_floor_breached", "total_water_cap_exceeded", "groundwater_overdraft_flag"]
QUICK_WINDOW = (2030, 2060)


def _show_tab_message() -> None:
    """Messages of this tab's callbacks are shown inside the tab (an element above the app's tabs would
    shift them and the browser would fall back to the first tab)."""
    import streamlit as st

    for kind, text in st.session_state.pop("fp_messages", []):
        getattr(st, kind)(text)


def _tab_message(kind: str, text: str) -> None:
    import streamlit as st

    st.session_state.setdefault("fp_messages", []).append((kind, text))


def render(set_levers: Callable[[dict[str, float]], None], lang: str = "en") -> None:
    """Draw the tab. ``set_levers(values)`` makes a lever set the app's current scenario."""
    import streamlit as st

    L = lang
    st.subheader(t("fp_title", L))
    st.caption(t("fp_intro", L))
    _quick_search(L)
    _pareto_view(set_levers, L)
    _robustness_view(L)
    _discovery_view(L)


def _quick_search(L: str) -> None:
    import hashlib

    import streamlit as st

    from ..errors import OasisError

    with st.expander(t("fp_quick", L), expanded=False):
        keys = list(indicators.ALL_INDICATORS)
        name = lambda k: objective_label(k, L)  # noqa: E731 — no year: "GDP (1990 prices) (10⁸ yuan)"
        c1, c2 = st.columns(2)
        k1 = c1.selectbox(t("fp_maximise", L), keys, index=keys.index("gdp"), key="fp_k1", format_func=name)
        k2 = c2.selectbox(t("fp_minimise", L), keys, index=keys.index("water_use"), key="fp_k2", format_func=name)
        year = st.select_slider(t("fp_year", L), options=list(range(2025, 2061)), value=2035, key="fp_year")
        first, last = QUICK_WINDOW
        reds = st.multiselect(t("fp_red_lines_kept", L, first=first, last=last), list(redlines.FLAGS),
                              default=DEFAULT_RED_LINES, format_func=lambda f: red_line_name(f, L), key="fp_reds",
                              help=t("fp_red_lines_help", L))
        run = st.button(t("fp_run", L, pop=QUICK_POP, gen=QUICK_GENERATIONS, n=QUICK_POP * QUICK_GENERATIONS),
                        key="fp_run", help=t("fp_run_help", L))
        if run:
            text = quick_spec_text([(k1, year, "max"), (k2, year, "min")], reds, first, last)
            out = REPO_ROOT / "runs" / "search" / f"app-{hashlib.sha1(text.encode()).hexdigest()[:8]}"
            try:
                with st.spinner(t("fp_running", L)):
                    run_quick_search(text, out)
            except OasisError as exc:
                st.error(t("fp_search_error", L, msg=str(exc)))
            else:
                label = f"{out.parent.name}/{out.name}"
                st.session_state["fp_which"] = label  # the selectbox below is drawn after this
                n = len(pd.read_csv(out / "pareto.csv"))
                st.success(t("fp_search_done", L, n=n, where=f"runs/search/{out.name}"))


def _pareto_view(set_levers, L: str) -> None:
    import streamlit as st

    from ..errors import OasisError

    found = saved_searches()
    if not found:
        st.info(t("fp_no_search", L))
        return
    names = list(found)
    if st.session_state.get("fp_which") not in names:
        st.session_state["fp_which"] = names[0]

    def search_label(label: str) -> str:
        title = search_title(found[label])
        return f"{label} — {title}" if title else label

    label = st.selectbox(t("fp_saved_search", L), names, key="fp_which", format_func=search_label)
    folder = found[label]
    table = pd.read_csv(folder / "pareto.csv")
    objs = objective_columns(table)
    if not objs or table.empty:
        st.info(t("fp_empty_search", L))
        return
    senses = objective_senses(folder)
    for k, i in (("fp_x", 0), ("fp_y", min(1, len(objs) - 1))):
        if st.session_state.get(k) not in objs:
            st.session_state[k] = objs[i]
    c1, c2 = st.columns(2)
    x = c1.selectbox(t("fp_x", L), objs, key="fp_x", format_func=lambda c: objective_label(c, L))
    y = c2.selectbox(t("fp_y", L), objs, key="fp_y", format_func=lambda c: objective_label(c, L))

    points = [str(p) for p in table["point"]]
    if st.session_state.get("fp_point") not in points:
        st.session_state["fp_point"] = points[0]
    event = _pareto_chart(table, folder, x, y, st.session_state["fp_point"], L)
    try:
        pts = event.selection.get("pick", []) if event else []
        picked = str(pts[0]["point"]) if pts else None
    except (AttributeError, KeyError, IndexError, TypeError):
        picked = None
    if picked in points and picked != st.session_state.get("fp_last_pick"):
        st.session_state["fp_point"] = picked  # a click on the chart selects the point below
    st.session_state["fp_last_pick"] = picked
    st.caption(t("fp_chart_caption", L, n=len(points)))

    def point_label(p: str) -> str:
        row = table.loc[table["point"].astype(str) == p].iloc[0]
        return f"{p} · " + " · ".join(f"{indicator_name(split_objective(c)[0], L)} {fmt_value(row[c])}" for c in objs)

    point = st.selectbox(t("fp_point", L), points, key="fp_point", format_func=point_label)
    row = table.loc[table["point"].astype(str) == point].iloc[0]

    def load() -> None:
        which = st.session_state.get("fp_point", point)
        try:
            values = point_levers(folder, which)
            set_levers(values)
            st.session_state["preset"] = "__custom__"
        except OasisError as exc:
            _tab_message("error", t("fp_load_error", L, point=which, msg=str(exc)))
            return
        n = sum(1 for lv in levers_mod.levers() if float(values.get(lv.name, lv.default)) != lv.default)
        _tab_message("success", t("fp_loaded", L, point=which, search=label, n=n))

    st.button(t("fp_load", L), on_click=load, key="fp_load", type="primary", help=t("fp_load_help", L))
    _show_tab_message()
    c1, c2 = st.columns([2, 3])
    with c1:
        st.markdown(f"**{t('fp_objectives', L, point=point)}**")
        st.dataframe(objective_rows(row, objs, senses, L), hide_index=True, width="stretch")
    with c2:
        try:
            values = point_levers(folder, point)
        except OasisError as exc:
            st.error(t("fp_load_error", L, point=point, msg=str(exc)))
        else:
            levs = lever_rows(values, L)
            st.markdown(f"**{t('fp_point_levers', L, point=point, n=len(levs), total=len(levers_mod.levers()))}**")
            st.dataframe(levs, hide_index=True, width="stretch")


def _pareto_chart(table: pd.DataFrame, folder: Path, x: str, y: str, current: str, L: str):
    import altair as alt
    import streamlit as st

    def frame(src: pd.DataFrame, kind: str) -> pd.DataFrame:
        names = [str(p) for p in src["point"]]
        return pd.DataFrame({"point": names, "name": [scenario_name(p, L) for p in names],
                             "x": src[x].astype(float), "y": src[y].astype(float),
                             "x_txt": [fmt_value(v) for v in src[x]], "y_txt": [fmt_value(v) for v in src[y]],
                             "kind": kind})

    front = frame(table, t("fp_front", L))
    x_title, y_title = objective_label(x, L), objective_label(y, L)
    tooltip = [alt.Tooltip("name:N", title=t("fp_col_point", L)), alt.Tooltip("x_txt:N", title=x_title),
               alt.Tooltip("y_txt:N", title=y_title)]
    enc_x = alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.4~r", tickCount=8))
    enc_y = alt.Y("y:Q", title=y_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.4~r", tickCount=8))
    sel = alt.selection_point(fields=["point"], name="pick")
    layers = [alt.Chart(front).mark_circle(size=80, color="#1565c0").encode(
        x=enc_x, y=enc_y, tooltip=tooltip,
        opacity=alt.condition(sel, alt.value(1.0), alt.value(0.45))).add_params(sel)]
    cur = front[front["point"] == current]
    if not cur.empty:
        layers.append(alt.Chart(cur).mark_point(size=260, color="#d32f2f", strokeWidth=2.5).encode(
            x=enc_x, y=enc_y, tooltip=tooltip))
    if (folder / "presets.csv").exists():
        ref = pd.read_csv(folder / "presets.csv")
        if {x, y, "point"} <= set(ref.columns):
            refs = frame(ref, t("fp_presets", L))
            refs["short"] = [("S0" if p == "baseline" else p.split("_")[0]) for p in refs["point"]]
            layers.append(alt.Chart(refs).mark_point(shape="cross", size=90, color="gray", filled=True).encode(
                x=enc_x, y=enc_y, tooltip=tooltip))
            layers.append(alt.Chart(refs).mark_text(align="left", dx=7, dy=-6, fontSize=10, color="gray").encode(
                x=enc_x, y=enc_y, text="short:N"))
    chart = alt.layer(*layers).properties(height=380)
    return st.altair_chart(chart, width="stretch", on_select="rerun", key="fp_chart")


def _robustness_view(L: str) -> None:
    import altair as alt
    import streamlit as st

    st.subheader(t("fp_robustness", L))
    rob = saved_robustness()
    if not rob:
        st.info(t("fp_no_robustness", L))
        return
    r = rob[st.selectbox(t("fp_robustness_result", L), list(rob), key="fp_rob")]
    sat = pd.read_csv(r / "satisficing.csv")
    st.caption(t("fp_satisficing_caption", L))
    scen_col, line_col, share_col = t("fp_col_scenario", L), t("red_line", L), t("fp_share_kept", L)
    shown = sat.copy()
    shown["scenario"] = [scenario_name(str(s), L) for s in shown["scenario"]]
    shown = shown.set_index("scenario").rename_axis(scen_col)
    shown.columns = [red_line_name(c, L) for c in shown.columns]
    st.dataframe(shown.style.format("{:.0%}"), width="stretch")
    long = shown.reset_index().melt(id_vars=scen_col, var_name=line_col, value_name=share_col)
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{share_col}:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y(f"{scen_col}:N", title=None), color=alt.Color(f"{line_col}:N", legend=None),
        row=alt.Row(f"{line_col}:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=[f"{scen_col}:N", f"{line_col}:N", alt.Tooltip(f"{share_col}:Q", format=".0%")]),
        width="content")
    if (r / "regret.csv").exists():
        reg = pd.read_csv(r / "regret.csv")
        st.caption(t("fp_regret_caption", L))
        out = pd.DataFrame({
            t("fp_col_scenario", L): [scenario_name(str(s), L) for s in reg["scenario"]],
            t("fp_col_outcome", L): [objective_label(str(o), L, with_units=False) for o in reg["outcome"]],
            t("fp_col_sense", L): [t(f"fp_sense_{s}", L) if s in ("max", "min") else str(s) for s in reg["sense"]],
        })
        for col in ("mean_regret", "p90_regret", "max_regret"):
            if col in reg:
                out[t(f"fp_{col}", L)] = [fmt_value(v) for v in reg[col]]
        out[t("units", L)] = [indicator_units(split_objective(str(o))[0], L) for o in reg["outcome"]]
        if "share_best" in reg:
            out[t("fp_share_best", L)] = [f"{v:.0%}" for v in reg["share_best"]]
        st.dataframe(out, width="stretch", hide_index=True)


def _discovery_view(L: str) -> None:
    import streamlit as st

    st.subheader(t("fp_discovery", L))
    found = saved_discoveries()
    if not found:
        st.info(t("fp_no_discovery", L))
        return

    def label(name: str) -> str:
        title = discovery_title(found[name])
        return f"{name} — {title}" if title else name

    folder = found[st.selectbox(t("fp_discovery_result", L), list(found), key="fp_disc", format_func=label)]
    st.caption(t("fp_discovery_caption", L))
    st.dataframe(box_rows(pd.read_csv(folder / "boxes.csv"), L), hide_index=True, width="stretch")
    if (folder / "discovery.md").exists():
        with st.expander(t("fp_discovery_report", L), expanded=False):
            st.markdown((folder / "discovery.md").read_text(encoding="utf-8")[:20_000])
