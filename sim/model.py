"""Load a Vensim model's metadata: equations, units, documentation and the dependency graph.

Parsing is pysd's (``VensimFile`` → abstract model); this module only reads what a user needs
to understand a variable (``oasis-sd describe``) and what the registries validate against.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OasisError, UnknownNameError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO_ROOT / "sd_models" / "tianshan.mdl"

# Documentation convention for uncertain constants: "Assumption, range LOW-HIGH" (see README).
_RANGE_RE = re.compile(r"range\s+(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*-\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)")


@dataclass
class Variable:
    """One model variable as a user sees it."""

    name: str  # python-safe name, as pysd and the engine use it
    units: str
    documentation: str
    equations: list[str]  # one per subscripted definition: "name[subs] = expression"
    kind: str  # stock, constant, lookup, auxiliary (flows are auxiliaries feeding stocks)
    subscripts: list[str] = field(default_factory=list)  # dimension names
    depends_on: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)

    @property
    def is_assumption(self) -> bool:
        return "assumption" in self.documentation.lower()

    @property
    def documented_range(self) -> tuple[float, float] | None:
        """(low, high) from an "Assumption, range LOW-HIGH" documentation, if stated."""
        m = _RANGE_RE.search(self.documentation)
        return (float(m.group(1)), float(m.group(2))) if m else None


@dataclass
class ModelInfo:
    path: Path
    model_hash: str
    variables: dict[str, Variable]
    subscripts: dict[str, list[str]]

    def variable(self, name: str) -> Variable:
        key = normalise_name(name)
        if key not in self.variables:
            raise UnknownNameError("variable", name, self.variables)
        return self.variables[key]


def normalise_name(name: str) -> str:
    """Vensim name → the python-safe name pysd uses (lower case, spaces to underscores)."""
    return re.sub(r"\s+", "_", name.strip()).lower()


def model_hash(path: Path | str) -> str:
    """Content hash of a model file (first 16 hex chars of SHA-256)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _references(node) -> set[str]:
    """All variable names referenced anywhere inside a pysd AST node."""
    found: set[str] = set()
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur is None or isinstance(cur, (str, int, float, bool)):
            continue
        if isinstance(cur, (list, tuple)):
            stack.extend(cur)
            continue
        if isinstance(cur, dict):
            stack.extend(cur.values())
            continue
        if dataclasses.is_dataclass(cur):
            ref = getattr(cur, "reference", None)
            if isinstance(ref, str):
                found.add(ref)
            stack.extend(getattr(cur, f.name) for f in dataclasses.fields(cur))
    return found


def _disk_cache_file(digest: str) -> Path:
    """Pickled metadata under ``.oasis_cache/model-info`` (or ``$OASIS_SD_CACHE/../model-info``),
    keyed by the model hash and this module's source, so a parser change invalidates it."""
    import os

    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    env = os.environ.get("OASIS_SD_CACHE")
    base = Path(env).parent if env else Path(__file__).resolve().parents[1] / ".oasis_cache"
    return base / "model-info" / f"{digest[:16]}-{code}.pkl"


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, digest: str) -> ModelInfo:
    """Parse once per model version: pysd's parser takes ~3 s on the Tianshan model, which
    every new app or CLI process would otherwise pay."""
    import pickle

    from .io import atomic_write

    cache = _disk_cache_file(digest)
    try:
        info = pickle.loads(cache.read_bytes())
        info.path = Path(path)
        return info
    except Exception:  # missing, stale or corrupt entry: parse again
        pass
    info = _parse(path, digest)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(cache, lambda tmp: Path(tmp).write_bytes(pickle.dumps(info, protocol=4)))
    except OSError:  # read-only checkout: work without the cache
        pass
    return info


def _parse(path: str, digest: str) -> ModelInfo:
    from pysd.translators.vensim.vensim_file import VensimFile

    vf = VensimFile(path)
    vf.parse()
    raw = {}  # name -> list of raw components (for the equation text)
    for section in vf.sections:
        for comp in section.elements:
            if hasattr(comp, "components"):
                continue
            raw.setdefault(normalise_name(comp.name), []).append(comp)
    am = vf.get_abstract_model()
    subscripts = {normalise_name(k): v for k, v in vf.subscripts_dict.items()} if hasattr(vf, "subscripts_dict") else {}
    variables: dict[str, Variable] = {}
    for section in am.sections:
        for s in section.subscripts:
            subscripts[s.name] = list(s.subscripts) if isinstance(s.subscripts, list) else s.subscripts
        for el in section.elements:
            name = normalise_name(el.name)
            kinds = {type(c.ast).__name__ for c in el.components}
            kind = ("stock" if "IntegStructure" in kinds else
                    "lookup" if kinds <= {"LookupsStructure"} else
                    "constant" if all(type(c).__name__ == "ControlElement" or _is_constant(c.ast) for c in el.components) else
                    "auxiliary")
            deps = set()
            for c in el.components:
                deps |= _references(c.ast)
            dims = list(el.components[0].subscripts[0]) if el.components and el.components[0].subscripts else []
            eqs = []
            for c in raw.get(name, []):
                subs = f"[{', '.join(c.subscripts[0])}]" if c.subscripts and c.subscripts[0] else ""
                eqs.append(f"{c.name}{subs} = {' '.join(str(c.expression).split())}")
            variables[name] = Variable(
                name=name, units=el.units or "", documentation=" ".join((el.documentation or "").split()),
                equations=eqs, kind=kind, subscripts=dims, depends_on=sorted(deps - {name}),
            )
    dim_names = set(subscripts)
    for var in variables.values():
        var.subscripts = [d for d in var.subscripts]
        var.depends_on = [d for d in var.depends_on if d in variables and d not in dim_names]
    for var in variables.values():
        for dep in var.depends_on:
            variables[dep].feeds.append(var.name)
    return ModelInfo(Path(path), digest, variables, subscripts)


def _is_constant(ast) -> bool:
    """True for numbers and arrays of numbers (what a lever or parameter may override)."""
    return isinstance(ast, (int, float)) or type(ast).__name__ == "ArraysStructure" or (
        hasattr(ast, "__array__") and not dataclasses.is_dataclass(ast))


def load(path: Path | str = DEFAULT_MODEL) -> ModelInfo:
    """Metadata of the model at ``path`` (cached per content hash)."""
    path = Path(path)
    if not path.exists():
        raise OasisError(f"{path}: model file not found")
    if not path.is_file():
        raise OasisError(f"{path}: is a directory, not a model file")
    try:
        return _load_cached(str(path.resolve()), model_hash(path))
    except OasisError:
        raise
    except Exception as exc:  # noqa: BLE001 - pysd's parser raises its own types (ParseError, ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OasisError(f"{path}: pysd could not parse the model: {first[:300]}") from None
