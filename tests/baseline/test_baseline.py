"""The model's key outputs for every preset equal the committed baseline (tests/baseline/baseline.json).

An intended model change must come with a regenerated baseline:

    python -m sim.checks.baseline --update      # then review `git diff tests/baseline` and commit

(``oasis-sd baseline --update`` once the CLI is wired; ``oasis-sd compare HEAD:sd_models/tianshan.mdl``
shows every output that changed, ranked.)
"""
import json

import pytest

from sim.checks import baseline
from sim.model import DEFAULT_MODEL, model_hash


@pytest.fixture(scope="module")
def current():
    return baseline.generate(DEFAULT_MODEL)


def test_outputs_equal_committed_baseline(current):
    committed = baseline.load()
    diffs = baseline.differences(current, committed)
    if diffs:
        pytest.fail(
            f"{len(diffs)} key outputs differ from tests/baseline/baseline.json (made from model "
            f"{committed.get('model_hash')}, now {model_hash(DEFAULT_MODEL)}):\n  " + "\n  ".join(diffs[:25])
            + f"\nIf the change is intended, regenerate with `{baseline.REGENERATE}` and commit the file.")


def test_baseline_covers_every_preset_and_key_output():
    from sim import scenarios

    committed = baseline.load()
    assert set(committed["presets"]) == set(scenarios.available())
    for entry in committed["presets"].values():
        assert set(entry) == set(baseline.KEY_OUTPUTS)
    assert committed["years"] == baseline.YEARS


def test_differences_detects_changes(current):
    changed = json.loads(json.dumps(current))
    changed["presets"]["baseline"]["gdp_1e8yuan"]["urumqi_changji"][-1] *= 1.001
    diffs = baseline.differences(changed, current)
    assert len(diffs) == 1 and "gdp_1e8yuan[urumqi_changji] 2060" in diffs[0]
    del changed["presets"]["baseline"]["co2_emissions_mt"]
    assert any("removed" in d for d in baseline.differences(changed, current))
    assert baseline.differences(current, current) == []


def test_regeneration_roundtrip(tmp_path):
    path = baseline.write(tmp_path / "b.json")
    assert baseline.differences(baseline.generate(DEFAULT_MODEL), baseline.load(path)) == []


def test_compare_same_model_is_identical_and_detects_a_change(tmp_path):
    from sim.checks.compare import compare

    assert compare(DEFAULT_MODEL, DEFAULT_MODEL, n_samples=2).identical
    # a constant the calibration does not set (calibrated ones are overridden in both runs)
    text = DEFAULT_MODEL.read_text(encoding="utf-8").replace(
        "household_energy_per_capita_tce=\n\t0.282669", "household_energy_per_capita_tce=\n\t0.3")
    assert "household_energy_per_capita_tce=\n\t0.3\n" in text
    new = tmp_path / "m.mdl"
    new.write_text(text, encoding="utf-8")
    rep = compare(DEFAULT_MODEL, new, n_samples=2)
    names = [c.variable for c in rep.changes]
    assert "energy_use_mtce" in names and "household_energy_per_capita_tce" in names
    assert rep.changes == sorted(rep.changes, key=lambda c: -c.max_rel_change)
    assert "region_area_kha" not in names


def test_compare_git_revision():
    from sim.checks.compare import compare
    from sim.errors import OasisError

    rep = compare("HEAD:sd_models/tianshan.mdl", DEFAULT_MODEL, n_samples=1)
    assert rep.old == "HEAD:sd_models/tianshan.mdl"
    with pytest.raises(OasisError):
        compare("no-such-rev:sd_models/tianshan.mdl", DEFAULT_MODEL, n_samples=1)
