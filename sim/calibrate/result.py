"""``calibration/calibrated.toml``: write it (atomically, with provenance) and read it back.

:func:`calibrated_parameters` is what the rest of the project uses: the calibrated values of the
free parameters, merged under the lever values by :func:`sim.runner.lever_params`, so the CLI,
the app, the checks and the sensitivity jobs all run the calibrated model by default. It returns
``{}`` when the file is missing (or when ``OASIS_SD_CALIBRATED=none``) and warns, without failing,
when the file was made for a different model file.

Only the standard library is imported here (the runner imports this module on every run).
"""
from __future__ import annotations

import functools
import hashlib
import math
import os
import tomllib
import warnings
from pathlib import Path

from ..model import DEFAULT_MODEL, REPO_ROOT

CALIBRATED_FILE = REPO_ROOT / "calibration" / "calibrated.toml"
ENV_VAR = "OASIS_SD_CALIBRATED"  # path of another calibrated.toml, or "none" to switch it off


class ModelHashWarning(UserWarning):
    """calibrated.toml was made for a different version of the model file."""


def sha256_file(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return repr(float(v))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def to_toml(doc: dict, header: str = "") -> str:
    """Minimal TOML writer for nested dicts of scalars/lists (tables after plain keys)."""
    lines = [f"# {h}" if h else "#" for h in header.splitlines()] if header else []

    def emit(table: dict, prefix: str):
        plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
        subs = {k: v for k, v in table.items() if isinstance(v, dict)}
        if prefix and (plain or not subs):
            lines.append("")
            lines.append(f"[{prefix}]")
        for k, v in plain.items():
            key = k if all(c.isalnum() or c in "_-" for c in k) else _toml_value(k)
            lines.append(f"{key} = {_toml_value(v)}")
        for k, v in subs.items():
            emit(v, f"{prefix}.{k}" if prefix else k)

    emit(doc, "")
    return "\n".join(lines).lstrip("\n") + "\n"


def write_calibrated(path: Path | str, doc: dict, header: str = "") -> Path:
    """Write the calibration result atomically (temp file + rename)."""
    from ..io import atomic_write

    text = to_toml(doc, header)
    tomllib.loads(text)  # never write a file we cannot read back
    out = atomic_write(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    _load.cache_clear()
    return out


def _default_path() -> Path | None:
    env = os.environ.get(ENV_VAR, "").strip()
    if env.lower() in ("none", "off", "0"):
        return None
    return Path(env) if env else CALIBRATED_FILE


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float, model_path: str) -> tuple[tuple[str, float], ...]:
    doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    params = doc.get("parameters", {})
    recorded = doc.get("provenance", {}).get("model_sha256")
    if recorded and Path(model_path).exists() and sha256_file(model_path) != recorded:
        warnings.warn(f"{path} was calibrated on a different version of {Path(model_path).name} "
                      f"(model sha256 {recorded[:12]}… vs current {sha256_file(model_path)[:12]}…); "
                      "re-run `oasis-sd calibrate`", ModelHashWarning, stacklevel=3)
    return tuple((str(k), float(v)) for k, v in params.items())


def load_calibrated(path: Path | str | None = None) -> dict:
    """The whole calibrated.toml document ({} if missing)."""
    path = Path(path) if path is not None else _default_path()
    if path is None or not path.exists():
        return {}
    from ..errors import OasisError
    from ..io import read_text_file

    text = read_text_file(path, what="calibrated.toml file", max_bytes=16 * 1024 * 1024)
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise OasisError(f"{path}: malformed TOML ({exc or 'nested too deeply'})") from None


def calibrated_parameters(path: Path | str | None = None, model_path: Path | str = DEFAULT_MODEL) -> dict[str, float]:
    """Calibrated values of the free parameters (constant name -> value); {} if there is no file."""
    path = Path(path) if path is not None else _default_path()
    if path is None or not path.exists():
        return {}
    return dict(_load(str(path.resolve()), path.stat().st_mtime, str(Path(model_path).resolve())))
