"""Sensitivity jobs under faults (issue 15): non-varying outputs, NaN chunks, tampered or foreign
chunks and samples on --resume, and pool workers whose driver is killed with SIGKILL."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from sim.errors import OasisError
from sim.sensitivity import FunctionEvaluator, JobSpec, run_job
from sim.sensitivity.errors import ChunkResultError, CorruptJobFileError
from sim.sensitivity.store import load_raw

ROOT = Path(__file__).resolve().parents[2]


def constant_outputs(X):
    return np.ones((X.shape[0], 1, 2))


def nan_in_some_runs(X):
    Y = np.ones((X.shape[0], 1, 2)) * X[:, :1, None]
    Y[X[:, 0] > 3.0] = np.nan
    return Y


def _spec(helpers, factors, out, fn=None, **kw):
    base = dict(method="sobol", factors=factors, n=64, seed=123,
                evaluator=FunctionEvaluator(fn or helpers.two_outputs_over_time,
                                            outputs=["a", "b"] if fn is None else ["y"],
                                            years=[2020, 2040, 2060] if fn is None else [2000, 2010]),
                out=out, workers=1, report=False, chunk_size=64)
    base.update(kw)
    return JobSpec(**base)


def _status(out):
    return json.loads((Path(out) / "manifest.json").read_text())["status"]


def test_outputs_that_do_not_vary_give_the_documented_warning(tmp_path, helpers, ishigami_factors):
    res = run_job(_spec(helpers, ishigami_factors, tmp_path / "j", fn=constant_outputs, report=True))
    assert any("y does not vary across runs in 2000, 2010" in w for w in res.warnings), res.warnings
    assert res.indices.empty and _status(tmp_path / "j") == "complete"


def test_nan_chunk_is_a_clear_error_naming_chunk_and_runs(tmp_path, helpers, ishigami_factors):
    out = tmp_path / "j"
    with pytest.raises(ChunkResultError, match=r"chunk \d+: the model gave NaN/inf in \d+ run\(s\) \(\d+") as exc:
        run_job(_spec(helpers, ishigami_factors, out, fn=nan_in_some_runs))
    assert isinstance(exc.value, OasisError)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "NaN" in manifest["error"]
    bad = int(str(exc.value).split()[1].rstrip(":"))
    assert not (out / "chunks" / f"chunk-{bad:06d}.npz").exists()


def test_manifest_not_left_running_after_an_error(tmp_path, helpers, ishigami_factors):
    def boom(X):
        raise RuntimeError("model exploded")

    with pytest.raises(OasisError):
        run_job(_spec(helpers, ishigami_factors, tmp_path / "j", fn=boom))
    assert _status(tmp_path / "j") == "failed"


def _rewrite_chunk(path, transform):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays = transform(arrays)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


@pytest.mark.parametrize("tamper", ["zeroed", "zeroed_old_format", "other_seed"])
def test_resume_does_not_trust_tampered_or_foreign_chunks(tmp_path, helpers, ishigami_factors, tamper):
    out = tmp_path / "job"
    full = run_job(_spec(helpers, ishigami_factors, out))
    target = out / "chunks" / "chunk-000002.npz"
    if tamper == "zeroed":
        _rewrite_chunk(target, lambda a: {**a, "Y": np.zeros_like(a["Y"])})
    elif tamper == "zeroed_old_format":
        _rewrite_chunk(target, lambda a: {"start": a["start"], "stop": a["stop"], "Y": np.zeros_like(a["Y"])})
    else:
        other = run_job(_spec(helpers, ishigami_factors, tmp_path / "other", seed=124))
        assert other.Y.shape == full.Y.shape
        shutil.copy(tmp_path / "other" / "chunks" / "chunk-000002.npz", target)
    again = run_job(_spec(helpers, ishigami_factors, out, resume=True))
    assert again.runs_evaluated == 64 and again.chunks_resumed == full.chunks_total - 1
    assert any("chunk-000002.npz" in w for w in again.warnings), again.warnings
    assert again.Y.tobytes() == full.Y.tobytes()
    assert again.indices.equals(full.indices)


def test_corrupt_samples_file_is_detected(tmp_path, helpers, ishigami_factors):
    out = tmp_path / "job"
    full = run_job(_spec(helpers, ishigami_factors, out))
    X = np.load(out / "samples.npy")
    np.save(out / "samples.npy", X[::-1].copy())  # right shape, wrong content
    with pytest.raises(CorruptJobFileError, match="samples.npy does not match the manifest"):
        load_raw(out)
    again = run_job(_spec(helpers, ishigami_factors, out, resume=True))
    assert any("samples.npy" in w and "rewritten" in w for w in again.warnings)
    assert np.load(out / "samples.npy").tobytes() == full.X.tobytes()
    assert load_raw(out)["X"].values.tobytes() == full.X.tobytes()


DRIVER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    from sim.sensitivity.executors import ProcessPoolBackend
    backend = ProcessPoolBackend(2)
    pool = backend._new_pool()
    pids = set()
    for _ in range(40):
        pids |= {{f.result() for f in [pool.submit(os.getpid) for _ in range(8)]}}
        if len(pids) == 2:
            break
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(120)
""")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # reparented to init and already exited, but not yet reaped
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_pool_workers_exit_when_the_driver_is_killed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", DRIVER.format(root=str(ROOT))],
                            stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert pids and all(_alive(p) for p in pids)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.2)
        assert not any(_alive(p) for p in pids), f"workers {pids} outlived their driver"
    finally:
        proc.kill()
        proc.wait()
