"""THE lever and parameter registry.

Levers (policy sliders) are declared once, in ``sim/levers.toml``; uncertain parameters are the
model constants whose documentation says "Assumption, range LOW-HIGH" (the range lives next to
the equation, in the .mdl). The CLI, the app, scenario validation and sensitivity jobs all call
:func:`levers` and :func:`parameters`; nothing else lists them.
"""
from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import model as model_mod
from .errors import OutOfRangeError, UnknownNameError

REGISTRY_FILE = Path(__file__).with_name("levers.toml")


@dataclass(frozen=True)
class Lever:
    """A policy lever: one model constant a policy team moves."""

    id: str  # seed-levers.md id, e.g. "L1"
    constant: str  # model constant it sets (python-safe name)
    units: str
    kind: str  # "continuous", "switch" or "year"
    low: float
    high: float
    default: float  # business as usual
    step: float
    strategy: str  # key into strategies()
    label_en: str
    label_zh: str
    help_en: str
    help_zh: str
    role: str = ""  # what other modules use it for (see levers.toml), e.g. "policy_start"

    @property
    def name(self) -> str:
        """Levers are named by the constant they set: one concept, one name."""
        return self.constant

    def random_value(self, rng) -> float:
        """A uniform draw from the lever's range with ``rng`` (numpy Generator): 0/1 for a
        switch, a whole year for a year lever."""
        if self.kind == "switch":
            return float(rng.integers(0, 2))
        if self.kind == "year":
            return float(rng.integers(int(self.low), int(self.high) + 1))
        return float(rng.uniform(self.low, self.high))

    def validate(self, value, where: str = "") -> float:
        """Return ``value`` as float if allowed, else raise with the allowed range."""
        loc = f"{where}: " if where else ""
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, (int, float)) or isinstance(value, complex):
            raise OutOfRangeError(f"{loc}lever '{self.name}' needs a number, got {type(value).__name__} {value!r}")
        try:
            value = float(value)
        except OverflowError:  # an integer with hundreds of digits
            raise OutOfRangeError(f"{loc}lever '{self.name}' = {str(value)[:20]}... is outside its range "
                                  f"[{self.low:g}, {self.high:g}] {self.units}") from None
        if not math.isfinite(value) or not (self.low <= value <= self.high):
            raise OutOfRangeError(
                f"{loc}lever '{self.name}' = {value:g} is outside its range "
                f"[{self.low:g}, {self.high:g}] {self.units}")
        if self.kind == "switch" and value not in (0.0, 1.0):
            raise OutOfRangeError(f"{loc}lever '{self.name}' is a switch: use 0 or 1, got {value:g}")
        if self.kind == "year" and value != int(value):
            raise OutOfRangeError(f"{loc}lever '{self.name}' is a year: use a whole number, got {value:g}")
        return value


@dataclass(frozen=True)
class Parameter:
    """An uncertain model constant (an assumption with a documented range)."""

    constant: str
    units: str
    low: float
    high: float
    default: float
    strategy: str  # the model sector it belongs to (group for sensitivity reports)
    help_en: str

    @property
    def name(self) -> str:
        return self.constant


@functools.lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, dict[str, str]], tuple[Lever, ...]]:
    data = tomllib.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    levers = tuple(Lever(**{k: (float(v) if k in ("low", "high", "default", "step") else v)
                            for k, v in entry.items()}) for entry in data["lever"])
    return data["strategies"], levers


def strategies() -> dict[str, dict[str, str]]:
    """Strategy groups in display order: key -> {"en": ..., "zh": ...}."""
    return _registry()[0]


def levers() -> list[Lever]:
    """All levers in registry order."""
    return list(_registry()[1])


def lever(name: str) -> Lever:
    """The lever called ``name`` (its constant name or its seed id, e.g. ``L1``)."""
    for lv in levers():
        if name in (lv.constant, lv.id):
            return lv
    raise UnknownNameError("lever", name, [lv.constant for lv in levers()])


ROLES = ("policy_start", "policy_ramp", "water_cap_switch", "ebinur_min_inflow", "renewable_target")


def by_role(role: str) -> Lever:
    """The lever that plays ``role`` (see the ``role`` field in levers.toml and :data:`ROLES`)."""
    for lv in levers():
        if lv.role == role:
            return lv
    raise UnknownNameError("lever role", role, ROLES)


def role_value(lever_values, role: str) -> float:
    """Value of the lever playing ``role`` in ``lever_values`` (a lever dict), else its default."""
    lv = by_role(role)
    return float(lever_values.get(lv.constant, lv.default))


def defaults() -> dict[str, float]:
    """Business-as-usual lever values."""
    return {lv.name: lv.default for lv in levers()}


def _sector_of(variable: model_mod.Variable, info: model_mod.ModelInfo) -> str:
    """Sector group of a constant: the first sector of a variable it feeds (by name prefix)."""
    text = " ".join([variable.name] + variable.feeds)
    for key, words in (("water", ("water", "irrigation", "groundwater", "runoff", "seepage", "lake", "transfer")),
                       ("land", ("land", "oasis", "reclamation", "desert", "transition", "urban_expansion", "built_up")),
                       ("energy_emissions", ("energy", "co2", "so2", "nox", "dust", "renewable", "electricity")),
                       ("economy", ("va_", "gdp", "industry", "tertiary", "productivity", "yield", "value")),
                       ("population", ("population", "urban"))):
        if any(w in text for w in words):
            return key
    return "other"


@functools.lru_cache(maxsize=4)
def _parameters(model_path: str) -> tuple[Parameter, ...]:
    info = model_mod.load(model_path)
    lever_constants = {lv.constant for lv in levers()}
    out = []
    for var in info.variables.values():
        rng = var.documented_range
        if var.kind != "constant" or var.subscripts or rng is None or var.name in lever_constants:
            continue
        if not var.is_assumption:
            continue
        default = float(var.equations[0].split("=", 1)[1])
        out.append(Parameter(var.name, var.units, rng[0], rng[1], default, _sector_of(var, info),
                             var.documentation))
    return tuple(out)


def parameters(model_path=model_mod.DEFAULT_MODEL) -> list[Parameter]:
    """Uncertain scalar constants of the model: documented as "Assumption, range LOW-HIGH"."""
    return list(_parameters(str(Path(model_path).resolve())))


def lever_or_error(name: str, where: str = "") -> Lever:
    """Like :func:`lever`, with the location of the bad name in the error message."""
    try:
        return lever(name)
    except UnknownNameError:
        raise UnknownNameError("lever", name, [lv.constant for lv in levers()], where=where) from None
