"""``sd_models/checks.yaml`` → validated :class:`CheckSuite` (matrices and checks).

YAML is read with ``yaml.safe_load`` (data only); predicates are parsed by :mod:`.expr`
(a tiny grammar, never ``eval``). Every error names the file, the check/matrix and the field.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import OasisError
from ..model import REPO_ROOT
from . import expr as expr_mod

DEFAULT_CHECKS = REPO_ROOT / "sd_models" / "checks.yaml"
CHECK_KINDS = ("assert", "all_finite")
MATRIX_KEYS = {"description", "presets", "oat_levers", "oat_parameters", "set", "reference",
               "ensemble", "sample"}
SAMPLE_KEYS = {"n", "seed", "levers", "parameters"}
CHECK_KEYS = {"id", "description", "matrix", "kind", "assert", "when", "regions", "variables",
              "known_defect", "group"}


class CheckSpecError(OasisError, ValueError):
    """A malformed checks file."""


@dataclass
class MatrixSpec:
    name: str
    description: str = ""
    presets: list[str] | str = "all"       # "all" or names
    oat_levers: list[str] | str = "none"   # "all", "none" or names; "all except" via dict
    oat_levers_except: list[str] = field(default_factory=list)
    oat_parameters: list[str] | str = "none"
    set: dict[str, float] = field(default_factory=dict)
    reference: str | None = None           # scenario name of ref(); default: first scenario
    # every preset x every member of the calibration ensemble (calibration/ensemble.csv):
    # 0 = off, N = the first N members, -1 = all members
    ensemble: int = 0
    # space-filling sample (scrambled Latin hypercube) over the registry ranges of levers and/or
    # uncertain parameters, on top of each preset: {n, seed, levers: bool, parameters: bool}
    sample: dict | None = None


@dataclass
class CheckSpec:
    id: str
    matrices: list[str]
    kind: str = "assert"
    description: str = ""
    group: str = ""
    assert_text: str = ""
    when_text: str = ""
    regions: str | None = None
    variables: list[str] | str = "all"
    known_defect: dict[str, str] = field(default_factory=dict)  # matrix -> documented model defect

    def defect(self, matrix: str) -> str:
        """The documented defect this check is expected to fail on ``matrix`` with ('' if none)."""
        return self.known_defect.get(matrix, "")
    assert_ast: object = None
    when_ast: object = None


@dataclass
class CheckSuite:
    path: Path
    matrices: dict[str, MatrixSpec]
    checks: list[CheckSpec]


def _names(value, where, what) -> list[str] | str:
    if value in (None, "none"):
        return "none"
    if value == "all":
        return "all"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise CheckSpecError(f"{where}: '{what}' must be 'all', 'none' or a list of names, got {value!r}")


def _ensemble_field(value, where) -> int:
    """``ensemble``: ``all`` (-1), ``none``/0 or a positive number of members."""
    if value in ("all",):
        return -1
    if value in (None, "none", 0, False):
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CheckSpecError(f"{where}: 'ensemble' must be 'all', 'none' or a positive integer, got {value!r}")
    return value


def _sample_field(value, where) -> dict | None:
    """``sample``: {n: >= 2, seed: int, levers: bool, parameters: bool} or absent."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - SAMPLE_KEYS:
        raise CheckSpecError(f"{where}: 'sample' must be a mapping with keys from {sorted(SAMPLE_KEYS)}")
    n = value.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= 100_000:
        raise CheckSpecError(f"{where}: sample.n must be an integer in 2-100000, got {n!r}")
    seed = value.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise CheckSpecError(f"{where}: sample.seed must be an integer, got {seed!r}")
    out = {"n": n, "seed": seed}
    for key in ("levers", "parameters"):
        flag = value.get(key, True)
        if not isinstance(flag, bool):
            raise CheckSpecError(f"{where}: sample.{key} must be true or false, got {flag!r}")
        out[key] = flag
    if not (out["levers"] or out["parameters"]):
        raise CheckSpecError(f"{where}: sample needs levers or parameters (or both)")
    return out


