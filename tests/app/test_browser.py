"""The app in a real browser: `streamlit run app.py` driven by Playwright with Debian's Chromium.

Skips (with the reason) when /usr/bin/chromium or the playwright package is missing; CI installs
Chromium with apt (`apt-get install -y chromium chromium-driver`). No browser is ever downloaded.
Set OASIS_SD_SCREENSHOT=path to also write the main-view screenshot there (docs/screenshot-main.png
is made that way).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="system Chromium /usr/bin/chromium not installed "
                                        "(apt-get install -y chromium chromium-driver)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy after {timeout}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    log = tmp_path / "streamlit.log"
    env = dict(os.environ, OASIS_SD_DB=str(tmp_path / "lib.sqlite"), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def metric_texts(page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def test_slider_moves_indicator_and_chart_in_real_browser(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright python package not installed")
    url, log = server
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1750})
            page.goto(url, timeout=60_000)
            page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=90_000)
            charts = page.locator('[data-testid="stVegaLiteChart"]')
            charts.first.locator("canvas, svg").first.wait_for(timeout=60_000)
            assert charts.count() >= 4
            before = metric_texts(page)
            assert len(before) == 18
            # show the emissions charts (CO2 first) and take a picture of the CO2 chart
            page.get_by_text("Emissions & energy").click()
            co2 = charts.filter(has_text="CO₂ emissions").first
            co2.locator("canvas, svg").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            co2_before = co2.screenshot()

            # open "3 Green industry" and move "Heavy industry growth" to its minimum with the keyboard
            page.get_by_text("3 Green industry").click()
            slider = page.locator('[data-testid="stSlider"]').filter(has_text="Heavy").locator('input[type="range"]')
            slider.wait_for(timeout=30_000)
            assert slider.input_value() == "100"
            slider.focus()
            slider.press("Home")
            deadline = time.monotonic() + 60
            after = before
            while time.monotonic() < deadline and after == before:
                page.wait_for_timeout(250)
                after = metric_texts(page)
            assert after != before, "indicator cards did not change after moving the slider"
            assert slider.input_value() == "0"
            page.wait_for_function("() => window.location.search.includes('I1=0')", timeout=30_000)
            # every chart of the dashboard is drawn (other tabs' charts stay hidden), and the CO2
            # chart now shows a different scenario line
            visible = [charts.nth(i) for i in range(charts.count()) if charts.nth(i).is_visible()]
            assert len(visible) >= 4
            for chart in visible:
                chart.locator("canvas, svg").first.wait_for(timeout=30_000)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and co2.screenshot() == co2_before:
                page.wait_for_timeout(250)
            assert co2.screenshot() != co2_before, "CO2 chart did not change"
            page.wait_for_timeout(1000)
            shot = tmp_path / "screenshot-main.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000
            target = os.environ.get("OASIS_SD_SCREENSHOT")
            if target:
                shutil.copyfile(shot, target)
        finally:
            browser.close()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
