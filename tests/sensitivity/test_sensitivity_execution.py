"""Backends, chunking, persistence and resume: results must be identical bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.sensitivity import FunctionEvaluator, JobSpec, Progress, TextProgressBar, run_job

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _spec(helpers, factors, out, **kw):
    base = dict(method="sobol", factors=factors, n=256, seed=123,
                evaluator=FunctionEvaluator(helpers.two_outputs_over_time, outputs=["a", "b"],
                                            years=[2020, 2040, 2060]),
                out=out, workers=1, report=False)
    base.update(kw)
    return JobSpec(**base)


def _same(r1, r2):
    assert r1.X.tobytes() == r2.X.tobytes()
    assert r1.Y.tobytes() == r2.Y.tobytes()
    pd.testing.assert_frame_equal(r1.indices, r2.indices, check_exact=True)


def test_chunk_size_and_process_pool_independence(tmp_path, helpers, ishigami_factors):
    ref = run_job(_spec(helpers, ishigami_factors, tmp_path / "ref", chunk_size=64))
    assert ref.chunks_total == 256 * 8 // 64
    odd = run_job(_spec(helpers, ishigami_factors, tmp_path / "odd", chunk_size=77))
    pool = run_job(_spec(helpers, ishigami_factors, tmp_path / "pool", chunk_size=300, workers=2))
    assert pool.backend == "local" and pool.workers == 2
    _same(ref, odd)
    _same(ref, pool)
    # The stored raw arrays are exactly what was analysed.
    assert np.load(tmp_path / "pool" / "outputs.npy").tobytes() == ref.Y.tobytes()
    assert np.load(tmp_path / "pool" / "samples.npy").tobytes() == ref.X.tobytes()


def test_dask_local_cluster_equals_local(tmp_path, helpers, ishigami_factors):
    ref = run_job(_spec(helpers, ishigami_factors, tmp_path / "ref", chunk_size=128))
    events: list[Progress] = []
    dk = run_job(_spec(helpers, ishigami_factors, tmp_path / "dask", chunk_size=50,
                       scheduler="local-cluster", workers=2), progress=events.append)
    assert dk.backend == "local-cluster" and dk.workers == 2
    _same(ref, dk)
    ev = [e for e in events if e.phase == "evaluate"]
    assert ev[-1].runs_done == ev[-1].runs_total == dk.runs_total
    assert [e.runs_done for e in ev] == sorted(e.runs_done for e in ev)
    assert ev[-1].eta == 0.0


def test_existing_cluster_by_address_equals_local(tmp_path, helpers, ishigami_factors):
    """--scheduler tcp://… path: connect to a cluster we did not start (and leave it running)."""
    import logging

    from distributed import LocalCluster

    ref = run_job(_spec(helpers, ishigami_factors, tmp_path / "ref", chunk_size=128))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        res = run_job(_spec(helpers, ishigami_factors, tmp_path / "tcp", chunk_size=200,
                            scheduler=cluster.scheduler_address))
        assert res.backend == "dask" and res.workers == 2
        assert cluster.scheduler_address.startswith("tcp://")
        assert len(cluster.scheduler_info["workers"]) == 2  # still up: not ours to close
    _same(ref, res)


@pytest.mark.slow
def test_dask_worker_death_is_retried(tmp_path, helpers, ishigami_factors):
    marker = tmp_path / "m"
    marker.mkdir()
    kw = dict(method="sobol", factors=ishigami_factors, n=64, seed=1, chunk_size=64,
              workers=2, report=False, convergence=False)
    res = run_job(JobSpec(evaluator=FunctionEvaluator(helpers.dies_once, kwargs={"marker_dir": str(marker)}),
                          out=tmp_path / "dask", scheduler="local-cluster", **kw))
    assert (marker / "died").exists()  # a worker really died...
    ref = run_job(JobSpec(evaluator=FunctionEvaluator(helpers.ishigami), out=tmp_path / "ref", **kw))
    assert res.Y.tobytes() == ref.Y.tobytes()  # ...and its chunk was redone


def test_process_pool_worker_death_and_exception_are_retried(tmp_path, helpers, ishigami_factors):
    kw = dict(method="sobol", factors=ishigami_factors, n=64, seed=1, chunk_size=64,
              report=False, convergence=False)
    ref = run_job(JobSpec(evaluator=FunctionEvaluator(helpers.ishigami), out=tmp_path / "ref",
                          workers=1, **kw))
    (tmp_path / "m1").mkdir()
    died = run_job(JobSpec(evaluator=FunctionEvaluator(helpers.dies_once,
                                                       kwargs={"marker_dir": str(tmp_path / "m1")}),
                           out=tmp_path / "died", workers=2, **kw))
    assert (tmp_path / "m1" / "died").exists()
    assert died.Y.tobytes() == ref.Y.tobytes()
    (tmp_path / "m2").mkdir()
    raised = run_job(JobSpec(evaluator=FunctionEvaluator(helpers.raises_once,
                                                         kwargs={"marker_dir": str(tmp_path / "m2")}),
                             out=tmp_path / "raised", workers=1, **kw))
    assert raised.Y.tobytes() == ref.Y.tobytes()


