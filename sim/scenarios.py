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


_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'"


def _line_of(text: str, key: str) -> int:
    """1-based line where ``key`` is defined in TOML text: ``key =``, ``"key" =``, a dotted key
    that contains it (``levers.key =``, ``key.sub =``) or a table header (``[levers.key]``).
    Falls back to the first line mentioning the key; 0 only when the key does not occur at all."""
    k = re.escape(key)
    name = rf"(?:{k}|\"{k}\"|'{k}')"
    part = rf"(?:{_BARE}|{_QUOTED})"
    patterns = (
        rf"^[ \t]*(?:{part}[ \t]*\.[ \t]*)*{name}[ \t]*(?:=|\.)",        # key = / a.key = / key.b =
        rf"^[ \t]*\[\[?[ \t]*(?:{part}[ \t]*\.[ \t]*)*{name}[ \t]*(?:\]|\.)",  # [key] / [a.key] / [[key]]
        rf"(?<![\w-]){name}[ \t]*=",                                      # inside an inline table
        rf"(?<![\w-]){k}(?![\w-])",                                         # anywhere
    )
    for pat in patterns:
        m = re.search(pat, text, re.M)
        if m:
            return text.count("\n", 0, m.start()) + 1
    return 0


def _at(where: str, text: str, key: str) -> str:
    """``where:line`` for ``key`` (just ``where`` when the line is not known)."""
    line = _line_of(text, key)
    return f"{where}:{line}" if line else where


def parse_scenario_text(text: str, where: str) -> tuple[dict, dict[str, float]]:
    """Parse and validate one scenario document. Returns (meta, lever overrides).

    A leading UTF-8 byte-order mark is ignored. A document with neither a ``[scenario]`` nor a
    ``[levers]`` table (empty, blank or comments only) is refused: it is not a scenario."""
    if not isinstance(text, str):
        raise ScenarioFileError(f"{where}: a scenario is text, got {type(text).__name__}")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SCENARIO_BYTES:
        raise ScenarioFileError(f"{where}: file is larger than {MAX_SCENARIO_BYTES // 1024} KiB; not a scenario")
    if text.startswith("\ufeff"):  # UTF-8 byte-order mark (Windows editors)
        text = text[1:]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(f"{where}: not valid TOML ({exc})") from None
    except RecursionError:  # hostile input: thousands of nested arrays or tables
        raise ScenarioFileError(f"{where}: the file is nested too deeply; "
                                "a scenario is flat [scenario] and [levers] tables") from None
    if not data:
        raise ScenarioFileError(f"{where}: empty scenario file: it needs a [scenario] table (title, "
                                "inherits) and/or a [levers] table; for the baseline use the preset 'baseline'")
    unknown_tables = set(data) - {"scenario", "levers"}
    if unknown_tables:
        name = sorted(unknown_tables)[0]
        raise ScenarioFileError(f"{where}:{_line_of(text, name) or 1}: unknown table or key '{name}'; "
                                "a scenario has only [scenario] and [levers]")
    meta = data.get("scenario", {})
    if not isinstance(meta, dict):
        raise ScenarioFileError(f"{_at(where, text, 'scenario')}: 'scenario' must be a table")
    for key, value in meta.items():
        loc = _at(where, text, key)
        if key not in _ALLOWED_META:
            raise UnknownNameError("scenario field", key, _ALLOWED_META, where=loc)
        if not isinstance(value, str):
            raise ScenarioFileError(f"{loc}: field '{key}' must be a string")
    raw_levers = data.get("levers", {})
    if not isinstance(raw_levers, dict):
        raise ScenarioFileError(f"{_at(where, text, 'levers')}: 'levers' must be a table of name = number")
    overrides: dict[str, float] = {}
    given_as: dict[str, tuple[str, str]] = {}
    for key, value in raw_levers.items():
        loc = _at(where, text, key)
        lever = levers_mod.lever_or_error(key, where=loc)
        if lever.name in given_as:
            first_key, first_loc = given_as[lever.name]
            raise ScenarioFileError(f"{loc}: lever '{lever.name}' is given twice ('{first_key}' at {first_loc} "
                                    f"and '{key}'); give each lever once")
        given_as[lever.name] = (key, loc)
        overrides[lever.name] = lever.validate(value, where=loc)
    return meta, overrides


