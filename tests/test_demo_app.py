"""The demo app in a real headless browser (Debian's Chromium driven by Playwright)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "yoloxsp.cli.main", "demo", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError("demo app exited: " + process.stdout.read())
                time.sleep(0.5)
        else:
            raise RuntimeError("demo app did not start within 120 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_upload_the_sample_and_see_the_detections(app_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        page.goto(app_url)
        page.locator("#upload input[type=file]").set_input_files(str(ROOT / "res" / "sample" / "images" /
                                                                      "frame_000000.png"))
        page.locator("#pixel-size input").fill("0.13")
        page.locator("#detect").click()
        expect(page.locator("#summary")).to_contain_text("spindle detections", timeout=120_000)
        summary = page.locator("#summary").inner_text()
        assert int(summary.split("frame(s), ")[1].split(" spindle")[0]) >= 2  # the sample frame has spindles
        expect(page.locator("#overlay img")).to_be_visible()
        expect(page.locator("#lengths img")).to_be_visible()
        rows = page.locator("#table").get_by_role("row")
        expect(rows.nth(2)).to_be_visible()
        assert rows.count() >= 3  # a header and at least two spindles
        cells = rows.nth(1).get_by_role("gridcell").all_inner_texts()
        assert float(cells[4]) == pytest.approx(float(cells[3]) * 0.13, abs=0.01)  # um from the given pixel size
        expect(page.locator("#csv").get_by_role("cell", name="detections.csv")).to_be_visible()
        link = page.locator("#csv").get_by_role("link").first.get_attribute("href")
        csv_text = urllib.request.urlopen(link, timeout=10).read().decode()  # the download works
        assert csv_text.startswith("frame,track_id,score,x1,y1,x2,y2,pole1_x")
        browser.close()


def test_many_movies_give_the_per_condition_summary(app_url, small_movie, tmp_path):
    uploads = []
    for name in ("wt_1.tif", "wt_2.tif", "cut7_1.tif"):
        uploads.append(tmp_path / name)
        shutil.copy(small_movie / "stack.tif", uploads[-1])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        page.goto(app_url)
        page.get_by_role("tab", name="Many movies").click()
        page.locator("#batch-upload input[type=file]").set_input_files([str(p) for p in uploads])
        expect(page.locator("#batch-upload").get_by_role("cell", name="cut7_1.tif")).to_be_visible(timeout=30_000)
        page.locator("#batch-run").click()
        expect(page.locator("#batch-status")).to_contain_text("3 movie(s) analysed", timeout=300_000)
        for figure in ("#batch-rates img", "#batch-lengths img", "#batch-aligned img"):
            expect(page.locator(figure)).to_be_visible()
        rows = page.locator("#batch-conditions").get_by_role("row")
        expect(rows.nth(2)).to_be_visible()
        conditions = [rows.nth(i).get_by_role("gridcell").first.inner_text() for i in (1, 2)]
        assert conditions == ["wt", "cut7"]  # from the file names, in the order they were given
        movies_per_condition = [rows.nth(i).get_by_role("gridcell").nth(1).inner_text() for i in (1, 2)]
        assert movies_per_condition == ["2", "1"]
        link = page.locator("#batch-csv").get_by_role("link").first.get_attribute("href")
        csv_text = urllib.request.urlopen(link, timeout=10).read().decode()
        assert csv_text.startswith("movie,condition,track_id")
        browser.close()
