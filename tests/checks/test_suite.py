"""The model passes sd_models/checks.yaml: every check has its expected outcome.

Checks marked ``known_defect`` in the YAML document model defects found by the checks (see the
text there); they are expected to FAIL. When the model is fixed they report UNEXPECTED PASS and
this test fails until the marker is removed, so a fix is never silently lost.
"""
import pytest

from sim.checks import matrix as matrix_mod, run_suite
from sim.checks.spec import load_suite
from sim.model import DEFAULT_MODEL


@pytest.fixture(scope="module")
def report():
    return run_suite()


@pytest.mark.slow
def test_every_check_has_its_expected_outcome(report):
    bad = [r for r in report.results if not r.ok]
    assert not bad, "\n" + report.table()


def test_no_evaluation_errors(report):
    assert not [r for r in report.results if r.error], report.table()


def test_failures_name_scenario_region_and_year(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("version: 1\nmatrices:\n  m: {presets: [baseline, S2_cae_strategy]}\nchecks:\n"
                 "  - id: early\n    matrix: m\n    assert: time < 2000 or population_10k < 0\n")
    (result,) = run_suite(p).results
    assert result.failures and not result.ok
    first = result.failures[0]
    assert first.scenario in ("baseline", "S2_cae_strategy") and first.year == 2000 and first.region
    assert "2000" in run_suite(p).table()


def test_matrices_cover_presets_and_every_lever_extreme():
    from sim import levers, scenarios

    suite = load_suite()
    mx = matrix_mod.build(suite.matrices["presets_oat"], DEFAULT_MODEL)
    names = set(mx.names)
    assert set(scenarios.available()) <= names
    for preset in scenarios.available():  # every lever extreme on every preset (duplicates run once)
        base = scenarios.load(preset).levers
        for lv in levers.levers():
            for v in (lv.low, lv.high):
                want = {**base, lv.name: v}
                assert any({k: s.params.get(k) for k in want} == want for s in mx.scenarios), (preset, lv.name, v)
    pm = matrix_mod.build(suite.matrices["parameters_oat"], DEFAULT_MODEL)
    base = pm.scenarios[0].params
    for p in levers.parameters():  # every parameter extreme (one at a time; a calibrated value may sit on a bound)
        for v in (p.low, p.high):
            assert any(s.params == {**base, p.name: v} for s in pm.scenarios), (p.name, v)


def test_a_broken_predicate_is_reported_not_raised(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("version: 1\nmatrices:\n  m: {presets: [baseline]}\nchecks:\n"
                 "  - id: bad\n    matrix: m\n    assert: no_such_variable > 0\n"
                 "  - id: neg\n    matrix: m\n    assert: gdp_1e8yuan < 0\n")
    rep = run_suite(p)
    status = {r.check.id: r for r in rep.results}
    assert status["bad"].status == "ERROR" and "no_such_variable" in status["bad"].error
    assert status["neg"].status == "FAIL" and status["neg"].failures[0].year == 1990
    assert status["neg"].failures[0].region
    assert "gdp_1e8yuan" in rep.table()
