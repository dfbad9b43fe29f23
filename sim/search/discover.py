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


def prim_boxes(X: pd.DataFrame, y: np.ndarray, *, threshold: float = 0.5, max_boxes: int = 2, max_dims: int = 6,
               peel_alpha: float = 0.05, mass_min: float | None = None) -> list[Box]:
    """PRIM boxes describing where ``y`` (bool per row) is true.

    For each box the point of the peeling trajectory with the highest coverage among those with
    density ≥ ``threshold`` and at most ``max_dims`` restricted dimensions is kept (the densest
    such point when none reaches the threshold): a box over 20 dimensions describes nothing. Later boxes are
    found on the rows outside the earlier ones (PRIM's covering); coverage, density and mass are
    PRIM's (coverage relative to all failures; density and mass of the rows still uncovered), and
    the search stops when the boxes cover ≥ 99 % of the failures or a box restricts nothing.
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
    if mass_min is None:  # PRIM's 5 %, lowered for rare failures so that a dense box can exist at all
        mass_min = float(max(5 / len(X), min(0.05, 0.5 * y.mean())))
    # PRIM is told a tiny threshold so that it always returns its whole peeling trajectory (the
    # workbench replaces a box whose final density misses its threshold by an empty "dump box", and
    # it counts cases of interest as y >= threshold, so 0 itself would count every row); the point
    # on the trajectory is chosen below with the real density threshold.
    p = prim.Prim(X, y.astype(float), threshold=1e-9, peel_alpha=peel_alpha, mass_min=mass_min)
    boxes = []
    for _ in range(max_boxes):
        try:
            box = p.find_box()
        except Exception:  # noqa: BLE001 - no further box can be found
            break
        if box is None:
            break
        traj = box.peeling_trajectory
        small = traj[traj["res_dim"] <= max_dims]
        small = small if len(small) else traj
        ok = small[small["density"] >= threshold]
        i = int(ok["coverage"].idxmax()) if len(ok) else int(small["density"].idxmax())
        box.select(i)
        lims, init = box.box_lims[i], box.box_lims[0]
        restricted = {c: (float(lims[c][0]), float(lims[c][1])) for c in X.columns
                      if (lims[c][0] != init[c][0]) or (lims[c][1] != init[c][1])}
        if not restricted:
            break
        row = traj.loc[i]
        boxes.append(Box(restricted, float(row["coverage"]), float(row["density"]), float(row["mass"]),
                         int(row["n"]), traj))
        if float(row["density"]) < threshold or sum(b.coverage for b in boxes) >= 0.99:
            break
    return boxes


def top_inputs(X: pd.DataFrame, y: np.ndarray, k: int = 8) -> list[str]:
    """The ``k`` inputs that best separate failures (extra-trees feature importance, fixed seed),
    the usual screening before PRIM when there are many uncertain inputs: PRIM peels greedily one
    dimension at a time, and with ~70 inputs its first peels go to dimensions that only look
    useful by chance."""
    from sklearn.ensemble import ExtraTreesClassifier

    if X.shape[1] <= k:
        return list(X.columns)
    et = ExtraTreesClassifier(n_estimators=300, max_features="sqrt", min_samples_leaf=3, random_state=0,
                              class_weight="balanced", n_jobs=1)
    et.fit(X.to_numpy(), np.asarray(y, bool))
    order = np.argsort(et.feature_importances_)[::-1][:k]
    return [X.columns[i] for i in order]


def cart_rules(X: pd.DataFrame, y: np.ndarray, max_depth: int = 3) -> str:
    """A shallow classification tree (scikit-learn) as text: the second view of the failures."""
    try:
        from sklearn.tree import DecisionTreeClassifier, export_text
    except ImportError:  # pragma: no cover - comes with ema_workbench
        return "(CART view needs scikit-learn)"
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(5, len(X) // 50), random_state=0)
    tree.fit(X.to_numpy(), np.asarray(y, bool))
    return export_text(tree, feature_names=list(X.columns), show_weights=True, decimals=4)


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
    screened: list = field(default_factory=list)  # inputs given to PRIM (see top_inputs)


def discover(scenario: str, *, red_line: str | None = "groundwater", year: int = 2035, indicator: str | None = None,
             above: float | None = None, below: float | None = None, members: int = 100, deep_samples: int = 4,
             seed: int = 7, geography: str = "belt", threshold: float = 0.5, max_boxes: int = 2, max_inputs: int = 8,
             backend=None,
             store_dir=None) -> Discovery:
    """Run ``scenario`` over the futures (:func:`sim.search.robustness.make_futures`) and describe its
    failures: red line breached in ``year``, or ``indicator`` at ``year`` above/below a value."""
    from .. import indicators, redlines
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
        label = f"{redlines.FLAGS[flag][0]} breached in {year}"
    X = pd.DataFrame(futures.values, columns=[f.constant for f in futures.factors])
    X = X.loc[:, X.nunique() > 1]
    screened = top_inputs(X, failed, max_inputs) if 0 < failed.sum() < len(failed) else list(X.columns)
    boxes = (prim_boxes(X[screened], failed, threshold=threshold, max_boxes=max_boxes)
             if 0 < failed.sum() < len(failed) else [])
    cart = cart_rules(X, failed) if 0 < failed.sum() < len(failed) else ""
    return Discovery(scenario, label, len(failed), int(failed.sum()), boxes, cart, X, failed, screened)


def report(d: Discovery) -> str:
    """Markdown summary of a discovery run."""
    from .. import levers as levers_mod

    units = {p.constant: p.units for p in levers_mod.parameters()}
    lines = [f"# Scenario discovery: {d.scenario} — fails when: {d.outcome}", "",
             f"{d.n_fail} of {d.n_futures} futures fail ({d.n_fail / max(1, d.n_futures):.0%}).", "",
             f"PRIM on the {len(d.screened)} inputs that best separate failures (extra-trees screening of "
             f"{d.inputs.shape[1] if d.inputs is not None else '?'}): " + ", ".join(f"`{c}`" for c in d.screened), ""]
    if not d.boxes:
        lines.append("No PRIM box: " + ("the outcome fails in none or all of the futures." if d.n_fail in (0, d.n_futures)
                                        else "no box restricts the inputs (failures are not concentrated)."))
    for k, b in enumerate(d.boxes, 1):
        lines += [f"## PRIM box {k}", "", f"coverage {b.coverage:.1%}, density {b.density:.1%}, mass {b.mass:.1%}, "
                  f"{b.n} futures", ""]
        lines += [f"- {lo:.4g} ≤ `{c}` ≤ {hi:.4g} {units.get(c, '')}" for c, (lo, hi) in b.limits.items()]
        t = b.trajectory
        if t is not None and len(t) > 2:
            step = max(1, len(t) // 8)
            lines += ["", "Peeling trajectory (coverage / density trade-off):", "",
                      "| step | coverage | density | mass | restricted dims |", "|---|---|---|---|---|"]
            lines += [f"| {int(r.id)} | {r.coverage:.0%} | {r.density:.0%} | {r.mass:.1%} | {int(r.res_dim)} |"
                      for r in t.iloc[sorted(set(range(0, len(t), step)) | {len(t) - 1})].itertuples()]
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
    traj = pd.concat([b.trajectory.assign(box=k) for k, b in enumerate(d.boxes, 1) if b.trajectory is not None]
                     ) if d.boxes else pd.DataFrame()
    data = d.inputs.assign(failed=d.failed)
    text = report(d)
    return [atomic_write(out / "boxes.csv", lambda tmp: frame.to_csv(tmp, index=False)),
            atomic_write(out / "trajectory.csv", lambda tmp: traj.to_csv(tmp, index=False)),
            atomic_write(out / "futures.csv", lambda tmp: data.to_csv(tmp, index=False)),
            atomic_write(out / "discovery.md", lambda tmp: Path(tmp).write_text(text, "utf-8"))]
