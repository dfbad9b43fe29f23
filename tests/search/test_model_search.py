"""The model path on a tiny budget: evaluator outputs agree with sim.runner + sim.indicators for a
preset; Pareto scenario files load and reproduce their objective values; chunked/resumed evaluation
is bit-identical."""
import numpy as np
import pytest

from sim import indicators, levers, redlines, runner, scenarios
from sim.search import optimise as opt
from sim.search.evaluate import Metric, SearchEvaluator, evaluate_design, red_line_breach_years
from sim.search.spec import parse_spec

SPEC = """
[search]
levers = ["L1", "L2", "W2", "W4"]
fixed = { policy_start_year = 2025 }
[[objective]]
indicator = "gdp"
year = 2035
sense = "max"
[[objective]]
indicator = "water_use"
year = 2035
sense = "min"
[red_lines]
keep = ["farmland_floor"]
from = 2030
[optimiser]
pop_size = 8
generations = 2
"""


@pytest.fixture(scope="module")
def s2_run():
    sc = scenarios.load("S2_cae_strategy")
    return sc, runner.run(sc)


def test_evaluator_matches_runner_and_indicators(s2_run, tmp_path):
    sc, ds = s2_run
    names = [lv.name for lv in levers.levers()]
    ev = SearchEvaluator(opt.lever_factors(names), [Metric("gdp", 2035), Metric("overdraft", 2035)],
                         list(redlines.FLAGS), (2030, 2060), runner.scenario_params(sc))
    ev.prepare()
    X = np.array([[sc.levers[n] for n in names]] * 3)
    Y = evaluate_design(ev, X, store_dir=tmp_path / "a", chunk_size=2)
    assert Y[0, 0] == pytest.approx(float(indicators.indicator(ds, "gdp").sel(time=2035)[0]), rel=1e-10)
    assert Y[0, 1] == pytest.approx(float(indicators.indicator(ds, "overdraft").sel(time=2035)[0]), rel=1e-10, abs=1e-12)
    for j, flag in enumerate(redlines.FLAGS):
        assert Y[0, 2 + j] == red_line_breach_years(ds, flag, "belt", 2030, 2060)[0]
    # resume: the same design reads its chunks back, bit-identical
    Y2 = evaluate_design(ev, X, store_dir=tmp_path / "a", chunk_size=2)
    np.testing.assert_array_equal(Y, Y2)


def test_pareto_files_load_and_reproduce(tmp_path):
    spec = parse_spec(SPEC, "tiny.toml")
    res, ev = opt.optimise(spec)
    assert res.n_evaluations <= 16 and res.pareto.size >= 1
    opt.write_outputs(res, ev, spec, tmp_path)
    table = opt.pareto_table(res, ev, spec)
    first = table.iloc[0]
    sc = scenarios.load(tmp_path / "scenarios" / f"{first['point']}.toml")
    ds = runner.run(sc)
    assert float(indicators.indicator(ds, "gdp").sel(time=2035)[0]) == pytest.approx(first["gdp@2035"], rel=1e-9)
    assert (tmp_path / "pareto.html").exists()
