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
        row = {}
        for lv in levers.levers():
            if lv.kind == "switch":
                row[lv.name] = float(rng.integers(0, 2))
            elif lv.kind == "year":
                row[lv.name] = float(rng.integers(int(lv.low), int(lv.high) + 1))
            else:
                row[lv.name] = float(rng.uniform(lv.low, lv.high))
        rows.append(row)
        names.append(f"random_{i}")
    params = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    return names, params


@pytest.fixture(scope="session")
def matrix_run(compiled):
    names, params = lever_matrix()
    ds = compiled.run(params, n=len(names))
    return names, params, ds