def available() -> list[str]:
    """Names of the scenario files in ``scenarios/`` (baseline first)."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: (n != "baseline", n))


# ``inherits`` names a preset or a file beside the inheriting file: a plain name, never a path
_PARENT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$", re.ASCII)


def read_scenario_file(path: Path) -> str:
    """The text of a scenario file, or a :class:`ScenarioFileError` (not found, a directory,
    unreadable, too big, not UTF-8 text, NUL bytes)."""
    from .io import read_text_file

    return read_text_file(path, what="scenario file", max_bytes=MAX_SCENARIO_BYTES, error=ScenarioFileError)


def _looks_like_path(name: str) -> bool:
    return name.endswith(".toml") or "/" in name or "\\" in name or name.startswith(".")


def _resolve_path(name_or_path: str | Path) -> Path:
    """A preset name (``scenarios/<name>.toml``) or, for paths, the file itself."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or _looks_like_path(text):
        p = Path(name_or_path)
        if not p.exists():
            raise ScenarioFileError(f"{p}: file not found")
        return p
    candidate = SCENARIO_DIR / f"{text}.toml"
    if _PARENT_RE.match(text) and candidate.is_file():
        return candidate
    raise UnknownNameError("scenario", text, available())


def _resolve_parent(parent: str, child: Path) -> Path:
    """The file ``inherits = parent`` in ``child`` refers to: a preset, or a file in the same folder
    as ``child`` (``other.toml`` or ``other``). Paths (``/``, ``..``, absolute) are refused without
    looking at the file system, so that an error never tells whether some other file exists."""
    if not _PARENT_RE.match(parent) or ".." in parent:
        raise ScenarioFileError(f"'inherits' must name a preset (one of {', '.join(available())}) or a "
                                f"scenario file in the same folder, not a path: {parent[:60]!r}")
    folder = child.resolve().parent
    stem = parent[:-5] if parent.endswith(".toml") else parent
    candidates = [folder / f"{stem}.toml"] if parent.endswith(".toml") else []
    candidates += [SCENARIO_DIR / f"{stem}.toml"]
    if not parent.endswith(".toml"):
        candidates += [folder / f"{stem}.toml"]
    for cand in candidates:
        real = cand.resolve()
        if real.parent not in (folder, SCENARIO_DIR.resolve()):  # a symlink pointing elsewhere
            continue
        if real.is_file():
            return cand
    raise UnknownNameError("scenario", parent, available())


def load(name_or_path: str | Path = "baseline") -> Scenario:
    """Load a preset by name (``S2_cae_strategy``) or a scenario file by path, following ``inherits``
    (a preset, or a file in the same folder; never a path)."""
    chain: list[tuple[Path, dict, dict[str, float]]] = []
    seen: set[Path] = set()
    path = _resolve_path(name_or_path)
    while True:
        if path.resolve() in seen:
            raise ScenarioFileError(f"{path}: inheritance cycle ({' -> '.join(p.stem for p, *_ in chain)} -> {path.stem})")
        seen.add(path.resolve())
        text = read_scenario_file(path)
        meta, overrides = parse_scenario_text(text, str(path))
        chain.append((path, meta, overrides))
        if "inherits" not in meta:
            break
        parent = meta["inherits"].strip()
        try:
            path = _resolve_parent(parent, path)
        except OasisError as exc:
            raise ScenarioFileError(f"{_at(str(path), text, 'inherits')}: {exc}") from None
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


def from_text(text: str | bytes, where: str = "<uploaded scenario>") -> Scenario:
    """A scenario from an uploaded document. It cannot reference files: ``inherits`` may only
    name a preset (checked against the list of presets before any file is opened)."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > MAX_SCENARIO_BYTES:
            raise ScenarioFileError(f"{where}: file is larger than {MAX_SCENARIO_BYTES // 1024} KiB; not a scenario")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioFileError(f"{where}: not UTF-8 text; save the scenario as UTF-8") from None
    if isinstance(text, str) and "\x00" in text:
        raise ScenarioFileError(f"{where}: NUL byte; not a text file")
    meta, overrides = parse_scenario_text(text, where)
    parent = None
    if "inherits" in meta:
        name = meta["inherits"].strip()
        presets = available()
        if name not in presets:
            raise ScenarioFileError(f"{_at(where, text, 'inherits')}: an uploaded scenario may inherit from a "
                                    f"preset only ({', '.join(presets)}); {name[:60]!r} is not one")
        parent = load(name)
    values = dict(parent.levers) if parent else levers_mod.defaults()
    values.update(overrides)
    base = levers_mod.defaults()
    return Scenario(name=meta.get("title", "uploaded"), title=meta.get("title", "uploaded"), levers=values,
                    overrides={k: v for k, v in values.items() if v != base[k]},
                    description=meta.get("description", ""), source=meta.get("source", ""),
                    title_zh=meta.get("title_zh", ""))


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
