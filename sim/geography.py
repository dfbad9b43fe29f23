"""Regions, geographies and THE region aggregation, read from the model file.

The .mdl declares the region dimension and its subranges::

    Region: urumqi_changji, shihezi_manas_shawan, ..., rest_of_xinjiang
    Belt:   urumqi_changji, ..., turpan_hami          (subrange of Region)
    Core:   urumqi_changji, ..., kuitun_dushanzi_wusu_karamay

The **region dimension** is the subscript range that has subranges and is no subrange itself
(``Core`` is a subrange of ``Belt`` and both of ``Region``; other ranges, e.g. ``HeavySector``,
have no subranges). A **geography** is a name for a set of its regions:

* each subrange, by its lower-case name (``belt``, ``core``);
* :data:`WHOLE` (``xinjiang``) for all regions of the dimension (the model's regions partition
  Xinjiang, see the ``Region`` documentation in the .mdl);
* each region by itself.

Aggregation over a geography (:func:`total`, :func:`reduce`) sums (or takes the max/min of)
the selected regions; variables without the region dimension pass through unchanged.
:func:`ratio` is the one ratio rule: ``num / den``, and **NaN where the denominator is 0** (a
share of nothing is undefined, not 0 %), element by element, for numpy arrays and xarray alike.
The indicators (:mod:`sim.indicators`), the calibration targets, the checks and the red lines
all use these functions; nothing else lists regions or names the region dimension.

Module attributes :data:`REGION_DIM`, :data:`REGIONS`, :data:`SUBRANGES` and
:data:`GEOGRAPHIES` describe the default model (``sd_models/tianshan.mdl``), read lazily on
first use; :func:`of_model` gives the same for another model file.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UnknownNameError
from .model import DEFAULT_MODEL

WHOLE = "xinjiang"  # geography name of all regions of the region dimension


@dataclass(frozen=True)
class Geography:
    """Region dimension, regions and subranges of one model."""

    dim: str  # name of the region dimension, e.g. "Region"
    regions: tuple[str, ...]
    subranges: dict  # subrange name (as in the model, e.g. "Belt") -> tuple of regions

    @property
    def geographies(self) -> dict[str, list[str]]:
        """Geography name -> regions: subranges (lower case), :data:`WHOLE`, each region."""
        out = {name.lower(): list(members) for name, members in self.subranges.items()}
        out[WHOLE] = list(self.regions)
        out.update({r: [r] for r in self.regions})
        return out


def _from_subscripts(subscripts: dict) -> Geography:
    ranges = {k: tuple(v) for k, v in subscripts.items() if isinstance(v, (list, tuple))}
    parents = []
    for name, members in ranges.items():
        subs = {k: m for k, m in ranges.items() if k != name and set(m) < set(members)}
        inside = any(k != name and set(members) < set(m) for k, m in ranges.items())
        if subs and not inside:  # a range with subranges that is no subrange itself
            parents.append((name, members, subs))
    if len(parents) != 1:
        raise ValueError("cannot tell the region dimension: expected exactly one subscript range with "
                         f"subranges, found {[p[0] for p in parents] or 'none'}")
    name, members, subs = parents[0]
    return Geography(name, members, subs)


@functools.lru_cache(maxsize=8)
def _of_model(path: str) -> Geography:
    from . import model as model_mod

    return _from_subscripts(model_mod.load(path).subscripts)


def of_model(model_path: Path | str = DEFAULT_MODEL) -> Geography:
    """The :class:`Geography` declared by a model file."""
    return _of_model(str(Path(model_path).resolve()))


def __getattr__(name: str):  # PEP 562: module constants of the default model, read on first use
    geo = of_model()
    values = {"REGION_DIM": geo.dim, "REGIONS": list(geo.regions),
              "SUBRANGES": {k: list(v) for k, v in geo.subranges.items()}, "GEOGRAPHIES": geo.geographies}
    if name in values:
        return values[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def regions_of(geography: str, geographies: dict | None = None) -> list[str]:
    """Model regions making up a geography (``belt``, ``core``, ``xinjiang`` or one region);
    ``geographies`` replaces the default model's table (e.g. for a test model)."""
    table = of_model().geographies if geographies is None else geographies
    if geography not in table:
        raise UnknownNameError("geography", geography, table)
    return list(table[geography])


def _dim(dim: str | None) -> str:
    return of_model().dim if dim is None else dim


def select(da, geography: str | list, dim: str | None = None, geographies: dict | None = None):
    """The regions of ``geography`` (a name or a list of regions) of a DataArray (unchanged
    without the region dimension)."""
    dim = _dim(dim)
    if dim not in da.dims:
        return da
    regions = geography if isinstance(geography, (list, tuple)) else regions_of(geography, geographies)
    return da.sel({dim: list(regions)})


def reduce(da, geography: str | list, how: str = "sum", dim: str | None = None, geographies: dict | None = None):
    """Sum (``how="sum"``), max or min of a DataArray over the regions of a geography
    (NaN-skipping for max/min); variables without the region dimension pass through."""
    dim = _dim(dim)
    if dim not in da.dims:
        return da
    sel = select(da, geography, dim, geographies)
    if how == "sum":
        return sel.sum(dim)
    if how == "max":
        return sel.max(dim)
    if how == "min":
        return sel.min(dim)
    raise ValueError(f"how must be 'sum', 'max' or 'min', got {how!r}")


def total(ds, variable: str | None, geography: str | list, dim: str | None = None,
          geographies: dict | None = None):
    """Sum of ``ds[variable]`` (or of ``ds`` itself, a DataArray, when ``variable`` is None)
    over a geography's regions; scalars (no region dimension) pass through."""
    da = ds if variable is None else ds[variable]
    return reduce(da, geography, "sum", dim, geographies)


def ratio(num, den):
    """``num / den``, NaN where ``den == 0`` (numpy arrays, scalars or xarray objects).

    The one zero-denominator rule of the project: a ratio over nothing is undefined."""
    if hasattr(den, "where") and hasattr(den, "dims"):  # xarray
        return num / den.where(den != 0)
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)
