"""sim.redlines on small synthetic results, with hand-computed expectations."""
import math

import numpy as np
import pytest
import xarray as xr

from sim import geography, levers, redlines

T = np.array([2023, 2024, 2025, 2026, 2027, 2028, 2029, 2030], dtype=float)
REG = geography.REGIONS  # the model's six regions
IU, IB = REG.index("urumqi_changji"), REG.index("bole_ebinur")
LEVERS = {"policy_start_year": 2025, "policy_ramp_years": 2}  # full phase-in 2027


def _ds():
    nt, nr = T.size, len(REG)
    zeros = np.zeros((1, nt, nr))
    farm_flag = zeros.copy()
    farm_flag[0, [3, 4], IU] = 1  # urumqi below its floor in 2026 and 2027
    floor = np.full((1, nt, nr), 90.0)
    floor[0, [3, 4], IU] = 105.0
    cap = np.full((1, nt, nr), 60.0)
    cap[0, :2, :] = 1e6  # no cap before the start year
    cap[0, 6:, IB] = 40.0  # bole's cap below its demand in 2029-2030
    cap_flag = zeros.copy()
    cap_flag[0, 6:, IB] = 1
    region = ("sample", "time", geography.REGION_DIM)
    return xr.Dataset({
        "farmland_floor_breached": (region, farm_flag),
        "cultivated_land_kha": (region, np.full((1, nt, nr), 100.0)),
        "farmland_floor_kha": (region, floor),
        "total_water_cap_exceeded": (region, cap_flag),
        "total_fresh_water_demand_1e8m3_per_yr": (region, np.full((1, nt, nr), 50.0)),
        "water_use_cap_1e8m3_per_yr": (region, cap),
        "groundwater_overdraft_flag": (region, zeros),
        "groundwater_overdraft_1e8m3_per_yr": (region, zeros),
        "groundwater_overdraft_tolerance_1e8m3_per_yr": (("sample", "time"), np.full((1, nt), 0.05)),
        "ecological_red_line_breached": (region, zeros),
        "natural_oasis_kha": (region, np.full((1, nt, nr), 10.0)),
        "natural_oasis_at_policy_start_kha": (region, np.full((1, nt, nr), 8.0)),
        "ebinur_lake_inflow_1e8m3_per_yr": (("sample", "time"), np.array([[5, 5, 5, 1, 1, 5, 5, 2.0]])),
    }, coords={"time": T, geography.REGION_DIM: REG, "sample": [0]})


def test_pure_pieces():
    assert redlines.margin([3.0], [1.0], "above").tolist() == [2.0]
    assert redlines.margin([3.0], [1.0], "below").tolist() == [-2.0]
    y = [1, 2, 3, 4]
    assert redlines.first_breach(y, [0, 1, 0, 1]) == 2
    assert redlines.recovery_year(y, [0, 1, 0, 1]) is None  # breached in the last year
    assert redlines.recovery_year(y, [1, 1, 0, 0]) == 3
    assert redlines.recovery_year(y, [1, 0, 1, 0]) == 4  # after the last breach
    assert redlines.first_breach(y, [0, 0, 0, 0]) is None and redlines.recovery_year(y, [0] * 4) is None
    assert redlines.policy_years(LEVERS) == (2025, 2027)
    with pytest.raises(ValueError):
        redlines.margin([1.0], [1.0], "sideways")


def test_farmland_floor_tightest_region_and_recovery():
    rows = {r.key: r for r in redlines.status(_ds(), LEVERS, "belt", years=(2024, 2026, 2030))}
    f = rows["farmland_floor_breached"]
    assert f.applicable and f.first_year == 2026 and f.recovery_year == 2028
    assert f.by_year[2024].breached is False and math.isnan(f.by_year[2024].margin)  # before the start
    assert f.by_year[2026].breached is True and f.by_year[2026].margin == -5.0  # urumqi: 100 - 105
    assert f.by_year[2030].breached is False and f.by_year[2030].margin == 10.0
    rest = redlines.line_status(_ds(), redlines.LINE["farmland_floor_breached"], LEVERS, "rest_of_xinjiang", (2026,))
    assert rest.first_year is None and rest.by_year[2026].margin == 10.0


def test_water_cap_applies_only_with_the_cap_lever():
    off = redlines.line_status(_ds(), redlines.LINE["total_water_cap_exceeded"], LEVERS, "belt", (2030,))
    assert not off.applicable and off.first_year is None and off.by_year[2030].breached is None
    on = {**LEVERS, levers.by_role("water_cap_switch").constant: 1}
    s = redlines.line_status(_ds(), redlines.LINE["total_water_cap_exceeded"], on, "belt", (2025, 2029, 2030))
    assert s.applicable and s.first_year == 2029 and s.recovery_year is None
    assert s.by_year[2025].margin == 10.0 and s.by_year[2030].margin == -10.0  # bole: 40 - 50
    core = redlines.line_status(_ds(), redlines.LINE["total_water_cap_exceeded"], on, "core", (2030,))
    assert core.first_year is None and core.by_year[2030].margin == 10.0


