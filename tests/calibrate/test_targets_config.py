"""Error paths of the targets and calibration-config loaders (file, line, field, hints)."""
from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from sim.calibrate.config import load_config
from sim.calibrate.targets import TargetFileError, load_targets
from sim.errors import OasisError
from sim.levers import Parameter

SERIES = pd.DataFrame({
    "series_id": ["population_10k"] * 3 + ["co2_total_mt"] * 2,
    "geography": ["xinjiang"] * 5,
    "year": [1990, 2000, 2010, 2000, 2010],
    "value": [1500.0, 1800.0, 2100.0, 60.0, 170.0],
    "unit": ["10^4 persons"] * 3 + ["Mt CO2"] * 2,
    "source_id": ["s"] * 5,
    "note": [""] * 5,
})
GEOS = pd.DataFrame({"geography": ["xinjiang"], "description": ["x"],
                     "model_regions": ["a;b"], "mapping": ["exact"]})
VARIABLES = {"population_10k": ("Region",), "co2_emissions_mt": ("Region",), "ebinur_lake_area_km2": ()}

GOOD_TARGET = """
[[target]]
series = "population_10k"
geography = "xinjiang"
unit = "10^4 persons"
variable = "population_10k"
weight = 1.0
reason = "test"
"""


def load(tmp_path, text, **kw):
    path = tmp_path / "targets.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_targets(path, variables=VARIABLES, series=SERIES, geographies=GEOS, **kw)


def test_valid_file_loads(tmp_path):
    ts = load(tmp_path, GOOD_TARGET, check_coverage=False)
    (t,) = ts.targets
    assert t.regions == ("urumqi_changji", "shihezi_manas_shawan", "kuitun_dushanzi_wusu_karamay",
                         "bole_ebinur", "turpan_hami", "rest_of_xinjiang")
    assert list(t.observed.index) == [1990, 2000, 2010]


def test_unknown_variable_names_line_field_and_nearest(tmp_path):
    text = GOOD_TARGET.replace('variable = "population_10k"', 'variable = "population_10"')
    with pytest.raises(TargetFileError) as exc:
        load(tmp_path, text, check_coverage=False)
    msg = str(exc.value)
    assert "targets.toml:6:" in msg and "field 'variable'" in msg and "did you mean population_10k" in msg
    assert isinstance(exc.value, OasisError)


def test_unknown_series_and_wrong_unit(tmp_path):
    with pytest.raises(TargetFileError, match=r":3: field 'series': unknown series 'population_10'; did you mean population_10k"):
        load(tmp_path, GOOD_TARGET.replace('series = "population_10k"', 'series = "population_10"'), check_coverage=False)
    with pytest.raises(TargetFileError, match=r":5: field 'unit': series 'population_10k' is in '10\^4 persons'"):
        load(tmp_path, GOOD_TARGET.replace('unit = "10^4 persons"', 'unit = "persons"'), check_coverage=False)


def test_bad_weight_error_model_years(tmp_path):
    with pytest.raises(TargetFileError, match=r":7: field 'weight': expected a number in \[0, 100\]"):
        load(tmp_path, GOOD_TARGET.replace("weight = 1.0", "weight = -1"), check_coverage=False)
    with pytest.raises(TargetFileError, match="allowed: relative, absolute"):
        load(tmp_path, GOOD_TARGET + 'error = "squared"\n', check_coverage=False)
    with pytest.raises(TargetFileError, match="field 'years': expected \\[first, last\\]"):
        load(tmp_path, GOOD_TARGET + "years = [2010, 1990]\n", check_coverage=False)
    with pytest.raises(TargetFileError, match="no observation .* left after the year filter"):
        load(tmp_path, GOOD_TARGET + "years = [2030, 2040]\n", check_coverage=False)
    with pytest.raises(TargetFileError, match="excluded years need a reason"):
        load(tmp_path, GOOD_TARGET + "exclude_years = [2000]\n", check_coverage=False)


