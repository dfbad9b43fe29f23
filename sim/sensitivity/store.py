"""On-disk job store: manifest, samples, one file per finished chunk, results.

Layout of an output directory (see README for details)::

    manifest.json           what the job is (compared on --resume)
    samples.npy             full design matrix, written before any evaluation
    chunks/chunk-000042.npz one per finished chunk: start, stop, Y[start:stop]
    outputs.npy             assembled (run, output, year) array, after evaluation
    indices.csv             tidy sensitivity indices
    convergence.csv         indices on nested sub-samples + per-output verdict
    report/                 report.md, report.html, *.png

Every file is written by :func:`sim.io.atomic_write` (a ``.<name>.<pid>.<random>.tmp`` file in
the same directory, fsynced
and then ``os.replace``d into place), so a reader sees either the complete old
state or the complete new one; ``*.tmp`` files are never read and are removed
on the next start.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptJobFileError, OutputDirMismatchError

MANIFEST = "manifest.json"
FORMAT = "oasis-sd-sensitivity/1"
_CHUNK_RE = re.compile(r"^chunk-(\d{6})\.npz$")

# Manifest keys that must match for two runs to be "the same job".  Anything
# else (timestamps, status, host) is informational.
IDENTITY_KEYS = (
    "format", "package_version", "salib_version", "method", "method_options", "n", "seed",
    "chunk_size", "factors", "groups", "outputs", "years", "evaluator",
    "samples_sha256",  # last: only reported when nothing else explains a difference
)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader can ever see a partial file
    (:func:`sim.io.atomic_write_bytes`, the project's one atomic writer)."""
    from ..io import atomic_write_bytes as _write

    _write(path, data)


def _npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def sha256_array(arr: np.ndarray) -> str:
    a = np.ascontiguousarray(arr)
    h = hashlib.sha256()
    h.update(str((a.dtype.str, a.shape)).encode())
    h.update(a.tobytes())
    return h.hexdigest()


def _describe(v: Any) -> str:
    s = json.dumps(v, sort_keys=True, default=str)
    return s if len(s) <= 120 else s[:117] + "..."


