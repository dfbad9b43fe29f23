"""Uncertain factors: where they come from, how bounds are overridden, how they group.

A *factor* is one model constant that the sensitivity job varies uniformly
between ``low`` and ``high``.  Factors come from the registry in
:mod:`sim.levers` (``levers()`` – policy levers, ``parameters()`` – uncertain
model parameters) or from a TOML file that picks a subset and may override
bounds::

    # factors.toml -- any of these three shapes
    factors = ["water_price", "pv_growth"]          # names only, registry bounds

    [factors.water_price]                           # table per factor,
    low = 0.5                                       # optional overrides
    high = 2.0

    [[factors]]                                     # array of tables
    name = "pv_growth"
    high = 0.3

    # A name may also be "levers", "parameters" or "all" to pull whole sets in.

Groups (``--groups FILE``) are TOML too::

    [groups]
    water = ["water_price", "irrigation_efficiency"]
    energy = ["pv_growth", "coal_phaseout_year"]

Factors not listed in any group form a group of their own (SALib needs every
factor in exactly one group).  ``--groups strategy`` groups by the registry's
``strategy`` attribute instead of a file.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SensitivityInputError, did_you_mean

FACTOR_SETS = ("levers", "parameters", "all")


@dataclass(frozen=True)
class Factor:
    """One uncertain input, as used by the job (registry object -> plain, picklable data)."""

    name: str
    constant: str
    low: float
    high: float
    units: str = ""
    default: float | None = None
    strategy: str = ""
    help_en: str = ""
    kind: str = "continuous"  # "continuous" | "switch" | "year" (registry levers)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def model_values(self, u: np.ndarray) -> np.ndarray:
        """Map sampled values (continuous uniform on [low, high]) to what the model receives.

        Samplers only know continuous uniforms, but some levers are discrete.
        We sample the continuous variable and discretise it deterministically
        per row, so every discrete value gets equal probability:

        * ``switch`` – ``low`` below the midpoint, ``high`` from it on;
        * ``year``   – the integers low..high, each with mass 1/(high-low+1).

        The stored samples stay continuous; indices describe the discrete lever.
        """
        if self.kind == "switch":
            return np.where(u < 0.5 * (self.low + self.high), self.low, self.high)
        if self.kind == "year":
            span = self.high - self.low
            k = np.floor((u - self.low) / span * (math.floor(span) + 1))
            return np.minimum(self.low + k, self.high)
        return u

    @classmethod
    def from_obj(cls, obj: Any) -> Factor:
        """Copy the documented attributes off a registry object (duck typed on purpose)."""
        default = getattr(obj, "default", None)
        return cls(
            name=str(obj.name),
            constant=str(getattr(obj, "constant", obj.name)),
            low=float(obj.low),
            high=float(obj.high),
            units=str(getattr(obj, "units", "") or ""),
            default=None if default is None else float(default),
            strategy=str(getattr(obj, "strategy", "") or ""),
            help_en=str(getattr(obj, "help_en", "") or ""),
            kind=str(getattr(obj, "kind", "continuous") or "continuous"),
        )


# A registry is "something with levers() and parameters()"; tests inject fakes.
Registry = Any


def default_registry() -> Registry:
    """Import :mod:`sim.levers` lazily so this package imports even before it exists."""
    try:
        import sim.levers as registry  # noqa: PLC0415 - optional, owned by another module
    except ImportError as exc:  # pragma: no cover - depends on repo state
        raise SensitivityInputError(
            "The factor registry sim.levers is not available "
            f"({exc}); pass a TOML factor file with explicit bounds or install it."
        ) from exc
    return registry


def registry_factors(kind: str, registry: Registry | None = None) -> list[Factor]:
    """All factors of one set: 'levers', 'parameters' or 'all' (levers first, then parameters)."""
    reg = registry if registry is not None else default_registry()
    if kind == "levers":
        objs = list(reg.levers())
    elif kind == "parameters":
        objs = list(reg.parameters())
    elif kind == "all":
        objs = list(reg.levers()) + list(reg.parameters())
    else:
        raise SensitivityInputError(
            f"Unknown factor set {kind!r}: use one of {', '.join(FACTOR_SETS)} or a TOML file."
        )
    factors = [Factor.from_obj(o) for o in objs]
    _check_unique(factors, where=f"the registry set {kind!r}")
    return factors


def _check_unique(factors: Sequence[Factor], where: str) -> None:
    seen: set[str] = set()
    for f in factors:
        if f.name in seen:
            raise SensitivityInputError(f"Factor {f.name!r} appears twice in {where}.")
        seen.add(f.name)
    consts: dict[str, str] = {}
    for f in factors:
        if f.constant in consts:
            # Two factors driving one constant would make their indices meaningless.
            raise SensitivityInputError(
                f"Factors {consts[f.constant]!r} and {f.name!r} both set model constant "
                f"{f.constant!r} ({where}); keep only one."
            )
        consts[f.constant] = f.name


def validate_bounds(factors: Iterable[Factor]) -> None:
    """Reject inverted, empty (low == high) or non-finite bounds, naming the factor."""
    for f in factors:
        if not (math.isfinite(f.low) and math.isfinite(f.high)):
            raise SensitivityInputError(
                f"Factor {f.name!r} has non-finite bounds [{f.low}, {f.high}]; give finite low/high."
            )
        if f.low > f.high:
            raise SensitivityInputError(
                f"Factor {f.name!r} has inverted bounds: low={f.low} > high={f.high}; swap them."
            )
        if f.low == f.high:
            raise SensitivityInputError(
                f"Factor {f.name!r} has an empty range (low == high == {f.low}); a factor that "
                "cannot vary has no sensitivity — widen the bounds or drop it from the job."
            )


def _load_toml(path: Path, what: str) -> dict[str, Any]:
    from ..io import read_text_file

    text = read_text_file(path, what=f"{what.lower()} file", max_bytes=1024 * 1024, error=SensitivityInputError)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SensitivityInputError(f"{what} file {str(path)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        raise SensitivityInputError(f"{what} file {str(path)!r} is nested too deeply") from None


def _entries_from_toml(data: Mapping[str, Any], path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Normalise the three accepted TOML shapes to [(name, overrides)]."""
    if "factors" not in data:
        raise SensitivityInputError(
            f"Factor file {str(path)!r} has no 'factors' key; write e.g. factors = [\"a\", \"b\"]."
        )
    raw = data["factors"]
    entries: list[tuple[str, dict[str, Any]]] = []
    if isinstance(raw, Mapping):
        for name, over in raw.items():
            if over is not None and not isinstance(over, Mapping):
                raise SensitivityInputError(
                    f"Factor file {str(path)!r}: factors.{name} must be a table of low/high, got {over!r}."
                )
            entries.append((str(name), dict(over or {})))
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, str):
                entries.append((item, {}))
            elif isinstance(item, Mapping) and "name" in item:
                over = {k: v for k, v in item.items() if k != "name"}
                entries.append((str(item["name"]), over))
            else:
                raise SensitivityInputError(
                    f"Factor file {str(path)!r}: each entry must be a name or a table with 'name' "
                    f"(got {item!r})."
                )
    else:
        raise SensitivityInputError(
            f"Factor file {str(path)!r}: 'factors' must be a list or a table."
        )
    allowed = {"low", "high"}
    for name, over in entries:
        extra = set(over) - allowed
        if extra:
            raise SensitivityInputError(
                f"Factor {name!r} in {str(path)!r}: unknown key(s) {sorted(extra)}; only low/high "
                "may be overridden."
            )
    return entries


