"""Scenario files (``scenarios/*.toml``) → validated lever settings.

A scenario is a set of lever values that may inherit from another scenario. Files look like::

    [scenario]
    title = "S2 CAE strategy fully implemented"
    inherits = "baseline"          # optional; cycles are refused
    description = "..."
    source = "seed-levers.md s5 S2"

    [levers]
    new_reclamation_pct_of_bau = 0  # lever constant or seed id (L1)

Every key and value is validated against the lever registry; errors name the file and line.
Nothing here evaluates text as code (TOML is parsed, never executed).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import levers as levers_mod
from .errors import OasisError, ScenarioFileError, UnknownNameError
from .model import REPO_ROOT

SCENARIO_DIR = REPO_ROOT / "scenarios"
MAX_SCENARIO_BYTES = 64 * 1024  # a scenario is a few dozen lines; anything bigger is refused
_ALLOWED_META = {"title", "title_zh", "inherits", "description", "source"}


@dataclass
class Scenario:
    name: str
    title: str
    levers: dict[str, float]  # full lever set (BAU defaults overridden by the file chain)
    overrides: dict[str, float] = field(default_factory=dict)  # what differs from baseline
    description: str = ""
    source: str = ""
    title_zh: str = ""


def _line_of(text: str, key: str) -> int:
    """1-based line where ``key =`` appears in TOML text (0 if not found)."""
    pat = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=", re.M)
    m = pat.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 0


def parse_scenario_text(text: str, where: str) -> tuple[dict, dict[str, float]]:
    """Parse and validate one scenario document. Returns (meta, lever overrides)."""
    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise ScenarioFileError(f"{where}: file is larger than {MAX_SCENARIO_BYTES // 1024} KiB; not a scenario")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(f"{where}: not valid TOML ({exc})") from None
    except RecursionError:  # hostile input: thousands of nested arrays or tables
        raise ScenarioFileError(f"{where}: the file is nested too deeply; a scenario is flat [scenario] and [levers] tables") from None
    unknown_tables = set(data) - {"scenario", "levers"}
    if unknown_tables:
        name = sorted(unknown_tables)[0]
        raise ScenarioFileError(f"{where}:{_line_of(text, name) or 1}: unknown table or key '{name}'; "
                                "a scenario has only [scenario] and [levers]")
    meta = data.get("scenario", {})
    if not isinstance(meta, dict):
        raise ScenarioFileError(f"{where}: 'scenario' must be a table")
    for key, value in meta.items():
        line = _line_of(text, key)
        if key not in _ALLOWED_META:
            raise UnknownNameError("scenario field", key, _ALLOWED_META, where=f"{where}:{line}")
        if not isinstance(value, str):
            raise ScenarioFileError(f"{where}:{line}: field '{key}' must be a string")
    raw_levers = data.get("levers", {})
    if not isinstance(raw_levers, dict):
        raise ScenarioFileError(f"{where}: 'levers' must be a table of name = number")
    overrides: dict[str, float] = {}
    for key, value in raw_levers.items():
        loc = f"{where}:{_line_of(text, key)}"
        lever = levers_mod.lever_or_error(key, where=loc)
        overrides[lever.name] = lever.validate(value, where=loc)
    return meta, overrides


def available() -> list[str]:
    """Names of the scenario files in ``scenarios/`` (baseline first)."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: (n != "baseline", n))


def _resolve_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" and p.exists():
        return p
    candidate = SCENARIO_DIR / f"{name_or_path}.toml"
    if candidate.exists():
        return candidate
    raise UnknownNameError("scenario", str(name_or_path), available())


def load(name_or_path: str | Path = "baseline") -> Scenario:
    """Load a preset by name (``S2_cae_strategy``) or a scenario file by path, following ``inherits``."""
    chain: list[tuple[Path, dict, dict[str, float]]] = []
    seen: set[Path] = set()
    path = _resolve_path(name_or_path)
    while True:
        if path.resolve() in seen:
            raise ScenarioFileError(f"{path}: inheritance cycle ({' -> '.join(p.stem for p, *_ in chain)} -> {path.stem})")
        seen.add(path.resolve())
        meta, overrides = parse_scenario_text(path.read_text(encoding="utf-8"), str(path))
        chain.append((path, meta, overrides))
        parent = meta.get("inherits")
        if not parent:
            break
        try:
            path = _resolve_path(parent)
        except UnknownNameError as exc:
            raise ScenarioFileError(f"{chain[-1][0]}:{_line_of(chain[-1][0].read_text(), 'inherits')}: {exc}") from None
    values = levers_mod.defaults()
    for _, _, overrides in reversed(chain):
        values.update(overrides)
    base = levers_mod.defaults()
    top_path, top_meta, _ = chain[0]
    return Scenario(
        name=top_path.stem, title=top_meta.get("title", top_path.stem), levers=values,
        overrides={k: v for k, v in values.items() if v != base[k]},
        description=top_meta.get("description", ""), source=top_meta.get("source", ""),
        title_zh=top_meta.get("title_zh", ""),
    )


def from_text(text: str, where: str = "<uploaded scenario>") -> Scenario:
    """A scenario from an uploaded document; ``inherits`` may name a preset only."""
    meta, overrides = parse_scenario_text(text, where)
    parent = load(meta["inherits"]) if meta.get("inherits") else None
    values = dict(parent.levers) if parent else levers_mod.defaults()
    values.update(overrides)
    base = levers_mod.defaults()
    return Scenario(name=meta.get("title", "uploaded"), title=meta.get("title", "uploaded"), levers=values,
                    overrides={k: v for k, v in values.items() if v != base[k]},
                    description=meta.get("description", ""), source=meta.get("source", ""))


def to_toml(scenario: Scenario, model_hash: str = "") -> str:
    """Serialise a scenario (only the levers that differ from baseline) as TOML text."""
    import tomli_w

    meta = {"title": scenario.title}
    if scenario.description:
        meta["description"] = scenario.description
    if model_hash:
        meta["source"] = f"oasis-sd model {model_hash}"
    return tomli_w.dumps({"scenario": meta, "levers": dict(scenario.overrides)})


def apply_overrides(scenario: Scenario, assignments: list[str]) -> Scenario:
    """Apply ``lever=value`` strings (CLI ``--set``) on top of a scenario, validated."""
    values = dict(scenario.levers)
    for item in assignments:
        if "=" not in item:
            raise OasisError(f"--set '{item}': expected lever=value")
        key, text = (s.strip() for s in item.split("=", 1))
        lever = levers_mod.lever_or_error(key, where="--set")
        try:
            number = float(text)
        except ValueError:
            raise OasisError(f"--set {key}: '{text}' is not a number") from None
        values[lever.name] = lever.validate(number, where="--set")
    base = levers_mod.defaults()
    return Scenario(name=scenario.name, title=scenario.title, levers=values,
                    overrides={k: v for k, v in values.items() if v != base[k]},
                    description=scenario.description, source=scenario.source)
