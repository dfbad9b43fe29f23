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
    at.button(key="fp_load").click().run()
    assert not at.exception
    assert at.session_state["loaded"] == 15.0
