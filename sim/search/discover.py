"""Scenario discovery (``oasis-sd discover``): PRIM boxes, and a CART view, of the futures in which
a scenario fails an outcome (e.g. S2 does not end groundwater overdraft by 2035).

PRIM is the EMA workbench's implementation (``ema_workbench.analysis.prim``, 2.5.x); CART is the
workbench's wrapper of scikit-learn's decision tree (scikit-learn comes with the workbench, so the
second view costs nothing extra).

Coverage = share of all failing futures that lie in the box; density = share of futures in the box
that fail; mass = share of all futures in the box.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import OasisError


@dataclass
class Box:
    """One PRIM box: ``limits`` name -> (low, high) for the restricted dimensions only."""

    limits: dict[str, tuple[float, float]]
    coverage: float  # [0-1]
    density: float  # [0-1]
    mass: float  # [0-1]
    n: int  # futures in the box
    trajectory: pd.DataFrame = field(default=None, repr=False)

    def describe(self, units: dict[str, str] | None = None) -> str:
        units = units or {}
        parts = [f"{lo:.4g} ≤ {k} ≤ {hi:.4g}{(' ' + units[k]) if units.get(k) else ''}" for k, (lo, hi) in self.limits.items()]
        return (" and ".join(parts) or "(whole space)") + (
            f"  — coverage {self.coverage:.0%}, density {self.density:.0%}, mass {self.mass:.0%} (n={self.n})")


def _quiet():
    warnings.filterwarnings("ignore", message="ipyparallel not installed")
    warnings.filterwarnings("ignore", category=FutureWarning)


def prim_boxes(X: pd.DataFrame, y: np.ndarray, *, threshold: float = 0.8, max_boxes: int = 2,
               peel_alpha: float = 0.05, mass_min: float = 0.05) -> list[Box]:
    """PRIM boxes describing where ``y`` (bool per row) is true.

    For each box the point of the peeling trajectory with the highest coverage among those with
    density ≥ ``threshold`` is kept (the densest point when none reaches it). Later boxes are
    found on the rows outside the earlier ones (PRIM's covering).
    """
    _quiet()
    from ema_workbench.analysis import prim

    y = np.asarray(y, dtype=bool)
    if y.shape[0] != len(X):
        raise OasisError(f"discover: {len(X)} rows of inputs but {y.shape[0]} outcomes")
    if y.sum() == 0:
        raise OasisError("discover: the outcome never fails in these futures; nothing to describe")
    if y.all():
        raise OasisError("discover: the outcome fails in every future; no box can separate failures")
    X = X.reset_index(drop=True).astype(float)
    const = [c for c in X.columns if X[c].nunique() <= 1]
    X = X.drop(columns=const)
    p = prim.Prim(X, y, threshold=threshold, peel_alpha=peel_alpha, mass_min=mass_min)
    n_fail = int(y.sum())
    boxes = []
    for _ in range(max_boxes):
        try:
            box = p.find_box()
        except Exception:  # noqa: BLE001 - no further box can be found
            break
        if box is None:
            break
        traj = box.peeling_trajectory
        ok = traj[traj["density"] >= threshold]
        i = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
        box.select(i)
        lims, init = box.box_lims[i], box.box_lims[0]
        restricted = {c: (float(lims[c][0]), float(lims[c][1])) for c in X.columns
                      if (lims[c][0] != init[c][0]) or (lims[c][1] != init[c][1])}
        inside = np.ones(len(X), bool)
        for c, (lo, hi) in restricted.items():
            inside &= (X[c].to_numpy() >= lo) & (X[c].to_numpy() <= hi)
        boxes.append(Box(restricted, float(y[inside].sum() / n_fail), float(y[inside].mean()) if inside.any() else 0.0,
                         float(inside.mean()), int(inside.sum()), traj))
        if float(traj.loc[i, "density"]) < threshold:
            break
    return boxes


def cart_rules(X: pd.DataFrame, y: np.ndarray, max_depth: int = 3) -> str:
    """A shallow classification tree (scikit-learn) as text: the second view of the failures."""
    try:
        from sklearn.tree import DecisionTreeClassifier, export_text
    except ImportError:  # pragma: no cover - comes with ema_workbench
        return "(CART view needs scikit-learn)"
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(5, len(X) // 50), random_state=0)
    tree.fit(X.to_numpy(), np.asarray(y, bool))
    return export_text(tree, feature_names=list(X.columns), show_weights=True)


@dataclass
class Discovery:
    scenario: str
    outcome: str
    n_futures: int
    n_fail: int
    boxes: list[Box]
    cart: str
    inputs: pd.DataFrame = field(repr=False, default=None)
    failed: np.ndarray = field(repr=False, default=None)


def discover(scenario: str, *, red_line: str | None = "groundwater", year: int = 2035, indicator: str | None = None,
             above: float | None = None, below: float | None = None, members: int = 100, deep_samples: int = 4,
             seed: int = 7, geography: str = "belt", threshold: float = 0.8, max_boxes: int = 2, backend=None,
             store_dir=None) -> Discovery:
    """Run ``scenario`` over the futures (:func:`sim.search.robustness.make_futures`) and describe its
    failures: red line breached in ``year``, or ``indicator`` at ``year`` above/below a value."""
    from .. import indicators
    from .evaluate import Metric, red_line_flag
    from .robustness import make_futures, scenario_runs

    futures = make_futures(members, deep_samples, seed)
    if indicator is not None:
        if (above is None) == (below is None):
            raise OasisError("discover: with --indicator give exactly one of --above / --below (the failure threshold)")
        if indicator not in indicators.ALL_INDICATORS:
            from ..errors import UnknownNameError

            raise UnknownNameError("indicator", indicator, indicators.ALL_INDICATORS)
        vals, _, _ = scenario_runs([scenario], futures, [Metric(indicator, year, geography)], [], geography=geography,
                                   backend=backend, store_dir=store_dir)
        v = vals[0, :, 0]
        failed = v > above if above is not None else v < below
        label = f"{indicator} {year} {'>' if above is not None else '<'} {above if above is not None else below:g}"
    else:
        flag = red_line_flag(red_line)
        _, breach, _ = scenario_runs([scenario], futures, [], [flag], window=(year, year), geography=geography,
                                     backend=backend, store_dir=store_dir)
        failed = breach[0, :, 0] > 0
        label = f"{indicators.RED_LINE_FLAGS[flag][0]} breached in {year}"
    X = pd.DataFrame(futures.values, columns=[f.constant for f in futures.factors])
    X = X.loc[:, X.nunique() > 1]
    boxes = prim_boxes(X, failed, threshold=threshold, max_boxes=max_boxes) if 0 < failed.sum() < len(failed) else []
    cart = cart_rules(X, failed) if 0 < failed.sum() < len(failed) else ""
    return Discovery(scenario, label, len(failed), int(failed.sum()), boxes, cart, X, failed)


def report(d: Discovery) -> str:
    """Markdown summary of a discovery run."""
    from .. import levers as levers_mod

    units = {p.constant: p.units for p in levers_mod.parameters()}
    lines = [f"# Scenario discovery: {d.scenario} — fails when: {d.outcome}", "",
             f"{d.n_fail} of {d.n_futures} futures fail ({d.n_fail / max(1, d.n_futures):.0%}).", ""]
    if not d.boxes:
        lines.append("No PRIM box: the outcome fails in none or all of the futures.")
    for k, b in enumerate(d.boxes, 1):
        lines += [f"## PRIM box {k}", "", f"coverage {b.coverage:.1%}, density {b.density:.1%}, mass {b.mass:.1%}, "
                  f"{b.n} futures", ""]
        lines += [f"- {lo:.4g} ≤ `{c}` ≤ {hi:.4g} {units.get(c, '')}" for c, (lo, hi) in b.limits.items()]
        lines.append("")
    if d.cart:
        lines += ["## CART view (scikit-learn, depth 3; weights = [passes, fails])", "", "```", d.cart.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def write(d: Discovery, out_dir: str | Path) -> list[Path]:
    from ..io import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [{"box": k, "dimension": c, "low": lo, "high": hi, "coverage": b.coverage, "density": b.density,
             "mass": b.mass, "n": b.n} for k, b in enumerate(d.boxes, 1) for c, (lo, hi) in b.limits.items()]
    frame = pd.DataFrame(rows)
    data = d.inputs.assign(failed=d.failed)
    text = report(d)
    return [atomic_write(out / "boxes.csv", lambda tmp: frame.to_csv(tmp, index=False)),
            atomic_write(out / "futures.csv", lambda tmp: data.to_csv(tmp, index=False)),
            atomic_write(out / "discovery.md", lambda tmp: Path(tmp).write_text(text, "utf-8"))]
