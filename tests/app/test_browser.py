"""The app in a real browser: `streamlit run app.py` driven by Playwright with Debian's Chromium.

Skips (with the reason) when /usr/bin/chromium or the playwright package is missing; CI installs
Chromium with apt (`apt-get install -y chromium chromium-driver`). No browser is ever downloaded.
Set OASIS_SD_SCREENSHOT=path to also write the main-view screenshot there (docs/screenshot-main.png
is made that way).
"""
from __future__ import annotations

import os
import re
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


def open_find_a_policy(page, url: str, tab_label: str):
    """Open the app, switch to the Find-a-policy tab and wait for its Pareto chart and tables."""
    page.goto(url, timeout=60_000)
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=90_000)
    tab = page.get_by_role("tab", name=tab_label)
    tab.click()
    panel = page.locator('[role="tabpanel"]:visible')
    panel.locator('[data-testid="stVegaLiteChart"]').first.locator("canvas, svg").first.wait_for(timeout=60_000)
    panel.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    return tab, panel


def levers_changed(page, pattern: str) -> int:
    text = page.get_by_text(re.compile(pattern)).first.inner_text()
    return int(re.search(pattern, text).group(1))


def test_find_a_policy_loads_a_pareto_point_in_real_browser(server):
    """The Find-a-policy tab in a real browser, in English then Chinese (one server, two sessions): the
    committed example search (search/results/example) shows its Pareto chart and tables; picking P001
    and "Load this point" sets the levers (the "levers changed" count, the sidebar's modified markers
    and the link change) and the tab stays open."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright python package not installed")
    url, log = server
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            for lang in ("en", "zh"):
                context = browser.new_context(viewport={"width": 1500, "height": 1750})
                find_a_policy_session(context.new_page(), url, lang)
                context.close()
        finally:
            browser.close()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def find_a_policy_session(page, url: str, lang: str) -> None:
    zh = lang == "zh"
    tab_label, load_label = (("寻找政策", "将该点载入为当前情景") if zh
                             else ("Find a policy", "Load this point as the current scenario"))
    changed = r"相对基准调整的杠杆：(\d+) 项" if zh else r"Levers changed from baseline: (\d+)"
    tab, panel = open_find_a_policy(page, url + ("/?lang=zh" if zh else "/"), tab_label)
    assert tab.get_attribute("aria-selected") == "true"
    assert levers_changed(page, changed) == 0
    assert page.locator('[data-testid="stExpander"] summary').filter(has_text="●").count() == 0
    # labels of the tab in the page language, the example search selected, P000 first
    for text in (("帕累托点", "横轴", "红线", "稳健性", "情景发现") if zh else ("Pareto point", "Horizontal axis")):
        assert panel.get_by_text(text).first.is_visible(), text
    selects = panel.locator('[data-testid="stSelectbox"]')
    assert selects.filter(has_text="已保存的搜索结果" if zh else "Saved search").locator(
        "input").input_value().startswith("results/example")
    point = selects.filter(has_text="帕累托点" if zh else "Pareto point").locator("input")
    assert point.input_value().startswith("P000 · ")
    # pick the second point in the list, then load it
    point.click()
    page.get_by_role("option", name=re.compile(r"^P001")).click()
    page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.value.startsWith('P001'))",
                           timeout=30_000)
    panel.get_by_text("P001").first.wait_for(timeout=30_000)  # the tables' headings follow
    panel.get_by_role("button", name=load_label).click()
    deadline = time.monotonic() + 30
    n = 0
    while time.monotonic() < deadline and n == 0:
        page.wait_for_timeout(250)
        n = levers_changed(page, changed)
    assert n > 10, "levers did not change after loading a Pareto point"
    success = panel.locator('[data-testid="stAlertContentSuccess"]')
    success.first.wait_for(timeout=30_000)
    assert "P001" in success.first.inner_text()
    # still on the Find-a-policy tab, and the sidebar marks changed strategies
    assert page.get_by_role("tab", name=tab_label).get_attribute("aria-selected") == "true"
    assert page.locator('[data-testid="stExpander"] summary').filter(has_text="●").count() > 0
    page.wait_for_function("() => window.location.search.split('&').length > 3", timeout=30_000)