def factors_from_file(path: str | Path, registry: Registry | None = None) -> list[Factor]:
    """Resolve a TOML factor file against the registry (all of it, so any name is findable)."""
    path = Path(path)
    entries = _entries_from_toml(_load_toml(path, "Factor"), path)
    known = {f.name: f for f in registry_factors("all", registry)}
    out: list[Factor] = []
    for name, over in entries:
        if name in FACTOR_SETS:
            out.extend(registry_factors(name, registry))
            continue
        if name not in known:
            raise SensitivityInputError(
                f"Unknown factor {name!r} in {str(path)!r}." + did_you_mean(name, known)
            )
        base = known[name]
        try:
            low = float(over.get("low", base.low))
            high = float(over.get("high", base.high))
        except (TypeError, ValueError) as exc:
            raise SensitivityInputError(
                f"Factor {name!r} in {str(path)!r}: low/high must be numbers ({exc})."
            ) from exc
        out.append(Factor(**{**base.to_dict(), "low": low, "high": high}))
    _check_unique(out, where=str(path))
    if not out:
        raise SensitivityInputError(f"Factor file {str(path)!r} lists no factors.")
    return out


def resolve_factors(
    spec: str | Path | Sequence[Factor | Any], registry: Registry | None = None
) -> list[Factor]:
    """Turn ``--factors`` (set name, TOML path, or explicit objects) into validated factors."""
    if isinstance(spec, (str, Path)):
        s = str(spec)
        if s in FACTOR_SETS:
            factors = registry_factors(s, registry)
        elif s.endswith(".toml") or Path(s).exists():
            factors = factors_from_file(s, registry)
        else:
            raise SensitivityInputError(
                f"--factors {s!r} is neither a factor set ({', '.join(FACTOR_SETS)}) nor an "
                "existing TOML file." + did_you_mean(s, FACTOR_SETS)
            )
    else:
        factors = [f if isinstance(f, Factor) else Factor.from_obj(f) for f in spec]
        _check_unique(factors, where="the factor list")
    if not factors:
        raise SensitivityInputError("No factors selected: a sensitivity job needs at least one.")
    validate_bounds(factors)
    return factors


