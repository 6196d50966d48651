#!/usr/bin/env python3
"""Drives memstats' HTML report in headless Chromium (Debian's chromium,
chromium-driver and python3-selenium) as a person would, from a file://
URL with no network.

Usage: browser_check.py PAGE.html EXPECT_JSON [SCREENSHOT.png]
EXPECT_JSON: {"views": [{"id", "label", "series": [...], "xs": [...],
"tables": [...]}], "initial": i, "peak": p, "other": o}; xs are each
sample's x in SVG px as the test computed them.

Checks: no script error; #view lists the labels; the first view's chart
is shown with one non-empty polygon per series; the initial sample's
table; a click on the chart at the peak's x picks the peak (table and
marker line); #sample picks another sample and the peak again; table text
is text (no markup from cells); #view switches chart and table at the same
sample; the slider's Home key picks sample 0. Prints what failed, exit 1.
"""
import json
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT_S = 30


def fail(msg):
    print("browser_check.py: FAIL: " + msg, flush=True)
    sys.exit(1)


def step(msg):
    print("browser_check.py: " + msg, flush=True)


def start_browser(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    # Root (CI) needs --no-sandbox; /dev/shm may be small in containers.
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--no-first-run",
              "--disable-extensions", "--disable-background-networking",
              "--window-size=1280,1100", "--user-data-dir=" + profile):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium never looks for (or fetches) one.
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    return driver


def wait_for(driver, what, cond):
    try:
        WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(
            lambda d: cond())
    except TimeoutException:
        fail("timed out waiting for " + what)


def shown_table(driver):
    return driver.execute_script("""
        const t = document.getElementById('table');
        const cells = r => Array.from(r.cells, c => c.textContent);
        return {columns: t.tHead ? cells(t.tHead.rows[0]) : [],
                rows: t.tBodies.length ? Array.from(t.tBodies[0].rows, cells) : [],
                footer: t.tFoot ? cells(t.tFoot.rows[0]) : [],
                time: document.getElementById('time').textContent,
                markup: t.querySelectorAll('tbody *:not(tr):not(td)').length};
    """)


def as_text(cells):
    return ["" if c is None else str(c) for c in cells]


def check_table(driver, want, what):
    got = shown_table(driver)
    if got["markup"]:
        fail(f"{what}: table cells hold markup")
    for key in ("columns", "footer"):
        if got[key] != as_text(want.get(key, [])):
            fail(f"{what}: {key} {got[key]}, want {want.get(key)}")
    want_rows = [as_text(r) for r in want["rows"]]
    if got["rows"] != want_rows:
        fail(f"{what}: rows {got['rows']}, want {want_rows}")
    if "time" in want and got["time"] != want["time"]:
        fail(f"{what}: time {got['time']!r}, want {want['time']!r}")
    step(f"{what}: table ok (top row {got['rows'][0]}, footer {got['footer']})")


def wait_sample(driver, index, what):
    wait_for(driver, f"{what}: sample {index}",
             lambda: driver.find_element(By.TAG_NAME, "body")
             .get_attribute("data-sample") == str(index))


def visible_chart(driver):
    charts = driver.find_elements(By.CSS_SELECTOR, "#chart .chart-view")
    shown = [c for c in charts if c.is_displayed()]
    if len(shown) != 1:
        fail(f"{len(shown)} charts shown, want 1")
    return shown[0]


def check_chart(driver, view):
    chart = visible_chart(driver)
    if chart.get_attribute("data-view") != view["id"]:
        fail(f"chart {chart.get_attribute('data-view')} shown, want {view['id']}")
    areas = driver.execute_script("""
        return Array.from(arguments[0].querySelectorAll('polygon.series'), p => {
          const b = p.getBBox();
          return {name: p.getAttribute('data-series'), w: b.width, h: b.height,
                  n: p.points.numberOfItems};
        });""", chart)
    names = [a["name"] for a in areas]
    if names != view["series"]:
        fail(f"series {names}, want {view['series']}")
    for a in areas:
        if a["w"] <= 0 or a["h"] <= 0 or a["n"] < 4:
            fail(f"series {a['name']!r} has empty geometry {a}")
    step(f"chart {view['id']}: {len(areas)} series drawn")
    return chart


