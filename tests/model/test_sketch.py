"""The Vensim sketch: one view per sector, up to date with the equations, readable by pysd."""
import re
import shutil
import warnings

import pytest

from sim import model as model_mod, sketch


def test_committed_sketch_is_up_to_date():
    text = model_mod.DEFAULT_MODEL.read_text(encoding="utf-8")
    committed = text.split(sketch.SKETCH_MARK)[1].split("///---\\\\\\")[0]
    fresh = sketch.sketch_text(model_mod.DEFAULT_MODEL, text).split(sketch.SKETCH_MARK)[1].split("///---\\\\\\")[0]
    assert committed == fresh, "run `python -m sim.sketch` after changing equations"


def test_every_sector_has_a_view_with_all_its_variables():
    text = model_mod.DEFAULT_MODEL.read_text(encoding="utf-8")
    secs = sketch.sectors(text)
    views = re.findall(r"^\*(.+)$", text.split(sketch.SKETCH_MARK)[1], re.M)
    assert views == [s.name for s in secs]
    assert len(views) >= 6
    info = model_mod.load(model_mod.DEFAULT_MODEL)
    placed = set()
    for chunk in text.split(sketch.SKETCH_MARK)[1].split("\n*")[1:]:
        # own (non-shadow) variables of the view: type 10 objects without the shadow colour
        placed |= {ln.split(",")[2] for ln in chunk.splitlines()
                   if ln.startswith("10,") and "128-128-128" not in ln}
    model_vars = {v for v, var in info.variables.items() if var.kind != "lookup" or True}
    control = {"initial_time", "final_time", "time_step", "saveper"}
    missing = sorted(model_vars - placed - control)
    assert not missing, f"variables in no view: {missing[:10]}"


@pytest.mark.slow
@pytest.mark.pysd
def test_pysd_splits_the_model_by_views(tmp_path):
    """pysd parses the sketch itself (split_views) and puts every variable into its sector's
    module: an independent reader of the sketch format."""
    import pysd

    mdl = tmp_path / "tianshan.mdl"
    shutil.copy(model_mod.DEFAULT_MODEL, mdl)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        m = pysd.read_vensim(str(mdl), split_views=True)
    modules = {p.stem for p in (tmp_path / "modules_tianshan").glob("*.py")}
    secs = sketch.sectors(mdl.read_text(encoding="utf-8"))
    expected = {re.sub(r"\W+", "_", s.name.lower()).strip("_") for s in secs}
    assert expected <= modules, (expected, modules)
    out = m.run(return_columns=["xinjiang_population_10k"])
    assert out["xinjiang_population_10k"].notna().all()


def test_stock_flows_parse_signs():
    ins, outs = sketch._flows("s = INTEG (a[Region] - b[Region] + c - MIN(d, e), 1)")
    assert ins == ["a", "c"] and outs == ["b"]
