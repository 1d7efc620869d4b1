"""Drives the audit console (`ledger serve`'s /ui) in a real Chromium through Selenium, keyboard first.

Run by ConsoleBrowserTests (Tests/LedgerServerTests) with the venv tools/test-venv makes; reads one JSON
object on standard input:

  base          the served ledger, http://127.0.0.1:PORT
  token         a read-API token
  protected     paths that must lead to the sign-in page without a session
  subscription  the sub_… to search for, and `expected`, its `ledger history --include-payments --json` entries
  page_size     the default events per timeline page, and `small_page`, a size that splits the timeline in 3+ pages
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


def compare(shown, expected, where):
    """The page's entries equal `ledger history`'s, entry by entry and field by field."""
    check(len(shown) == len(expected), f"{where}: {len(shown)} events, ledger history {len(expected)}")
    for index, (page_entry, history_entry) in enumerate(zip(shown, expected)):
        for key in page_entry:
            if not check(page_entry[key] == history_entry.get(key),
                         f"{where}, event {index} ({history_entry.get('position')}): {key} is {page_entry[key]!r} "
                         f"on the page, {history_entry.get(key)!r} in ledger history"):
                break


def follow_pages(driver, rel, pages_max):
    """Follows the first `rel` link (next or prev) with Enter until a page has none; each page's entries."""
    seen = [timeline(driver)]
    for _ in range(pages_max):
        links = driver.find_elements(By.CSS_SELECTOR, f"nav.paging a[rel='{rel}']")
        if not links:
            return seen
        links[0].send_keys(Keys.ENTER)
        seen.append(timeline(driver))
    failures.append(f"following rel={rel} did not end after {pages_max} pages")
    return seen


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

        # The first page: the first events `ledger history` prints, and how many there are in all.
        expected = spec["expected"]
        first_page = timeline(driver)
        compare(first_page, expected[:spec["page_size"]], "the first page")
        shown = driver.find_element(By.ID, "timeline-shown")
        check(shown.get_attribute("data-total") == str(len(expected)),
              f"the page says the object has {shown.get_attribute('data-total')} events, ledger history {len(expected)}")
        check(f"of {len(expected)}" in shown.text, f"the page does not say how many events it has in all: {shown.text!r}")

        # Small pages, followed forward with the keyboard (the first link reached with Tab), then backward from
        # the newest: together exactly the events `ledger history` prints, in its order, with its column changes.
        small = spec["small_page"]
        driver.get(f"{base}{expected_path}?limit={small}")
        forward = [timeline(driver)]
        later = tab_to(driver, lambda e: e.get_attribute("rel") == "next", "the Later events link")
        if later is not None:
            later.send_keys(Keys.ENTER)
            forward += follow_pages(driver, "next", len(expected) + 1)
        check(len(forward) >= 3, f"pages of {small} events split {len(expected)} events in {len(forward)} pages")
        check(all(0 < len(page) <= small for page in forward), f"page sizes {[len(page) for page in forward]}")
        compare([entry for page in forward for entry in page], expected, f"pages of {small} followed forward")
        pages.append(shot(driver, folder, "subscription-paged"))
        first_link = driver.find_elements(By.CSS_SELECTOR, "nav.paging a[rel='first']")
        if check(len(first_link) > 0, "the last page links no first page"):
            first_link[0].send_keys(Keys.ENTER)
            last = driver.find_elements(By.CSS_SELECTOR, "nav.paging a[rel='last']")
            if check(len(last) > 0, "the first page of several links no newest page"):
                last[0].send_keys(Keys.ENTER)
                backward = follow_pages(driver, "prev", len(expected) + 1)
                compare([entry for page in reversed(backward) for entry in page], expected,
                        f"pages of {small} followed backward from the newest")

        # An event's body is one link away: Enter on the first body link shows it, pretty-printed and as stored.
        driver.get(base + expected_path)
        body_link = tab_to(driver, lambda e: "body-link" in (e.get_attribute("class") or "").split(), "an event's body link")
        if body_link is not None:
            body_link.send_keys(Keys.ENTER)
            check(path_of(driver, base) == f"/ui/events/{expected[0]['position']}",
                  f"the first body link leads to {path_of(driver, base)}")
            stored = driver.find_elements(By.ID, "body-stored")
            if check(len(stored) == 1 and len(stored[0].text) > 0, "the body page shows no stored body"):
                body = json.loads(stored[0].get_attribute("textContent"))
                check(body.get("id") == expected[0]["source_event_id"],
                      f"the body shown is {body.get('id')!r}, the event is {expected[0]['source_event_id']!r}")
            pages.append(shot(driver, folder, "subscription-body"))
            back = driver.find_elements(By.ID, "timeline-link")
            if check(len(back) == 1, "the body page links no timeline"):
                back[0].send_keys(Keys.ENTER)
                check(timeline(driver)[:1] == first_page[:1], "the body page's timeline link starts elsewhere")
        driver.get(base + expected_path)
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
        driver.get(base + "/ui/subscriptions/" + hostile["subscription"] + "?limit=200")
        no_alert(driver, "the hostile subscription's page")
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
        # The hostile event's own page: its body and metadata as text too.
        marked = [item for item in driver.find_elements(By.CSS_SELECTOR, "ol#timeline > li.entry")
                  if hostile["event"] in item.find_element(By.CSS_SELECTOR, ".source").get_attribute("textContent")]
        if check(len(marked) == 1, f"the hostile subscription's page shows {len(marked)} events {hostile['event']}"):
            marked[0].find_element(By.CSS_SELECTOR, "a.body-link").send_keys(Keys.ENTER)
            no_alert(driver, "the hostile event's body page")
            check(len(driver.find_elements(By.CSS_SELECTOR, "img")) == 0, "an <img> element was injected in a body")
            check(len(driver.find_elements(By.CSS_SELECTOR, "script")) == 0, "a <script> element is in a body page")
            check(len(driver.find_elements(By.CSS_SELECTOR, "[onerror]")) == 0, "an onerror attribute in a body page")
            pretty = driver.find_element(By.ID, "body-pretty").get_attribute("textContent")
            for string in hostile["strings"]:
                check(json.dumps(string)[1:-1] in pretty, f"{string!r} is not shown as text in the hostile body")
            pages.append(shot(driver, folder, "hostile-body"))

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
