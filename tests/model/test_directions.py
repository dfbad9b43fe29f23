"""Direction tests from the seed documents: levers move the model the way the strategy says."""
import numpy as np
import pytest

from sim import levers, scenarios


def _pair(compiled, changes, outputs, base="baseline"):
    base_levers = scenarios.load(base).levers
    params = {k: np.array([v, changes.get(k, v)]) for k, v in base_levers.items()}
    return compiled.run(params, n=2, outputs=outputs)


def _belt(ds, var):
    da = ds[var]
    return da.sel(Region=da.Region.values[:5]).sum("Region") if "Region" in da.dims else da


def test_total_water_cap_lowers_agricultural_water_use(compiled):
    ds = _pair(compiled, {"total_water_cap_enabled": 1, "total_water_cap_pct_of_base": 80},
               ["agricultural_water_use_1e8m3_per_yr"])
    agri = _belt(ds, "agricultural_water_use_1e8m3_per_yr").sel(time=[2035, 2060])
    assert (agri.isel(sample=1) < agri.isel(sample=0) * 0.99).all()


def test_farmland_retirement_raises_natural_oasis_and_groundwater(compiled):
    ds = _pair(compiled, {"farmland_retirement_pct_per_yr": 2},
               ["natural_oasis_kha", "groundwater_storage_1e8m3", "cultivated_land_kha"])
    for var in ("natural_oasis_kha", "groundwater_storage_1e8m3"):
        v = _belt(ds, var).sel(time=2060)
        assert float(v.isel(sample=1)) > float(v.isel(sample=0)), var
    crop = _belt(ds, "cultivated_land_kha").sel(time=2060)
    assert float(crop.isel(sample=1)) < float(crop.isel(sample=0))


def test_transfer_without_reclamation_cap_rebounds_cropland(compiled):
    """Seed-levers S4: supply-side transfers without demand control raise cultivated land."""
    ds = _pair(compiled, {"ertix_to_urumqi_transfer_1e8m3_per_yr": 10, "kashi_to_ebinur_transfer_1e8m3_per_yr": 6},
               ["cultivated_land_kha"])
    for region in ("urumqi_changji", "bole_ebinur"):
        crop = ds["cultivated_land_kha"].sel(Region=region, time=2060)
        assert float(crop.isel(sample=1)) > float(crop.isel(sample=0)), region


def test_transfer_with_reclamation_ban_does_not_rebound(compiled):
    ds = _pair(compiled, {"ertix_to_urumqi_transfer_1e8m3_per_yr": 10, "new_reclamation_pct_of_bau": 0},
               ["cultivated_land_kha"], base="baseline")
    crop = ds["cultivated_land_kha"].sel(Region="urumqi_changji")
    after = crop.isel(sample=1).sel(time=slice(2031, 2060)).values
    assert np.all(np.diff(after) <= 1e-9)  # never rises once the ban is fully in force


def test_ecological_priority_raises_ebinur_inflow_under_scarcity(compiled):
    ds = _pair(compiled, {"ecological_water_priority": 1, "ebinur_lake_min_inflow_1e8m3_per_yr": 4,
                          "total_water_cap_enabled": 1, "total_water_cap_pct_of_base": 80},
               ["ebinur_lake_inflow_1e8m3_per_yr", "ebinur_lake_area_km2"])
    inflow = ds["ebinur_lake_inflow_1e8m3_per_yr"].sel(time=2040)
    assert float(inflow.isel(sample=1)) > float(inflow.isel(sample=0))


def test_renewables_and_end_of_pipe_cut_emissions(compiled):
    ds = _pair(compiled, {"renewable_electricity_target_pct": 50, "end_of_pipe_extra_removal_pct": 80},
               ["co2_emissions_mt", "so2_emissions_kt"])
    for var in ("co2_emissions_mt", "so2_emissions_kt"):
        v = _belt(ds, var).sel(time=2040)
        assert float(v.isel(sample=1)) < float(v.isel(sample=0)), var


@pytest.mark.slow
@pytest.mark.parametrize("lever", [lv for lv in levers.levers() if lv.kind != "year"], ids=lambda lv: lv.id)
def test_every_lever_changes_the_results(compiled, lever):
    """A lever wired to nothing would leave every output unchanged."""
    base = scenarios.load("baseline").levers
    other = lever.high if base[lever.name] != lever.high else lever.low
    changes = {lever.name: other}
    if lever.name.startswith("total_water_cap_pct"):
        changes["total_water_cap_enabled"] = 1
    if lever.name.startswith("groundwater_pumping_cap_pct"):
        changes["groundwater_pumping_cap_enabled"] = 1
    if lever.name in ("transfer_conditional_on_saving", "transfer_ecological_share_pct"):
        changes["kashi_to_ebinur_transfer_1e8m3_per_yr"] = 4
    if lever.name == "farmland_redline_pct":
        changes["farmland_retirement_pct_per_yr"] = 3
    ds = _pair(compiled, changes, None)
    changed = [v for v in ds.data_vars if not np.allclose(ds[v].isel(sample=0), ds[v].isel(sample=1), rtol=1e-9, atol=0)]
    assert changed, f"lever {lever.name} changes nothing"
