"""Bad search specs give clear errors (file:line, field, allowed values); infeasible says so."""
import pytest

from sim.errors import OasisError
from sim.search.spec import InfeasibleError, SpecError, parse_spec

GOOD = """
[search]
levers = ["L1", "W2"]

[[objective]]
indicator = "gdp"
year = 2035
sense = "max"

[red_lines]
keep = ["groundwater"]
"""


def test_good_spec_parses():
    s = parse_spec(GOOD, "good.toml")
    assert s.levers == ["new_reclamation_pct_of_bau", s.levers[1]] and len(s.levers) == 2
    assert s.red_lines == ["groundwater_overdraft_flag"] and s.window == (2025, 2060)


def test_unknown_lever_did_you_mean():
    text = GOOD.replace('["L1", "W2"]', '["new_reclamation_pct_of_ba"]')
    msg = r"spec.toml:3: unknown lever 'new_reclamation_pct_of_ba'; did you mean new_reclamation_pct_of_bau"
    with pytest.raises(OasisError, match=msg):
        parse_spec(text, "spec.toml")


def test_unknown_indicator():
    with pytest.raises(OasisError, match=r"spec.toml:6: unknown indicator 'gpd'; did you mean gdp"):
        parse_spec(GOOD.replace('"gdp"', '"gpd"'), "spec.toml")


def test_empty_objective_list():
    text = "[search]\nlevers = \"all\"\n"
    with pytest.raises(SpecError, match="no objective"):
        parse_spec(text, "spec.toml")


def test_bad_sense_and_year_name_field_and_range():
    with pytest.raises(SpecError, match=r"'sense' must be \"max\" or \"min\""):
        parse_spec(GOOD.replace('"max"', '"maximise"'), "spec.toml")
    with pytest.raises(SpecError, match=r"spec.toml:7: 'year' must be a whole number in \[1990, 2060\]"):
        parse_spec(GOOD.replace("2035", "2100"), "spec.toml")


def test_unknown_red_line_and_field():
    with pytest.raises(OasisError, match="unknown red line 'groundwatr'; did you mean"):
        parse_spec(GOOD.replace('["groundwater"]', '["groundwatr"]'), "spec.toml")
    with pytest.raises(OasisError, match=r"unknown field of \[\[objective\]\] 'yaer'"):
        parse_spec(GOOD.replace("year = 2035", "yaer = 2035"), "spec.toml")


def test_contradictory_constraint_is_infeasible():
    text = GOOD + '\n[[constraint]]\nindicator = "overdraft"\nyear = 2035\nmin = 5\nmax = 1\n'
    with pytest.raises(InfeasibleError, match=r"infeasible: min 5 > max 1"):
        parse_spec(text, "spec.toml")


def test_infeasible_search_says_so(monkeypatch):
    """A search whose every evaluated design breaks a constraint raises InfeasibleError naming it
    (model-free: the evaluator is replaced by a constant function)."""
    import numpy as np

    from sim.search import optimise as opt
    from sim.sensitivity.evaluators import FunctionEvaluator

    spec = parse_spec(GOOD, "spec.toml")
    fake = FunctionEvaluator(lambda X: np.stack([X[:, 0], np.full(len(X), 3.0)], axis=1), outputs=("gdp", "gw"))
    fake.factors = opt.lever_factors(spec.levers)
    monkeypatch.setattr(opt, "build_evaluator", lambda spec, mdl_path=None: fake)
    with pytest.raises(InfeasibleError, match=r"infeasible: none of \d+ lever settings.*Groundwater overdraft \(violation 3\)"):
        opt.optimise(spec, pop_size=8, generations=2)
