"""PRIM (ema_workbench) recovers a planted box in synthetic data, with coverage and density."""
import numpy as np
import pandas as pd
import pytest

from sim.errors import OasisError
from sim.search.discover import cart_rules, prim_boxes


def planted(n=2000, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    y = ((X.x1 > 0.6) & (X.x4 < 0.3)).to_numpy()
    if noise:
        flip = rng.uniform(size=n) < noise
        y = np.where(flip, ~y, y)
    return X, y


def test_prim_recovers_planted_box():
    X, y = planted()
    [box, *_] = prim_boxes(X, y, threshold=0.9, max_boxes=1)
    assert set(box.limits) == {"x1", "x4"}
    assert box.limits["x1"][0] == pytest.approx(0.6, abs=0.03)
    assert box.limits["x4"][1] == pytest.approx(0.3, abs=0.03)
    assert box.coverage > 0.9 and box.density > 0.9
    assert box.mass == pytest.approx(0.4 * 0.3, abs=0.03)


def test_prim_with_label_noise_still_finds_dimensions():
    X, y = planted(noise=0.05, seed=1)
    box = prim_boxes(X, y, threshold=0.7, max_boxes=1)[0]
    assert {"x1", "x4"} <= set(box.limits)
    assert box.density > 0.7


def test_cart_names_the_planted_dimensions():
    X, y = planted()
    text = cart_rules(X, y)
    assert "x1" in text and "x4" in text


def test_prim_refuses_degenerate_outcomes():
    X, y = planted()
    with pytest.raises(OasisError, match="never fails"):
        prim_boxes(X, np.zeros(len(X), bool))
    with pytest.raises(OasisError, match="every future"):
        prim_boxes(X, np.ones(len(X), bool))
