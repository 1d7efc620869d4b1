"""Drives the audit console's integrity and MRR pages in a real Chromium through Selenium, keyboard first.

Run by ConsoleIntegrityMRRBrowserTests (Tests/LedgerServerTests) with the venv tools/test-venv makes; the
browser, the sign-in helpers and the screenshots come from console_browser.py. Reads one JSON object on
standard input:

  base          the served ledger, http://127.0.0.1:PORT
  token         a read-API token
  tampered      the position of the event whose byte was changed: verify run from the page must name it
  mrr           `ledger report mrr --format json` for the range the page is asked for
  screenshots   a folder for one PNG per page visited (integrity.png, mrr.png)

Prints a JSON summary and exits 0, or prints what differs and exits 1.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import console_browser  # noqa: E402  (the shared helpers and their list of failures)
from console_browser import browser, check, no_alert, path_of, shot, tab_to  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

VERIFY_SECONDS_MAX = 300
FOCUSABLE = "a[href], input:not([type=hidden]), select, button, summary, textarea"


def every_control_reached(driver, where):
    """Tabs from the top of the page through all of it: every focusable control must get the focus."""
    driver.get(driver.current_url)
    controls = driver.find_elements(By.CSS_SELECTOR, FOCUSABLE)
    wanted = {control.id for control in controls if control.is_displayed()}
    reached = set()
    for _ in range(len(controls) * 2 + 10):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        element = driver.switch_to.active_element
        if element is not None:
            reached.add(element.id)
        if wanted <= reached:
            break
    missed = [control.get_attribute("outerHTML")[:80] for control in controls if control.id in wanted - reached]
    check(not missed, f"on {where} the keyboard does not reach: {missed}")


def wait_for_verify(driver):
    """Waits while the page reloads itself (meta refresh) until no verify is running; False on timeout."""
    deadline = time.monotonic() + VERIFY_SECONDS_MAX
    while time.monotonic() < deadline:
        try:
            running = driver.find_elements(By.ID, "verify-running")
            if not running and driver.find_elements(By.ID, "last-verify"):
                return True
        except StaleElementReferenceException:
            pass
        time.sleep(0.2)
    return False


def integrity(driver, base, spec, pages):
    driver.get(base + "/ui/integrity")
    check(path_of(driver, base) == "/ui/integrity", f"/ui/integrity shows {path_of(driver, base)}")
    digest = driver.find_element(By.ID, "head-digest").get_attribute("value")
    position = driver.find_element(By.ID, "head-position").text
    check(digest.startswith(position + ":") and len(digest) == len(position) + 65,
          f"the head digest {digest!r} is not POS:HASH for position {position}")
    every_control_reached(driver, "the integrity page")

    # Run verify with the keyboard: the button, Enter; the page refreshes itself until the result.
    button = tab_to(driver, lambda e: e.get_attribute("id") == "run-verify", "the Run verify button")
    if button is None:
        return
    button.send_keys(Keys.ENTER)
    if not check(wait_for_verify(driver), f"verify from the page did not end within {VERIFY_SECONDS_MAX} s"):
        return
    check(path_of(driver, base) == "/ui/integrity", f"after verify the browser shows {path_of(driver, base)}")
    failure = driver.find_elements(By.ID, "chain-failure")
    if check(failure, "verify from the page names no tampered event"):
        shown = failure[0].get_attribute("data-position")
        check(shown == str(spec["tampered"]),
              f"verify names position {shown}, the tampered event is at {spec['tampered']}")
        check(f"position {spec['tampered']}" in failure[0].text, f"the failure does not say the position: {failure[0].text!r}")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", failure[0])
    result = driver.find_element(By.ID, "last-result").text
    check(result.startswith("FAILED") and "chain" in result, f"the last verify says {result!r}")
    no_alert(driver, "the integrity page")
    pages.append(shot(driver, spec["screenshots"], "integrity"))


def chart_numbers(driver):
    """The chart's MRR points and bars, read from the inline SVG: {label: {mrr_end_cents, kind_cents…}}."""
    numbers = {}
    for point in driver.find_elements(By.CSS_SELECTOR, "svg.mrr-chart circle[data-period]"):
        numbers.setdefault(point.get_attribute("data-period"), {})["mrr_end_cents"] = int(
            point.get_attribute("data-mrr-end-cents"))
    for group in driver.find_elements(By.CSS_SELECTOR, "svg.mrr-chart g.period-bars"):
        label = group.get_attribute("data-period")
        for bar in group.find_elements(By.CSS_SELECTOR, "rect[data-cents]"):
            kind = bar.get_attribute("class")
            numbers.setdefault(label, {})[f"{kind}_cents"] = int(bar.get_attribute("data-cents"))
    return numbers


