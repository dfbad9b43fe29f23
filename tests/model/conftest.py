import numpy as np
import pytest

from sim import engine, levers, model, scenarios

MODEL = model.DEFAULT_MODEL
N_RANDOM = 50


@pytest.fixture(scope="session")
def compiled():
    return engine.compile(MODEL)


@pytest.fixture(scope="session")
def info():
    return model.load(MODEL)


def lever_matrix(seed: int = 20261122) -> tuple[list[str], dict[str, np.ndarray]]:
    """Every preset plus N_RANDOM uniform random lever draws (switches 0/1, years whole)."""
    rng = np.random.default_rng(seed)
    names = scenarios.available()
    rows = [scenarios.load(n).levers for n in names]
    for i in range(N_RANDOM):
        rows.append({lv.name: lv.random_value(rng) for lv in levers.levers()})
        names.append(f"random_{i}")
    params = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    return names, params


@pytest.fixture(scope="session")
def matrix_run(compiled):
    names, params = lever_matrix()
    ds = compiled.run(params, n=len(names))
    return names, params, ds
