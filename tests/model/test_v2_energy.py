"""Model v2, energy and emissions (issue 13): directions of the energy levers and independent
recomputations of CO2 and of the electricity balance from the model outputs."""
import numpy as np
import pytest

from sim import scenarios

YEARS = [2035, 2060]


def _pair(compiled, changes, outputs, base="baseline"):
    base_levers = scenarios.load(base).levers
    params = {k: np.array([v, changes.get(k, v)]) for k, v in base_levers.items()}
    for k, v in changes.items():  # constants that are not levers: model default vs the change
        if k not in params:
            params[k] = np.array([float(np.ravel(compiled.variables[compiled.resolve(k)].default)[0]), v])
    return compiled.run(params, n=2, outputs=outputs)


def _tot(ds, var, belt=False):
    da = ds[var]
    if "Region" in da.dims:
        da = da.sel(Region=da.Region.values[:5]) if belt else da
        da = da.sum("Region")
    return da


def _lower(ds, var, years=YEARS, factor=1.0, belt=False):
    v = _tot(ds, var, belt).sel(time=years)
    return bool((v.isel(sample=1) < v.isel(sample=0) * factor).all())


@pytest.mark.parametrize("changes", [
    {"carbon_price_cny_per_t": 200},
    {"renewable_electricity_target_pct": 60},  # the registry maximum: the target acts only above the trend share
    {"clean_coal_power_efficiency_gain_pct": 10},
    {"backward_capacity_retirement_pct_per_yr": 10},
    {"clean_heating_share_pct": 100},
    {"non_power_coal_reduction_pct": 40},
])
def test_energy_levers_lower_co2(compiled, changes):
    ds = _pair(compiled, changes, ["co2_emissions_mt"])
    assert _lower(ds, "co2_emissions_mt", factor=0.999), changes


def test_carbon_price_and_renewables_lower_co2_substantially(compiled):
    ds = _pair(compiled, {"carbon_price_cny_per_t": 300, "renewable_electricity_target_pct": 60},
               ["co2_emissions_mt"])
    assert _lower(ds, "co2_emissions_mt", factor=0.85)


def test_s1_raises_co2_water_use_and_heavy_industry(compiled):
    s1 = scenarios.load("S1_national_energy_base").levers
    ds = _pair(compiled, s1, ["co2_emissions_mt", "total_water_use_1e8m3_per_yr", "heavy_industry_va_1e8yuan",
                              "heavy_industry_water_demand_1e8m3_per_yr"])
    for var in ("co2_emissions_mt", "total_water_use_1e8m3_per_yr", "heavy_industry_va_1e8yuan",
                "heavy_industry_water_demand_1e8m3_per_yr"):
        v = _tot(ds, var, belt=True).sel(time=YEARS)
        assert (v.isel(sample=1) > v.isel(sample=0)).all(), var


def test_end_of_pipe_lowers_so2_nox_not_co2(compiled):
    ds = _pair(compiled, {"end_of_pipe_extra_removal_pct": 80},
               ["co2_emissions_mt", "so2_emissions_kt", "nox_emissions_kt"])
    assert _lower(ds, "so2_emissions_kt", factor=0.8)
    assert _lower(ds, "nox_emissions_kt", factor=0.8)
    co2 = ds["co2_emissions_mt"]
    np.testing.assert_allclose(co2.isel(sample=1).values, co2.isel(sample=0).values, rtol=1e-12)


def test_emission_trading_lowers_so2_nox_not_co2(compiled):
    ds = _pair(compiled, {"pollutant_trading_enabled": 1, "pollutant_trading_cap_pct_of_bau": 70},
               ["co2_emissions_mt", "so2_emissions_kt", "nox_emissions_kt"])
    assert _lower(ds, "so2_emissions_kt", factor=0.75) and _lower(ds, "nox_emissions_kt", factor=0.75)
    co2 = ds["co2_emissions_mt"]
    np.testing.assert_allclose(co2.isel(sample=1).values, co2.isel(sample=0).values, rtol=1e-12)


def test_consumption_view_removes_exported_power_co2(compiled):
    ds = _pair(compiled, {"co2_accounting_consumption_view": 1},
               ["co2_emissions_mt", "co2_scope1_mt", "co2_exported_electricity_mt"])
    scope1 = ds["co2_scope1_mt"].isel(sample=1)
    np.testing.assert_allclose(ds["co2_emissions_mt"].isel(sample=0).values, scope1.values, rtol=1e-12)
    np.testing.assert_allclose(ds["co2_emissions_mt"].isel(sample=1).values,
                               (scope1 - ds["co2_exported_electricity_mt"].isel(sample=1)).values, rtol=1e-9)
    assert float(ds["co2_exported_electricity_mt"].isel(sample=1).sel(time=2019).sum()) > 0