def manifest_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable list of identity fields that differ between two manifests."""
    diffs = []
    for key in IDENTITY_KEYS:
        a, b = old.get(key), new.get(key)
        if key == "evaluator" and isinstance(a, dict) and isinstance(b, dict):
            # The model may be run from another checkout: compare what it *is*, not where.
            a = {k: v for k, v in a.items() if k != "model_path"}
            b = {k: v for k, v in b.items() if k != "model_path"}
        if key == "factors" and isinstance(a, list) and isinstance(b, list):
            fa = {f["name"]: f for f in a}
            fb = {f["name"]: f for f in b}
            if [f["name"] for f in a] != [f["name"] for f in b]:
                gone, added = sorted(set(fa) - set(fb)), sorted(set(fb) - set(fa))
                msg = "factors differ"
                if gone:
                    msg += f"; stored job has {gone} not in this one"
                if added:
                    msg += f"; this job adds {added}"
                if not gone and not added:
                    msg += " in order"
                diffs.append(msg)
            else:
                for name in fa:
                    for attr in ("constant", "low", "high", "kind"):
                        if fa[name].get(attr) != fb[name].get(attr):
                            diffs.append(
                                f"factor {name!r} {attr}: stored {fa[name].get(attr)!r}, "
                                f"now {fb[name].get(attr)!r}"
                            )
            continue
        if key == "samples_sha256":
            if a != b and not diffs:
                # Same spec, different matrix: the sampler itself changed under us.
                diffs.append("the regenerated samples differ from the stored ones although the "
                             "spec is identical (a different SALib/SciPy/NumPy sampler?)")
            continue
        if a != b:
            diffs.append(f"{key}: stored {_describe(a)}, now {_describe(b)}")
    return diffs


def chunk_digest(job: str, start: int, stop: int, Y: np.ndarray) -> str:
    """Content hash of a chunk: the job it belongs to, its rows and its values. A chunk whose
    values were changed (zeroed, truncated) or that comes from another job (another seed, other
    factors) does not match and is recomputed on --resume instead of being trusted."""
    h = hashlib.sha256()
    h.update(f"{job}:{start}:{stop}:".encode())
    h.update(sha256_array(np.asarray(Y, dtype=np.float64)).encode())
    return h.hexdigest()


class JobStore:
    """All file access for one job directory. ``job``: the job digest (``job_digest`` of the
    manifest) written into and checked against every chunk."""

    def __init__(self, root: str | os.PathLike, job: str = ""):
        self.job = job
        self.root = Path(root)
        self.chunks_dir = self.root / "chunks"
        self.report_dir = self.root / "report"

    # -- manifest -----------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            return None
        except json.JSONDecodeError as exc:
            raise OutputDirMismatchError(
                f"{self.manifest_path} is not valid JSON ({exc}); this directory does not hold a "
                "readable job. Choose another --out or delete it."
            ) from exc

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True,
                                                          default=str).encode())

    def is_empty_or_absent(self) -> bool:
        return not self.root.exists() or not any(self.root.iterdir())

    def clean_tmp(self) -> int:
        """Delete leftovers of writes interrupted before their rename; returns how many."""
        n = 0
        for d in (self.root, self.chunks_dir, self.report_dir):
            if d.is_dir():
                for p in d.glob("*.tmp"):
                    p.unlink(missing_ok=True)
                    n += 1
        return n

    # -- samples ------------------------------------------------------------------
    def write_samples(self, X: np.ndarray) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.root / "samples.npy", _npy_bytes(X))

    def read_samples(self, sha256: str | None = None) -> np.ndarray:
        """The stored design matrix; with ``sha256`` (the manifest's ``samples_sha256``) it must
        match, else :class:`CorruptJobFileError`."""
        path = self.root / "samples.npy"
        try:
            X = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise CorruptJobFileError(f"{path} is missing") from None
        except (ValueError, OSError, EOFError) as exc:
            raise CorruptJobFileError(f"{path} is not a readable sample matrix ({exc})") from None
        if sha256 is not None and sha256_array(X) != sha256:
            raise CorruptJobFileError(f"{path} does not match the manifest (samples_sha256): the file "
                                      "was changed or damaged")
        return X

    # -- chunks -------------------------------------------------------------------
    def chunk_path(self, index: int) -> Path:
        return self.chunks_dir / f"chunk-{index:06d}.npz"

    def write_chunk(self, index: int, start: int, stop: int, Y: np.ndarray) -> None:
        self.chunks_dir.mkdir(parents=True, exist_ok=True)
        Y = np.asarray(Y, dtype=np.float64)
        atomic_write_bytes(self.chunk_path(index),
                           _npz_bytes(start=np.int64(start), stop=np.int64(stop), Y=Y,
                                      job=np.array(self.job), sha256=np.array(chunk_digest(self.job, start, stop, Y))))

    def read_chunk(self, index: int, verify: bool = True) -> tuple[int, int, np.ndarray]:
        """(start, stop, Y) of a chunk file; with ``verify`` the job digest and the content hash
        must match (else :class:`CorruptJobFileError`)."""
        path = self.chunk_path(index)
        with np.load(path, allow_pickle=False) as z:
            start, stop, Y = int(z["start"]), int(z["stop"]), np.array(z["Y"])
            job = str(z["job"]) if "job" in z.files else None
            digest = str(z["sha256"]) if "sha256" in z.files else None
        if verify:
            if job is None or digest is None:
                raise CorruptJobFileError(f"{path.name} has no job digest/content hash (written by an "
                                          "older version or by hand)")
            if job != self.job:
                raise CorruptJobFileError(f"{path.name} belongs to another job ({job[:10]!r}, this job "
                                          f"is {self.job[:10]!r})")
            if digest != chunk_digest(job, start, stop, Y):
                raise CorruptJobFileError(f"{path.name}: content hash mismatch (the values were changed)")
        return start, stop, Y

    def finished_chunks(self, layout: dict[int, tuple[int, int]], row_shape: tuple[int, ...],
                        warn: Callable[[str], None] | None = None) -> set[int]:
        """Chunks on disk that are complete and consistent with ``layout``.

        Only exact ``chunk-NNNNNN.npz`` names count (``*.tmp`` never does).  A
        file that cannot be read or has the wrong rows/shape is reported and
        treated as not done, so it is recomputed rather than trusted.
        """
        done: set[int] = set()
        if not self.chunks_dir.is_dir():
            return done
        for p in sorted(self.chunks_dir.iterdir()):
            m = _CHUNK_RE.match(p.name)
            if not m:
                continue
            idx = int(m.group(1))
            if idx not in layout:
                if warn:
                    warn(f"ignoring {p.name}: not a chunk of this job's layout")
                continue
            try:
                start, stop, Y = self.read_chunk(idx)
            except CorruptJobFileError as exc:
                if warn:
                    warn(f"ignoring {exc}; it will be recomputed")
                continue
            except Exception as exc:  # noqa: BLE001 - any unreadable file is simply redone
                if warn:
                    warn(f"ignoring unreadable {p.name} ({exc}); it will be recomputed")
                continue
            if (start, stop) != layout[idx] or Y.shape != (stop - start, *row_shape):
                if warn:
                    warn(f"ignoring {p.name}: rows/shape do not match the manifest; recomputing")
                continue
            if not np.isfinite(Y).all():
                if warn:
                    warn(f"ignoring {p.name}: it holds NaN/inf; recomputing")
                continue
            done.add(idx)
        return done

    def assemble(self, layout: dict[int, tuple[int, int]], n_rows: int,
                 row_shape: tuple[int, ...]) -> np.ndarray:
        """Build the full output array by row index from the chunk files (order independent)."""
        Y = np.empty((n_rows, *row_shape), dtype=np.float64)
        for idx, (start, stop) in sorted(layout.items()):
            s, e, y = self.read_chunk(idx)
            assert (s, e) == (start, stop), (idx, s, e, start, stop)
            Y[start:stop] = y
        return Y

    # -- results ------------------------------------------------------------------
    def write_outputs(self, Y: np.ndarray) -> None:
        atomic_write_bytes(self.root / "outputs.npy", _npy_bytes(Y))

    def write_csv(self, name: str, df) -> Path:
        path = self.root / name
        atomic_write_bytes(path, df.to_csv(index=False).encode())
        return path

    def write_text(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text.encode())
        return path


def load_raw(out_dir: str | os.PathLike):
    """Load samples and outputs of a finished job as an ``xarray.Dataset``.

    Variables ``X`` (run, factor) and ``Y`` (run, output, year); scalar
    summary outputs are repeated across ``year`` (see summaries.py).
    """
    import xarray as xr

    store = JobStore(out_dir)
    m = store.read_manifest()
    if m is None:
        raise FileNotFoundError(f"no {MANIFEST} in {out_dir}")
    X = store.read_samples(m.get("samples_sha256"))
    Y = np.load(store.root / "outputs.npy", allow_pickle=False)
    return xr.Dataset(
        {"X": (("run", "factor"), X), "Y": (("run", "output", "year"), Y)},
        coords={"factor": [f["name"] for f in m["factors"]], "output": m["outputs"],
                "year": m["years"]},
        attrs={"method": m["method"], "n": m["n"], "seed": m["seed"]},
    )


def iter_chunk_layout(n_rows: int, chunk_size: int) -> Iterable[tuple[int, int, int]]:
    """(index, start, stop) row ranges; the last chunk may be short."""
    for i, start in enumerate(range(0, n_rows, chunk_size)):
        yield i, start, min(start + chunk_size, n_rows)
