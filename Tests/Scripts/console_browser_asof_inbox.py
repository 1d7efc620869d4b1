"""Drives the audit console's as-of page and inbox in a real Chromium through Selenium, keyboard first.

Run by ConsoleAsOfInboxBrowserTests (Tests/LedgerServerTests/ConsoleAsOfInboxTests.swift) with the venv
tools/test-venv makes; the browser, the sign-in and the screenshots come from console_browser.py. Reads
one JSON object on standard input:

  base          the served ledger, http://127.0.0.1:PORT
  token         a read-API token
  subscription  the sub_… whose as-of page is driven
  states        {position: `ledger state SUB --at-position POSITION --json`} for every stop of its slider
  as_of         {"time": T, "state": `ledger state SUB --as-of T --json`}
  compare       {"from": P1, "at": P2}: two positions whose rows the page compares
  parked        `ledger parked --json`
  rejected      `ledger rejected --json`
  screenshots   a folder for one PNG per page visited (asof.png, inbox.png, …)

Prints a JSON summary and exits 0, or prints what differs and exits 1.
"""
import json
import os
import sys

# Importing console_browser from this folder must leave no __pycache__ in the checkout.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import console_browser  # noqa: E402  (the shared helpers: browser, check, tab_to, shot, path_of)
from console_browser import browser, check, no_alert, path_of, shot, tab_to  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

PAGE_LOAD_SECONDS_MAX = 30


def enter(driver, element, text=""):
    """Types `text` and Enter into `element`, then waits until the page it was on is replaced (a form
    submission or a link navigates after the key event returns)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.send_keys(text + Keys.ENTER)
    WebDriverWait(driver, PAGE_LOAD_SECONDS_MAX).until(expected_conditions.staleness_of(page))


def shown_rows(driver):
    """The as-of page's rows: {table: [{column: text, or None for NULL}]} in page order (gone rows left out)."""
    tables = {"subscriptions": [], "payment_transactions": []}
    for table in driver.find_elements(By.CSS_SELECTOR, "#asof-result table.asof-row"):
        if "gone" in table.get_attribute("class").split():
            continue
        row = {}
        for line in table.find_elements(By.CSS_SELECTOR, "tbody tr[data-column]"):
            cell = line.find_element(By.CSS_SELECTOR, "td.value")
            row[line.get_attribute("data-column")] = (
                None if "null" in cell.get_attribute("class").split() else cell.get_attribute("textContent"))
        tables.setdefault(table.get_attribute("data-table"), []).append(row)
    return tables


def as_text(value):
    """A `ledger state --json` value as the page shows its column's text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value  # an object (metadata): compared as parsed JSON


def same_rows(page, state, where):
    """Every row and column of `ledger state --json`'s tables equals the page's."""
    for table in ["subscriptions", "payment_transactions"]:
        expected = state.get(table, [])
        shown = page.get(table, [])
        if not check(len(shown) == len(expected),
                     f"{where}: {table} has {len(shown)} rows on the page, {len(expected)} in ledger state"):
            continue
        for index, (page_row, state_row) in enumerate(zip(shown, expected)):
            check(sorted(page_row) == sorted(state_row),
                  f"{where}: {table}[{index}] columns differ: {sorted(page_row)} vs {sorted(state_row)}")
            for column, value in state_row.items():
                text = page_row.get(column)
                wanted = as_text(value)
                if isinstance(wanted, (dict, list)):
                    ok = text is not None and json.loads(text) == wanted
                else:
                    ok = text == wanted
                if not check(ok, f"{where}: {table}[{index}].{column} is {text!r} on the page, {value!r} in ledger state"):
                    break


def focused(driver, element_id):
    active = driver.switch_to.active_element
    return active is not None and active.get_attribute("id") == element_id


def slide(driver, base, spec, presses, key, pages, name):
    """Focuses the slider with Tab, moves it with the arrow keys, Tabs to its Show button and presses Enter;
    then checks the rows against `ledger state --at-position` for the position the page names; `name` is
    recorded in the summary's pages."""
    slider = tab_to(driver, lambda e: e.get_attribute("id") == "event", "the as-of slider")
    if slider is None:
        return
    start = int(slider.get_attribute("value"))
    for _ in range(presses):
        slider.send_keys(key)
    moved = int(slider.get_attribute("value"))
    step = -1 if key == Keys.ARROW_LEFT else 1
    check(moved == start + step * presses, f"{presses} arrow presses moved the slider from {start} to {moved}")
    ActionChains(driver).send_keys(Keys.TAB).perform()
    if check(focused(driver, "event-show"), "Tab from the slider does not reach its Show button"):
        enter(driver, driver.switch_to.active_element)
    check(f"event={moved}" in path_of(driver, base), f"the slider's form leads to {path_of(driver, base)}")
    result = driver.find_elements(By.CSS_SELECTOR, "#asof-result")
    if not check(len(result) == 1, f"no rows shown after moving the slider to {moved}"):
        return
    position = result[0].get_attribute("data-position")
    check(driver.find_element(By.ID, "event").get_attribute("value") == str(moved),
          "the page does not keep the slider where it was moved")
    expected = spec["states"].get(position)
    if check(expected is not None, f"the page names position {position!r}, not one of the slider's stops"):
        same_rows(shown_rows(driver), expected, f"slider at {moved} (position {position})")
    pages.append(name)