def test_unknown_field_suggests(tmp_path):
    with pytest.raises(TargetFileError, match=r":9: field 'wieght': unknown field; did you mean weight"):
        load(tmp_path, GOOD_TARGET + "wieght = 2\n", check_coverage=False)


def test_malformed_toml(tmp_path):
    with pytest.raises(TargetFileError, match="malformed TOML"):
        load(tmp_path, "[[target]\nseries = ", check_coverage=False)


def test_coverage_requires_every_series(tmp_path):
    with pytest.raises(TargetFileError, match=r"neither a target nor excluded with a reason: co2_total_mt@xinjiang"):
        load(tmp_path, GOOD_TARGET)
    ts = load(tmp_path, GOOD_TARGET + '\n[[excluded]]\nseries = ["co2_total_mt"]\nreason = "test"\n')
    assert len(ts.excluded) == 1


def test_overlapping_targets_rejected(tmp_path):
    with pytest.raises(TargetFileError, match="already in target"):
        load(tmp_path, GOOD_TARGET + GOOD_TARGET.replace("[[target]]", '[[target]]\nname = "second"'),
             check_coverage=False)


PARAMS = [Parameter("co2_per_fossil_tce", "t/tce", 2.2, 2.66, 2.45, "energy", "x"),
          Parameter("specific_yield", "Dmnl", 0.05, 0.2, 0.12, "water", "x")]


def write_config(tmp_path, free: str, settings: str = "") -> object:
    path = tmp_path / "calibration.toml"
    path.write_text(f"[settings]\nseed = 1\n{settings}\n{free}", encoding="utf-8")
    return path


def test_config_bounds_outside_documented_range(tmp_path):
    path = write_config(tmp_path, '[[free]]\nparameter = "co2_per_fossil_tce"\nlow = 2.0\nreason = "r"\n')
    with pytest.raises(TargetFileError, match=r"calibration.toml:6: field 'low': 2.0 is outside the documented range of 'co2_per_fossil_tce': 2.2-2.66"):
        load_config(path, parameters=PARAMS)


def test_config_unknown_parameter_and_lever(tmp_path):
    path = write_config(tmp_path, '[[free]]\nparameter = "co2_per_fossil"\nreason = "r"\n')
    with pytest.raises(TargetFileError, match="did you mean co2_per_fossil_tce"):
        load_config(path, parameters=PARAMS)
    path = write_config(tmp_path, '[[free]]\nparameter = "policy_start_year"\nreason = "r"\n')
    with pytest.raises(TargetFileError, match="is a policy lever; levers are not calibrated"):
        load_config(path, parameters=PARAMS)


def test_config_settings_errors(tmp_path):
    free = '[[free]]\nparameter = "specific_yield"\nreason = "r"\n'
    with pytest.raises(TargetFileError, match=r":3: field 'popsize': 1 is outside the allowed range 2-200"):
        load_config(write_config(tmp_path, free, "popsize = 1"), parameters=PARAMS)
    with pytest.raises(TargetFileError, match="unknown setting; did you mean maxiter"):
        load_config(write_config(tmp_path, free, "maxiterr = 3"), parameters=PARAMS)
    with pytest.raises(TargetFileError, match="every free parameter needs a reason"):
        load_config(write_config(tmp_path, '[[free]]\nparameter = "specific_yield"\n'), parameters=PARAMS)
    cfg = load_config(write_config(tmp_path, free), parameters=PARAMS)
    assert cfg.free[0].low == 0.05 and cfg.free[0].high == 0.2


def test_committed_files_are_valid():
    """The committed targets.toml covers every series of the data; calibration.toml is valid."""
    from sim import engine
    from sim.calibrate.config import DEFAULT_CONFIG

    cfg = load_config(DEFAULT_CONFIG)
    model = engine.compile(cfg.model_path())
    ts = load_targets(cfg.targets_path(), variables=model.variables)
    assert len(ts.fitted()) >= 20
    assert all(t.reason for t in ts.targets)
