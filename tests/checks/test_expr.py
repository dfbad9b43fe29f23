"""The predicate language: parsing, safety and evaluation semantics."""
import numpy as np
import pytest
import xarray as xr

from sim.checks import expr as E
from sim.errors import OasisError


def _ds():
    t = np.arange(1990.0, 1995.0)
    x = xr.DataArray(np.array([[[1.0, 2.0], [2, 3], [3, 4], [4, 5], [5, 6]],
                               [[1.0, 2.0], [0, 3], [3, 4], [4, 5], [5, np.nan]]]),
                     dims=("sample", "time", "Region"), coords={"time": t, "Region": ["a", "b"]})
    return xr.Dataset({"x": x, "k": xr.DataArray([1.0, 2.0], dims=("sample",))})


def _eval(text, **kw):
    ctx = E.Context(_ds(), geographies={"all": ["a", "b"], "xinjiang": ["a", "b"]}, **kw)
    return E.evaluate(E.parse(text), ctx), ctx


@pytest.mark.parametrize("text", ["x >= 0", "0 <= x <= 10 and not (x < 0)", "abs(-x) == x",
                                  "min(x, 1) <= 1", "sum(x, \"all\") > 0", "diff(x) > -10",
                                  "x / initial(x) > 0", "x - ref(x) == 0", "at(x, 1990) > 0",
                                  "time >= 1990", "2 ^ 2 == 4", "-x < 1e9 or x == 1"])
def test_parse_and_evaluate(text):
    val, _ = _eval(text)
    assert val.dtype == bool


def test_nan_is_a_failure_not_masked():
    val, _ = _eval("x >= 0")
    assert not bool(val.isel(sample=1, time=4).sel(Region="b"))


def test_diff_masks_first_year_and_data_masks_missing_years():
    _, ctx = _eval("diff(x) >= 0")
    assert ctx.masks and not bool(ctx.masks[0].isel(time=0)) and bool(ctx.masks[0].isel(time=1))
    obs = {("s", "g"): {1991: 2.0, 1993: 4.0}}
    _, ctx = _eval('x <= data("s", "g")', observations=obs)
    assert list(ctx.masks[0].values) == [False, True, False, True, False]


def test_chained_comparison():
    val, _ = _eval("1 <= x <= 2")
    assert bool(val.isel(sample=0, time=0).all()) and not bool(val.isel(sample=0, time=2).any())


@pytest.mark.parametrize("text", ["__import__('os')", "x.__class__", "x[0]", "lambda: 1", "x >= ", "open(1)",
                                  "sum(x, 1, 2, 3)", "x ; y", "'a' + 1 >", "x = 1", "", "((((x)))"])
def test_malformed_or_unsafe_is_refused(text):
    with pytest.raises(E.ExpressionError):
        E.parse(text)


def test_error_type_is_oasis_error():
    assert issubclass(E.ExpressionError, OasisError)


def test_deep_nesting_refused():
    with pytest.raises(E.ExpressionError):
        E.parse("(" * 200 + "x" + ")" * 200)
    with pytest.raises(E.ExpressionError):
        E.parse("-" * 500 + "x")


def test_unknown_variable_reported_at_evaluation():
    with pytest.raises(E.ExpressionError, match="unknown model variable"):
        _eval("nope > 0")


def test_names_and_data_refs():
    ast = E.parse('abs(a / data("s", "g") - 1) <= 0.05 and b > time')
    assert E.names(ast) == {"a", "b"}
    assert E.data_refs(ast) == {("s", "g")}