def drive_as_of(driver, base, spec, pages):
    """From the subscription's timeline to its as-of page, by keyboard; the slider both ways; a typed time;
    two positions compared."""
    driver.get(base + "/ui/subscriptions/" + spec["subscription"])
    link = tab_to(driver, lambda e: e.get_attribute("id") == "asof-link", "the timeline's as-of link")
    if link is not None:
        enter(driver, link)
    as_of_path = "/ui/subscriptions/" + spec["subscription"] + "/as-of"
    check(path_of(driver, base) == as_of_path, f"the as-of link leads to {path_of(driver, base)}")
    stops = len(spec["states"]) - 1
    slide(driver, base, spec, min(2, stops), Keys.ARROW_LEFT, pages, "asof-slider-back")
    slide(driver, base, spec, 1, Keys.ARROW_RIGHT, pages, "asof-slider-forward")

    # A typed time, as `ledger state --as-of` reads it; Enter in the field submits its form.
    field = tab_to(driver, lambda e: e.get_attribute("id") == "at", "the as-of time field")
    if field is not None:
        enter(driver, field, spec["as_of"]["time"])
        check(len(driver.find_elements(By.CSS_SELECTOR, "#asof-result")) == 1, "no rows shown for a typed time")
        same_rows(shown_rows(driver), spec["as_of"]["state"], f"as of {spec['as_of']['time']}")

    # Two cuts compared: the later one's rows, and before → after marked where they differ.
    driver.get(base + as_of_path)
    field = tab_to(driver, lambda e: e.get_attribute("id") == "at", "the as-of time field")
    if field is not None:
        field.send_keys(str(spec["compare"]["at"]))
        ActionChains(driver).send_keys(Keys.TAB).perform()
        check(focused(driver, "from"), "Tab from the time field does not reach the compared-with field")
        enter(driver, driver.switch_to.active_element, str(spec["compare"]["from"]))
        same_rows(shown_rows(driver), spec["states"][str(spec["compare"]["at"])], "the later of two compared cuts")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#asof-result tr.changed")) > 0,
              "comparing the first and the last stop marks no value as changed")
        changed = driver.find_elements(By.CSS_SELECTOR, "#asof-result tr.changed")
        if changed:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", changed[0])
        no_alert(driver, "the compared as-of page (the subscription's metadata holds markup)")
        check(len(driver.find_elements(By.CSS_SELECTOR, "img, script, [onerror]")) == 0,
              "an element was injected into the as-of page")
        pages.append(shot(driver, spec["screenshots"], "asof"))
    # Every control of the page is reached by keyboard.
    for what, matches in [
        ("the from field's Show button", lambda e: e.get_attribute("id") == "at-show"),
        ("a stop of the events list", lambda e: e.tag_name == "a" and "?event=" in (e.get_attribute("href") or "")),
        ("the back link", lambda e: e.tag_name == "a" and (e.get_attribute("href") or "").endswith(spec["subscription"])),
    ]:
        tab_to(driver, matches, what)


