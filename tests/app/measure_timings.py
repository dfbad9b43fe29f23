"""Measure (not a test) the app's interactive timings; prints a small table.

    .venv/bin/python tests/app/measure_timings.py [--browser]

* cold start (AppTest): a fresh Python process builds the page once (imports, model load, first run)
* slider change -> rerun finished (AppTest wall time of ``.run()``), new lever values each time
  (cache misses), single scenario and with 5-95 % bands (ensemble of 100 + central run)
* ``--browser``: `streamlit run` spawn -> first indicator visible in an already running Chromium
  (needs /usr/bin/chromium; the browser's own start-up is not counted)
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")

COLD = r"""
import time, sys
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
t1 = time.perf_counter()
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
t2 = time.perf_counter()
assert not at.exception, at.exception
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {at.session_state['_total_ms']:.0f}")
"""


def cold_start() -> tuple[float, float, float]:
    out = subprocess.run([sys.executable, "-c", COLD, APP], capture_output=True, text=True, check=True,
                         env=dict(os.environ, OASIS_SD_DB=str(Path(tempfile.mkdtemp()) / "lib.sqlite")))
    a, b, c = out.stdout.split()[-3:]
    return float(a), float(b), float(c) / 1000


def rerun_times(bands: bool, n: int = 8) -> list[float]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    if bands:
        at.toggle(key="bands").set_value(True).run()  # loads the ensemble once (not timed)
    times = []
    for i in range(n):
        slider = at.slider(key="lever__new_reclamation_pct_of_bau")
        slider.set_value(float(95 - 5 * i) if not bands else float(50 - 5 * i))
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception
    return times


def browser_cold_start() -> float:
    import socket
    import urllib.request

    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OASIS_SD_DB=str(Path(tempfile.mkdtemp()) / "lib.sqlite"))
    # the browser is started first: a user opening the app already has one running
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium",
                               args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"])
        page = b.new_page()
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", APP, "--server.headless", "true",
                                 "--server.port", str(port), "--server.address", "127.0.0.1"],
                                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.1)
                if time.perf_counter() - t0 > 120:
                    raise RuntimeError("server did not start")
            page.goto(f"http://127.0.0.1:{port}")
            page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=120_000)
            elapsed = time.perf_counter() - t0
        finally:
            b.close()
            proc.terminate()
            proc.wait(timeout=30)
    return elapsed


def main() -> None:
    os.environ.setdefault("OASIS_SD_DB", str(Path(tempfile.mkdtemp()) / "lib.sqlite"))
    imp, first, script = cold_start()
    print(f"cold start (AppTest, fresh process): import streamlit {imp:.2f} s + first page {first:.2f} s "
          f"(script body {script:.2f} s)")
    single = rerun_times(False)
    print(f"slider -> rerun, single scenario: median {statistics.median(single) * 1000:.0f} ms, "
          f"max {max(single) * 1000:.0f} ms  ({', '.join(f'{x * 1000:.0f}' for x in single)})")
    banded = rerun_times(True)
    print(f"slider -> rerun, with bands (101 runs): median {statistics.median(banded) * 1000:.0f} ms, "
          f"max {max(banded) * 1000:.0f} ms  ({', '.join(f'{x * 1000:.0f}' for x in banded)})")
    if "--browser" in sys.argv:
        print(f"cold start (browser): spawn -> first indicator visible {browser_cold_start():.2f} s")


if __name__ == "__main__":
    main()
