"""Oasis-SD app: an En-ROADS-like explorer for the Tianshan North Slope model.

Run:  streamlit run app.py

A thin layer: levers come from ``sim.levers``, presets from ``sim.scenarios``, runs from the batched
engine (``sim.engine``), indicators from ``sim.indicators``, observed data from ``sim.data``,
chart tables / ensemble / red lines from ``sim.app_support``, saved scenarios from ``sim.store``,
links from ``sim.share`` and every UI string from ``sim.i18n``.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from sim import app_support as sup, geography, indicators, levers as levers_mod, scenarios, share, store as store_mod
from sim.errors import OasisError
from sim.i18n import region_name, t, unit
from sim.model import DEFAULT_MODEL, model_hash

st.set_page_config(page_title="Oasis-SD · Tianshan North Slope", page_icon="🌵", layout="wide")


def altair_module():
    """Altair, imported on first use: importing it takes ~0.8 s, so on a cold start the indicator
    cards reach the browser before it is loaded. Charts are built from known-good code, so Altair's
    per-object JSON-schema validation (~50 ms per chart per rerun) is switched off."""
    import altair as alt
    import altair.utils.schemapi

    altair.utils.schemapi.disable_debug_mode()
    return alt

LEVER_PREFIX = "lever__"
GEO_ORDER = [*(g for g in geography.GEOGRAPHIES if g not in geography.REGIONS), *geography.REGIONS]
SCENARIO_COLOR = "#1565c0"
BASELINE_COLOR = "#9e9e9e"
RED = "#d32f2f"


# --------------------------------------------------------------------------------------------
# Cached resources
# --------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def get_model():
    from sim import engine

    return engine.compile(DEFAULT_MODEL)


@st.cache_resource(show_spinner=False)
def get_model_hash() -> str:
    return model_hash(DEFAULT_MODEL)


@st.cache_resource(show_spinner="Loading parameter ensemble…")
def get_ensemble() -> sup.Ensemble:
    return sup.load_ensemble()


@st.cache_data(show_spinner=False, max_entries=64)
def run_cached(lever_items: tuple, bands: bool):
    return sup.run(get_model(), dict(lever_items), get_ensemble() if bands else None)


@st.cache_data(show_spinner=False, max_entries=256)
def summary_cached(lever_items: tuple, bands: bool, geo: str) -> sup.Summary:
    return sup.summarise(run_cached(lever_items, bands), dict(lever_items), geo)


@st.cache_data(show_spinner=False, max_entries=64)
def observed_cached(key: str, geo: str) -> pd.DataFrame:
    return sup.observed(observed_series(), key, geo)


@st.cache_data(show_spinner=False)
def observed_series() -> pd.DataFrame:
    from sim import data

    return data.load_series()


@st.cache_data(show_spinner=False)
def preset_levers(name: str) -> tuple[dict, str, str, str]:
    sc = scenarios.load(name)
    return sc.levers, sc.title, sc.title_zh, sc.description


@st.cache_resource(show_spinner=False)
def get_store(location: str) -> store_mod.ScenarioStore:
    return store_mod.ScenarioStore(location)


@st.cache_resource(show_spinner=False)
def parameter_table() -> pd.DataFrame:
    return pd.DataFrame([{"parameter": p.constant, "sector": p.strategy, "low": p.low, "default": p.default,
                          "high": p.high, "units": p.units} for p in levers_mod.parameters()])


# --------------------------------------------------------------------------------------------
# Lever state
# --------------------------------------------------------------------------------------------
LEVERS = levers_mod.levers()
DEFAULTS = levers_mod.defaults()


def widget_value(lever, value: float):
    """A lever value in the type its widget holds."""
    if lever.kind == "switch":
        return bool(value >= 0.5)
    if lever.kind == "year":
        return int(value)
    return float(value)


def set_levers(values: dict[str, float]) -> None:
    for lv in LEVERS:
        st.session_state[LEVER_PREFIX + lv.name] = widget_value(lv, values.get(lv.name, lv.default))


def current_levers() -> dict[str, float]:
    out = {}
    for lv in LEVERS:
        v = st.session_state.get(LEVER_PREFIX + lv.name, lv.default)
        out[lv.name] = float(v)
    return out


def add_message(kind: str, text: str) -> None:
    st.session_state.setdefault("_messages", []).append((kind, text))


def lang() -> str:
    return st.session_state.get("lang", "en")


def init_session() -> None:
    """First run of a session: defaults, then whatever the link (query string) asks for."""
    if st.session_state.get("_init_done"):
        return
    st.session_state["_init_done"] = True
    st.session_state.setdefault("lang", "en")
    st.session_state.setdefault("region", "belt")
    st.session_state.setdefault("preset", "baseline")
    st.session_state.setdefault("bands", False)
    set_levers(DEFAULTS)
    raw = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
    if not raw:
        return
    state = share.decode(raw, get_model_hash())
    if state.lang:
        st.session_state["lang"] = state.lang
    if state.region:
        st.session_state["region"] = state.region
    set_levers(state.levers)
    if state.changed:
        st.session_state["preset"] = "__custom__"
    for err in state.errors:
        add_message("error", t("url_error", lang(), msg=err))
    for notice in state.notices:
        if notice == "old_model":
            add_message("warning", t("url_old_model", lang(), old=state.model_hash, new=get_model_hash()))
        elif notice == "no_model":
            add_message("warning", t("url_no_model", lang()))


# --------------------------------------------------------------------------------------------
# Callbacks (run before the script body, so they may set widget state)
# --------------------------------------------------------------------------------------------
def on_preset() -> None:
    name = st.session_state["preset"]
    if name == "__custom__":
        return
    values, *_ = preset_levers(name)
    set_levers(values)


def on_reset() -> None:
    set_levers(DEFAULTS)
    st.session_state["preset"] = "baseline"


def on_upload() -> None:
    file = st.session_state.get("upload")
    if file is None:
        return
    try:
        raw = file.getvalue()
        if len(raw) > scenarios.MAX_SCENARIO_BYTES:
            raise OasisError(f"file is {len(raw) // 1024} KiB; a scenario file is at most "
                             f"{scenarios.MAX_SCENARIO_BYTES // 1024} KiB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise OasisError("file is not UTF-8 text") from None
        sc = scenarios.from_text(text, where=file.name[:80])
    except OasisError as exc:
        add_message("error", t("upload_error", lang(), msg=str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 — never let a hostile file take the app down
        add_message("error", t("upload_error", lang(), msg=f"unreadable file ({type(exc).__name__})"))
        return
    set_levers(sc.levers)
    st.session_state["preset"] = "__custom__"
    add_message("success", t("upload_ok", lang(), title=sc.title[:80], n=len(sc.overrides)))


def on_save(store) -> None:
    name = st.session_state.get("save_name", "")
    try:
        saved = store.save(name, current_levers(), model_hash=get_model_hash())
    except OasisError as exc:
        add_message("error", t("store_error", lang(), msg=str(exc)))
        return
    st.session_state["compare_sel"] = list(dict.fromkeys([*st.session_state.get("compare_sel", []), saved.name]))
    add_message("success", t("saved_ok", lang(), name=saved.name))


def on_load_saved(store) -> None:
    name = st.session_state.get("load_which")
    if not name:
        return
    try:
        saved = store.get(name)
    except OasisError as exc:
        add_message("error", t("store_error", lang(), msg=str(exc)))
        return
    set_levers(saved.levers)
    st.session_state["preset"] = "__custom__"
    add_message("success", t("loaded_ok", lang(), name=saved.name))
    for note in saved.notes:
        add_message("warning", note)
    if saved.model_hash and saved.model_hash != get_model_hash():
        add_message("warning", t("old_model_saved", lang(), name=saved.name, old=saved.model_hash,
                                 new=get_model_hash()))


def on_delete_saved(store) -> None:
    name = st.session_state.get("load_which")
    if not name:
        return
    try:
        store.delete(name)
    except OasisError as exc:
        add_message("error", t("store_error", lang(), msg=str(exc)))
        return
    st.session_state["compare_sel"] = [n for n in st.session_state.get("compare_sel", []) if n != name]
    add_message("success", t("deleted_ok", lang(), name=name))


# --------------------------------------------------------------------------------------------
# Sidebar
# --------------------------------------------------------------------------------------------
def lever_widget(lv, L: str) -> None:
    label = lv.label_zh if L == "zh" else lv.label_en
    units = unit(lv.units, L)
    help_text = (lv.help_zh if L == "zh" else lv.help_en)
    if lv.kind == "switch":
        help_text += f"  \n{t('default', L)}: {'1' if lv.default else '0'}"
        st.toggle(label, key=LEVER_PREFIX + lv.name, help=help_text)
        return
    help_text += (f"  \n{t('range', L)}: {lv.low:g}–{lv.high:g} {units}; {t('default', L)}: {lv.default:g}")
    if units not in label and lv.units not in label:  # some registry labels already carry units
        label = f"{label} ({units})"
    if lv.kind == "year":
        st.slider(label, int(lv.low), int(lv.high), step=int(lv.step) or 1,
                  key=LEVER_PREFIX + lv.name, help=help_text)
    else:
        st.slider(label, float(lv.low), float(lv.high), step=float(lv.step),
                  key=LEVER_PREFIX + lv.name, help=help_text)


def sidebar() -> None:
    L = lang()
    sb = st.sidebar
    sb.radio(t("language", L), ["en", "zh"], key="lang", horizontal=True,
             format_func=lambda x: {"en": "English", "zh": "中文"}[x])
    L = lang()
    sb.selectbox(t("region", L), GEO_ORDER, key="region", format_func=lambda g: region_name(g, L))
    presets = scenarios.available()
    options = [*presets, "__custom__"]

    def preset_label(name: str) -> str:
        if name == "__custom__":
            return t("preset_custom", L)
        _, title, title_zh, _ = preset_levers(name)
        return (title_zh or title) if L == "zh" else title

    sb.selectbox(t("preset", L), options, key="preset", format_func=preset_label, on_change=on_preset,
                 help=t("preset_help", L))
    sb.button(t("reset", L), key="reset_button", on_click=on_reset, width="stretch")
    sb.toggle(t("bands", L), key="bands", help=t("bands_help", L))
    sb.subheader(t("levers", L))
    for key, names in levers_mod.strategies().items():
        members = [lv for lv in LEVERS if lv.strategy == key]
        if not members:
            continue
        changed = sum(1 for lv in members if float(st.session_state[LEVER_PREFIX + lv.name]) != lv.default)
        title = names["zh"] if L == "zh" else names["en"]
        with sb.expander(f"{title}{'  ●' * bool(changed)}", expanded=False):
            for lv in members:
                lever_widget(lv, L)


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------
def indicator_title(key: str, L: str) -> str:
    ind = indicators.ALL_INDICATORS[key]
    return f"{ind.label_zh if L == 'zh' else ind.label_en} ({unit(ind.units, L)})"


def show_chart(chart, datasets: dict | None = None) -> None:
    """Render an Altair chart: either a chart object, or a cached spec template (a dict whose data
    are named) plus the named ``datasets`` (DataFrames) for this rerun."""
    if isinstance(chart, dict):
        spec = dict(chart)  # templates are shared: never mutate them
        spec["datasets"] = {name: frame for name, frame in (datasets or {}).items()}
    else:
        spec = chart.to_dict(validate=False)
    st.vega_lite_chart(spec, width="stretch")


@st.cache_resource(show_spinner=False, max_entries=512)
def indicator_template(key: str, L: str, has_band: bool, has_obs: bool, refs: tuple[str, ...],
                       height: int = 260) -> dict:
    """Vega-Lite spec (built with Altair) of an indicator chart; data are named datasets:
    ``lines`` (year, value, series), ``band`` (year, lo, hi), ``obs`` (year, value, source, series),
    ``ref<i>`` (year, value, label)."""
    alt = altair_module()
    scen_label, base_label, obs_label = t("scenario", L), t("baseline", L), t("observed", L)
    x = alt.X("year:Q", title=None, axis=alt.Axis(format="d"), scale=alt.Scale(domain=[1990, 2060]))
    color = alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=[scen_label, base_label, obs_label],
                                      range=[SCENARIO_COLOR, BASELINE_COLOR, "#212121"]))
    layers = []
    if has_band:
        layers.append(alt.Chart(alt.NamedData(name="band")).mark_area(opacity=0.18, color=SCENARIO_COLOR).encode(
            x=x, y="lo:Q", y2="hi:Q",
            tooltip=[alt.Tooltip("year:Q", format="d"), alt.Tooltip("lo:Q", format=".4g", title="5 %"),
                     alt.Tooltip("hi:Q", format=".4g", title="95 %")]))
    layers.append(alt.Chart(alt.NamedData(name="lines")).mark_line(strokeWidth=2.2).encode(
        x=x, y=alt.Y("value:Q", title=None), color=color,
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(
            domain=[scen_label, base_label], range=[[1, 0], [5, 3]])),
        tooltip=["series:N", alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", format=".4g")]))
    if has_obs:
        layers.append(alt.Chart(alt.NamedData(name="obs")).mark_point(filled=True, size=28, opacity=0.85).encode(
            x=x, y="value:Q", color=color, shape=alt.Shape("source:N", legend=None),
            tooltip=["source:N", alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", format=".4g")]))
    for i, _ in enumerate(refs):
        ref = alt.Chart(alt.NamedData(name=f"ref{i}"))
        layers.append(ref.mark_line(color=RED, strokeDash=[6, 3], strokeWidth=1.6).encode(
            x=x, y="value:Q", tooltip=["label:N", alt.Tooltip("year:Q", format="d"),
                                       alt.Tooltip("value:Q", format=".4g")]))
        layers.append(ref.mark_text(color=RED, align="right", dy=-7, fontSize=11).encode(
            x=x, y="value:Q", text="label:N").transform_window(
            rank="rank()", sort=[alt.SortField("year", order="descending")]).transform_filter("datum.rank == 1"))
    return alt.layer(*layers).properties(title=indicator_title(key, L), height=height).to_dict(validate=False)


def indicator_chart(key: str, summ: sup.Summary, base: sup.Summary, L: str) -> None:
    s, b = summ.central[key], base.central[key]
    data = {"lines": pd.DataFrame({
        "year": np.concatenate([b.index.to_numpy(), s.index.to_numpy()]),
        "value": np.concatenate([b.to_numpy(), s.to_numpy()]),
        "series": [t("baseline", L)] * len(b) + [t("scenario", L)] * len(s)})}
    bnd = summ.bands.get(key)
    if bnd is not None:
        data["band"] = bnd
    obs = observed_cached(key, summ.geography)
    if not obs.empty:
        data["obs"] = obs.assign(series=t("observed", L))
    refs = [(label, ref) for label, ref in summ.references.get(key, []) if not ref.empty]
    for i, (label, ref) in enumerate(refs):
        data[f"ref{i}"] = ref.assign(label=t(label, L))
    template = indicator_template(key, L, bnd is not None, not obs.empty, tuple(label for label, _ in refs))
    show_chart(template, data)


# --------------------------------------------------------------------------------------------
# Main panels
# --------------------------------------------------------------------------------------------
def show_messages() -> None:
    msgs = st.session_state.pop("_messages", [])
    for kind, text in msgs:
        getattr(st, kind)(text)


def red_line_status(r, L: str) -> str:
    if not r.applicable:
        return t("not_applicable", L)
    if r.first_year is None:
        return t("not_breached", L)
    text = t("breached_from", L, year=int(r.first_year))
    return text + (t("recovered_from", L, year=int(r.recovery_year)) if r.recovery_year is not None else "")


def red_line_margin(r, year: int, L: str) -> str:
    """Margin to the limit in ``year`` (positive = inside; see sim.redlines)."""
    s = r.by_year.get(year)
    return "–" if s is None or s.breached is None or not pd.notna(s.margin) else f"{s.margin:+.3g} {unit(r.units, L)}"


def dashboard(summ: sup.Summary, base: sup.Summary, L: str) -> None:
    geo = summ.geography
    st.subheader(f"{t('headline', L)} — {region_name(geo, L)}")
    cards = sup.cards(summ, base)
    for row in (cards[:3], cards[3:]):
        cols = st.columns(len(row))
        for col, card in zip(cols, row):
            with col.container(border=True):
                st.markdown(f"**{card.label_zh if L == 'zh' else card.label_en}** · {unit(card.units, L)}")
                mcols = st.columns(len(card.values))
                for mcol, (year, (v, bv, rel)) in zip(mcols, card.values.items()):
                    delta = None if not pd.notna(rel) or abs(rel) < 0.05 else f"{rel:+.1f}%"
                    mcol.metric(str(year), sup.fmt_number(v), delta,
                                delta_color="inverse" if card.lower_is_better else "normal",
                                help=f"{t('baseline', L)}: {sup.fmt_number(bv)}")

    rows = summ.red_lines
    breached = [r for r in rows if r.applicable and r.first_year is not None]
    if breached:
        items = "; ".join(f"{r.label_zh if L == 'zh' else r.label_en} ({int(r.first_year)})" for r in breached)
        st.error(t("red_lines_breached", L, n=len(breached)) + " " + items)
    else:
        st.success(t("red_lines_ok", L))

    sector_names = {k: t(f"sector_{k}", L) for k in sup.SECTORS}
    sector = st.radio(t("sector", L), list(sup.SECTORS), key="sector", horizontal=True,
                      format_func=lambda k: sector_names[k])
    keys = sup.SECTORS[sector]
    for i in range(0, len(keys), 2):
        cols = st.columns(2)
        for col, key in zip(cols, keys[i:i + 2]):
            with col:
                indicator_chart(key, summ, base, L)
    st.caption(t("no_obs_note", L))

    base_rows = {r.key: r for r in base.red_lines}
    with st.container(border=True):
        st.markdown(f"**{t('red_lines', L)}**")
        table = pd.DataFrame({
            t("red_line", L): [r.label_zh if L == "zh" else r.label_en for r in rows],
            t("scenario", L): [red_line_status(r, L) for r in rows],
            t("baseline", L): [red_line_status(base_rows[r.key], L) for r in rows],
            **{t("margin_year", L, year=y): [red_line_margin(r, y, L) for r in rows] for y in sup.CARD_YEARS},
        })
        st.table(table.set_index(t("red_line", L)))


@st.cache_resource(show_spinner=False, max_entries=128)
def compare_template(key: str, L: str) -> dict:
    alt = altair_module()
    return alt.Chart(alt.NamedData(name="lines")).mark_line(strokeWidth=2).encode(
        x=alt.X("year:Q", title=None, axis=alt.Axis(format="d")), y=alt.Y("value:Q", title=None),
        color=alt.Color("scenario:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["scenario:N", alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", format=".4g")],
    ).properties(title=indicator_title(key, L), height=320).to_dict(validate=False)


def compare_tab(summ: sup.Summary, base: sup.Summary, L: str) -> None:
    geo = summ.geography
    try:
        store = get_store(store_mod.default_location())
    except OasisError as exc:
        st.error(t("store_error", L, msg=str(exc)))
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.text_input(t("save_name", L), key="save_name", max_chars=store_mod.MAX_NAME_LEN)
    c2.button(t("save", L), key="save_button", on_click=on_save, args=(store,), width="stretch")
    try:
        names = store.names()
    except OasisError as exc:
        st.error(t("store_error", L, msg=str(exc)))
        return
    st.caption(t("store_location", L, where=store.location))
    if not names:
        st.info(t("no_saved", L))
        return
    st.session_state["compare_sel"] = [n for n in st.session_state.get("compare_sel", []) if n in names]
    st.multiselect(t("saved_list", L), names, key="compare_sel")
    l1, l2, l3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    l1.selectbox(t("load_which", L), names, key="load_which")
    l2.button(t("load_saved", L), key="load_button", on_click=on_load_saved, args=(store,), width="stretch")
    l3.button(t("delete_saved", L), key="delete_button", on_click=on_delete_saved, args=(store,), width="stretch")

    summaries = {t("baseline", L): base, t("scenario", L): summ}
    for name in st.session_state.get("compare_sel", []):
        try:
            saved = store.get(name)
        except OasisError as exc:
            st.error(t("store_error", L, msg=str(exc)))
            continue
        summaries[name] = summary_cached(tuple(sorted(saved.levers.items())), False, geo)
    key = st.selectbox(t("compare_indicator", L), list(indicators.ALL_INDICATORS), key="compare_key",
                       format_func=lambda k: indicator_title(k, L))
    frame = pd.concat([pd.DataFrame({"year": s.central.index, "value": s.central[key].values, "scenario": name})
                       for name, s in summaries.items()], ignore_index=True)
    show_chart(compare_template(key, L), {"lines": frame})
    st.markdown(f"**{t('compare_table', L)}** — {region_name(geo, L)}")
    table = sup.comparison_table(summaries, lang=L)
    table["units"] = [unit(u, L) for u in table["units"]]
    table = table.rename(columns={"units": t("units", L)}).rename_axis(t("indicator", L))
    st.dataframe(table.style.format(precision=4, subset=list(summaries)), width="stretch")


def files_tab(lever_values: dict[str, float], bands: bool, geo: str, L: str) -> None:
    mh = get_model_hash()
    try:
        base_url = st.context.url or "http://localhost:8501/"
    except Exception:  # noqa: BLE001 — bare mode
        base_url = "http://localhost:8501/"
    st.markdown(f"**{t('share_link', L)}**")
    st.code(share.share_url(base_url, lever_values, mh, region=geo, lang=L), language=None)
    st.caption(t("share_help", L))
    title = st.session_state.get("save_name") or "Oasis-SD app scenario"
    items = tuple(sorted(lever_values.items()))

    def scenario_toml() -> str:
        sc = scenarios.Scenario(name="app", title=title, levers=dict(items),
                                overrides={k: v for k, v in items if v != DEFAULTS[k]})
        return scenarios.to_toml(sc, mh)

    def results_csv() -> str:
        from sim.io import results_frame

        return results_frame(run_cached(items, False)).to_csv()

    c1, c2 = st.columns(2)
    c1.download_button(t("download_scenario", L), scenario_toml, file_name="scenario.toml",
                       mime="application/toml", width="stretch", key="dl_toml")
    c2.download_button(t("download_results", L), results_csv, file_name="oasis_sd_results.csv",
                       mime="text/csv", width="stretch", key="dl_csv")
    st.file_uploader(t("upload_scenario", L), type=["toml"], key="upload", on_change=on_upload)


def trust_tab(L: str, bands: bool) -> None:
    st.write(t("trust_intro", L))
    st.markdown(t("model_version", L, file=DEFAULT_MODEL.name, hash=f"`{get_model_hash()}`"))
    st.markdown(f"#### {t('ensemble_heading', L)}")
    if bands:
        ens = get_ensemble()
        if ens.kind == "prior":
            st.info(t("ensemble_prior", L, n=ens.n, k=ens.k, seed=ens.seed))
        else:
            st.info(t("ensemble_file", L, file=ens.source, n=ens.n, k=ens.k))
    else:
        st.info(t("ensemble_prior", L, n=sup.PRIOR_N, k="…", seed=sup.PRIOR_SEED) + "  \n" + t("bands_help", L))
    st.markdown(f"#### {t('sensitivity_heading', L)}")
    try:
        sens = sup.load_sensitivity()
    except Exception as exc:  # noqa: BLE001
        st.error(str(exc))
        sens = None
    if sens is None:
        st.info(t("sensitivity_missing", L, file="sensitivity/reference/indices.csv"))
    else:
        c1, c2, c3 = st.columns(3)
        method = c1.selectbox(t("sensitivity_method", L), sorted(sens["method"].unique()), key="sens_method")
        sub = sens[sens["method"] == method]
        output = c2.selectbox(t("sensitivity_output", L), sorted(sub["output"].unique()), key="sens_output")
        sub = sub[sub["output"] == output]
        years = sorted(sub["year"].unique())
        # 2030 (a headline year) by default: just after the policy start few levers act yet
        year = c3.selectbox(t("sensitivity_year", L), years, key="sens_year",
                            index=years.index(2030) if 2030 in years else len(years) - 1)
        sub = sub[sub["year"] == year]
        index = st.radio(t("sensitivity_index", L), sorted(sub["index"].unique()), horizontal=True, key="sens_index")
        sub = sub[sub["index"] == index].sort_values("value", ascending=False).head(20)
        alt = altair_module()
        show_chart(alt.Chart(sub).mark_bar().encode(
            x=alt.X("value:Q", title=index), y=alt.Y("factor:N", sort="-x", title=None),
            tooltip=["factor", alt.Tooltip("value:Q", format=".3g"), alt.Tooltip("conf:Q", format=".3g")],
        ).properties(height=max(120, 22 * len(sub))))
    st.markdown(f"#### {t('fit_heading', L)}")
    text, stats, _ = sup.fit_report()
    if text is None and stats is None:
        st.info(t("fit_missing", L, file="calibration/REPORT.md"))
    if stats is not None:
        st.dataframe(stats, width="stretch", hide_index=True)
    if text is not None:
        with st.expander("calibration/REPORT.md", expanded=False):
            st.markdown(text)
    if bands:
        with st.expander(t("params_heading", L)):
            st.dataframe(parameter_table(), hide_index=True, width="stretch")


# --------------------------------------------------------------------------------------------
# Page
# --------------------------------------------------------------------------------------------
def main() -> None:
    init_session()
    sidebar()
    L = lang()
    geo = st.session_state["region"]
    bands = bool(st.session_state.get("bands"))
    lever_values = current_levers()
    items = tuple(sorted(lever_values.items()))

    t0 = time.perf_counter()
    base = summary_cached(tuple(sorted(DEFAULTS.items())), False, geo)
    summ = summary_cached(items, bands, geo)
    st.session_state["_run_ms"] = (time.perf_counter() - t0) * 1000
    st.session_state["_digest"] = summ.digest
    st.session_state["_levers"] = lever_values

    st.title(t("app_title", L))
    n_changed = sum(1 for k, v in lever_values.items() if v != DEFAULTS[k])
    st.caption(t("app_subtitle", L) + "  \n" + t("levers_changed", L, n=n_changed) + " · "
               + t("timing", L, ms=st.session_state["_run_ms"]))
    show_messages()

    tabs = st.tabs([t("tab_dashboard", L), t("tab_compare", L), t("tab_files", L), t("tab_trust", L),
                    t("tab_find", L)])
    with tabs[0]:
        dashboard(summ, base, L)
    with tabs[1]:
        compare_tab(summ, base, L)
    with tabs[2]:
        files_tab(lever_values, bands, geo, L)
    with tabs[3]:
        trust_tab(L, bands)
    with tabs[4]:
        from sim.search import app_tab

        app_tab.render(set_levers, L)

    # keep the address bar = current scenario, so copying it shares it
    wanted = share.encode(lever_values, get_model_hash(), region=geo, lang=L)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    st.session_state["_total_ms"] = (time.perf_counter() - t0) * 1000

main()
