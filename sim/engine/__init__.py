"""``sim.engine`` — compile a Vensim model to a batched numpy program.

>>> from sim import engine
>>> m = engine.compile("sd_models/tianshan.mdl")
>>> ds = m.run({"water price": [1.0, 1.5, 2.0]}, outputs=["GDP"])
>>> ds.GDP.dims
('sample', 'time')

``params`` values may be scalars, arrays of shape ``(n,)`` (one value per
sample), arrays with the subscript axes ``(*dims)`` or ``(n, *dims)``,
``xarray.DataArray`` with named dims (``sample`` and/or subscript dims), or a
``pandas.Series`` indexed by time (linear interpolation over time, like
pysd).  An array whose shape equals the subscript shape is read as
per-element values; use a DataArray with a ``sample`` dim to disambiguate.

The semantics are pysd's (Euler integration, same initialisation order,
same stateful objects); ``sim.engine.pysd_reference`` runs pysd itself with
the same output format for cross-checks.  Models using constructs the engine
cannot reproduce raise :class:`UnsupportedConstruct` when compiled.
"""
from __future__ import annotations

from pathlib import Path

from .errors import (EngineError, ParameterShapeError, SimulationError,
                     UnknownParameterError, UnsupportedConstruct)
from .runtime import CompiledModel, TimeInfo, VariableInfo

__all__ = [
    "compile", "CompiledModel", "VariableInfo", "TimeInfo", "EngineError",
    "UnsupportedConstruct", "UnknownParameterError", "ParameterShapeError",
    "SimulationError",
]

_memo = {}


def compile(path, *, use_cache: bool = True) -> CompiledModel:  # noqa: A001
    """Compile the Vensim model at ``path`` (cached on disk by content
    hash, and in memory for the life of the process)."""
    from .cache import load_or_compile
    from .compiler import model_hash

    from .errors import EngineError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        raise EngineError(f"{path}: model file not found") from None
    except IsADirectoryError:
        raise EngineError(f"{path}: is a directory, not a model file") from None
    except OSError as exc:
        raise EngineError(f"{path}: cannot read the model file ({exc.strerror or type(exc).__name__})") from None
    key = (str(path.resolve()), model_hash(text))
    if use_cache and key in _memo:
        return _memo[key]
    model = CompiledModel(load_or_compile(path, use_cache=use_cache))
    if use_cache:
        _memo[key] = model
    return model
