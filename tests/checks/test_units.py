"""Units: the parser, the checker on small models, and the Tianshan model itself."""
import pytest

from sim.checks.units import DMNL, UnitParseError, check_units, parse_unit


@pytest.mark.parametrize("text, dims_of, scale", [
    ("kha", "m2", 1e7), ("kha/Year", "m2/Year", 1e7), ("1e8 m3/Year", "m3/Year", 1e8), ("Dmnl", "Dmnl", 1),
    ("%", "Dmnl", 0.01), ("m3/(1e4 yuan)", "m3/yuan", 1e-4), ("10k persons", "person", 1e4),
    ("t/tce", "t/tce", 1), ("Mt/Year", "t/Year", 1e6), ("1e8 yuan/Year/Year", "yuan/Year/Year", 1e8),
    ("m3/ha/Year", "m/Year", 1e-4), ("percentage points", "Dmnl", 0.01), ("Year [0,?]", "Year", 1),
    ("t/km2/Year", "t/m2/Year", 1e-6), ("tce/person/Year", "tce/person/Year", 1), ("1/Year", "1/Year", 1),
])
def test_parse_unit(text, dims_of, scale):
    u = parse_unit(text)
    ref = DMNL if dims_of == "Dmnl" else parse_unit(dims_of)
    assert u.same_dims(ref)
    assert u.scale == pytest.approx(scale)


@pytest.mark.parametrize("text", ["furlongs", "m3/(", "1e8 ^", "kg//s"])
def test_parse_unit_errors(text):
    with pytest.raises(UnitParseError):
        parse_unit(text)


MODEL = """{UTF-8}
area = INTEG(growth, 10)
	~	kha
	~	|
growth = area * rate %s
	~	kha/Year
	~	|
rate = 0.1
	~	1/Year
	~	|
share_pct = 50
	~	%%
	~	|
part = share_pct / 100 * area
	~	kha
	~	|
water = area * quota * 1e-05
	~	1e8 m3/Year
	~	|
quota = 7000
	~	m3/ha/Year
	~	|
mixed = area + water %s
	~	kha
	~	|
capped = MIN(water, 1e+06) + IF THEN ELSE(area > 0, water, 0)
	~	1e8 m3/Year
	~	|
frac = XIDZ(water, water, 1) ^ rate_e
	~	Dmnl
	~	|
rate_e = 0.8
	~	Dmnl
	~	|
INITIAL TIME = 0
	~	Year
	~	|
FINAL TIME = 10
	~	Year
	~	|
TIME STEP = 1
	~	Year
	~	|
SAVEPER = 1
	~	Year
	~	|
"""


def _check(tmp_path, growth_extra="", mixed_extra=""):
    p = tmp_path / "m.mdl"
    p.write_text(MODEL % (growth_extra, mixed_extra))
    return check_units(p)


def test_clean_small_model(tmp_path):
    p = tmp_path / "m.mdl"
    text = MODEL % ("", "")
    text = text.replace("mixed = area + water \n", "mixed = area + part\n")
    p.write_text(text)
    assert check_units(p) == []


def test_dimension_and_scale_mismatches_found(tmp_path):
    findings = _check(tmp_path)
    assert any(f.variable == "mixed" and f.severity == "error" for f in findings)
    findings = _check(tmp_path, growth_extra="+ area")
    assert any(f.variable == "growth" and f.severity == "error" for f in findings)
    text = (MODEL % ("", "")).replace("share_pct / 100 * area", "share_pct * area")
    (tmp_path / "s.mdl").write_text(text)
    scale = [f for f in check_units(tmp_path / "s.mdl") if f.variable == "part"]
    assert scale and scale[0].severity == "warning" and "0.01" in scale[0].message


def test_tianshan_units_consistent():
    """The model passes the dimensional check (the lake hypsometry once raised a volume to a
    non-integer power; fixed with lake_reference_volume_1e8m3)."""
    findings = check_units()
    assert not findings, "\n".join(map(str, findings))
