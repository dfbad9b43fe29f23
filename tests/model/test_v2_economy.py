"""Model v2, population and economy (issue 11): directions, one analytic check, data traceability."""
import importlib.util
import re

import numpy as np
import pytest

from sim import model, scenarios

ROOT = model.REPO_ROOT
BELT = ["urumqi_changji", "shihezi_manas_shawan", "kuitun_dushanzi_wusu_karamay", "bole_ebinur", "turpan_hami"]


def _run(compiled, rows, outputs):
    """One sample per dict of changes on top of the baseline levers."""
    base = scenarios.load("baseline").levers
    names = set(base) | {k for r in rows for k in r}
    params = {k: np.array([r.get(k, base.get(k)) for r in rows], dtype=float)
              for k in names if all(r.get(k, base.get(k)) is not None for r in rows)}
    return compiled.run(params, n=len(rows), outputs=outputs)


def test_tertiary_premium_raises_the_tertiary_share_not_total_output(compiled):
    """Lever I2 (model v2): a structural premium on the tertiary share of non-heavy non-farm output."""
    ds = _run(compiled, [{}, {"tertiary_growth_premium_pct_per_yr": 3}],
              ["tertiary_share_of_gdp", "non_heavy_non_farm_va_1e8yuan", "other_industry_va_1e8yuan"])
    share = ds["tertiary_share_of_gdp"].sel(time=[2035, 2060])
    assert (share.isel(sample=1) > share.isel(sample=0) + 0.01).all()
    before = ds["tertiary_share_of_gdp"].sel(time=slice(1990, 2024))
    assert np.allclose(before.isel(sample=0), before.isel(sample=1), rtol=1e-12)  # never changes history
    other = ds["other_industry_va_1e8yuan"].sel(time=2060)
    assert (other.isel(sample=1) < other.isel(sample=0)).all()


def test_binding_water_cap_slows_the_sectors_that_use_the_water(compiled):
    """A total water-use cap that binds lowers other-industry output and primary output."""
    rows = [{}, {"total_water_cap_enabled": 1, "total_water_cap_pct_of_base": 70}]
    ds = _run(compiled, rows, ["other_industry_va_1e8yuan", "primary_va_1e8yuan", "industrial_water_supply_ratio",
                               "agricultural_water_supply_ratio"])
    ind = ds["industrial_water_supply_ratio"].sel(time=2040)
    binding = [r for r in ind.Region.values
               if float(ind.sel(Region=r).isel(sample=1)) < float(ind.sel(Region=r).isel(sample=0)) - 1e-6]
    assert binding, "the cap does not bind anywhere"
    for var in ("other_industry_va_1e8yuan", "primary_va_1e8yuan"):
        v = ds[var].sel(time=2040, Region=binding).sum("Region")
        assert float(v.isel(sample=1)) < float(v.isel(sample=0)), var


def test_logistic_urbanisation_matches_its_closed_form(compiled):
    """u' = s u (1 - u/umax) with constant s: u(t) = umax / (1 + (umax/u0 - 1) exp(-s (t - 1990)))."""
    ds = compiled.run({}, outputs=["urban_share", "urbanisation_speed_per_yr", "urban_share_max"])
    s = float(np.squeeze(ds["urbanisation_speed_per_yr"].values.ravel()[0]))
    umax = float(np.squeeze(ds["urban_share_max"].values.ravel()[0]))
    u = ds["urban_share"].isel(sample=0)
    u0 = u.sel(time=1990)
    t = u.time - 1990
    exact = umax / (1 + (umax / u0 - 1) * np.exp(-s * t))
    # Euler with TIME STEP 0.25: first-order error, well below 1 % of the share over 70 years
    assert float(abs(u / exact - 1).max()) < 0.01
    assert float(u.sel(time=2060).min()) < umax


def test_xinjiang_population_follows_the_ssp_growth_path_after_2019(compiled):
    """Migration between regions sums to zero, so the Xinjiang total follows the SSP2 path re-based to 2019."""
    import csv

    ds = compiled.run({}, outputs=["population_10k"])
    pop = ds["population_10k"].isel(sample=0).sum("Region")
    path = {}
    with open(ROOT / "calibration" / "data" / "raw" / "gcamchina_xinjiang_pop_gdp_projection_2019_2100.csv",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["series"] == "population" and r["geography"] == "Xinjiang" and r["scenario"] == "GCAM-China SSP2":
                path[int(r["year"])] = float(r["value"])
    for year in (2030, 2045, 2060):
        model_ratio = float(pop.sel(time=year) / pop.sel(time=2019))
        assert model_ratio == pytest.approx(path[year] / path[2019], rel=2e-3), year


def test_population_path_position_spans_the_ssp_envelope(compiled):
    ds = _run(compiled, [{"population_ssp_path_position": -1}, {"population_ssp_path_position": 0},
                         {"population_ssp_path_position": 1}],
              ["population_10k"])
    ratio = (ds["population_10k"].sum("Region").sel(time=2060) / ds["population_10k"].sum("Region").sel(time=2019))
    lo, mid, hi = (float(ratio.isel(sample=i)) for i in range(3))
    assert lo == pytest.approx(24.543 / 25.162, rel=3e-3) and hi == pytest.approx(28.267 / 25.162, rel=3e-3)
    assert lo < mid < hi


def test_regional_population_shares_move_towards_higher_income(compiled):
    ds = compiled.run({}, outputs=["population_10k", "gdp_per_capita_yuan", "xinjiang_gdp_per_capita_yuan"])
    pop = ds["population_10k"].isel(sample=0)
    share = pop / pop.sum("Region")
    rel = (ds["gdp_per_capita_yuan"] / ds["xinjiang_gdp_per_capita_yuan"]).isel(sample=0).sel(time=2019)
    richest = str(rel.idxmax("Region").values)
    poorest = str(rel.idxmin("Region").values)
    assert float(share.sel(Region=richest, time=2060)) > float(share.sel(Region=richest, time=1990))
    assert float(share.sel(Region=poorest, time=2060)) < float(share.sel(Region=poorest, time=1990))
    assert float(pop.sum("Region").sel(time=1990)) == pytest.approx(1529.16)


def test_the_mdl_carries_the_derived_lookups(info):
    """calibration/derived/model_lookups.csv (derive_model_inputs.py) equals the lookup tables of the .mdl."""
    spec = importlib.util.spec_from_file_location("derive", ROOT / "calibration" / "scripts" / "derive_model_inputs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = mod.derive_lookups()
    text = (ROOT / "sd_models" / "tianshan.mdl").read_text(encoding="utf-8")
    for name, points in mod.lookup_definitions(rows).items():
        m = re.search(re.escape(name) + r"\(\s*\n\s*(\[.*?\))\)\s*\n", text)
        assert m, name
        assert m.group(1) == mod.mdl_lookup_text(name, points), name
    out = mod.write_lookups(rows, ROOT / ".oasis_cache" / "model_lookups_test.csv")
    assert out.read_text() == (ROOT / "calibration" / "derived" / "model_lookups.csv").read_text()
