"""checks.yaml structure errors are clear CheckSpecErrors."""
import pytest

from sim.checks import CheckSpecError, load_suite, parse_suite

GOOD = """
version: 1
matrices:
  m: {presets: [baseline]}
checks:
  - id: c
    matrix: m
    assert: gdp_1e8yuan > 0
"""


def test_good_minimal():
    suite = parse_suite(GOOD)
    assert [c.id for c in suite.checks] == ["c"]


@pytest.mark.parametrize("text, match", [
    ("[1, 2", "not valid YAML"),
    ("version: 2\nmatrices: {}\nchecks: []", "version: 1"),
    (GOOD.replace("matrix: m", "matrix: nope"), "unknown matrix"),
    (GOOD.replace("assert: gdp_1e8yuan > 0", "assert: gdp_1e8yuan >"), "expected"),
    (GOOD.replace("assert: gdp_1e8yuan > 0", "assert: __import__('os').system('x')"), "unexpected|unknown function"),
    (GOOD.replace("    matrix: m", "    matrix: m\n    colour: red"), "unknown field"),
    (GOOD + "  - id: c\n    matrix: m\n    assert: x > 0\n", "duplicate"),
    (GOOD.replace("    matrix: m", "    matrix: m\n    kind: magic"), "kind must be"),
    (GOOD.replace("    matrix: m", "    matrix: m\n    known_defect: {other: x}"), "does not run on"),
    ("version: 1\nmatrices:\n  m: {set: {a: .nan}}\nchecks: []", "finite number"),
    ("!!python/object/apply:os.system ['echo hi']", "not valid YAML"),
])
def test_bad_suites(text, match):
    with pytest.raises(CheckSpecError, match=match):
        parse_suite(text)


def test_repository_suite_loads():
    suite = load_suite()
    assert len(suite.checks) >= 20
    assert {"presets_oat", "parameters_oat", "no_surface_inflow", "reclamation_ban", "water_cap"} <= set(suite.matrices)
