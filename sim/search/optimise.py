"""Multi-objective lever search (``oasis-sd optimise``) with pymoo's NSGA-II.

Why NSGA-II (pymoo): two or three objectives with inequality constraints (red lines) over ~40
bounded levers is NSGA-II's home ground; pymoo is maintained, pure Python/numpy, has an ask/tell
interface (so every generation is one engine batch through our executors) and the standard test
problems (ZDT, DTLZ) with analytic fronts for testing. NSGA-III pays off only from ~4 objectives.

The generic loop :func:`nsga2` works on any :class:`~sim.sensitivity.evaluators.Evaluator` and an
output -> (F, G) mapping; the model search (:func:`optimise`) and the ZDT1 test use the same loop.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import levers as levers_mod, scenarios
from ..calibrate.result import calibrated_parameters
from ..io import atomic_write
from ..model import DEFAULT_MODEL, model_hash
from ..sensitivity.factors import Factor
from .evaluate import SearchEvaluator, evaluate_design
from .spec import InfeasibleError, SearchSpec

FEAS_TOL = 1e-9


@dataclass
class OptimisationResult:
    """All evaluations and the feasible non-dominated set (rows of ``X``)."""

    X: np.ndarray  # (n_eval, n_var) every evaluated design row
    F: np.ndarray  # (n_eval, n_obj) minimised objectives
    G: np.ndarray  # (n_eval, n_constr) violations (feasible: all <= 0)
    pareto: np.ndarray  # indices into X of the feasible non-dominated set
    n_evaluations: int
    seconds: float
    history: list[dict] = field(default_factory=list)  # per generation: n_feasible, n_front

    @property
    def feasible(self) -> np.ndarray:
        return (self.G <= FEAS_TOL).all(axis=1) if self.G.shape[1] else np.ones(len(self.X), bool)


def nondominated(F: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated rows of ``F`` (all objectives minimised)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    if len(F) == 0:
        return np.zeros(0, int)
    return np.asarray(NonDominatedSorting().do(F, only_non_dominated_front=True), dtype=int)


def nsga2(evaluator, xl: np.ndarray, xu: np.ndarray, to_fg: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
          n_obj: int, n_constr: int, *, pop_size: int = 48, generations: int = 30, seed: int = 1,
          backend=None, store_dir: str | Path | None = None, progress: Callable[[int, int], None] | None = None,
          initial: np.ndarray | None = None) -> OptimisationResult:
    """Run NSGA-II, one batch per generation through :func:`evaluate_design`.

    Parameters
    ----------
    evaluator : Evaluator
        Row-wise evaluator (sensitivity contract); its outputs go through ``to_fg``.
    xl, xu : numpy.ndarray
        Bounds of the design variables [variable units].
    to_fg : callable
        ``Y (n, n_out) -> (F (n, n_obj) minimised, G (n, n_constr) feasible when <= 0)``.
    store_dir : path, optional
        Each generation's chunks are kept in ``store_dir/gen-NNNN``; a rerun with the same spec
        and seed asks the same designs (NSGA-II is deterministic given its seed and the values it
        is told), so it reuses them: an interrupted search resumes with identical results.
    initial : numpy.ndarray, optional
        Rows to put in the first generation (e.g. the presets); the rest of it is a Latin
        hypercube over the bounds drawn with ``seed``.
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator as PymooEvaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    t0 = time.perf_counter()
    problem = Problem(n_var=len(xl), n_obj=n_obj, n_ieq_constr=n_constr, xl=np.asarray(xl, float),
                      xu=np.asarray(xu, float))
    from scipy.stats import qmc

    xl, xu = np.asarray(xl, float), np.asarray(xu, float)
    X0 = xl + qmc.LatinHypercube(d=len(xl), seed=seed).random(pop_size) * (xu - xl)
    if initial is not None and len(initial):
        k = min(len(initial), pop_size)
        X0[:k] = np.clip(np.asarray(initial, float)[:k], xl, xu)
    algorithm = NSGA2(pop_size=pop_size, sampling=X0, eliminate_duplicates=True)
    algorithm.setup(problem, termination=("n_gen", generations), seed=seed, verbose=False)
    Xs, Fs, Gs, history = [], [], [], []
    gen = 0
    while algorithm.has_next():
        pop = algorithm.ask()
        X = pop.get("X")
        gdir = None if store_dir is None else Path(store_dir) / f"gen-{gen:04d}"
        Y = evaluate_design(evaluator, X, backend=backend, store_dir=gdir)
        F, G = to_fg(Y)
        kw = {"F": F} if n_constr == 0 else {"F": F, "G": G}
        PymooEvaluator().eval(StaticProblem(problem, **kw), pop)
        algorithm.tell(infills=pop)
        Xs.append(X), Fs.append(F), Gs.append(G.reshape(len(X), n_constr))
        feas = (Gs[-1] <= FEAS_TOL).all(axis=1)
        history.append({"generation": gen, "evaluations": int(sum(len(x) for x in Xs)),
                        "feasible_in_generation": int(feas.sum())})
        gen += 1
        if progress:
            progress(gen, generations)
    X, F, G = np.vstack(Xs), np.vstack(Fs), np.vstack(Gs)
    feas = (G <= FEAS_TOL).all(axis=1) if n_constr else np.ones(len(X), bool)
    idx = np.flatnonzero(feas)
    pareto = idx[nondominated(F[idx])] if idx.size else np.zeros(0, int)
    # duplicates (same design after discretisation) collapse to one point
    if pareto.size:
        _, first = np.unique(np.round(F[pareto], 12), axis=0, return_index=True)
        pareto = np.sort(pareto[first])
    return OptimisationResult(X, F, G, pareto, len(X), time.perf_counter() - t0, history)


