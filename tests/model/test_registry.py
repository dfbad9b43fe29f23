"""The lever registry, the parameter ranges and the model agree; every number is documented."""
import csv
import math

import numpy as np
import pytest

from sim import levers, model, scenarios
from sim.errors import OutOfRangeError, ScenarioFileError, UnknownNameError

ROOT = model.REPO_ROOT
REQUIRED_LEVER_IDS = {"L1", "L2", "L5a", "L5b", "L6", "W1a", "W1b", "W2", "W4", "W5", "W7a", "W7b", "W8", "W9a", "W9b",
                      "W10a", "W10b", "I1", "I2", "I4", "I5", "I7", "T1", "T2"}


def _constant_value(info, name):
    return float(info.variable(name).equations[0].split("=", 1)[1])


def test_registry_covers_the_seed_levers():
    ids = {lv.id for lv in levers.levers()}
    assert REQUIRED_LEVER_IDS <= ids
    assert len({lv.constant for lv in levers.levers()}) == len(levers.levers())


def test_every_lever_is_a_model_constant_with_the_bau_default(info):
    for lv in levers.levers():
        var = info.variable(lv.constant)
        assert var.kind == "constant" and not var.subscripts, lv.constant
        assert _constant_value(info, lv.constant) == pytest.approx(lv.default), lv.constant
        assert lv.low <= lv.default <= lv.high and lv.low < lv.high
        assert lv.strategy in levers.strategies()
        assert lv.help_en and lv.help_zh and lv.label_zh and "LEVER" in var.documentation


def test_every_variable_has_units_and_documentation(info):
    missing = [v.name for v in info.variables.values() if v.kind != "lookup" and not v.units]
    undocumented = [v.name for v in info.variables.values() if len(v.documentation) < 10]
    control = {"initial_time", "final_time", "time_step", "saveper"}
    assert not [m for m in missing if m not in control]
    assert not [u for u in undocumented if u not in control]


def test_every_constant_cites_a_source_or_is_an_assumption_with_a_range(info):
    bad = []
    for v in info.variables.values():
        if v.kind != "constant" or v.name in {"initial_time", "final_time", "time_step", "saveper"}:
            continue
        doc = v.documentation.lower()
        sourced = any(w in doc for w in ("source", "derived", "calibration/data", "lever", "series", "_file", "points",
                                         "deng", "prefecture_water_use", "1 for the region", "numerical constant"))
        if v.is_assumption:
            if v.documented_range is None and "range" not in doc:
                bad.append((v.name, "assumption without range"))
        elif not sourced:
            bad.append((v.name, "neither source nor assumption"))
    assert not bad, bad


def test_assumption_defaults_lie_in_their_ranges():
    params = levers.parameters()
    assert len(params) >= 40
    for p in params:
        assert p.low < p.high and p.low <= p.default <= p.high, p


def test_model_carries_the_derived_inputs(info):
    """calibration/derived/model_inputs.csv (made by calibration/scripts/derive_model_inputs.py from
    calibration/data) must match the constants in the .mdl."""
    with open(ROOT / "calibration" / "derived" / "model_inputs.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 10
    regions = info.subscripts["Belt"]
    for row in rows:
        name = row["constant"]
        if "[" in name:
            base, element = name[:-1].split("[")
            values = [float(x) for x in info.variable(base).equations[0].split("=", 1)[1].split(",")]
            actual = values[regions.index(element)]
        else:
            actual = _constant_value(info, name)
        assert actual == pytest.approx(float(row["value"]), rel=1e-3), name


def test_derivation_script_reproduces_the_committed_file(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("derive", ROOT / "calibration" / "scripts" / "derive_model_inputs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.write(mod.derive(), tmp_path / "inputs.csv")
    assert out.read_text() == (ROOT / "calibration" / "derived" / "model_inputs.csv").read_text()


def test_lever_validation_messages():
    lv = levers.lever("L1")
    assert lv.validate(50) == 50.0
    with pytest.raises(OutOfRangeError, match=r"\[0, 100\]"):
        lv.validate(101)
    with pytest.raises(OutOfRangeError, match="number"):
        lv.validate("50")
    with pytest.raises(OutOfRangeError):
        lv.validate(math.nan)
    with pytest.raises(OutOfRangeError, match="switch"):
        levers.lever("W8").validate(0.5)
    with pytest.raises(UnknownNameError, match="new_reclamation_pct_of_bau"):
        levers.lever("new_reclamation")


def test_presets_exist_and_validate():
    names = scenarios.available()
    assert names[0] == "baseline"
    assert {n.split("_")[0] for n in names if n != "baseline"} >= {"S1", "S2", "S3", "S4", "S5", "S6", "S7"}
    assert scenarios.load("baseline").overrides == {}
    s2 = scenarios.load("S2_cae_strategy")
    assert s2.levers["new_reclamation_pct_of_bau"] == 0 and s2.levers["ecological_water_priority"] == 1


def test_scenario_inheritance_and_cycles(tmp_path, monkeypatch):
    monkeypatch.setattr(scenarios, "SCENARIO_DIR", tmp_path)
    (tmp_path / "baseline.toml").write_text("[scenario]\ntitle='b'\n[levers]\n")
    (tmp_path / "a.toml").write_text("[scenario]\ninherits='baseline'\n[levers]\nL1=20\nW8=1\n")
    (tmp_path / "b.toml").write_text("[scenario]\ninherits='a'\n[levers]\nnew_reclamation_pct_of_bau=40\n")
    b = scenarios.load("b")
    assert b.levers["new_reclamation_pct_of_bau"] == 40 and b.levers["ecological_water_priority"] == 1
    (tmp_path / "c.toml").write_text("[scenario]\ninherits='d'\n")
    (tmp_path / "d.toml").write_text("[scenario]\ninherits='c'\n")
    with pytest.raises(ScenarioFileError, match="cycle"):
        scenarios.load("c")


@pytest.mark.parametrize("text, message", [
    ("[levers]\nnew_reclamation_pct_of_bau = 150\n", r"<f>:2: lever 'new_reclamation_pct_of_bau' = 150 is outside its range \[0, 100\]"),
    ("[scenario]\ntitle = 'x'\n\n[levers]\nnew_reclamation = 5\n", r"<f>:5: unknown lever 'new_reclamation'; did you mean new_reclamation_pct_of_bau"),
    ("[levers]\nL1 = 'high'\n", r"<f>:2: lever 'new_reclamation_pct_of_bau' needs a number"),
    ("[levers\nL1 = 5\n", r"<f>: not valid TOML .*line 1"),
    ("[scenario]\ntitel = 'x'\n", r"<f>:2: unknown scenario field 'titel'; did you mean title"),
    ("[weather]\nrain = 1\n", r"<f>:1: unknown table or key 'weather'"),
    ("[levers]\nW8 = 0.5\n", r"switch"),
])
def test_malformed_scenario_text_names_file_and_line(text, message):
    with pytest.raises((ScenarioFileError, UnknownNameError, OutOfRangeError), match=message):
        scenarios.parse_scenario_text(text, "<f>")


def test_huge_scenario_is_refused():
    with pytest.raises(ScenarioFileError, match="larger than"):
        scenarios.parse_scenario_text("#" * 200_000, "<f>")


def test_random_lever_values_respect_kind_and_range():
    rng = np.random.default_rng(0)
    for lv in levers.levers():
        draws = [lv.random_value(rng) for _ in range(200)]
        assert all(lv.validate(v) == v for v in draws)  # in range, 0/1 switches, whole years
        assert len(set(draws)) > 1
