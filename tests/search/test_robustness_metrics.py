"""Satisficing shares and regret checked by hand on a 3-scenario x 4-future ensemble."""
import numpy as np
import pytest

from sim.search.robustness import markdown_table, robustness_metrics

# values[s, f, m]: m0 = GDP (max), m1 = water (min)
VALUES = np.array([
    [[10, 5], [12, 6], [8, 4], [11, 7]],   # A
    [[9, 3], [13, 5], [9, 5], [10, 6]],    # B
    [[10, 4], [10, 4], [7, 3], [12, 8]],   # C
], dtype=float)
# kept[s, f, r]: two red lines
KEPT = np.array([
    [[1, 1], [1, 0], [1, 1], [0, 1]],
    [[1, 1], [1, 1], [1, 1], [1, 1]],
    [[0, 1], [0, 1], [1, 0], [1, 1]],
], dtype=bool)


def tables():
    return robustness_metrics(VALUES, KEPT, ["max", "min"], ["A", "B", "C"], ["gdp", "water"], ["r1", "r2"])


def test_satisficing_by_hand():
    sat = tables()["satisficing"].set_index("scenario")
    assert sat.loc["A", "r1"] == 0.75 and sat.loc["A", "r2"] == 0.75
    assert sat.loc["A", "all_red_lines"] == 0.5          # futures 0 and 2
    assert sat.loc["B", "all_red_lines"] == 1.0
    assert sat.loc["C", "r1"] == 0.5 and sat.loc["C", "all_red_lines"] == 0.25


def test_regret_by_hand():
    reg = tables()["regret"].set_index(["scenario", "outcome"])
    # GDP best per future: 10, 13, 9, 12 -> A regrets 0, 1, 1, 1
    assert reg.loc[("A", "gdp"), "mean_regret"] == pytest.approx(0.75)
    assert reg.loc[("A", "gdp"), "max_regret"] == 1.0
    assert reg.loc[("A", "gdp"), "share_best"] == 0.25
    # C regrets 0, 3, 2, 0
    assert reg.loc[("C", "gdp"), "mean_regret"] == pytest.approx(1.25)
    assert reg.loc[("C", "gdp"), "max_regret"] == 3.0
    # water best (min) per future: 3, 4, 3, 6 -> B regrets 0, 1, 2, 0
    assert reg.loc[("B", "water"), "mean_regret"] == pytest.approx(0.75)
    assert reg.loc[("B", "water"), "p90_regret"] == pytest.approx(np.quantile([0, 1, 2, 0], 0.9))
    assert reg.loc[("A", "water"), "mean_regret"] == pytest.approx((2 + 2 + 1 + 1) / 4)


def test_distribution_and_table():
    t = tables()
    d = t["distribution"].set_index(["scenario", "outcome"])
    assert d.loc[("B", "gdp"), "p50"] == pytest.approx(9.5)
    md = markdown_table(t)
    assert "| B | 100% | 100% | 100%" in md
