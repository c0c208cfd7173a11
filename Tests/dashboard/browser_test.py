"""Browser test of the dashboard against the demo set-up (packaging/demo.sh), in headless Chromium.

Run by Tests/dashboard/run-browser-test.sh, which starts the demo and passes its DEMO_INFO file.
Checks: a wrong admin key is refused; the right one signs in; both accounts show their quota bars;
protection appears within seconds after the simulator drains alice's quota; "Warm up" on bob (with
its confirmation) shows a new warmup in the request log. Writes a screenshot (--screenshot).
"""
import argparse
import json
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def http(method, url, body=None, key=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if key:
        request.add_header("authorization", "Bearer " + key)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def wait_for(what, check, timeout=30.0):
    """Polls `check` until it returns something truthy; fails naming `what`."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (StaleElementReferenceException, WebDriverException) as error:
            last_error = error
        time.sleep(0.2)
    raise AssertionError("timed out after %.0fs waiting for %s%s" % (timeout, what, "" if last_error is None else " (%s)" % last_error))


def step(text):
    print("browser-test: " + text, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--info", required=True, help="the DEMO_INFO file")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--driver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    info = json.load(open(args.info))
    base = "http://" + info["listen"]
    sim = info["simulator"]
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}

    # One request, so alice (quota from answer headers) has a figure; bob's is polled.
    status, _ = http("POST", base + "/v1/chat/completions", chat, info["client_key"])
    assert status == 200, status

    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                 "--no-first-run", "--disable-extensions", "--lang=en-GB"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=args.driver), options=options)
    driver.set_page_load_timeout(30)
    try:
        run(driver, base, sim, info, chat, args.screenshot)
    except BaseException:
        try:
            driver.save_screenshot(args.screenshot + ".failed.png")
            for entry in driver.get_log("browser"):
                print("browser console: %s" % entry, file=sys.stderr)
        finally:
            driver.quit()
        raise
    # The page must not have hit a Content-Security-Policy violation or a script error (the 401s of
    # the wrong keys above are expected; the browser logs them too).
    problems = [entry for entry in driver.get_log("browser")
                if entry.get("level") == "SEVERE" and "favicon" not in entry.get("message", "")
                and not (entry.get("source") == "network" and "status of 401" in entry.get("message", ""))]
    driver.quit()
    assert not problems, "console errors: %s" % problems
    step("all checks passed")


def run(driver, base, sim, info, chat, screenshot):
    q = lambda css: driver.find_elements(By.CSS_SELECTOR, css)
    visible = lambda css: any(e.is_displayed() for e in q(css))

    step("open the page; a wrong admin key is refused")
    driver.get(base + "/dashboard/")
    wait_for("the sign-in form", lambda: visible("#login-key"))
    for wrong in ("not-the-admin-key", info["client_key"]):
        driver.find_element(By.ID, "login-key").send_keys(wrong)
        driver.find_element(By.ID, "login-submit").click()
        wait_for("the refusal of %r" % wrong, lambda: "invalid admin key" in driver.find_element(By.ID, "login-error").text)
        assert not visible("#app"), "the app is shown after a wrong key"
        assert driver.execute_script("return sessionStorage.getItem('quota-proxy-admin-key')") is None

    step("sign in with the admin key")
    driver.find_element(By.ID, "login-key").send_keys(info["admin_key"])
    driver.find_element(By.ID, "login-submit").click()
    wait_for("the signed-in page", lambda: visible("#app") and not visible("#login"))
    assert driver.execute_script("return sessionStorage.getItem('quota-proxy-admin-key')") == info["admin_key"]
    wait_for("three running services", lambda: len(q("#services .card .pill.ok")) == 3, timeout=30)

    step("both accounts with their quota bars")
    for account in ("alice", "bob"):
        wait_for("a quota bar of " + account,
                 lambda: q('.account[data-account="%s"] .window[data-kind="quota"] .bar .fill' % account), timeout=30)
    assert q('.account[data-account="alice"] .bar .threshold'), "no threshold mark on alice's bar"
    assert not q('.account[data-account="alice"] .model[data-protected="true"]'), "alice is protected before the drain"

    step("drain alice's quota in the simulator; protection shows within seconds")
    http("POST", sim + "/admin/keys/sk-demo-alice-0001/quota", {"model": "gpt-4o-mini", "remaining": 2, "limit": 20, "reset_seconds": 18000})
    drained_at = time.monotonic()
    status, _ = http("POST", base + "/v1/chat/completions", chat, info["client_key"])
    assert status == 200, status
    wait_for("alice protected on the page",
             lambda: q('.account[data-account="alice"] .model[data-model="gpt-4o-mini"][data-protected="true"]'), timeout=20)
    step("protection shown %.1fs after the drain" % (time.monotonic() - drained_at))
    assert "protected groups" in driver.find_element(By.CSS_SELECTOR, '.account[data-account="alice"]').text

    step("wait for the scheduler's first scan, then warm up bob from the page")
    wait_for("the first warmup scan", lambda: "last: scan:" in driver.find_element(By.CSS_SELECTOR, '[data-service="quota-scheduler"]').text, timeout=60)
    # bob's polled quota back at 100%: refill it in the simulator and refresh bob from the page.
    http("POST", sim + "/admin/keys/sk-demo-bob-000002/quota", {"model": "gpt-4o-mini", "remaining": 20, "limit": 20, "reset_seconds": 1800})
    driver.find_element(By.CSS_SELECTOR, 'button[data-action="refresh"][data-account="bob"]').click()
    wait_for("the confirmation", lambda: driver.find_element(By.ID, "confirm").get_attribute("open") is not None)
    driver.find_element(By.ID, "confirm-ok").click()
    wait_for("bob at 100%", lambda: any(e.text == "100%" for e in q('.account[data-account="bob"] .window[data-kind="quota"] .bar .value')), timeout=30)

    warmups_before = len(q('#log-rows tr[data-kind="warmup"]'))
    ids_before = {e.get_attribute("data-id") for e in q('#log-rows tr[data-kind="warmup"]')}
    driver.find_element(By.CSS_SELECTOR, 'button[data-action="warmup"][data-account="bob"]').click()
    wait_for("the confirmation", lambda: driver.find_element(By.ID, "confirm").get_attribute("open") is not None)
    assert "Warm up bob" in driver.find_element(By.ID, "confirm-text").text
    driver.find_element(By.ID, "confirm-ok").click()
    wait_for("the warmup's answer", lambda: "Successfully triggered warmup for 1 models" in driver.find_element(By.ID, "toast").text, timeout=30)
    wait_for("a new warmup in the request log",
             lambda: {e.get_attribute("data-id") for e in q('#log-rows tr[data-kind="warmup"]')} - ids_before, timeout=30)
    step("warmups in the request log: %d before, %d after" % (warmups_before, len(q('#log-rows tr[data-kind="warmup"]'))))

    step("one request's attempts on click")
    q('#log-rows tr[data-kind="warmup"]')[0].click()
    wait_for("the request details", lambda: driver.find_element(By.ID, "details").get_attribute("open") is not None)
    assert driver.find_element(By.ID, "details-attempts").text.strip(), "no attempts shown"
    driver.find_element(By.ID, "details-close").click()

    step("timeline and warmups panels filled")
    wait_for("the requests chart", lambda: q("#chart-requests svg rect"), timeout=30)
    wait_for("a quota chart", lambda: q('#chart-quota .quota-chart[data-account="bob"] svg path'), timeout=30)
    wait_for("the warmup history", lambda: "bob" in driver.find_element(By.ID, "warmup-history").text, timeout=30)

    step("screenshot " + screenshot)
    driver.execute_script("window.scrollTo(0, 0); document.getElementById('toast').hidden = true")
    for _ in range(3):  # the page reflows at the new size; measure again
        height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 5000)")
        driver.set_window_size(1400, max(1000, height + 140))
        time.sleep(0.5)
    driver.save_screenshot(screenshot)


if __name__ == "__main__":
    main()
