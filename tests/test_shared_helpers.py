"""One atomic writer (sim.io), one did-you-mean helper and one error base (sim.errors)."""
import pytest

from sim import errors, io


def test_nearest_options():
    names = ["population_10k", "Population_Total", "gdp_1e8yuan"]
    assert errors.nearest("populaton_10k", names)[0] == "population_10k"
    assert errors.nearest("POPULATION_10K", names, 1) == ["population_10k"]
    assert errors.nearest("POPULATION_10K", names, 1, ignore_case=False) == []
    assert errors.nearest("1e8", names) == ["gdp_1e8yuan"]  # substring fallback
    assert errors.nearest("1e8", names, substring=False) == []
    assert errors.did_you_mean("gdp_1e8yuen", names) == " Did you mean: gdp_1e8yuan?"
    assert errors.did_you_mean("zzz", names) == ""


def test_sensitivity_and_data_use_the_shared_helper():
    from sim.data import _nearest
    from sim.sensitivity.errors import did_you_mean

    assert did_you_mean("co2_emision", ["co2_emissions_mt", "x"]) == " Did you mean: co2_emissions_mt?"
    assert did_you_mean("1e8", ["gdp_1e8yuan"]) == ""  # no substring fallback there (as before)
    assert _nearest("popultion_10k", ["population_10k", "gdp"]) == "population_10k"


def test_atomic_writer(tmp_path):
    target = tmp_path / "a" / "b.bin"
    with pytest.raises(errors.OasisError, match="folder does not exist"):
        io.atomic_write_bytes(target, b"x")
    assert io.atomic_write_bytes(target, b"x", make_parents=True) == target and target.read_bytes() == b"x"
    io.atomic_write_text(target, "ü\n")
    assert target.read_bytes() == "ü\n".encode()
    assert [p.name for p in target.parent.iterdir()] == ["b.bin"]  # no temp file left


def test_engine_cache_and_sensitivity_store_write_through_sim_io(tmp_path, monkeypatch):
    from sim.engine import cache
    from sim.sensitivity import store

    seen = []
    real = io.atomic_write

    def spy(path, write, **kw):
        seen.append(path)
        return real(path, write, **kw)

    monkeypatch.setattr(io, "atomic_write", spy)
    cache._atomic_write(tmp_path / "new" / "ir.pkl", b"1")
    store.atomic_write_bytes(tmp_path / "m.json", b"{}")
    assert seen == [tmp_path / "new" / "ir.pkl", tmp_path / "m.json"]


def test_user_errors_share_one_base():
    from sim import runner, scenarios

    with pytest.raises(errors.OasisError):
        runner.run(scenarios.load("baseline"), engine="nope")
    assert issubclass(errors.InputError, ValueError)
