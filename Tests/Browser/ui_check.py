"""The web UI in a real browser: Playwright drives Debian's Chromium through each page as a person
would (clicking, typing, pressing keys, downloading) and asserts on what the rendered page shows.

    python ui_check.py BASE_URL IDS_JSON OUTPUT_DIR

IDS_JSON names the seeded runs and experiments: qa (experiment id), baseline, v2, judged, retrieval
(experiment id), retriever_a, retriever_b, trace. Screenshots land in OUTPUT_DIR. Prints one line per
check and, last, a JSON line {"reviewed": {...}} with the scores it submitted, which the Swift test reads
back from the store. Exits 1 when a check fails.
"""

import csv
import io
import json
import re
import sys

from playwright.sync_api import sync_playwright

BASE, IDS, OUT = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def shot(page, name):
    page.screenshot(path=f"{OUT}/{name}.png", full_page=True)


def luminance(rgb):
    r, g, b = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # The runs list: readable headers (not one letter per line), every run visible, a sticky name column.
    page.goto(f"{BASE}/experiments/{IDS['qa']}")
    head = page.locator("table.runs thead").bounding_box()
    check(head is not None and head["height"] <= 120, f"runs table header is {head and round(head['height'])} px tall at 1440 px")
    names = page.locator("table.runs tbody th.run-name a").all_inner_texts()
    check({"baseline", "prompt-v2", "judged"} <= set(names), f"runs listed: {names}")
    position = page.locator("table.runs tbody th.run-name").first.evaluate("e => getComputedStyle(e).position")
    check(position == "sticky", f"the run-name column is {position}")
    shot(page, "runs")

    # Charts: two metrics as a scatter, one dot per run.
    page.locator("details.charts-panel summary").click()
    page.select_option("#chart", "scatter")
    for box in page.locator("fieldset.metric-picks input[type=checkbox]").all():
        box.uncheck()
    page.check("fieldset.metric-picks input[value='exact_match/v1']")
    page.check("fieldset.metric-picks input[value='rougeL/v1/mean']")
    page.get_by_role("button", name="Draw").click()
    scatter = page.locator("svg.chart[aria-label='rougeL/v1/mean against exact_match/v1']")
    check(scatter.count() == 1, "a scatter of rougeL against exact_match")
    dots = scatter.locator("circle.dot").count()
    check(dots == 2, f"{dots} dots: the two runs with both metrics")
    page.locator("details.charts-panel").scroll_into_view_if_needed()
    shot(page, "charts")

    # The runs list as CSV, as filtered.
    page.fill("#filter", "metrics.`rougeL/v1/mean` > 0")
    page.get_by_role("button", name="Apply").click()
    shown = page.locator("table.runs tbody th.run-name a").all_inner_texts()
    check(sorted(shown) == ["baseline", "prompt-v2"], f"the filter keeps the runs with rougeL: {shown}")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    check([r["run_name"] for r in rows] == shown, f"runs CSV {[r['run_name'] for r in rows]} == the filtered list {shown}")

    # A run's evaluation table, sorted by a score (clicking its header) and filtered by a search.
    page.goto(f"{BASE}/runs/{IDS['v2']}")
    shot(page, "run")
    page.locator("table.evaluation thead a", has_text="rougeL").first.click()
    page.fill("#q", "is")
    page.get_by_role("button", name="Filter").click()
    summary = page.locator("p.muted", has_text="rows match").first.inner_text()
    match = re.search(r"(\d+) of (\d+) rows match", summary)
    check(match is not None, f"the table says how many rows match: {summary!r}")
    shown_rows = page.locator("table.evaluation tbody tr").count()
    check(match is not None and int(match.group(1)) == shown_rows, f"{shown_rows} rows shown")
    header = page.locator("table.evaluation thead th[aria-sort]").inner_text()
    check("rougeL" in header.replace("\n", ""), f"sorted by {header!r}")
    inputs = [t.strip() for t in page.locator("table.evaluation tbody tr td:nth-child(2)").all_inner_texts()]
    check(all("is" in t.lower() for t in inputs), "every row shown has the search text")
    shot(page, "table-sorted-filtered")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    table_rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    check(len(table_rows) - 1 == shown_rows, f"the table CSV has {len(table_rows) - 1} rows, the page {shown_rows}")
    check([r[0] for r in table_rows[1:]] == inputs, "the CSV's rows are the page's, in its order")

    # Compare two retriever runs: select them on the runs list, compare, read a retrieved document in a card.
    page.goto(f"{BASE}/experiments/{IDS['retrieval']}")
    for run in (IDS["retriever_a"], IDS["retriever_b"]):
        page.check(f"input[name=runs][value='{run}']")
    page.get_by_role("button", name=re.compile("Compare selected runs")).click()
    check("/compare" in page.url, f"compare opened: {page.url}")
    cards = page.locator("article.row-compare")
    texts = cards.all_inner_texts()
    check(len(texts) == 8, f"{len(texts)} aligned rows")
    card = next((t for t in texts if "How do I log a metric in MLflow?" in t), "")
    check("doc-metrics" in card and "doc-logging" in card, "the retrieved documents are shown in the compare card")
    check(page.locator("ul.tallies").inner_text().count("improved") == 1, "improved/regressed/unchanged tallies")
    shot(page, "compare-retriever")

    # Review: the queue opens on the row most in need; key 4 scores it and moves on; the form scores the next.
    page.goto(f"{BASE}/runs/{IDS['judged']}/review")
    shot(page, "review")
    first = int(page.locator("input[name=row]").input_value())
    reason = page.locator("p.muted").first.inner_text()
    check("could not be read" in reason, f"the queue starts with an unreadable judge answer: {reason!r}")
    metrics = [page.locator("#rv-metric").input_value()]
    page.keyboard.press("4")
    page.wait_for_url(re.compile(r"saved="))
    check(page.get_by_role("status").inner_text() == f"Saved your score of row {first}.", "the keyboard score is saved")
    second = int(page.locator("input[name=row]").input_value())
    check(second != first, f"then row {second}")
    metrics.append(page.locator("#rv-metric").input_value())
    page.fill("#rv-value", "2")
    page.fill("#rv-comment", "misses the point")
    page.get_by_role("button", name="Save and next").click()
    page.wait_for_url(re.compile(f"saved={second}"))
    skipped = int(page.locator("input[name=row]").input_value())
    page.keyboard.press("s")
    page.wait_for_url(lambda url: "saved=" not in url)
    check(int(page.locator("input[name=row]").input_value()) != skipped, "s skips to the next row")
    page.goto(f"{BASE}/runs/{IDS['judged']}")
    people = page.locator("span.human").all_inner_texts()
    check("person: 4" in people and "person: 2" in people, f"people's scores beside the judge's: {people}")
    shot(page, "run-reviewed")

    # A trace: its page, and a person's score through its form.
    page.goto(f"{BASE}/traces/{IDS['trace']}")
    page.locator("details.review-form summary").click()
    page.fill("#tr-metric", "helpful")
    page.fill("#tr-value", "up")
    page.fill("#tr-comment", "answers the question")
    page.get_by_role("button", name="Save").click()
    assessment = page.locator("tr", has_text="answers the question").inner_text()
    check("helpful" in assessment and "thumbs up" in assessment and "HUMAN" in assessment, f"the trace shows the score: {assessment!r}")
    shot(page, "trace")

    # An unknown address: an HTML page, not JSON.
    response = page.goto(f"{BASE}/no/such/page")
    check(response.status == 404 and page.locator("h1").count() == 1, f"a 404 page ({response.status})")

    # 420 px wide: nothing wider than the screen outside the scrolling table, the first run near the top.
    narrow = browser.new_context(viewport={"width": 420, "height": 900})
    small = narrow.new_page()
    small.goto(f"{BASE}/experiments/{IDS['qa']}")
    width = small.evaluate("document.documentElement.scrollWidth")
    check(width <= 420, f"the page is {width} px wide at 420")
    top = small.locator("table.runs tbody tr").first.bounding_box()["y"]
    check(top < 600, f"the first run starts {round(top)} px down")
    shot(small, "runs-420")
    small.goto(f"{BASE}/runs/{IDS['v2']}")
    width = small.evaluate("document.documentElement.scrollWidth")
    check(width <= 420, f"the run page is {width} px wide at 420")
    shot(small, "run-420")
    small.goto(f"{BASE}/compare?runs={IDS['baseline']}&runs={IDS['v2']}")
    width = small.evaluate("document.documentElement.scrollWidth")
    check(width <= 420, f"the compare page is {width} px wide at 420")
    shot(small, "compare-420")
    narrow.close()

    # Dark mode from prefers-color-scheme.
    dark = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    night = dark.new_page()
    night.goto(f"{BASE}/runs/{IDS['judged']}")
    background = night.evaluate("getComputedStyle(document.body).backgroundColor")
    text = night.evaluate("getComputedStyle(document.body).color")
    check(luminance(background) < 0.2 and luminance(text) > 0.6, f"dark mode: {background} behind {text}")
    shot(night, "run-dark")
    night.goto(f"{BASE}/experiments/{IDS['qa']}")
    shot(night, "runs-dark")
    dark.close()

    check(not errors, f"no script errors: {errors}")
    browser.close()

print(json.dumps({"reviewed": {"rows": [first, second], "metrics": metrics}}))
sys.exit(1 if failures else 0)
