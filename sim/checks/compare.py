"""Compare two model versions: run both over the presets and a fixed-seed lever sample and rank
the outputs by their largest relative change.

A model is a path or a git revision ``REV:path`` (read with ``git show``), e.g.
``compare("HEAD~1:sd_models/tianshan.mdl", "sd_models/tianshan.mdl")``.
"""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import levers as levers_mod
from ..errors import OasisError
from ..model import DEFAULT_MODEL
from . import matrix as matrix_mod

DEFAULT_SAMPLES = 16
DEFAULT_SEED = 20240601


@dataclass
class Change:
    variable: str
    max_rel_change: float
    scenario: str = ""
    time: float | None = None
    cell: str = ""
    old: float = float("nan")
    new: float = float("nan")

    def __str__(self):
        where = f"{self.scenario} t={self.time:g}" + (f" [{self.cell}]" if self.cell else "") if self.time is not None else ""
        return (f"{self.variable:<52} {self.max_rel_change:>10.3g}  {self.old:>12.6g} -> {self.new:<12.6g} {where}")


@dataclass
class CompareReport:
    old: str
    new: str
    old_hash: str
    new_hash: str
    n_scenarios: int
    changes: list[Change] = field(default_factory=list)  # ranked, largest first (only > rtol)
    unchanged: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    incomparable: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.changes or self.added or self.removed or self.incomparable)

    def table(self, limit: int = 40) -> str:
        lines = [f"old: {self.old} ({self.old_hash})", f"new: {self.new} ({self.new_hash})",
                 f"{self.n_scenarios} scenarios (presets + fixed-seed lever sample); "
                 f"{len(self.changes)} outputs changed, {self.unchanged} unchanged"]
        if self.added:
            lines.append("added: " + ", ".join(self.added))
        if self.removed:
            lines.append("removed: " + ", ".join(self.removed))
        if self.incomparable:
            lines.append("shape changed (not compared): " + ", ".join(self.incomparable))
        if self.changes:
            lines.append(f"{'output':<52} {'max rel Δ':>10}  {'old':>12}    {'new':<12} where")
            lines += [str(c) for c in self.changes[:limit]]
            if len(self.changes) > limit:
                lines.append(f"... {len(self.changes) - limit} more")
        return "\n".join(lines)


def resolve_model(spec: str | Path, workdir: Path) -> tuple[Path, str]:
    """A model file for ``spec`` (a path, or ``REV:path`` via ``git show``) and a display label."""
    text = str(spec)
    p = Path(text)
    if p.exists():
        return p, text
    if ":" in text:
        rev, rel = text.split(":", 1)
        try:
            out = subprocess.run(["git", "show", f"{rev}:{rel}"], cwd=DEFAULT_MODEL.resolve().parents[1],
                                 capture_output=True, check=True)
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            err = getattr(exc, "stderr", b"") or b""
            raise OasisError(f"cannot read {text!r} from git: {err.decode(errors='replace').strip() or exc}") from None
        dest = workdir / f"{rev.replace('/', '_').replace('~', '_').replace('^', '_')}_{Path(rel).name}"
        dest.write_bytes(out.stdout)
        return dest, text
    raise OasisError(f"model not found: {text!r} (give a path or REV:path)")


def lever_sample(n: int, seed: int = DEFAULT_SEED) -> list[dict[str, float]]:
    """``n`` fixed-seed random lever settings within the registry ranges."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        out.append({lv.name: lv.random_value(rng) for lv in levers_mod.levers()})
    return out


def _scenarios(n_samples: int, seed: int) -> list[matrix_mod.Scenario]:
    from .. import runner, scenarios as scenarios_mod

    # both model versions run with the current calibration, so only the structure differs
    scs = [matrix_mod.Scenario(name, matrix_mod.preset_params(name)) for name in scenarios_mod.available()]
    scs += [matrix_mod.Scenario(f"sample{i}", runner.lever_params(v)) for i, v in enumerate(lever_sample(n_samples, seed))]
    return scs


def _run(compiled, scs, outputs):
    from ..runner import known_to

    kept = [matrix_mod.Scenario(s.name, known_to(s.params, compiled)) for s in scs]
    params, n = matrix_mod.engine_params(kept, compiled)
    return compiled.run(params, n=n, outputs=outputs)


def compare(old: str | Path, new: str | Path, *, n_samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED,
            rtol: float = 1e-9, atol: float = 1e-9) -> CompareReport:
    """Run ``old`` and ``new`` over the presets and a lever sample; rank outputs by max relative change.

    Differences up to ``atol`` (model units) are round-off, not changes (e.g. a land balance of
    3e-12 kha flipping sign)."""
    from .. import engine

    with tempfile.TemporaryDirectory(prefix="oasis-compare-") as tmp:
        old_path, old_label = resolve_model(old, Path(tmp))
        new_path, new_label = resolve_model(new, Path(tmp))
        m_old, m_new = engine.compile(old_path), engine.compile(new_path)
    out_old, out_new = set(m_old.default_outputs()), set(m_new.default_outputs())
    common = sorted(out_old & out_new)
    scs = _scenarios(n_samples, seed)
    ds_old, ds_new = _run(m_old, scs, common), _run(m_new, scs, common)
    times = np.intersect1d(ds_old.time.values, ds_new.time.values)
    ds_old, ds_new = ds_old.sel(time=times), ds_new.sel(time=times)
    report = CompareReport(old_label, new_label, m_old.model_hash, m_new.model_hash, len(scs),
                           added=sorted(out_new - out_old), removed=sorted(out_old - out_new))
    for name in common:
        a, b = ds_old[name], ds_new[name]
        if a.dims != b.dims or a.shape != b.shape:
            report.incomparable.append(name)
            continue
        av, bv = a.values.astype(float), b.values.astype(float)
        diff = np.abs(bv - av)
        scale = np.nanmax(np.abs(av)) if np.isfinite(av).any() else 0.0
        denom = np.maximum(np.maximum(np.abs(av), np.abs(bv)), 1e-12 * scale + 1e-300)
        rel = np.where((np.isnan(av) & np.isnan(bv)) | (diff <= atol), 0.0, diff / denom)
        rel = np.where(np.isnan(av) ^ np.isnan(bv), np.inf, rel)
        rel = np.where(np.isnan(rel), 0.0, rel)
        worst = float(rel.max()) if rel.size else 0.0
        if worst <= rtol:
            report.unchanged += 1
            continue
        idx = np.unravel_index(int(np.argmax(rel)), rel.shape)
        cell = ",".join(str(a[d].values[i]) for d, i in zip(a.dims[2:], idx[2:]))
        report.changes.append(Change(name, worst, scs[idx[0]].name, float(times[idx[1]]), cell,
                                     float(av[idx]), float(bv[idx])))
    report.changes.sort(key=lambda c: -c.max_rel_change)
    return report
