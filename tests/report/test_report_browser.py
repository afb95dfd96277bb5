"""The reports in a real headless Chromium (Selenium with Debian's chromium + chromium-driver):
no console errors, every image decodes, curves and replays are there, the episode selector and
the folds work, and a screenshot is not blank. Skipped where the browser is missing."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageStat

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
)


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    chromium = _binary("chromium", "chromium-browser")
    driver_path = _binary("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium-driver)")
    profile = tempfile.mkdtemp(prefix="zeroplay-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager never tries to download one.
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(browser, path: Path) -> None:
    browser.get_log("browser")  # drop entries of an earlier page
    browser.get(path.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"


def _visible_episodes(browser, group: str) -> list[str]:
    from selenium.webdriver.common.by import By

    articles = browser.find_elements(By.CSS_SELECTOR, f'article.episode[data-group="{group}"]')
    return [a.get_attribute("data-index") for a in articles if a.is_displayed()]


@pytest.mark.parametrize("recipe", ["vision-zero", "visplay", "mm-zero"])
def test_report_in_chromium(browser, built_reports, recipe, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, built_reports[recipe].html_path)
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []

    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.className, i.complete, i.naturalWidth])"
    )
    assert images and all(complete and width > 0 for _, complete, width in images)
    plots = [width for css, _, width in images if css == "plot"]
    assert len(plots) >= 2 and min(plots) > 300

    selects = browser.find_elements(By.CSS_SELECTOR, "select.episode-select")
    assert selects
    for select in selects:  # one episode shown per group; choosing another switches it
        group = select.get_attribute("data-group")
        assert _visible_episodes(browser, group) == ["0"]
        options = Select(select).options
        if len(options) > 1:
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", select)
            Select(select).select_by_index(len(options) - 1)
            assert _visible_episodes(browser, group) == [str(len(options) - 1)]

    fold = next(
        d
        for d in browser.find_elements(By.CSS_SELECTOR, "article.episode details")
        if d.is_displayed()
    )
    assert fold.get_attribute("open") is None
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", fold)
    fold.find_element(By.TAG_NAME, "summary").click()
    assert fold.get_attribute("open") is not None

    browser.execute_script("window.scrollTo(0, 0)")
    shot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    shot.save(tmp_path / f"{recipe}.png")
    assert len(shot.getcolors(maxcolors=1 << 20) or []) > 20
    assert max(ImageStat.Stat(shot.convert("L")).stddev) > 20
