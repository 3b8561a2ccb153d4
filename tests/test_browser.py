"""The real page in headless Chromium: type a query, submit, see highlighted results, click a facet."""
import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("KGSEARCH_REQUIRE_BROWSER"):
            pytest.fail("chromium / chromedriver are not installed (Debian: chromium chromium-driver)")
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1000"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def test_type_query_submit_and_see_marked_results(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(server.url + "/")
    box = browser.find_element(By.NAME, "q")
    box.send_keys("коррупция")
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "li.hit")))
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert len(hits) == 2
    marks = browser.find_elements(By.CSS_SELECTOR, "li.hit mark")
    assert marks and all(m.text.lower().startswith("коррупция") for m in marks)
    assert "Табылды" in browser.find_element(By.CSS_SELECTOR, ".count").text
    browser.save_screenshot(str(ARTIFACTS / "results.png"))

    # open the article: every match highlighted
    hits[0].find_element(By.CSS_SELECTOR, "h3 a").click()
    WebDriverWait(browser, 10).until(EC.presence_of_element_located((By.CSS_SELECTOR, "article.doc")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "article.doc .body mark")) >= 3
    browser.save_screenshot(str(ARTIFACTS / "document.png"))


def test_click_a_facet_narrows_and_unclick_restores(browser, server):
    from selenium.webdriver.common.by import By
    browser.get(server.url + "/?q=коррупция")
    before = len(browser.find_elements(By.CSS_SELECTOR, "li.hit"))
    link = browser.find_element(By.CSS_SELECTOR, ".facet-district a[data-facet=district]")
    name = link.text
    link.click()
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert 0 < len(hits) < before
    assert name in browser.find_element(By.CSS_SELECTOR, ".active-filters").text
    for hit in hits:
        assert name in hit.text
    browser.save_screenshot(str(ARTIFACTS / "facet.png"))
    browser.find_element(By.CSS_SELECTOR, ".active-filters a.chip").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.hit")) == before


def test_timeline_bar_narrows_to_its_period(browser, server):
    from selenium.webdriver.common.by import By
    browser.get(server.url + "/?q=коррупция")
    bars = browser.find_elements(By.CSS_SELECTOR, ".timeline a.bar")
    assert [b.get_attribute("data-period") for b in bars] == [str(y) for y in range(2013, 2026)]
    full = [b for b in bars if b.get_attribute("data-count") != "0"]
    assert len(full) == 2
    # the bars are drawn: a full bar is taller than an empty one
    assert full[-1].find_element(By.TAG_NAME, "span").size["height"] > 20
    assert bars[1].find_element(By.TAG_NAME, "span").size["height"] <= 2
    browser.save_screenshot(str(ARTIFACTS / "timeline.png"))
    full[-1].click()
    hits = browser.find_elements(By.CSS_SELECTOR, "li.hit")
    assert len(hits) == 1 and "2025" in hits[0].find_element(By.TAG_NAME, "time").text
    assert "2025" in browser.find_element(By.CSS_SELECTOR, ".active-filters").text