def mrr(driver, base, spec, pages):
    report = spec["mrr"]
    query = f"currency={report['currency']}&from={report['from']}&to={report['to']}&by=month"
    driver.get(base + "/ui/mrr?" + query)
    check(len(driver.find_elements(By.CSS_SELECTOR, "figure#mrr-chart svg.mrr-chart")) == 1,
          "the MRR page has no inline SVG chart")
    shown = chart_numbers(driver)
    labels = [period["label"] for period in report["periods"]]
    check(sorted(shown) == sorted(labels), f"the chart's periods {sorted(shown)} are not the report's {labels}")
    for period in report["periods"]:
        on_chart = shown.get(period["label"], {})
        for key in ["mrr_end_cents", "new_cents", "expansion_cents", "reactivation_cents", "contraction_cents",
                    "churn_cents"]:
            expected = period[key]
            drawn = on_chart.get(key, 0 if key != "mrr_end_cents" else None)
            check(drawn == expected, f"{period['label']} {key}: the chart draws {drawn}, the report says {expected}")
    rows = driver.find_elements(By.CSS_SELECTOR, "#mrr-table tbody tr[data-period]")
    check([int(row.get_attribute("data-mrr-end-cents")) for row in rows] == [p["mrr_end_cents"] for p in report["periods"]],
          "the table's MRR is not the report's")
    labels_shown = driver.find_elements(By.CSS_SELECTOR, "svg.mrr-chart g.value-labels.mrr text")
    check(len(labels_shown) > 0, "the chart has no MRR value labels")
    csv = driver.find_element(By.ID, "mrr-csv").get_attribute("href")
    check("/ui/mrr.csv?" in csv and f"currency={report['currency']}" in csv, f"the CSV link is {csv!r}")
    every_control_reached(driver, "the MRR page")
    pages.append(shot(driver, spec["screenshots"], "mrr"))

    # The range picker with the keyboard: weeks instead of months, then Show.
    grouping = tab_to(driver, lambda e: e.get_attribute("id") == "mrr-by", "the By select")
    if grouping is not None:
        grouping.send_keys("w")
        ActionChains(driver).send_keys(Keys.TAB).perform()
        show = driver.switch_to.active_element
        check(show.get_attribute("id") == "mrr-show", "Tab after the By select does not reach Show")
        show.send_keys(Keys.ENTER)
        check("by=week" in driver.current_url, f"choosing weeks with the keyboard leads to {driver.current_url}")
        weeks = driver.find_elements(By.CSS_SELECTOR, "svg.mrr-chart circle[data-period]")
        check(len(weeks) > len(labels) and all("-W" in w.get_attribute("data-period") for w in weeks),
              "the chart by week does not show ISO weeks")


def main():
    spec = json.load(sys.stdin)
    base = spec["base"]
    os.makedirs(spec["screenshots"], exist_ok=True)
    pages = []
    driver = browser()
    try:
        for path in ["/ui/integrity", "/ui/mrr", "/ui/mrr.csv"]:
            driver.get(base + path)
            check(path_of(driver, base) == "/ui/login", f"{path} without a session shows {path_of(driver, base)}")
        driver.get(base + "/ui/login")
        token = tab_to(driver, lambda e: e.get_attribute("id") == "token", "the token field")
        if token is not None:
            token.send_keys(spec["token"])
            token.send_keys(Keys.ENTER)
        check(path_of(driver, base) == "/ui", f"signing in leads to {path_of(driver, base)}")
        # The header's links lead to both pages.
        link = tab_to(driver, lambda e: e.tag_name == "a" and (e.get_attribute("href") or "").endswith("/ui/integrity"),
                      "the Integrity link")
        if link is not None:
            link.send_keys(Keys.ENTER)
            check(path_of(driver, base) == "/ui/integrity", "the Integrity link leads elsewhere")
        integrity(driver, base, spec, pages)
        mrr(driver, base, spec, pages)
    finally:
        driver.quit()
    print(json.dumps({"failures": console_browser.failures, "pages": pages}))
    sys.exit(1 if console_browser.failures else 0)


if __name__ == "__main__":
    main()