def test_chunk_that_always_fails_is_reported(tmp_path, ishigami_factors):
    from sim.sensitivity import ChunkFailedError

    def boom(X):
        raise RuntimeError("model exploded")

    with pytest.raises(ChunkFailedError, match="failed 3 times.*model exploded"):
        run_job(JobSpec(method="sobol", factors=ishigami_factors, n=16, workers=1,
                        evaluator=FunctionEvaluator(boom), out=tmp_path / "j", report=False))


def test_resume_after_deleted_and_corrupt_chunks(tmp_path, helpers, ishigami_factors):
    out = tmp_path / "job"
    full = run_job(_spec(helpers, ishigami_factors, out, chunk_size=100))
    chunks = sorted((out / "chunks").glob("chunk-*.npz"))
    for p in chunks[3:9]:
        p.unlink()
    chunks[1].write_bytes(b"not an npz")  # corrupt file under a final name: must be redone
    (out / "chunks" / "chunk-000003.npz.4242.tmp").write_bytes(b"half-written")  # never read
    again = run_job(_spec(helpers, ishigami_factors, out, chunk_size=100, resume=True))
    assert again.chunks_resumed == len(chunks) - 7
    assert again.runs_evaluated == 7 * 100
    assert any("unreadable chunk-000001.npz" in w for w in again.warnings)
    assert any("leftover *.tmp" in w for w in again.warnings)
    assert not list((out / "chunks").glob("*.tmp"))
    _same(full, again)
    # Resuming a complete job evaluates nothing and re-analyses identically.
    done = run_job(_spec(helpers, ishigami_factors, out, chunk_size=100, resume=True))
    assert done.runs_evaluated == 0 and done.backend == "none"
    _same(full, done)


SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{root!r}, {here!r}]
    import numpy as np, sens_helpers
    from sim.sensitivity import Factor, FunctionEvaluator, JobSpec, run_job
    fs = [Factor(f"x{{i+1}}", f"x{{i+1}}", -np.pi, np.pi) for i in range(3)]
    run_job(JobSpec(method="sobol", factors=fs, n=256, seed=9, chunk_size=64, workers=1,
                    evaluator=FunctionEvaluator(sens_helpers.slow_ishigami),
                    out={out!r}, resume={resume}, report=False))
    """
)


def test_resume_after_killed_process_equals_uninterrupted(tmp_path, helpers, ishigami_factors):
    out = tmp_path / "killed"
    env = {**os.environ, "OASIS_TEST_SLOW": "0.15"}
    script = SCRIPT.format(root=str(ROOT), here=str(HERE), out=str(out), resume=False)
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(list((out / "chunks").glob("chunk-*.npz"))) >= 3 or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        proc.send_signal(signal.SIGKILL)  # no cleanup, no goodbye
    finally:
        proc.wait(10)
    n_done = len(list((out / "chunks").glob("chunk-*.npz")))
    assert 3 <= n_done < 32
    # Resume in-process (fast: the slowdown is an env var, not part of the job identity).
    resumed = run_job(JobSpec(method="sobol", factors=ishigami_factors, n=256, seed=9,
                              chunk_size=64, workers=1,
                              evaluator=FunctionEvaluator(helpers.slow_ishigami),
                              out=out, resume=True, report=False))
    assert resumed.chunks_resumed >= n_done - 1 and resumed.runs_resumed > 0
    straight = run_job(JobSpec(method="sobol", factors=ishigami_factors, n=256, seed=9,
                               chunk_size=64, workers=1,
                               evaluator=FunctionEvaluator(helpers.slow_ishigami),
                               out=tmp_path / "straight", report=False))
    _same(straight, resumed)


def test_text_progress_bar(ishigami_factors, helpers, tmp_path):
    import io

    buf = io.StringIO()
    bar = TextProgressBar(stream=buf, min_interval=0)
    run_job(_spec(helpers, ishigami_factors, tmp_path / "j", chunk_size=512, convergence=False),
            progress=bar)
    text = buf.getvalue()
    assert "2048/2048 runs 100%" in text and "ETA 00:00" in text and "analyse…" in text
