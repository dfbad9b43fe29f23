"""Every sd-test-model is either supported (matches its canonical Vensim
output with pysd's tolerances, and pysd itself to rel 1e-9) or explicitly
listed as unsupported (and then must fail at COMPILE time)."""
from pathlib import Path

import pytest
from eng_canon import TEST_MODELS, canonical_file, compare_canon, flatten, load_canon
from eng_compare import assert_datasets_match
from eng_refcache import reference

from sim import engine

# folder -> reason; keep in sync with sim/engine/README.md
UNSUPPORTED = {
    "control_vars": "time-dependent control variables (TIME STEP, SAVEPER, "
                    "INITIAL/FINAL TIME defined with IF THEN ELSE on Time)",
    "with_lookup": "GET XLS CONSTANTS (external Excel data)",
}

MODELS = sorted(p for p in TEST_MODELS.glob("*/*.mdl"))


def _id(p: Path):
    return f"{p.parent.name}/{p.name}"


def test_every_folder_is_classified():
    folders = {p.parent.name for p in MODELS}
    assert set(UNSUPPORTED) <= folders
    assert len(MODELS) >= 50


@pytest.mark.parametrize("mdl", MODELS, ids=_id)
def test_sd_test_model(mdl):
    if mdl.parent.name in UNSUPPORTED:
        with pytest.raises(engine.UnsupportedConstruct):
            engine.compile(mdl, use_cache=False)
        return
    model = engine.compile(mdl)
    ds = model.run()
    canon = load_canon(canonical_file(mdl.parent))
    compare_canon(flatten(ds, model), canon, rtol=0.05)


@pytest.mark.pysd
@pytest.mark.parametrize(
    "mdl", [m for m in MODELS if m.parent.name not in UNSUPPORTED], ids=_id)
def test_sd_test_model_matches_pysd(mdl):
    model = engine.compile(mdl)
    ref = reference(mdl, None, tag="default")
    assert_datasets_match(model.run(), ref, context=_id(mdl), model=model)
