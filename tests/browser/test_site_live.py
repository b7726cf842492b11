"""The built website in Chromium, offline: Live Code (Thebe) served by the site with a Chinese
message when Binder cannot be reached; the results page (one mode, no build paths, headers that
do not break inside a word, the legend beside the bars, the samples/second the pages print);
the status page (one table of this build's times, in Chinese, within a phone's 390 px and a
1366 px desktop); training summaries printed once; no developer notes on the pages.

Run with ``make site-test`` after ``make book-strict`` (or ``make book``).
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from site_pages import SITE, is_notebook, require_site, toc_pages  # noqa: E402

DOCNAMES = [doc for _, doc in toc_pages()]
NOTEBOOKS = [doc for doc in DOCNAMES if is_notebook(doc)]
CH3_1 = "chapters/ch03_linear_networks/ch03_01_linear_regression"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

require_site()

from playwright.sync_api import Browser, Page, Route  # noqa: E402


def _local(url: str) -> bool:
    return urlparse(url).scheme in ("data", "blob", "about") or urlparse(url).hostname == "127.0.0.1"


@pytest.fixture
def open_page(browser: Browser, base_url: str) -> Iterator:
    """``open_page(docname, viewport, binder=...)``: a page in a fresh offline tab. Requests to
    other hosts are refused (``binder="refuse"``) or left unanswered (``"hang"``); the tab's
    requests are in ``page.d2l_requests``."""
    contexts = []

    def go(docname: str, viewport: dict = DESKTOP, binder: str = "refuse") -> Page:
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        requests: list[tuple[str, int | None]] = []
        page.on("request", lambda r: requests.append((r.url, None)))
        page.on("response", lambda r: requests.append((r.url, r.status)))

        def offline(route: Route) -> None:
            if _local(route.request.url):
                route.continue_()
            elif binder == "hang":
                pass  # never answered: the network of a reader for whom mybinder.org is blocked
            else:
                route.abort("internetdisconnected")

        context.route("**/*", offline)
        response = page.goto(f"{base_url}{docname}.html", wait_until="load")
        assert response is not None and response.status == 200, docname
        page.d2l_requests = requests  # type: ignore[attr-defined]
        return page

    yield go
    for context in contexts:
        context.close()


# --- Live Code -------------------------------------------------------------------------------


def test_thebe_is_served_by_the_site() -> None:
    assert (SITE / "thebe" / "index.js").is_file() and (SITE / "thebe" / "thebe.css").is_file()
    pages = [SITE / f"{doc}.html" for doc in NOTEBOOKS]
    offsite = [p.name for p in pages if "unpkg.com" in p.read_text(encoding="utf-8")]
    assert offsite == [], f"pages that still load Thebe from unpkg: {offsite}"
    text = (SITE / f"{CH3_1}.html").read_text(encoding="utf-8")
    assert re.search(r'const THEBE_JS_URL = "(\.\./)+thebe/index\.js"', text)
    assert "mathjaxUrl: false" in text  # Thebe must not fetch MathJax 2 from cdnjs


def _launch_live_code(page: Page, timeout_ms: int) -> None:
    page.evaluate(f"window.D2L_LIVE.timeoutMs = {timeout_ms}")
    page.evaluate("initThebeSBT()")  # what the theme's "Live Code" button runs


def _check_message(page: Page, base_url: str) -> str:
    box = page.locator(".d2l-live-message")
    box.wait_for(state="visible", timeout=20_000)
    text = box.inner_text()
    assert "无法连接 Binder" in text and "make lab" in text and "README" in text, text
    # The alternatives are real links: the page's executed notebook and its source.
    for cls, suffix in (("d2l-live-ipynb", ".ipynb"), ("d2l-live-md", ".md")):
        href = box.locator(f"a.{cls}").get_attribute("href")
        assert href and href.endswith(suffix), (cls, href)
        response = page.request.get(href)
        assert response.status == 200, href
    assert "在线运行不可用" in page.locator(".thebe-launch-button").inner_text()
    return text


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_live_code_offline_says_why_and_what_to_do(open_page, base_url: str, viewport: dict) -> None:
    page = open_page(CH3_1, viewport)
    _launch_live_code(page, 20_000)
    text = _check_message(page, base_url)
    assert "连接 Binder 失败" in text
    page.wait_for_function("typeof window.thebelab === 'object'", timeout=20_000)  # from the site
    requests = page.d2l_requests  # type: ignore[attr-defined]
    thebe = [(u, s) for u, s in requests if u.endswith("/thebe/index.js") and s is not None]
    assert thebe and thebe[0][1] == 200 and _local(thebe[0][0]), requests
    assert not any("unpkg.com" in u for u, _ in requests)


def test_live_code_gives_up_after_the_time_limit(open_page, base_url: str) -> None:
    """mybinder.org never answers (blocked): the message comes when the time limit is up."""
    page = open_page(CH3_1, DESKTOP, binder="hang")
    _launch_live_code(page, 3_000)
    text = _check_message(page, base_url)
    assert "在 3 秒内没有连上 Binder" in text
    elapsed = page.evaluate("window.d2lLiveElapsedMs")
    assert 2_900 <= elapsed < 15_000, elapsed  # at the limit, not before it


# --- the results page ------------------------------------------------------------------------


def _mode() -> str:
    html = (SITE / "status.html").read_text(encoding="utf-8")
    found = re.search(r"本次构建的模式：<strong>[^<]*（(quick|full)）</strong>", html)
    assert found, "the status page does not state the build mode"
    return found.group(1)


def test_results_page_shows_one_mode_and_no_build_paths(open_page) -> None:
    page = open_page("results", DESKTOP)
    text = page.locator("main").inner_text()
    mode = _mode()
    label = {"full": "完整模式（full）", "quick": "快速模式（quick）"}[mode]
    assert f"本页的构建模式：{label}。" in text
    assert page.locator("main strong", has_text=label).count() >= 1  # in bold, not **raw**
    assert not re.search(r"(/_build/|/work/|/home/|/tmp/|\\\\_build|results found in)", text), text[:3000]
    # No setup code on the page: the only visible code is the figure's (collapsed).
    visible_code = page.evaluate("""() => [...document.querySelectorAll('.cell .cell_input')]
        .filter(e => e.offsetParent !== null && !e.closest('details:not([open])')).length""")
    assert visible_code == 0


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_results_headers_do_not_break_inside_a_word(open_page, viewport: dict) -> None:
    page = open_page("results", viewport)
    heads = page.evaluate("""() => [...document.querySelectorAll('main table th')].map(th => {
        const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
        const tops = new Set();
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            if (!n.textContent.trim()) continue;
            const range = document.createRange(); range.selectNodeContents(n);
            for (const r of range.getClientRects()) tops.add(Math.round(r.top));
        }
        return [th.innerText.trim(), tops.size];
    })""")
    assert any(name == "迭代周期" for name, _ in heads), heads
    broken = [(name, lines) for name, lines in heads if lines > 1 and " " not in name]
    assert broken == [], f"headers broken across lines: {broken}"


def test_results_legend_is_beside_the_bars() -> None:
    html = (SITE / "results.html").read_text(encoding="utf-8")
    svgs = re.findall(r'<img[^>]+src="(_images/[^"]+\.svg)"', html)
    assert svgs, "the results figure is missing"
    root = ET.parse(SITE / svgs[0]).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}

    def xs(group_id: str, first_only: bool) -> list[float]:
        group = root.find(f".//s:g[@id='{group_id}']", ns)
        assert group is not None, f"no {group_id} in {svgs[0]}"
        paths = group.findall(".//s:path", ns)[:1] if first_only else group.findall(".//s:path", ns)
        return [float(x) for p in paths for x in re.findall(r"[ML]\s*([-\d.]+)\s+[-\d.]+", p.get("d", ""))]

    axes_right = max(xs("axes_1", first_only=True))   # the axes' background rectangle
    legend_left = min(xs("legend_1", first_only=False))
    assert legend_left >= axes_right - 1, (legend_left, axes_right)


def _rate(text: str) -> set[str]:
    return set(re.findall(r"([\d,]+) examples/sec", text))


def test_results_samples_per_second_are_the_pages(open_page) -> None:
    """The results page's samples/second are the numbers the pages print (the last epoch's)."""
    page = open_page("results", DESKTOP)
    rows = page.evaluate("""() => [...document.querySelectorAll('main table tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))""")
    heads = page.evaluate("() => [...document.querySelectorAll('main table thead th')].map(t => t.innerText.trim())")
    rate = next(i for i, head in enumerate(heads) if "每秒样本数" in head)  # found by its header
    checked = 0
    for section in ("3.6", "4.2", "6.6"):
        row = next((r for r in rows if r and r[0] == section), None)
        if row is None or row[rate] == "—":
            continue
        doc = next(d for d in NOTEBOOKS if re.search(rf"/ch0{section[0]}_0{section[2]}_", d))
        shown = _rate((SITE / f"{doc}.html").read_text(encoding="utf-8"))
        assert row[rate] in shown, (section, row, shown)
        checked += 1
    assert checked >= 2, rows


# --- the status page -------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_status_page_one_table_in_chinese_that_fits(open_page, viewport: dict) -> None:
    page = open_page("status", viewport)
    tables = page.locator("main table")
    assert tables.count() == 1, "the status page shows one table"
    heads = page.evaluate("() => [...document.querySelectorAll('main table th')].map(t => t.innerText.trim())")
    assert heads == ["页面", "用时（秒）", "执行", "状态"], heads
    geometry = page.evaluate("""() => {
        const t = document.querySelector('main table');
        const r = t.getBoundingClientRect();
        return {right: r.right, width: t.scrollWidth, box: t.parentElement.clientWidth,
                page: document.documentElement.scrollWidth, view: window.innerWidth};
    }""")
    assert geometry["right"] <= geometry["view"] + 1, geometry      # within the window
    assert geometry["width"] <= geometry["box"] + 1, geometry       # nothing scrolled off
    assert geometry["page"] <= geometry["view"] + 1, geometry       # no sideways scrolling
    rows = page.evaluate("""() => [...document.querySelectorAll('main table tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))""")
    titles = [r[0] for r in rows[:-1]]
    assert rows[-1][0].startswith("合计"), rows
    linked = page.evaluate("""() => [...document.querySelectorAll('main table tbody a')]
        .map(a => new URL(a.href).pathname.replace(/^\\//, '').replace(/\\.html$/, ''))""")
    missing = [d for d in NOTEBOOKS if d != "status" and d not in linked]
    assert missing == [], f"notebooks not in the table: {missing}"
    assert not any("chapters/" in t for t in titles), titles   # titles, not file paths
    assert all(r[3] == "✅" for r in rows[:-1]), rows
    total = float(rows[-1][1])
    assert abs(total - sum(float(r[1]) for r in rows[:-1] if r[1] != "—")) < 0.1 * len(rows)


# --- what the pages print ---------------------------------------------------------------------


@pytest.mark.parametrize(("stem", "count"), [("ch04_02_", 1), ("ch04_03_", 1), ("ch04_06_", 2)])
def test_training_summary_printed_once_per_run(stem: str, count: int) -> None:
    doc = next(d for d in NOTEBOOKS if f"/{stem}" in d)
    html = (SITE / f"{doc}.html").read_text(encoding="utf-8")
    assert len(re.findall(r"examples/sec", html)) == count


def test_no_developer_notes_on_the_pages() -> None:
    noisy = [doc for doc in NOTEBOOKS
             if re.search(r"machine was shared|wall ≫|CPU time \d", (SITE / f"{doc}.html").read_text("utf-8"))]
    assert noisy == []