def drive_inbox(driver, base, spec, pages):
    driver.get(base + "/ui")
    link = tab_to(driver, lambda e: e.tag_name == "a" and (e.get_attribute("href") or "").endswith("/ui/inbox"),
                  "the Inbox link")
    if link is not None:
        enter(driver, link)
    check(path_of(driver, base) == "/ui/inbox", f"the Inbox link leads to {path_of(driver, base)}")
    no_alert(driver, "the inbox")
    check(len(driver.find_elements(By.CSS_SELECTOR, "img, script, [onerror]")) == 0,
          "an element was injected into the inbox")
    parked = spec["parked"]
    check(driver.find_element(By.ID, "parked-total").text == str(parked["total"]),
          f"the inbox counts {driver.find_element(By.ID, 'parked-total').text} parked, ledger parked {parked['total']}")
    sections = driver.find_elements(By.CSS_SELECTOR, "section.parked-group")
    check(len(sections) == len(parked["groups"]),
          f"the inbox shows {len(sections)} groups, ledger parked {len(parked['groups'])}")
    for section, group in zip(sections, parked["groups"]):
        kind = section.get_attribute("data-kind")
        check(kind == group["kind"], f"a group is {kind} on the page, {group['kind']} in ledger parked")
        check(section.find_element(By.CSS_SELECTOR, "h3 .count").text == str(group["count"]), f"{kind}: count differs")
        fix = [item.get_attribute("textContent") for item in section.find_elements(By.CSS_SELECTOR, ".fix li")]
        check(fix == group["fix"], f"{kind}: the fix differs: {fix!r}")
        rows = section.find_elements(By.CSS_SELECTOR, "tbody tr")
        shown = [(row.get_attribute("data-object"), int(row.get_attribute("data-position")),
                  row.find_element(By.CSS_SELECTOR, "td.reason").get_attribute("textContent")) for row in rows]
        listed = [(item["object_id"], item["position"], item["reason"]) for item in group["objects"]]
        check(shown == listed, f"{kind}: the objects differ from ledger parked's: {shown!r} vs {listed!r}")
    rejected = driver.find_elements(By.CSS_SELECTOR, "table.rejected tbody tr")
    check([int(row.get_attribute("data-id")) for row in rejected] == [item["id"] for item in spec["rejected"]["inputs"]],
          "the rejected inputs differ from ledger rejected's")
    check(len(driver.find_elements(By.ID, "inbox-drift")) == 1, "the inbox has no place for the last verify's drift")
    pages.append(shot(driver, spec["screenshots"], "inbox"))

    # The filter and an object's link, by keyboard.
    tab_to(driver, lambda e: e.get_attribute("id") == "reason", "the inbox's reason filter")
    link = tab_to(driver, lambda e: e.tag_name == "a" and "/ui/subscriptions/" in (e.get_attribute("href") or ""),
                  "a parked subscription's link")
    if link is not None:
        target = link.get_attribute("href")
        enter(driver, link)
        check(driver.current_url == target, f"a parked object's link leads to {driver.current_url}")


def main():
    spec = json.load(sys.stdin)
    base = spec["base"]
    os.makedirs(spec["screenshots"], exist_ok=True)
    pages = []
    driver = browser()
    try:
        driver.get(base + "/ui/login")
        token = tab_to(driver, lambda e: e.get_attribute("id") == "token", "the token field")
        if token is not None:
            enter(driver, token, spec["token"])
        check(path_of(driver, base) == "/ui", f"signing in leads to {path_of(driver, base)}, not /ui")
        drive_as_of(driver, base, spec, pages)
        drive_inbox(driver, base, spec, pages)
    finally:
        driver.quit()
    failures = console_browser.failures
    print(json.dumps({"failures": failures, "pages": pages}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