# --------------------------------------------------------------------------- groups


def resolve_groups(
    spec: str | Path | Mapping[str, Sequence[str]] | None, factors: Sequence[Factor]
) -> list[str] | None:
    """Return SALib's ``groups`` list (group name per factor, in factor order) or None.

    ``spec`` is None (no groups), ``"strategy"`` (group by ``Factor.strategy``),
    a TOML path with a ``[groups]`` table, or an already-parsed mapping.
    """
    if spec is None:
        return None
    names = [f.name for f in factors]
    if isinstance(spec, (str, Path)) and str(spec) == "strategy":
        missing = [f.name for f in factors if not f.strategy]
        if missing:
            raise SensitivityInputError(
                f"--groups strategy: factor(s) {missing} have no strategy; use a groups file."
            )
        groups = [f.strategy for f in factors]
    else:
        if isinstance(spec, (str, Path)):
            data = _load_toml(Path(spec), "Groups")
            if "groups" not in data or not isinstance(data["groups"], Mapping):
                raise SensitivityInputError(
                    f"Groups file {str(spec)!r} needs a [groups] table: name = [factor, …]."
                )
            mapping = data["groups"]
        else:
            mapping = spec
        assigned: dict[str, str] = {}
        for gname, members in mapping.items():
            if isinstance(members, str) or not isinstance(members, Sequence) or not members:
                raise SensitivityInputError(
                    f"Group {gname!r} must be a non-empty list of factor names."
                )
            for m in members:
                if m not in names:
                    raise SensitivityInputError(
                        f"Group {gname!r} lists {m!r}, which is not a factor of this job."
                        + did_you_mean(m, names)
                    )
                if m in assigned:
                    raise SensitivityInputError(
                        f"Factor {m!r} is in two groups ({assigned[m]!r} and {gname!r}); "
                        "a factor can belong to only one group."
                    )
                assigned[m] = str(gname)
        clash = set(mapping) & (set(names) - set(assigned))
        if clash:
            raise SensitivityInputError(
                f"Group name(s) {sorted(clash)} equal ungrouped factor names; rename the group."
            )
        # Ungrouped factors become singleton groups named after themselves.
        groups = [assigned.get(n, n) for n in names]
    if len(set(groups)) < 2:
        raise SensitivityInputError(
            "Grouping leaves fewer than two groups; sensitivity indices need at least two."
        )
    return groups


def problem_dict(factors: Sequence[Factor], groups: Sequence[str] | None = None) -> dict[str, Any]:
    """SALib problem definition (uniform distributions between the bounds)."""
    prob: dict[str, Any] = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[f.low, f.high] for f in factors],
    }
    if groups is not None:
        prob["groups"] = list(groups)
    return prob


def factor_names_for_suggestions(registry: Registry | None = None) -> list[str]:
    """Names a user could have meant (used by error messages elsewhere)."""
    try:
        return [f.name for f in registry_factors("all", registry)]
    except SensitivityInputError:
        return []


FactorSource = str | Path | Sequence[Factor]
RegistryFactory = Callable[[], Registry]
