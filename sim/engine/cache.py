"""On-disk cache of compiled models, keyed by a hash of the .mdl content.

Layout: ``<cache dir>/<model hash>/ir.pkl`` (the IR, including constant
arrays) plus ``simulate_<variant>.py`` files with the generated source, kept
for inspection/debugging.  The cache directory is ``$OASIS_SD_CACHE`` or
``<repo>/.oasis_cache/engine``.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

from .compiler import ENGINE_VERSION, ModelIR, compile_ir, model_hash

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    env = os.environ.get("OASIS_SD_CACHE")
    base = Path(env) if env else REPO_ROOT / ".oasis_cache" / "engine"
    return base


def _atomic_write(path: Path, data: bytes) -> None:
    """The project's one atomic writer (:func:`sim.io.atomic_write_bytes`), folder created."""
    from ..io import atomic_write_bytes

    atomic_write_bytes(path, data, make_parents=True)


def load_or_compile(path, use_cache: bool = True) -> ModelIR:
    """Return the IR of ``path``; recompiles only when the model changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    h = model_hash(text)
    entry = cache_dir() / h / "ir.pkl"
    if use_cache and entry.is_file():
        try:
            with entry.open("rb") as fh:
                ir = pickle.load(fh)
            if getattr(ir, "engine_version", None) == ENGINE_VERSION:
                ir.source = str(path)
                return ir
        except Exception:  # corrupt/stale cache entry: recompile
            pass
    ir = compile_ir(path)
    if use_cache:
        try:
            _atomic_write(entry, pickle.dumps(ir, protocol=4))
        except OSError:
            pass  # read-only cache location: still usable, just slower
    return ir


def save_source(model_hash_: str, name: str, source: str) -> None:
    """Keep generated source next to the IR (debugging aid only)."""
    try:
        _atomic_write(cache_dir() / model_hash_ / name, source.encode())
    except OSError:
        pass