def _number(value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise CheckSpecError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _defects(value, mats, loc) -> dict[str, str]:
    """``known_defect``: a text (every matrix of the check) or {matrix: text}."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        return {m: value.strip() for m in mats}
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        for k in value:
            if k not in mats:
                raise CheckSpecError(f"{loc}: known_defect names matrix {k!r}, which the check does not run on")
        return {k: v.strip() for k, v in value.items()}
    raise CheckSpecError(f"{loc}: known_defect must be a text or a mapping matrix -> text")


def parse_suite(text: str, where: str = "<checks>") -> CheckSuite:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CheckSpecError(f"{where}: not valid YAML ({' '.join(str(exc).split())})") from None
    except RecursionError:
        raise CheckSpecError(f"{where}: nested too deeply; not a checks file") from None
    if not isinstance(doc, dict) or set(doc) - {"version", "matrices", "checks"}:
        raise CheckSpecError(f"{where}: top level must be a mapping with 'version', 'matrices' and 'checks'")
    if doc.get("version") != 1:
        raise CheckSpecError(f"{where}: 'version: 1' required")
    matrices: dict[str, MatrixSpec] = {}
    for name, m in (doc.get("matrices") or {}).items():
        loc = f"{where}: matrix '{name}'"
        if not isinstance(m, dict):
            raise CheckSpecError(f"{loc}: must be a mapping")
        unknown = set(m) - MATRIX_KEYS
        if unknown:
            raise CheckSpecError(f"{loc}: unknown field(s) {sorted(unknown)}; allowed {sorted(MATRIX_KEYS)}")
        oat = m.get("oat_levers", "none")
        except_: list[str] = []
        if isinstance(oat, dict):
            if set(oat) != {"all_except"} or not isinstance(oat["all_except"], list):
                raise CheckSpecError(f"{loc}: oat_levers mapping must be {{all_except: [names]}}")
            except_ = [str(x) for x in oat["all_except"]]
            oat = "all"
        sets = m.get("set") or {}
        if not isinstance(sets, dict):
            raise CheckSpecError(f"{loc}: 'set' must map constant names to numbers")
        matrices[name] = MatrixSpec(
            name=name, description=str(m.get("description", "")),
            presets=_names(m.get("presets", "all"), loc, "presets"),
            oat_levers=_names(oat, loc, "oat_levers"), oat_levers_except=except_,
            oat_parameters=_names(m.get("oat_parameters", "none"), loc, "oat_parameters"),
            set={str(k): _number(v, f"{loc}: set.{k}") for k, v in sets.items()},
            reference=m.get("reference"),
            ensemble=_ensemble_field(m.get("ensemble", 0), loc),
            sample=_sample_field(m.get("sample"), loc))
    checks: list[CheckSpec] = []
    seen = set()
    for i, c in enumerate(doc.get("checks") or []):
        if not isinstance(c, dict) or "id" not in c:
            raise CheckSpecError(f"{where}: check #{i + 1} must be a mapping with an 'id'")
        if not isinstance(c["id"], str) or not c["id"].strip():
            raise CheckSpecError(f"{where}: check #{i + 1}: 'id' must be a text, got {str(c['id'])[:40]!r}")
        cid = c["id"]
        loc = f"{where}: check '{cid}'"
        if cid in seen:
            raise CheckSpecError(f"{loc}: duplicate id")
        seen.add(cid)
        unknown = set(c) - CHECK_KEYS
        if unknown:
            raise CheckSpecError(f"{loc}: unknown field(s) {sorted(unknown)}; allowed {sorted(CHECK_KEYS)}")
        kind = c.get("kind", "assert")
        if kind not in CHECK_KINDS:
            raise CheckSpecError(f"{loc}: kind must be one of {CHECK_KINDS}, got {kind!r}")
        mats = c.get("matrix")
        mats = [mats] if isinstance(mats, str) else mats
        if not isinstance(mats, list) or not mats or not all(isinstance(x, str) for x in mats):
            raise CheckSpecError(f"{loc}: 'matrix' must name a matrix or a list of matrices")
        for mname in mats:
            if mname not in matrices:
                raise CheckSpecError(f"{loc}: unknown matrix {mname!r}; defined: {sorted(matrices)}")
        spec = CheckSpec(id=cid, matrices=mats, kind=kind, description=str(c.get("description", "")),
                         group=str(c.get("group", "")), regions=c.get("regions"),
                         known_defect=_defects(c.get("known_defect"), mats, loc))
        try:
            if kind == "assert":
                if not isinstance(c.get("assert"), str):
                    raise CheckSpecError(f"{loc}: kind 'assert' needs an 'assert' predicate string")
                spec.assert_text = c["assert"]
                spec.assert_ast = expr_mod.parse(spec.assert_text)
                if not expr_mod.refers_to_model(spec.assert_ast):
                    raise CheckSpecError(f"{loc}: the predicate uses no model variable, so it says nothing "
                                         f"about the model: {spec.assert_text[:80]!r}")
            else:
                spec.variables = _names(c.get("variables", "all"), loc, "variables")
            if c.get("when") is not None:
                spec.when_text = str(c["when"])
                spec.when_ast = expr_mod.parse(spec.when_text)
        except expr_mod.ExpressionError as exc:
            raise CheckSpecError(f"{loc}: {exc}") from None
        checks.append(spec)
    if not checks:
        raise CheckSpecError(f"{where}: no checks defined")
    return CheckSuite(Path(where), matrices, checks)


def load_suite(path: Path | str = DEFAULT_CHECKS) -> CheckSuite:
    from ..io import read_text_file

    path = Path(path)
    text = read_text_file(path, what="checks file", max_bytes=4 * 1024 * 1024, error=CheckSpecError)
    suite = parse_suite(text, str(path))
    suite.path = path
    return suite
