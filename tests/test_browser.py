"""The real page in headless Chromium: type a query, submit, see highlighted results, click a facet;
and hostile documents: a script URL never runs, the CSP blocks what would, odd ids link right."""
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import Server, build_index, write_jsonl

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
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})     # CSP violations are logged there
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


# -- hostile documents ---------------------------------------------------------------------------
PWNED_URLS = ["javascript:document.title='PWNED'", "  JaVaScRiPt:document.title='PWNED'",
              "java\tscript:document.title='PWNED'", "data:text/html,<script>document.title='PWNED'</script>"]
ODD_IDS = ["a?b", "a#b", "a b", "100%", "a/b", "a//b", "/lead", "..", ".", "a/../b", "%2F", "x<1>\"'"]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-browser")
    docs = [{"id": f"pwn{n}", "title": f"Булак {n} паракорлук", "url": url, "date": f"2024-0{n + 1}-01",
             "body": f"Паракорлук жөнүндө макала {n}."} for n, url in enumerate(PWNED_URLS)]
    docs.append({"id": "good", "title": "Жакшы булак паракорлук", "url": "https://24.kg/", "date": "2024-06-01",
                 "body": "Паракорлук жөнүндө чыныгы булак."})
    docs += [{"id": i, "title": f"Өзгөчө id {n} шайлоо", "body": f"Шайлоо тууралуу {n}."}
             for n, i in enumerate(ODD_IDS)]
    srv = Server(build_index(tmp / "ix", [write_jsonl(tmp / "hostile.jsonl", docs)]).root)
    yield srv
    srv.stop()


def title_stays(browser, title: str, seconds: float = 0.5) -> bool:
    """True if the page title is still ``title`` after ``seconds`` (a script URL runs asynchronously)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        WebDriverWait(browser, seconds, poll_frequency=0.05).until(lambda b: b.title != title)
    except TimeoutException:
        return True
    return False


def title_becomes(browser, title: str, seconds: float = 5) -> bool:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        WebDriverWait(browser, seconds, poll_frequency=0.05).until(lambda b: b.title == title)
    except TimeoutException:
        return False
    return True


def csp_violations(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def test_javascript_source_url_does_not_run_when_clicked(browser, hostile_server):
    from selenium.webdriver.common.by import By
    browser.get(hostile_server.url + "/?q=паракорлук")
    csp_violations(browser)                              # drop what an earlier page logged
    browser.get(hostile_server.url + "/?q=паракорлук")
    title = browser.title
    assert "PWNED" not in title and len(browser.find_elements(By.CSS_SELECTOR, "li.hit")) == 5
    # click each hostile hit's source ("булак"), whatever it is rendered as
    for n in range(len(PWNED_URLS)):
        hit = browser.find_element(By.XPATH, f"//li[@class='hit'][.//h3/a[contains(@href, '/doc/pwn{n}')]]")
        source = hit.find_element(By.CSS_SELECTOR, ".meta .source-text, .meta .source-link")
        assert "булак" in source.text
        source.click()
        # a script URL's string result would also replace the whole page: it is still ours
        assert title_stays(browser, title) and browser.find_elements(By.CSS_SELECTOR, "li.hit"), n
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")]
    assert all(re.match(r"https?://", h) for h in hrefs), hrefs
    sources = browser.find_elements(By.CSS_SELECTOR, "li.hit .source-text")
    assert len(sources) == len(PWNED_URLS) and "javascript:document.title" in sources[0].text
    assert len(browser.find_elements(By.CSS_SELECTOR, "li.hit a.source-link[href='https://24.kg/']")) == 1
    assert browser.current_url.startswith(hostile_server.url + "/?q=")
    assert csp_violations(browser) == []                 # the page itself needs nothing the CSP forbids
    browser.save_screenshot(str(ARTIFACTS / "hostile_results.png"))

    # the article page of the first hostile document
    browser.find_element(By.CSS_SELECTOR, "li.hit h3 a[href*='/doc/pwn0']").click()
    assert browser.find_element(By.CSS_SELECTOR, "article.doc h1").text.startswith("Булак 0")
    doc_title = browser.title
    browser.find_element(By.CSS_SELECTOR, "article.doc .meta .source-text, article.doc .meta .source-link").click()
    assert title_stays(browser, doc_title) and "PWNED" not in doc_title
    assert browser.find_elements(By.CSS_SELECTOR, "article.doc .body p")
    source = browser.find_element(By.CSS_SELECTOR, "article.doc .source-text")
    assert "javascript:document.title='PWNED'" in source.text
    assert not browser.find_elements(By.CSS_SELECTOR, "article.doc a[href^='javascript'], a.source-link")
    assert csp_violations(browser) == []
    browser.save_screenshot(str(ARTIFACTS / "hostile_document.png"))


def test_csp_blocks_script_a_page_could_still_get(browser, hostile_server):
    """The second line of defence: if a script URL or inline script ever reached a page, the CSP stops it.
    The same injection on a page without our headers does run (so the check can see it)."""
    from selenium.webdriver.common.by import By
    inject = """
        document.body.insertAdjacentHTML('beforeend',
            '<a id="evil" href="javascript:void(document.title=\\'PWNED\\')">x</a>' +
            '<div id="styled" style="height: 77px">y</div>');
        var s = document.createElement('script');
        s.textContent = "document.title = 'PWNED-INLINE'";
        document.body.appendChild(s);"""
    browser.get("about:blank")
    browser.execute_script("document.title = 'plain'; document.body.innerHTML = '';" + inject)
    assert title_becomes(browser, "PWNED-INLINE")
    browser.find_element(By.ID, "evil").click()
    assert title_becomes(browser, "PWNED")               # without a CSP both run

    browser.get(hostile_server.url + "/doc/pwn0")
    csp_violations(browser)
    title = browser.title
    browser.execute_script(inject)
    assert title_stays(browser, title)
    browser.find_element(By.ID, "evil").click()
    assert title_stays(browser, title, 1.0)
    assert browser.find_element(By.ID, "styled").size["height"] != 77     # inline style refused too
    assert len(csp_violations(browser)) >= 2


def test_odd_ids_open_their_own_article(browser, hostile_server):
    from selenium.webdriver.common.by import By
    browser.get(hostile_server.url + "/?q=шайлоо&per_page=50")
    # the href property is the URL as the browser resolved it (dot segments, '#', '%')
    hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "li.hit h3 a")]
    assert len(hrefs) == len(ODD_IDS)
    seen = set()
    for href in hrefs:
        browser.get(href)
        n = int(re.search(r"id (\d+)", browser.find_element(By.CSS_SELECTOR, "article.doc h1").text).group(1))
        assert f"тууралуу {n}." in browser.find_element(By.CSS_SELECTOR, "article.doc .body").text
        seen.add(n)
    assert seen == set(range(len(ODD_IDS)))