# ------------------------------------------------------------------------------------------------
# the model search
# ------------------------------------------------------------------------------------------------
def lever_factors(names: list[str]) -> list[Factor]:
    """Registry levers as design factors (bounds = registry range)."""
    return [Factor.from_obj(levers_mod.lever(n)) for n in names]


def base_params(spec: SearchSpec) -> dict[str, float]:
    """Constants under the searched levers: calibrated parameters, BAU levers, the spec's fixed levers
    (the same stack as :func:`sim.runner.scenario_params`)."""
    from ..runner import scenario_params

    values = levers_mod.defaults() | spec.fixed
    sc = scenarios.Scenario("search-base", "search base", values)
    return scenario_params(sc)


def build_evaluator(spec: SearchSpec, mdl_path=DEFAULT_MODEL) -> SearchEvaluator:
    metrics = [o.metric for o in spec.objectives] + [c.metric for c in spec.constraints]
    return SearchEvaluator(lever_factors(spec.levers), metrics, spec.red_lines, spec.window,
                           base_params(spec), mdl_path, spec.geography,
                           steps=[levers_mod.lever(n).step or None for n in spec.levers])


def spec_to_fg(spec: SearchSpec) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Evaluator outputs -> (F, G). Constraint scale: indicator bounds in indicator units; red lines in
    breached years (so the optimiser sees how far from feasible a design is)."""
    k, c = len(spec.objectives), len(spec.constraints)
    signs = np.array([o.sign for o in spec.objectives])

    def to_fg(Y: np.ndarray):
        F = Y[:, :k] * signs
        G = []
        for j, con in enumerate(spec.constraints):
            v = Y[:, k + j]
            if con.low is not None:
                G.append(con.low - v)
            if con.high is not None:
                G.append(v - con.high)
        G.extend(Y[:, k + c + j] for j in range(len(spec.red_lines)))
        return F, (np.stack(G, axis=1) if G else np.zeros((len(Y), 0)))

    return to_fg


def constraint_labels(spec: SearchSpec) -> list[str]:
    out = []
    for con in spec.constraints:
        if con.low is not None:
            out.append(f"{con.metric.indicator} {con.metric.year} ≥ {con.low:g}")
        if con.high is not None:
            out.append(f"{con.metric.indicator} {con.metric.year} ≤ {con.high:g}")
    from .. import redlines

    return out + [f"red line kept {spec.window[0]}–{spec.window[1]}: {redlines.FLAGS[f][0]}"
                  for f in spec.red_lines]


def n_constraints(spec: SearchSpec) -> int:
    return sum((c.low is not None) + (c.high is not None) for c in spec.constraints) + len(spec.red_lines)


def optimise(spec: SearchSpec, *, backend=None, store_dir=None, progress=None, mdl_path=DEFAULT_MODEL,
             pop_size: int | None = None, generations: int | None = None) -> tuple[OptimisationResult, SearchEvaluator]:
    """Run the lever search of a spec; raise :class:`InfeasibleError` when no evaluated design kept
    every constraint (naming the constraints the least-violating design still breaks)."""
    ev = build_evaluator(spec, mdl_path)
    ev.prepare()
    xl = np.array([f.low for f in ev.factors])
    xu = np.array([f.high for f in ev.factors])
    res = nsga2(ev, xl, xu, spec_to_fg(spec), len(spec.objectives), n_constraints(spec),
                pop_size=pop_size or spec.pop_size, generations=generations or spec.generations, seed=spec.seed,
                backend=backend, store_dir=store_dir, progress=progress, initial=preset_rows(spec))
    if res.pareto.size == 0:
        viol = np.clip(res.G, 0, None)
        best = int(np.argmin(viol.sum(axis=1)))
        labels = constraint_labels(spec)
        broken = [f"{labels[j]} (violation {viol[best, j]:g})" for j in np.flatnonzero(viol[best] > FEAS_TOL)]
        raise InfeasibleError(
            f"{spec.source}: infeasible: none of {res.n_evaluations} lever settings searched keeps every "
            f"constraint; the least-violating one still breaks: {'; '.join(broken)}. Relax these constraints, "
            "widen the red-line window or search more levers.")
    return res, ev


def preset_rows(spec: SearchSpec) -> np.ndarray:
    """The presets' values of the searched levers: NSGA-II's first generation starts from them (and
    a Latin hypercube for the rest), so the search is never worse than the best preset."""
    return np.array([[scenarios.load(n).levers[name] for name in spec.levers] for n in scenarios.available()])


def design_levers(ev: SearchEvaluator, x: np.ndarray, spec: SearchSpec) -> dict[str, float]:
    """Full lever set of one design row: exactly the values the engine ran (discretised and snapped
    to the registry's slider step), validated against the registry."""
    values = levers_mod.defaults() | dict(spec.fixed)
    for f, v in zip(ev.factors, ev.model_values(x)[0]):
        lv = levers_mod.lever(f.constant)
        values[lv.name] = lv.validate(float(v))
    return values


def pareto_table(res: OptimisationResult, ev: SearchEvaluator, spec: SearchSpec) -> pd.DataFrame:
    """One row per Pareto point: objective values [indicator units], then the searched lever values."""
    rows = []
    for rank, i in enumerate(sorted(res.pareto, key=lambda i: tuple(res.F[i]))):
        row = {"point": f"P{rank:03d}"}
        for o, fval in zip(spec.objectives, res.F[i]):
            row[o.metric.label] = float(fval * o.sign)
        vals = design_levers(ev, res.X[i], spec)
        row.update({n: vals[n] for n in spec.levers})
        rows.append(row)
    return pd.DataFrame(rows)


def write_outputs(res: OptimisationResult, ev: SearchEvaluator, spec: SearchSpec, out_dir: str | Path,
                  reference: pd.DataFrame | None = None) -> dict[str, Path]:
    """Pareto set as scenario files (``scenarios/P000.toml``…, open in the app or with
    ``oasis-sd run --scenario FILE``), ``pareto.csv``, ``evaluations.csv`` and a chart
    (``pareto.html``, ``pareto.png``)."""
    out = Path(out_dir)
    (out / "scenarios").mkdir(parents=True, exist_ok=True)
    table = pareto_table(res, ev, spec)
    mh = model_hash(ev.mdl_path)
    paths = {}
    for _, row in table.iterrows():
        values = levers_mod.defaults() | dict(spec.fixed) | {n: float(row[n]) for n in spec.levers}
        base = levers_mod.defaults()
        objs = ", ".join(f"{o.metric.indicator} {o.metric.year} = {row[o.metric.label]:.4g} "
                         f"{o.metric.units()}" for o in spec.objectives)
        sc = scenarios.Scenario(row["point"], f"{spec.title} — Pareto point {row['point']}", values,
                                {k: v for k, v in values.items() if v != base[k]},
                                description=f"Found by `oasis-sd optimise` ({spec.source}); {objs}.")
        text = scenarios.to_toml(sc, mh)
        scenarios.parse_scenario_text(text, row["point"])  # what we write must load
        atomic_write(out / "scenarios" / f"{row['point']}.toml", lambda tmp, t=text: Path(tmp).write_text(t, "utf-8"))
    paths["pareto.csv"] = atomic_write(out / "pareto.csv", lambda tmp: table.to_csv(tmp, index=False))
    ev_frame = pd.DataFrame(res.X, columns=[f.constant for f in ev.factors])
    for j, o in enumerate(spec.objectives):
        ev_frame[o.metric.label] = res.F[:, j] * o.sign
    ev_frame["feasible"] = res.feasible
    ev_frame["max_violation"] = res.G.max(axis=1) if res.G.shape[1] else 0.0
    paths["evaluations.csv"] = atomic_write(out / "evaluations.csv", lambda tmp: ev_frame.to_csv(tmp, index=False))
    if reference is not None:
        paths["presets.csv"] = atomic_write(out / "presets.csv", lambda tmp: reference.to_csv(tmp, index=False))
    paths.update(pareto_chart(table, spec, out, reference))
    src = Path(spec.source)
    if src.is_file():  # the spec beside its result, so the result says what was searched
        text = src.read_text(encoding="utf-8")
        paths["spec.toml"] = atomic_write(out / "spec.toml", lambda tmp: Path(tmp).write_text(text, "utf-8"))
    return paths


def preset_reference(spec: SearchSpec, mdl_path=DEFAULT_MODEL) -> pd.DataFrame:
    """The presets on the spec's objectives and constraints, for the chart (one batch)."""
    names = scenarios.available()
    levs = [scenarios.load(n).levers for n in names]
    all_levers = [lv.name for lv in levers_mod.levers()]
    metrics = [o.metric for o in spec.objectives]
    from .. import runner

    ev = SearchEvaluator(lever_factors(all_levers), metrics, spec.red_lines, spec.window,
                         runner.scenario_params(scenarios.load("baseline")), mdl_path, spec.geography)
    ev.prepare()
    X = np.array([[lv[n] for n in all_levers] for lv in levs])
    Y = evaluate_design(ev, X)
    frame = pd.DataFrame({"point": names})
    for j, o in enumerate(spec.objectives):
        frame[o.metric.label] = Y[:, j]
    frame["red_lines_kept"] = (Y[:, len(metrics):] <= 0).all(axis=1) if spec.red_lines else True
    return frame


def pareto_chart(table: pd.DataFrame, spec: SearchSpec, out: Path, reference: pd.DataFrame | None = None
                 ) -> dict[str, Path]:
    """Scatter of the first two objectives (colour = third, if any), presets as labelled crosses."""
    import altair as alt

    o1, o2 = spec.objectives[0], spec.objectives[min(1, len(spec.objectives) - 1)]
    x, y = o1.metric.label, o2.metric.label
    t = table.copy()
    t["kind"] = "Pareto point"
    enc = dict(x=alt.X(f"{x}:Q", title=f"{o1.metric.indicator} {o1.metric.year} [{o1.metric.units()}] ({o1.sense})",
                       scale=alt.Scale(zero=False)),
               y=alt.Y(f"{y}:Q", title=f"{o2.metric.indicator} {o2.metric.year} [{o2.metric.units()}] ({o2.sense})",
                       scale=alt.Scale(zero=False)),
               tooltip=["point", x, y])
    color = alt.Color(f"{spec.objectives[2].metric.label}:Q") if len(spec.objectives) > 2 else alt.value("#1f77b4")
    chart = alt.Chart(t).mark_circle(size=60).encode(color=color, **enc)
    if reference is not None and len(reference):
        r = reference.copy()
        r["kept"] = np.where(r["red_lines_kept"], "presets (red lines kept)", "presets (red line breached)")
        pts = alt.Chart(r).mark_point(shape="cross", size=90).encode(
            x=f"{x}:Q", y=f"{y}:Q",
            color=alt.Color("kept:N", scale=alt.Scale(domain=["presets (red lines kept)", "presets (red line breached)"],
                                                      range=["#2ca02c", "#d62728"]), title=None),
            tooltip=["point", x, y])
        labels = alt.Chart(r).mark_text(align="left", dx=6, dy=-6, fontSize=9).encode(x=f"{x}:Q", y=f"{y}:Q",
                                                                                     text="point")
        chart = alt.layer(chart, pts, labels).resolve_scale(color="independent")
    chart = chart.properties(title=f"{spec.title}: {len(table)} Pareto points", width=520, height=360)
    paths = {"pareto.html": atomic_write(out / "pareto.html", lambda tmp: chart.save(str(tmp), format="html"))}
    try:
        import vl_convert as vlc

        png = vlc.vegalite_to_png(chart.to_json(), scale=1.5)
        paths["pareto.png"] = atomic_write(out / "pareto.png", lambda tmp: Path(tmp).write_bytes(png))
    except Exception:  # noqa: BLE001 - the HTML chart is enough when PNG export is unavailable
        pass
    return paths


def calibrated() -> dict[str, float]:
    return calibrated_parameters()
