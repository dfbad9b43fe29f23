"""sim.app_support and sim.i18n: ensemble, observed overlays, reference lines, red lines, strings."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import app_support as sup, geography, i18n, indicators, levers as levers_mod, redlines, scenarios
from sim.data import load_series


@pytest.fixture(scope="module")
def model():
    from sim import engine
    from sim.model import DEFAULT_MODEL

    return engine.compile(DEFAULT_MODEL)


def test_every_string_has_both_languages():
    for key, entry in i18n.STRINGS.items():
        assert set(entry) == {"en", "zh"}, key
        assert entry["en"] and entry["zh"], key
        assert entry["en"] != entry["zh"] or "{" in entry["en"], key
    for geo in geography.GEOGRAPHIES:
        assert i18n.region_name(geo, "zh") != i18n.region_name(geo, "en")
    for ind in indicators.ALL_INDICATORS.values():
        assert ind.units in i18n.UNITS_ZH, ind.units
    for lv in levers_mod.levers():
        assert lv.units in i18n.UNITS_ZH, lv.units
    with pytest.raises(KeyError):
        i18n.t("no_such_key")


def test_prior_ensemble_is_fixed_seed_and_narrowed():
    a, b = sup.prior_ensemble(20), sup.prior_ensemble(20)
    assert a.kind == "prior" and a.n == 20 and a.k == len(levers_mod.parameters())
    for p in levers_mod.parameters():
        x = a.params[p.constant]
        np.testing.assert_array_equal(x, b.params[p.constant])
        half = 0.25 * (p.high - p.low) + 1e-12
        assert x.min() >= max(p.low, p.default - half) and x.max() <= min(p.high, p.default + half)
        # Latin hypercube: one draw per stratum
        lo, hi = max(p.low, p.default - half), min(p.high, p.default + half)
        if hi > lo:
            strata = np.floor((x - lo) / (hi - lo) * 20).clip(0, 19)
            assert len(set(strata)) == 20


def test_ensemble_file_replaces_prior(tmp_path, monkeypatch):
    params = levers_mod.parameters()[:3]
    frame = pd.DataFrame({p.constant: np.linspace(p.low, p.high, 7) for p in params} | {"weight": 1.0})
    path = tmp_path / "ensemble.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setattr(sup, "ENSEMBLE_FILES", [path])
    ens = sup.load_ensemble()
    assert ens.kind == "file" and ens.n == 7 and ens.k == 3 and ens.source == str(path)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"nothing_known": [1.0]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="no column"):
        sup.ensemble_from_file(bad)


def test_ensemble_run_central_equals_single_run_and_bands_bracket(model):
    values = scenarios.load("S2_cae_strategy").levers
    single = sup.run(model, values)
    ens = sup.run(model, values, sup.prior_ensemble(12))
    assert ens.sizes["sample"] == 13
    s1, s2 = sup.summarise(single, values, "belt"), sup.summarise(ens, values, "belt")
    pd.testing.assert_frame_equal(s1.central, s2.central)
    assert s1.digest == s2.digest and not s1.bands
    band = s2.bands["gdp"].set_index("year")
    assert (band["lo"] <= band["hi"]).all() and (band.loc[2060, "hi"] > band.loc[2060, "lo"])


def test_observed_overlays_match_geography_and_units():
    series = load_series()
    crop = sup.observed(series, "cultivated_land", "xinjiang")
    raw = series[(series.series_id == "cropland_km2_landsat") & (series.geography == "xinjiang") & (series.year >= 1985)]
    np.testing.assert_allclose(sorted(crop.value), sorted(raw.value / 10))  # km² -> kha
    assert not sup.observed(series, "co2", "core").empty  # tns_core CO2 counts for the TNS core
    assert sup.observed(series, "co2", "belt").empty  # no statistics for the 5-region belt
    assert sup.observed(series, "gdp", "urumqi_changji").empty
    assert not sup.observed(series, "ebinur_area", "belt").empty  # lake: one geography


def test_reference_lines_and_red_lines(model):
    s2 = scenarios.load("S2_cae_strategy").levers
    ds = sup.run(model, s2)
    refs = {k: sup.reference_lines(ds, s2, k, "belt") for k in
            ("cultivated_land", "water_use", "overdraft", "ebinur_inflow", "renewable_share", "gdp")}
    assert refs["gdp"] == []
    floor = refs["cultivated_land"][0][1]
    assert floor.year.min() == 2017 and (floor.value > 0).all()
    assert refs["water_use"][0][0] == "ref_water_cap"
    assert (refs["overdraft"][0][1].value == 0).all()
    assert refs["ebinur_inflow"][0][1].value.iloc[0] == s2["ebinur_lake_min_inflow_1e8m3_per_yr"]
    assert refs["renewable_share"][0][1].value.iloc[0] == s2["renewable_electricity_target_pct"]
    base = levers_mod.defaults()
    assert sup.reference_lines(sup.run(model, base), base, "water_use", "belt") == []  # no cap set
    rows = {r.key: r for r in sup.red_lines(ds, s2, "belt")}
    assert set(rows) == set(redlines.FLAGS) | {"ebinur_min_inflow", "carbon_peak_2030"}
    assert rows["ebinur_min_inflow"].applicable
    # carbon peak, checked against the run's own Belt CO2: breached in a year after 2030 exactly
    # when CO2 is above its 2030 value
    co2 = ds["co2_emissions_mt"].isel(sample=0).sel(Region=list(geography.regions_of("belt"))).sum("Region")
    later = co2.sel(time=slice(2031, None))
    above = later.values > float(co2.sel(time=2030)) * (1 + 1e-6)
    first = float(later.time.values[above][0]) if above.any() else None
    assert rows["carbon_peak_2030"].first_year == first
    # an unreachable minimum inflow is reported as breached from the full phase-in year
    strict = dict(s2, ebinur_lake_min_inflow_1e8m3_per_yr=8.0, kashi_to_ebinur_transfer_1e8m3_per_yr=0.0)
    ds_strict = sup.run(model, strict)
    year = sup.ebinur_shortfall_year(ds_strict, strict)
    inflow = ds_strict["ebinur_lake_inflow_1e8m3_per_yr"].isel(sample=0).sel(time=year).item() if year else None
    assert year is None or inflow < 8.0


def test_trust_files_absent_or_present(tmp_path, monkeypatch):
    monkeypatch.setattr(sup, "FIT_REPORT_FILES", [tmp_path / "REPORT.md"])
    monkeypatch.setattr(sup, "FIT_STAT_FILES", [tmp_path / "fit.csv"])
    assert sup.load_sensitivity(tmp_path / "none.csv") is None
    assert sup.fit_report() == (None, None, [])
    idx = tmp_path / "indices.csv"
    pd.DataFrame([{"method": "sobol", "output": "gdp", "year": 2060, "factor": "a", "index": "ST",
                   "value": 0.5, "conf": 0.1}]).to_csv(idx, index=False)
    assert len(sup.load_sensitivity(idx)) == 1
    pd.DataFrame({"method": ["x"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="missing columns"):
        sup.load_sensitivity(tmp_path / "bad.csv")
    (tmp_path / "REPORT.md").write_text("# Fit\nok")
    text, stats, found = sup.fit_report()
    assert text.startswith("# Fit") and stats is None and found


def test_fmt_number():
    assert sup.fmt_number(12345.6) == "12,346"
    assert sup.fmt_number(123.4) == "123"
    assert sup.fmt_number(12.34) == "12.3"
    assert sup.fmt_number(1.234) == "1.23"
    assert sup.fmt_number(0.01234) == "0.0123"
    assert sup.fmt_number(float("nan")) == "–"