def test_co2_equals_fuels_times_factors(compiled):
    """Independent check: CO2 recomputed from fuel use and the emission factors."""
    outs = ["co2_scope1_mt", "coal_use_mtce", "oil_use_mtce", "gas_use_mtce", "co2_process_mt",
            "co2_per_coal_tce", "co2_per_oil_tce", "co2_per_gas_tce", "co2_power_heat_mt",
            "co2_industry_excl_power_mt", "co2_heavy_sector_mt"]
    ds = compiled.run({"carbon_price_cny_per_t": np.array([0.0, 150.0])}, n=2, outputs=outs)
    recomputed = (ds.coal_use_mtce * ds.co2_per_coal_tce + ds.oil_use_mtce * ds.co2_per_oil_tce
                  + ds.gas_use_mtce * ds.co2_per_gas_tce + ds.co2_process_mt)
    np.testing.assert_allclose(recomputed.values, ds.co2_scope1_mt.values, rtol=1e-9)
    # the parts never exceed the whole
    assert (ds.co2_power_heat_mt + ds.co2_industry_excl_power_mt <= ds.co2_scope1_mt * (1 + 1e-9)).all()
    assert (ds.co2_heavy_sector_mt.sum("HeavySector") <= ds.co2_industry_excl_power_mt * (1 + 1e-9)).all()


def test_electricity_balance(compiled):
    """Independent check: generation = final use + losses + exports; renewables + thermal = generation."""
    outs = ["electricity_generation_1e8kwh", "electricity_demand_1e8kwh_per_yr", "electricity_loss_rate",
            "electricity_exports_1e8kwh_per_yr", "thermal_generation_1e8kwh", "renewable_generation_1e8kwh",
            "xinjiang_electricity_exports_1e8kwh_per_yr", "electricity_export_share"]
    ds = compiled.run({"heavy_industry_growth_pct_of_bau": np.array([100.0, 160.0])}, n=2, outputs=outs)
    np.testing.assert_allclose(ds.electricity_generation_1e8kwh.values,
                               (ds.electricity_demand_1e8kwh_per_yr * (1 + ds.electricity_loss_rate)
                                + ds.electricity_exports_1e8kwh_per_yr).values, rtol=1e-9)
    total = ds.electricity_generation_1e8kwh.sum("Region")
    np.testing.assert_allclose((ds.thermal_generation_1e8kwh.sum("Region") + ds.renewable_generation_1e8kwh).values,
                               total.values, rtol=1e-9)
    np.testing.assert_allclose(ds.xinjiang_electricity_exports_1e8kwh_per_yr.values,
                               (ds.electricity_export_share * total).values, rtol=1e-9, atol=1e-9)


def test_heavy_industry_total_is_sum_of_sectors(compiled):
    ds = compiled.run(None, outputs=["heavy_industry_va_1e8yuan", "heavy_sector_va_1e8yuan", "coal_power_va_1e8yuan"])
    np.testing.assert_allclose(ds.heavy_industry_va_1e8yuan.values,
                               (ds.heavy_sector_va_1e8yuan.sum("HeavySector") + ds.coal_power_va_1e8yuan).values,
                               rtol=1e-9)


def test_current_policies_peak_and_intensity(compiled):
    cp = scenarios.load("current_policies").levers
    params = {k: np.array([v]) for k, v in cp.items()}
    ds = compiled.run(params, n=1, outputs=["xinjiang_co2_emissions_mt", "xinjiang_co2_intensity_t_per_1e4yuan"])
    co2 = ds.xinjiang_co2_emissions_mt.isel(sample=0).sel(time=slice(2019, 2060))
    peak = int(co2.time[int(co2.values.argmax())])
    assert 2019 < peak <= 2030, peak
    ci = ds.xinjiang_co2_intensity_t_per_1e4yuan.isel(sample=0)
    assert float(ci.sel(time=2025)) <= 0.82 * float(ci.sel(time=2020))
    assert float(ci.sel(time=2030)) <= 0.82 * float(ci.sel(time=2025))
