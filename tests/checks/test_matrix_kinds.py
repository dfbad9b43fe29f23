"""The ensemble and space-filling sample matrices of checks.yaml (sim.checks.matrix)."""
import csv

import pytest

from sim import levers
from sim.checks import matrix, spec
from sim.model import DEFAULT_MODEL, REPO_ROOT


def _suite(tmp_path, body):
    p = tmp_path / "checks.yaml"
    p.write_text("version: 1\nmatrices:\n" + body + "checks:\n  - id: c\n    matrix: [m]\n    assert: time > 0\n")
    return spec.load_suite(p)


def test_sample_matrix_is_latin_hypercube_within_registry_ranges(tmp_path):
    suite = _suite(tmp_path, "  m:\n    presets: [baseline]\n    sample: {n: 64, seed: 5}\n")
    mx = matrix.build(suite.matrices["m"], DEFAULT_MODEL)
    draws = [s.params for s in mx.scenarios if "sample" in s.name]
    assert len(draws) == 64
    lev = {lv.name: lv for lv in levers.levers()}
    par = {p.name: p for p in levers.parameters()}
    for name, p in {**lev, **par}.items():
        vals = [d[name] for d in draws]
        assert min(vals) >= p.low and max(vals) <= p.high, name
    # Latin hypercube: each of the 64 equal strata of a continuous factor holds exactly one draw
    p = next(iter(par.values()))
    strata = sorted(int((d[p.name] - p.low) / (p.high - p.low) * 64) for d in draws)
    assert strata == list(range(64))
    switch = [lv for lv in lev.values() if lv.kind == "switch"][0]
    assert {d[switch.name] for d in draws} <= {0.0, 1.0}


def test_ensemble_matrix_reads_the_committed_ensemble(tmp_path):
    suite = _suite(tmp_path, "  m:\n    presets: [baseline]\n    ensemble: 5\n")
    mx = matrix.build(suite.matrices["m"], DEFAULT_MODEL)
    with (REPO_ROOT / "calibration" / "ensemble.csv").open() as fh:
        rows = list(csv.DictReader(fh))[:5]
    known = {p.name for p in levers.parameters()}
    by_name = {s.name: s.params for s in mx.scenarios}
    first = by_name[f"baseline | ensemble {rows[0]['draw']}"]
    for k, v in rows[0].items():
        if k in known:
            assert first[k] == float(v)
    # identical draws are run once: at most 1 + 5 scenarios
    assert 2 <= len(mx) <= 6


@pytest.mark.parametrize("body, msg", [
    ("  m:\n    ensemble: -3\n", "ensemble"),
    ("  m:\n    sample: {n: 1}\n", "sample.n"),
    ("  m:\n    sample: {n: 10, levers: false, parameters: false}\n", "levers or parameters"),
    ("  m:\n    sample: {n: 10, bogus: 1}\n", "sample"),
])
def test_bad_matrix_kinds_are_spec_errors(tmp_path, body, msg):
    with pytest.raises(spec.CheckSpecError, match=msg):
        _suite(tmp_path, body)
