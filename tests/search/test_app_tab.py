"""Data helpers of the "Find a policy" tab: saved results are found, a Pareto point loads as a valid
scenario, the quick-search spec parses."""
from pathlib import Path

import pandas as pd

from sim import levers, scenarios
from sim.search import app_tab
from sim.search.spec import parse_spec


def fake_result(folder: Path) -> None:
    (folder / "scenarios").mkdir(parents=True)
    pd.DataFrame({"point": ["P000"], "gdp@2035": [1.0], "water_use@2035": [2.0]}).to_csv(folder / "pareto.csv", index=False)
    sc = scenarios.Scenario("P000", "t", levers.defaults() | {"new_reclamation_pct_of_bau": 15.0},
                            {"new_reclamation_pct_of_bau": 15.0})
    (folder / "scenarios" / "P000.toml").write_text(scenarios.to_toml(sc), encoding="utf-8")


def test_saved_search_found_and_point_loads(tmp_path):
    fake_result(tmp_path / "root" / "ex")
    found = app_tab.saved_searches([tmp_path / "root"])
    assert list(found) == ["root/ex"]
    table = pd.read_csv(found["root/ex"] / "pareto.csv")
    assert app_tab.objective_columns(table) == ["gdp@2035", "water_use@2035"]
    values = app_tab.point_levers(found["root/ex"], "P000")
    assert values["new_reclamation_pct_of_bau"] == 15.0
    assert set(values) == set(levers.defaults())


def test_quick_spec_is_a_valid_spec():
    text = app_tab.quick_spec_text([("gdp", 2035, "max"), ("water_use", 2035, "min")],
                                   ["groundwater_overdraft_flag"], 2030, 2060)
    spec = parse_spec(text, "quick")
    assert [o.sense for o in spec.objectives] == ["max", "min"]
    assert spec.red_lines == ["groundwater_overdraft_flag"] and spec.window == (2030, 2060)
    assert "policy_start_year" not in spec.levers


def test_tab_renders_and_loads_a_point(tmp_path, monkeypatch):
    """The Streamlit tab draws from a saved result and its Load button hands the point's levers to the
    app (Streamlit's AppTest, no browser)."""
    from streamlit.testing.v1 import AppTest

    fake_result(tmp_path / "root" / "ex")
    pd.DataFrame({"scenario": ["baseline"], "groundwater_overdraft_flag": [0.5], "all_red_lines": [0.25]}).to_csv(
        tmp_path / "root" / "ex" / "satisficing.csv", index=False)
    monkeypatch.setattr(app_tab, "RESULT_ROOTS", (tmp_path / "root",))

    def page():
        import streamlit as st

        from sim.search import app_tab as tab

        tab.render(lambda v: st.session_state.__setitem__("loaded", v["new_reclamation_pct_of_bau"]), "en")

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert at.button(key="fp_load").label == "Load this point as the current scenario"
    assert at.selectbox(key="fp_point").label == "Pareto point"
    at.button(key="fp_load").click().run()
    assert not at.exception
    assert at.session_state["loaded"] == 15.0
    # the confirmation is drawn inside the tab, not queued for the app's message area above the tabs
    assert any("P000" in s.value for s in at.success) and "_messages" not in at.session_state


def test_numbers_and_names_for_display():
    assert app_tab.fmt_value(5903.0018) == "5,903"
    assert app_tab.fmt_value(12345.6) == "12,346"
    assert app_tab.fmt_value(77.28329) == "77.28"
    assert app_tab.fmt_value(126.336) == "126.3"
    assert app_tab.fmt_value(0.35) == "0.35" and app_tab.fmt_value(1.0) == "1" and app_tab.fmt_value(0.0) == "0"
    assert app_tab.fmt_value(3.14159) == "3.142" and app_tab.fmt_value(float("nan")) == "–"
    # indicator, red-line and preset names are the app's own (sim.indicators, scenario titles)
    assert app_tab.objective_label("gdp@2035", "en") == "GDP (1990 prices), 2035 (10⁸ yuan)"
    assert app_tab.objective_label("gdp@2035", "zh") == "2035年地区生产总值（1990年价）（亿元）"
    assert app_tab.red_line_name("groundwater_overdraft_flag", "zh") == "地下水超采"
    assert app_tab.red_line_name("farmland_floor", "en") == "Farmland floor"
    assert app_tab.red_line_name("all_red_lines", "zh") == "全部红线"
    assert app_tab.scenario_name("baseline", "zh") == scenarios.load("baseline").title_zh
    assert app_tab.scenario_name("P000", "zh") == "P000"


def test_lever_rows_list_changed_levers_with_units():
    values = levers.defaults() | {"new_reclamation_pct_of_bau": 15.0}
    rows = app_tab.lever_rows(values, "zh")
    assert list(rows.columns) == ["政策杠杆", "该点取值", "基准值", "单位"]
    assert len(rows) == 1 and rows.iloc[0]["该点取值"] == "15" and rows.iloc[0]["单位"] == "%"


def page_in_session_lang():
    import streamlit as st

    from sim.search import app_tab as tab

    tab.render(lambda v: st.session_state.__setitem__("loaded", v["new_reclamation_pct_of_bau"]),
               st.session_state.get("test_lang", "en"))


def test_tab_in_chinese_and_load_error_shown_in_the_tab(tmp_path, monkeypatch):
    """zh labels throughout; a point whose scenario file is broken gives an error inside the tab (a
    message above the app's tabs would shift them and the browser would show the first tab)."""
    from streamlit.testing.v1 import AppTest

    from sim.i18n import t

    fake_result(tmp_path / "root" / "ex")
    (tmp_path / "root" / "ex" / "scenarios" / "P000.toml").write_text("[levers]\nno_such_lever = 1\n", encoding="utf-8")
    monkeypatch.setattr(app_tab, "RESULT_ROOTS", (tmp_path / "root",))
    at = AppTest.from_function(page_in_session_lang, default_timeout=60)
    at.session_state["test_lang"] = "zh"
    at.run()
    assert [s.value for s in at.subheader][0] == t("fp_title", "zh")
    assert at.button(key="fp_load").label == t("fp_load", "zh")
    assert at.selectbox(key="fp_point").label == "帕累托点"
    assert at.selectbox(key="fp_x").format_func("gdp@2035").startswith("2035年地区生产总值")
    before = sum(e.value.startswith("无法载入 P000") for e in at.error)  # the lever table's own error
    at.button(key="fp_load").click().run()
    assert not at.exception
    assert "loaded" not in at.session_state
    assert sum(e.value.startswith("无法载入 P000") for e in at.error) == before + 1
    assert "_messages" not in at.session_state


def test_committed_discovery_boxes_for_display():
    """search/results/discover_s2 (committed): its PRIM box reads with units and percentages."""
    found = app_tab.saved_discoveries()
    assert "results/discover_s2" in found
    assert "S2_cae_strategy" in app_tab.discovery_title(found["results/discover_s2"])
    rows = app_tab.box_rows(pd.read_csv(found["results/discover_s2"] / "boxes.csv"), "zh")
    assert list(rows.columns) == ["盒", "不确定输入", "盒内取值范围", "覆盖率", "密度", "质量", "盒内情形数"]
    assert rows.iloc[0]["不确定输入"] == "runoff_trend_per_yr" and rows.iloc[0]["盒内取值范围"].endswith("1/年")
    assert rows.iloc[0]["覆盖率"].endswith("%")