def test_ebinur_minimum_inflow_from_full_phase_in():
    line = redlines.LINE["ebinur_min_inflow"]
    assert not redlines.line_status(_ds(), line, LEVERS, "belt").applicable  # lever 0 = no line
    lv = {**LEVERS, levers.by_role("ebinur_min_inflow").constant: 3.0}
    s = redlines.line_status(_ds(), line, lv, "belt", (2026, 2027, 2028, 2030))
    assert s.first_year == 2027 and s.recovery_year is None  # 2026 is below 3 but before 2027
    assert s.by_year[2026].breached is False and math.isnan(s.by_year[2026].margin)
    assert (s.by_year[2027].margin, s.by_year[2028].margin, s.by_year[2030].margin) == (-2.0, 2.0, -1.0)


def test_other_lines_and_scorecard_text():
    rows = {r.key: r for r in redlines.status(_ds(), LEVERS, "belt", years=(2030,))}
    assert rows["groundwater_overdraft_flag"].by_year[2030].margin == pytest.approx(0.05)
    assert rows["ecological_red_line_breached"].by_year[2030].margin == 2.0
    assert list(rows) == [ln.key for ln in redlines.LINES]
    text = "\n".join(redlines.scorecard_lines(list(rows.values()), years=(2030,)))
    assert "not applicable" in text and "BREACH" not in text.split("Farmland")[0]
    assert "Farmland floor [kha]" in text and "2026" in text and "2028" in text


def test_a_year_outside_the_run_has_no_status():
    s = redlines.line_status(_ds(), redlines.LINE["farmland_floor_breached"], LEVERS, "belt", (2060,))
    assert s.by_year[2060].breached is None and math.isnan(s.by_year[2060].margin)


def test_missing_variables_give_nan_margins_not_errors():
    ds = _ds().drop_vars("natural_oasis_at_policy_start_kha")
    s = redlines.line_status(ds, redlines.LINE["ecological_red_line_breached"], LEVERS, "belt", (2030,))
    assert s.first_year is None and math.isnan(s.by_year[2030].margin)


def test_reference_lines():
    ds = _ds()
    (label, frame), = redlines.reference_lines(ds, LEVERS, "cultivated_land", "core")
    assert label == "ref_farmland_floor" and frame["year"].tolist() == [2025, 2026, 2027, 2028, 2029, 2030]
    assert frame["value"].tolist()[1] == 105.0 + 2 * 90.0  # urumqi + two other core regions
    assert redlines.reference_lines(ds, LEVERS, "water_use", "belt") == []  # no cap
    on = {**LEVERS, "total_water_cap_enabled": 1}
    (label, frame), = redlines.reference_lines(ds, on, "water_use", "bole_ebinur")
    assert frame["value"].tolist() == [60.0] * 4 + [40.0] * 2
    (label, frame), = redlines.reference_lines(ds, {**LEVERS, "ebinur_lake_min_inflow_1e8m3_per_yr": 3}, "ebinur_inflow", "belt")
    assert frame.to_dict("list") == {"year": [2027, 2030], "value": [3.0, 3.0]}


def test_every_role_is_played_by_one_lever():
    played = [lv.role for lv in levers.levers() if lv.role]
    assert sorted(played) == sorted(levers.ROLES)
    assert levers.by_role("policy_start").constant == "policy_start_year"
    assert levers.role_value({}, "policy_ramp") == levers.by_role("policy_ramp").default


def test_carbon_peak_line_by_hand():
    """Carbon peak: from 2031 on, Belt CO2 above its own 2030 value is a breach; margin =
    CO2(2030) - CO2(y) [Mt/yr], NaN up to 2030 (hand-computed series, two Belt regions emit)."""
    years = np.arange(2028, 2036, dtype=float)
    nr = len(REG)
    co2 = np.zeros((1, years.size, nr))
    # Belt total: 2028 90, 2029 95, 2030 100, 2031 103, 2032 101, 2033 99, 2034 100, 2035 100.0000001
    belt = np.array([90, 95, 100, 103, 101, 99, 100, 100.0000001])
    co2[0, :, IU] = belt * 0.6
    co2[0, :, IB] = belt * 0.4
    co2[0, :, REG.index("rest_of_xinjiang")] = 1000.0  # outside the Belt: must not count
    ds = xr.Dataset({"co2_emissions_mt": (("sample", "time", geography.REGION_DIM), co2)},
                    coords={"time": years, geography.REGION_DIM: REG, "sample": [0]})
    line = redlines.LINE["carbon_peak_2030"]
    b = redlines.breached(ds, line, LEVERS, "belt")
    # 2035 exceeds 2030 by 1e-9 relative, inside the 1e-6 tolerance
    assert b.tolist() == [False, False, False, True, True, False, False, False]
    m = redlines.margins(ds, line, LEVERS, "belt")
    assert np.isnan(m[:3]).all()
    np.testing.assert_allclose(m[3:], [-3, -1, 1, 0, -1e-7], atol=1e-9)
    st = redlines.line_status(ds, line, LEVERS, "belt", years=(2030, 2031, 2033))
    assert st.first_year == 2031 and st.recovery_year == 2033 and st.applicable
    assert st.by_year[2031].breached and not st.by_year[2033].breached
    refs = redlines.reference_lines(ds, LEVERS, "co2", "belt")
    assert refs[0][0] == "ref_carbon_peak" and refs[0][1]["value"].tolist() == [100.0] * 6