def check_marker(driver, chart, x):
    got = driver.execute_script(
        "const l = arguments[0].querySelector('line.marker');"
        "return l ? Number(l.getAttribute('x1')) : null;", chart)
    if got is None or abs(got - x) > 0.01:
        fail(f"marker at {got}, want {x}")


def click_at_svg_x(driver, chart, x):
    """A real mouse click at SVG x (mid height of the plot)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});",
                          chart)
    cx, cy = driver.execute_script("""
        const svg = arguments[0].querySelector('svg');
        const plot = svg.getAttribute('data-plot').split(' ').map(Number);
        const m = svg.getScreenCTM();
        const y = (plot[1] + plot[3]) / 2;
        return [m.a * arguments[1] + m.c * y + m.e,
                m.b * arguments[1] + m.d * y + m.f];""", chart, x)
    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(round(cx), round(cy))
    actions.w3c_actions.pointer_action.click()
    actions.perform()


def run(driver, page, want, screenshot):
    views, peak, other = want["views"], want["peak"], want["other"]
    driver.get("file://" + page)
    wait_for(driver, "the page's script",
             lambda: driver.find_element(By.TAG_NAME, "body")
             .get_attribute("data-ready") == "1")
    labels = [o.text for o in
              Select(driver.find_element(By.ID, "view")).options]
    if labels != [v["label"] for v in views]:
        fail(f"#view lists {labels}")

    chart = check_chart(driver, views[0])
    wait_sample(driver, want["initial"], "initial")
    check_table(driver, views[0]["tables"][want["initial"]], "initial sample")
    check_marker(driver, chart, views[0]["xs"][want["initial"]])

    click_at_svg_x(driver, chart, views[0]["xs"][peak])
    wait_sample(driver, peak, "click at the peak")
    check_table(driver, views[0]["tables"][peak], "click at the peak")
    check_marker(driver, chart, views[0]["xs"][peak])
    if Select(driver.find_element(By.ID, "sample")) \
            .first_selected_option.get_attribute("value") != str(peak):
        fail("#sample does not follow the click")

    sample_select = Select(driver.find_element(By.ID, "sample"))
    sample_select.select_by_value(str(other))
    wait_sample(driver, other, "#sample")
    check_table(driver, views[0]["tables"][other], "#sample other")
    check_marker(driver, chart, views[0]["xs"][other])
    sample_select.select_by_value(str(peak))
    wait_sample(driver, peak, "#sample peak")
    check_table(driver, views[0]["tables"][peak], "#sample peak")

    Select(driver.find_element(By.ID, "view")).select_by_visible_text(
        views[1]["label"])
    wait_for(driver, "view " + views[1]["id"],
             lambda: visible_chart(driver).get_attribute("data-view")
             == views[1]["id"])
    chart = check_chart(driver, views[1])
    wait_sample(driver, peak, "view switch")
    check_table(driver, views[1]["tables"][peak], "view switch")
    check_marker(driver, chart, views[1]["xs"][peak])

    driver.find_element(By.ID, "slider").send_keys(Keys.HOME)
    wait_sample(driver, 0, "slider Home")
    check_table(driver, views[1]["tables"][0], "slider Home")

    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    if errors:
        fail(f"console errors: {errors}")
    if screenshot:
        Select(driver.find_element(By.ID, "view")).select_by_index(0)
        click_at_svg_x(driver, visible_chart(driver), views[0]["xs"][peak])
        time.sleep(0.2)
        driver.save_screenshot(screenshot)


def main():
    if len(sys.argv) not in (3, 4):
        fail("usage: browser_check.py PAGE.html EXPECT_JSON [SCREENSHOT.png]")
    want = json.loads(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="memstats-chromium-") as profile:
        driver = start_browser(profile)
        try:
            run(driver, sys.argv[1], want,
                sys.argv[3] if len(sys.argv) == 4 else None)
        finally:
            driver.quit()
    print("browser_check.py: ok", flush=True)


if __name__ == "__main__":
    main()
