"""The optimiser recovers the analytic Pareto front of ZDT1 through the same loop as the model search
(sim.search.optimise.nsga2 -> evaluate_design -> sensitivity executor backend)."""
import numpy as np

from sim.search.optimise import nsga2
from sim.sensitivity.evaluators import FunctionEvaluator


def zdt1(X):
    f1 = X[:, 0]
    g = 1 + 9 * X[:, 1:].mean(axis=1)
    f2 = g * (1 - np.sqrt(f1 / g))
    return np.stack([f1, f2], axis=1)


def zdt1_constrained(X):
    F = zdt1(X)
    return np.concatenate([F, (0.5 - X[:, :1])], axis=1)  # g <= 0 <=> x0 >= 0.5


def generational_distance(F, n=2001):
    f1 = np.linspace(0, 1, n)
    front = np.stack([f1, 1 - np.sqrt(f1)], axis=1)
    d = np.sqrt(((F[:, None, :] - front[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    return float(d.mean())


def test_nsga2_recovers_zdt1_front():
    ev = FunctionEvaluator(zdt1, outputs=("f1", "f2"))
    res = nsga2(ev, np.zeros(10), np.ones(10), lambda Y: (Y, np.zeros((len(Y), 0))), 2, 0,
                pop_size=60, generations=120, seed=3)
    P = res.F[res.pareto]
    assert res.n_evaluations == 60 * 120
    assert generational_distance(P) < 0.01
    # the front is spread: covers most of f1 in [0, 1]
    assert P[:, 0].min() < 0.05 and P[:, 0].max() > 0.9


def test_too_short_run_is_far_from_front():
    """The GD threshold can fail: two generations are nowhere near the front."""
    ev = FunctionEvaluator(zdt1, outputs=("f1", "f2"))
    res = nsga2(ev, np.zeros(10), np.ones(10), lambda Y: (Y, np.zeros((len(Y), 0))), 2, 0,
                pop_size=20, generations=2, seed=3)
    assert generational_distance(res.F[res.pareto]) > 0.01


def test_constraints_respected_and_resume_identical(tmp_path):
    ev = FunctionEvaluator(zdt1_constrained, outputs=("f1", "f2", "g"))
    to_fg = lambda Y: (Y[:, :2], Y[:, 2:])  # noqa: E731
    a = nsga2(ev, np.zeros(5), np.ones(5), to_fg, 2, 1, pop_size=24, generations=15, seed=5, store_dir=tmp_path)
    P = a.X[a.pareto]
    assert (P[:, 0] >= 0.5 - 1e-12).all()
    # rerun from the same store: every generation is read back from its chunks, same result
    b = nsga2(ev, np.zeros(5), np.ones(5), to_fg, 2, 1, pop_size=24, generations=15, seed=5, store_dir=tmp_path)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.pareto, b.pareto)
    assert any((tmp_path / "gen-0000" / "chunks").iterdir())


def test_infeasible_function_problem_has_no_pareto_set():
    ev = FunctionEvaluator(lambda X: np.concatenate([zdt1(X), np.ones((len(X), 1))], axis=1),
                           outputs=("f1", "f2", "g"))
    res = nsga2(ev, np.zeros(3), np.ones(3), lambda Y: (Y[:, :2], Y[:, 2:]), 2, 1,
                pop_size=8, generations=2, seed=1)
    assert res.pareto.size == 0
