"""The Tianshan model translates with pysd and runs under every preset and 50 random lever draws,
conserving land and closing its water balance."""
import warnings

import numpy as np
import pytest

from sim import scenarios
from sim.geography import SUBRANGES
from sim.model import DEFAULT_MODEL as MODEL

BELT = SUBRANGES["Belt"]


@pytest.mark.pysd
@pytest.mark.slow
def test_pysd_translates_and_runs_without_warnings():
    import shutil

    import pysd

    from sim.engine.cache import cache_dir

    folder = cache_dir() / "test-translate"
    folder.mkdir(parents=True, exist_ok=True)
    mdl = folder / MODEL.name
    shutil.copyfile(MODEL, mdl)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = pysd.read_vensim(str(mdl))
    df = m.run(return_columns=["cultivated_land_kha", "groundwater_storage_1e8m3", "xinjiang_gdp_1e8yuan"])
    assert df.index[0] == 1990 and df.index[-1] == 2060 and len(df) == 71
    crop = df.filter(like="cultivated_land_kha")
    assert crop.shape[1] == 6 and np.isfinite(crop.values).all() and (crop.values > 0).all()


def test_control_parameters(info):
    assert info.variable("initial_time").equations[0].endswith("1990")
    assert info.variable("final_time").equations[0].endswith("2060")
    assert float(info.variable("time_step").equations[0].split("=")[1]) <= 0.25
    assert info.variable("saveper").equations[0].endswith("1")


def test_no_nan_and_no_negative_stocks(matrix_run, info):
    names, _, ds = matrix_run
    for var in ds.data_vars:
        values = ds[var].values
        assert np.isfinite(values).all(), f"{var} has NaN/inf"
    stocks = [v.name for v in info.variables.values() if v.kind == "stock"]
    assert len(stocks) >= 10
    for stock in stocks:
        worst = float(ds[stock].min())
        where = names[int(ds[stock].min(dim=[d for d in ds[stock].dims if d != "sample"]).argmin())]
        assert worst >= -1e-9, f"{stock} goes negative ({worst}) in {where}"


def test_land_area_is_conserved(matrix_run):
    _, _, ds = matrix_run
    total = sum(ds[v] for v in ("cultivated_land_kha", "built_up_land_kha", "natural_oasis_kha",
                                "transition_zone_kha", "desertified_land_kha", "desert_kha"))
    area = ds["region_area_kha"]
    rel = np.abs((total - area) / area)
    assert float(rel.max()) < 1e-9


def test_surface_water_balance_closes(matrix_run):
    _, _, ds = matrix_run
    inflow = (ds["surface_inflow_1e8m3_per_yr"] + ds["transfer_inflow_1e8m3_per_yr"]
              + ds["groundwater_spring_discharge_1e8m3_per_yr"])
    out = (ds["river_seepage_recharge_1e8m3_per_yr"] + ds["surface_water_withdrawal_1e8m3_per_yr"]
           + ds["surface_outflow_1e8m3_per_yr"])
    assert float(np.abs(inflow - out).max()) < 1e-9 * float(inflow.max())
    assert float(ds["surface_outflow_1e8m3_per_yr"].min()) >= -1e-9
    use = sum(ds[v] for v in ("domestic_water_use_1e8m3_per_yr", "industrial_water_use_1e8m3_per_yr",
                              "agricultural_water_use_1e8m3_per_yr", "ecological_water_use_1e8m3_per_yr"))
    use = use - ds["reclaimed_water_use_1e8m3_per_yr"]  # reclaimed water is not withdrawn
    sources = ds["surface_water_withdrawal_1e8m3_per_yr"] + ds["groundwater_pumping_1e8m3_per_yr"]
    assert float(np.abs(use - sources).max()) < 1e-9 * float(use.max())


def test_groundwater_and_lake_balances_close(compiled):
    """With TIME STEP = SAVEPER = 1, each stock changes by exactly its net flow (Euler)."""
    ds = compiled.run(scenarios.load("S2_cae_strategy").levers, time_step=1)
    storage = ds["groundwater_storage_1e8m3"]
    net = (ds["groundwater_recharge_1e8m3_per_yr"] - ds["groundwater_pumping_1e8m3_per_yr"]
           - ds["groundwater_natural_discharge_1e8m3_per_yr"])
    change = storage.diff("time").values
    assert np.allclose(change, net.isel(time=slice(None, -1)).values, rtol=1e-10, atol=1e-9)
    lake = ds["ebinur_lake_volume_1e8m3"]
    lake_net = (ds["ebinur_lake_inflow_1e8m3_per_yr"] - ds["ebinur_lake_evaporation_1e8m3_per_yr"]
                - ds["ebinur_lake_overflow_1e8m3_per_yr"])
    assert np.allclose(lake.diff("time").values, lake_net.isel(time=slice(None, -1)).values, rtol=1e-10, atol=1e-9)


def test_levers_do_not_change_history(matrix_run):
    """Levers act from the policy start year: every run equals the baseline in every year
    before 2017, the earliest allowed start year (in the start year itself caps already bind)."""
    names, params, ds = matrix_run
    before = ds["xinjiang_gdp_1e8yuan"].sel(time=slice(1990, 2016))
    base = before.isel(sample=names.index("baseline"))
    assert np.allclose(before.values, base.values[None, :], rtol=1e-12)
