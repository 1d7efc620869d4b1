"""Drives the audit console (`ledger serve`'s /ui) in a real Chromium through Selenium, keyboard first.

Run by ConsoleBrowserTests (Tests/LedgerServerTests) with the venv tools/test-venv makes; reads one JSON
object on standard input:

  base          the served ledger, http://127.0.0.1:PORT
  token         a read-API token
  protected     paths that must lead to the sign-in page without a session
  subscription  the sub_… to search for, and `expected`, its `ledger history --include-payments --json` entries
  hostile       {"subscription": sub_…, "strings": [...]}: a subscription whose metadata holds markup
  screenshots   a folder for one PNG per page visited

Prints a JSON summary and exits 0, or prints what differs and exits 1. Chromium and chromedriver
come from Debian (tools/test installs them); a missing browser is a failure, never a skip.
"""
import json
import os
import shutil
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains

TAB_PRESSES_MAX = 40
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def browser():
    binary = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        sys.exit("console_browser.py: chromium and chromedriver are required (apt-get install chromium chromium-driver; tools/test does)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--disable-gpu", "--no-first-run", "--force-device-scale-factor=1"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def path_of(driver, base):
    url = driver.current_url
    return url[len(base):] if url.startswith(base) else url


def tab_to(driver, matches, what):
    """Reloads the page (focus back at its top, or on its autofocus field) and presses Tab until the
    focused element satisfies `matches`; the element, or None after recording a failure."""
    driver.get(driver.current_url)
    for _ in range(TAB_PRESSES_MAX):
        element = driver.switch_to.active_element
        if element is not None and matches(element):
            return element
        ActionChains(driver).send_keys(Keys.TAB).perform()
    failures.append(f"{what} is not reachable with Tab from the top of {driver.current_url}")
    return None


def no_alert(driver, where):
    try:
        alert = driver.switch_to.alert
        failures.append(f"an alert dialog opened on {where}: {alert.text!r}")
        alert.dismiss()
    except NoAlertPresentException:
        pass


def shot(driver, folder, name):
    driver.save_screenshot(os.path.join(folder, f"{name}.png"))
    return name


def timeline(driver):
    """The entries of an object page as `ledger history --json` writes them (the fields the page shows)."""
    entries = []
    for item in driver.find_elements(By.CSS_SELECTOR, "ol#timeline > li.entry"):
        changes = []
        for change in item.find_elements(By.CSS_SELECTOR, "div.change"):
            columns = []
            for column in change.find_elements(By.CSS_SELECTOR, "li[data-column]"):
                before = column.find_element(By.CSS_SELECTOR, ".from")
                after = column.find_element(By.CSS_SELECTOR, ".to")
                columns.append({
                    "column": column.get_attribute("data-column"),
                    "from": None if "null" in before.get_attribute("class").split() else before.get_attribute("textContent"),
                    "to": None if "null" in after.get_attribute("class").split() else after.get_attribute("textContent"),
                })
            changes.append({"table": change.get_attribute("data-table"), "object": change.get_attribute("data-object"),
                            "columns": columns})
        reason = item.find_elements(By.CSS_SELECTOR, ".summary .reason")
        source_id = item.find_elements(By.CSS_SELECTOR, ".source code")
        entries.append({
            "position": int(item.get_attribute("data-position")),
            "type": item.find_element(By.CSS_SELECTOR, ".summary .type").get_attribute("textContent"),
            "outcome": item.find_element(By.CSS_SELECTOR, ".summary .outcome").get_attribute("textContent"),
            "reason": reason[0].get_attribute("textContent") if reason else None,
            "occurred_at": item.find_element(By.CSS_SELECTOR, ".occurred").get_attribute("textContent"),
            "recorded_at": item.find_element(By.CSS_SELECTOR, ".recorded").get_attribute("textContent"),
            "source": item.find_element(By.CSS_SELECTOR, ".source").get_attribute("textContent").split(" ")[0],
            "source_event_id": source_id[0].get_attribute("textContent") if source_id else None,
            "stream": item.find_element(By.CSS_SELECTOR, ".stream").get_attribute("textContent"),
            "changes": changes,
        })
    return entries


def main():
    spec = json.load(sys.stdin)
    base, folder = spec["base"], spec["screenshots"]
    os.makedirs(folder, exist_ok=True)
    pages = []
    driver = browser()
    try:
        # No page answers without a session: each leads to sign-in.
        for path in spec["protected"]:
            driver.get(base + path)
            check(path_of(driver, base) == "/ui/login", f"{path} without a session shows {path_of(driver, base)}")

        # Sign in with the keyboard only.
        driver.get(base + "/ui/login")
        pages.append(shot(driver, folder, "login"))
        token = tab_to(driver, lambda e: e.get_attribute("id") == "token", "the token field")
        if token is not None:
            token.send_keys(spec["token"])
            token.send_keys(Keys.ENTER)
        check(path_of(driver, base) == "/ui", f"signing in leads to {path_of(driver, base)}, not /ui")
        pages.append(shot(driver, folder, "search"))

        # Search with the keyboard: the box, the id, Enter.
        box = tab_to(driver, lambda e: e.get_attribute("id") == "q", "the search box")
        if box is not None:
            box.send_keys(spec["subscription"])
            box.send_keys(Keys.ENTER)
        expected_path = "/ui/subscriptions/" + spec["subscription"]
        check(path_of(driver, base) == expected_path, f"searching leads to {path_of(driver, base)}, not {expected_path}")
        pages.append(shot(driver, folder, "subscription"))

        # Exactly the events `ledger history` prints, in its order, with its column changes.
        shown = timeline(driver)
        expected = spec["expected"]
        check(len(shown) == len(expected), f"the page shows {len(shown)} events, ledger history {len(expected)}")
        for index, (page_entry, history_entry) in enumerate(zip(shown, expected)):
            for key in page_entry:
                if not check(page_entry[key] == history_entry.get(key),
                             f"event {index} ({history_entry.get('position')}): {key} is {page_entry[key]!r} on the page, "
                             f"{history_entry.get(key)!r} in ledger history"):
                    break
        positions = [entry["position"] for entry in shown]
        check(positions == sorted(positions), f"events are not in log order: {positions}")

        # The timeline's controls by keyboard: a body's <details> opens with Enter, a link to the customer is reached.
        summary = tab_to(driver, lambda e: e.tag_name == "summary", "an event's body")
        if summary is not None:
            summary.send_keys(Keys.ENTER)
            details = summary.find_element(By.XPATH, "..")
            check(details.get_attribute("open") is not None, "Enter on an event's summary does not open its body")
            pre = details.find_element(By.CSS_SELECTOR, "pre.stored")
            check(pre.is_displayed() and len(pre.text) > 0, "an opened body shows nothing")
            pages.append(shot(driver, folder, "subscription-body"))
        link = tab_to(driver, lambda e: e.tag_name == "a" and "/ui/customers/" in (e.get_attribute("href") or ""),
                      "the customer link")
        if link is not None:
            link.send_keys(Keys.ENTER)
            check(path_of(driver, base).startswith("/ui/customers/"), f"the customer link leads to {path_of(driver, base)}")
            check(len(driver.find_elements(By.CSS_SELECTOR, "nav.links a[href^='/ui/subscriptions/']")) > 0,
                  "the customer page links none of its subscriptions")
            pages.append(shot(driver, folder, "customer"))
            payments = driver.find_elements(By.CSS_SELECTOR, "nav.links a[href^='/ui/payments/']")
            if payments:
                payments[0].send_keys(Keys.ENTER)
                check(path_of(driver, base).startswith("/ui/payments/"), "a payment link leads elsewhere")
                pages.append(shot(driver, folder, "payment"))

        # Markup in event data is text: no dialog, no injected element, the characters shown as written.
        hostile = spec["hostile"]
        driver.get(base + "/ui/subscriptions/" + hostile["subscription"])
        no_alert(driver, "the hostile subscription's page")
        for details in driver.find_elements(By.CSS_SELECTOR, "details"):
            driver.execute_script("arguments[0].open = true", details)
        no_alert(driver, "the hostile subscription's opened bodies")
        check(len(driver.find_elements(By.CSS_SELECTOR, "img")) == 0, "an <img> element was injected")
        check(len(driver.find_elements(By.CSS_SELECTOR, "script")) == 0, "a <script> element is in the page")
        check(len(driver.find_elements(By.CSS_SELECTOR, "[onerror]")) == 0, "an onerror attribute was injected")
        text = driver.find_element(By.TAG_NAME, "main").text
        for string in hostile["strings"]:
            check(string in text, f"{string!r} is not shown as text on the hostile subscription's page")
        hostile_changes = driver.find_elements(By.CSS_SELECTOR, "li[data-column='metadata']")
        if check(len(hostile_changes) > 0, "the hostile subscription's page shows no metadata change"):
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", hostile_changes[-1])
        pages.append(shot(driver, folder, "hostile-metadata"))

        # Sign out with the keyboard; the session is gone.
        driver.get(base + "/ui")
        button = tab_to(driver, lambda e: e.tag_name == "button" and e.text == "Log out", "the Log out button")
        if button is not None:
            button.send_keys(Keys.ENTER)
        check(path_of(driver, base) == "/ui/login", f"logging out leads to {path_of(driver, base)}")
        driver.get(base + "/ui")
        check(path_of(driver, base) == "/ui/login", "after logging out /ui still answers")
    finally:
        driver.quit()
    print(json.dumps({"failures": failures, "pages": pages, "checked_events": len(spec["expected"])}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
